"""`docs/results/` output: ablation.json in issue 8's exact shape, table and plots."""

import json

import pytest

from uas_hf.reproduce.report import ablation_summary, write_results


def _run(arm, seed, perception_right, reasoning_right):
    items = [
        {"id": f"p{i}", "correct": i < perception_right, "category": "Perception", "task_name": "speaker_gender",
         "cluster": f"clip{i}"}
        for i in range(10)
    ] + [
        {"id": f"r{i}", "correct": i < reasoning_right, "category": "Reasoning", "task_name": "word_spoken",
         "cluster": f"clip{i}"}
        for i in range(4)
    ]  # fmt: skip
    return {
        "arm": arm,
        "seed": seed,
        "items": items,
        "summary": {"perception": {"acc": perception_right / 10}, "reasoning": {"acc": reasoning_right / 4}},
        "cer_targeted": 0.2 + seed / 10,
        "cer_holistic": None if arm == "asr" else 0.3,
        "letter_accuracy": 0.5,
    }


def _probe(right):
    return {"items": [{"id": f"q{i}", "correct": i < right, "category": "Perception", "task_name": "uasqa_age",
                       "cluster": f"clip{i}", "n_options": 4, "answer": "Adult" if i < 6 else "Child"}
                      for i in range(8)]}  # fmt: skip


RUNS = {
    "asr": [_run("asr", 0, 4, 2), _run("asr", 1, 5, 2)],
    "asr_uas_qa": [_run("asr_uas_qa", 0, 8, 2), _run("asr_uas_qa", 1, 9, 3)],
}
RUNS["asr_uas_qa"][0]["qa_probe"] = _probe(6)
RUNS["asr_uas_qa"][1]["qa_probe"] = _probe(8)


def test_ablation_json_has_exactly_the_issue_shape():
    summary = ablation_summary(RUNS, command="uas-hf reproduce --out x", seeds=[0, 1], versions={"torch": "2"})
    assert set(summary) == {"arms", "command", "seed", "versions"}
    for entry in summary["arms"].values():
        assert set(entry) == {"perception", "reasoning", "cer_targeted", "cer_holistic"}
        for group in ("perception", "reasoning"):
            assert set(entry[group]) == {"acc", "ci", "n"}
            lo, hi = entry[group]["ci"]
            assert lo <= entry[group]["acc"] <= hi
    asr = summary["arms"]["asr"]
    assert asr["perception"]["acc"] == pytest.approx(0.45) and asr["perception"]["n"] == 20  # seeds pooled
    assert asr["cer_targeted"] == pytest.approx(0.25) and asr["cer_holistic"] is None


def test_write_results(tmp_path):
    paths = write_results(
        tmp_path, RUNS, command="uas-hf reproduce", seeds=[0, 1], versions={"torch": "2"}, run_time={"asr/seed0": 60}
    )
    ablation = json.loads(paths["ablation"].read_text())
    assert list(ablation["arms"]) == ["asr", "asr_uas_qa"]
    table = paths["table"].read_text()
    assert "| ASR + UAS + UAS-QA | 85.0 [" in table and "speaker_gender" in table
    assert (tmp_path / "perception_vs_reasoning.png").stat().st_size > 0
    assert (tmp_path / "ablation.png").stat().st_size > 0
    details = json.loads(paths["details"].read_text())
    assert details["arms"]["asr"]["per_seed"]["1"]["perception"] == 0.5
    # paired by item and seed: perception 17/20 - 9/20, reasoning 5/8 - 4/8
    vs_asr = details["arms"]["asr_uas_qa"]["vs_asr"]
    assert vs_asr["perception"]["delta"] == pytest.approx(0.40) and vs_asr["perception"]["n"] == 20
    assert vs_asr["perception"]["ci"][0] <= 0.40 <= vs_asr["perception"]["ci"][1]
    assert vs_asr["reasoning"]["delta"] == pytest.approx(0.125)
    assert details["arms"]["asr"]["vs_asr"] is None
    assert "| ASR + UAS + UAS-QA | +40.0 [" in table
    assert "Order by perception accuracy: ASR + UAS + UAS-QA > ASR only." in table
    assert "- ASR + UAS + UAS-QA vs ASR only, perception: +40.0 points [" in table
    assert "higher, the interval excludes zero" in table

    probe = details["arms"]["asr_uas_qa"]["qa_probe"]
    assert probe["overall"]["acc"] == pytest.approx(14 / 16) and probe["chance"] == pytest.approx(0.25)
    assert details["arms"]["asr"]["qa_probe"] is None
    assert probe["majority"]["uasqa_age"] == pytest.approx(0.75)
    assert "| age | 75.0 | 87.5 [" in table and "Chance 25.0." in table


def test_verdict_reads_the_interval():
    from uas_hf.reproduce.report import verdict

    assert verdict({"delta": 0.02, "ci": [-0.01, 0.05]}).endswith("not told apart from zero")
    assert (
        verdict({"delta": -0.03, "ci": [-0.05, -0.01]})
        == "-3.0 points [-5.0, -1.0]: lower, the interval excludes zero"
    )
    assert verdict({"delta": None, "ci": [None, None]}) == "not measured"
