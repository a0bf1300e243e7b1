"""`uas-hf reproduce` end to end at micro scale (slow: ~30 s on 2 cores)."""

import json

import pytest


pytest.importorskip("torch")

MICRO = ["--seeds", "0", "--arms", "asr", "asr_uas_qa", "--steps", "3", "--encoder-steps", "3", "--size", "small",
         "--max-train-clips", "12", "--bench-limit", "12", "--asr-limit", "3"]  # fmt: skip


def test_config_rejects_unknown_arms():
    from uas_hf.reproduce import ReproduceConfig

    with pytest.raises(ValueError, match="`arms`"):
        ReproduceConfig(arms=["asr", "uas_only"])
    assert ReproduceConfig(steps=90).projector_steps == 30
    with pytest.raises(ValueError, match="`eval_split`"):
        ReproduceConfig(eval_split="train")
    with pytest.raises(ValueError, match="validation runs are for choices"):
        ReproduceConfig(eval_split="validation", results_dir="docs/results")
    with pytest.raises(ValueError, match="`workers` must be a positive integer, got 0"):
        ReproduceConfig(workers=0)


@pytest.mark.slow
def test_reproduce_micro_end_to_end_and_resume(small_corpus, tmp_path, capsys):
    from uas_hf.cli.main import main

    args = ["reproduce", "--out", str(tmp_path / "run"), "--corpus", str(small_corpus),
            "--results-dir", str(tmp_path / "results"), *MICRO]  # fmt: skip
    assert main(args) == 0
    ablation = json.loads((tmp_path / "results" / "ablation.json").read_text())
    assert set(ablation["arms"]) == {"asr", "asr_uas_qa"}
    assert ablation["arms"]["asr"]["perception"]["n"] > 0
    assert (
        ablation["command"].startswith("uas-hf reproduce --out ")
        and "--seeds 0 --arms asr asr_uas_qa" in ablation["command"]
    )
    assert ablation["arms"]["asr"]["cer_holistic"] is None
    assert ablation["arms"]["asr_uas_qa"]["cer_holistic"] is not None
    probe = json.loads((tmp_path / "run" / "encoder" / "probe.json").read_text())
    assert probe["pretrain_split"] == "train" and probe["probe_split"] == "validation"
    assert (tmp_path / "run" / "encoder" / "features_validation.pt").is_file()
    for name in ("README.md", "perception_vs_reasoning.png", "ablation.png", "details.json"):
        assert (tmp_path / "results" / name).is_file()
    assert "In-distribution check" in (tmp_path / "results" / "README.md").read_text()
    details = json.loads((tmp_path / "results" / "details.json").read_text())
    assert details["arms"]["asr_uas_qa"]["qa_probe"]["overall"]["n"] > 0
    capsys.readouterr()
    assert main(args) == 0  # resumed: every step reused
    out = capsys.readouterr().out
    # 4 shared steps + the probe's items + train, eval and probe of 2 arms
    assert "ran " not in out and out.count("reused") == 11


@pytest.mark.slow
def test_reproduce_workers_give_the_serial_results(small_corpus, tmp_path):
    """`--workers 2` runs arm-seeds in spawned processes; every prediction must equal the one-process run's."""
    from uas_hf.cli.main import main

    micro = [*MICRO[:2], "1", *MICRO[2:]]  # seeds 0 1: four arm-seeds for two workers
    for name, workers in (("serial", "1"), ("parallel", "2")):
        args = ["reproduce", "--out", str(tmp_path / name), "--corpus", str(small_corpus),
                "--results-dir", str(tmp_path / f"{name}-results"), "--workers", workers, *micro]  # fmt: skip
        assert main(args) == 0
    results = sorted((tmp_path / "serial" / "arms").glob("*/seed*/result.test.json"))
    assert len(results) == 4
    for serial in results:
        parallel = tmp_path / "parallel" / serial.relative_to(tmp_path / "serial")
        a, b = json.loads(serial.read_text()), json.loads(parallel.read_text())
        assert a["items"] == b["items"] and a["summary"] == b["summary"]
    state = json.loads((tmp_path / "parallel" / "reproduce_state.json").read_text())["steps"]
    assert {name for name in state if name.startswith(("train:", "eval:", "probe:"))} == {
        f"{kind}:{arm}:seed{seed}{'' if kind == 'train' else ':test'}"
        for kind in ("train", "eval", "probe") for arm in ("asr", "asr_uas_qa") for seed in (0, 1)
    }  # fmt: skip
