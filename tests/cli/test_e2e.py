"""The main job (`uas-hf e2e`): step reuse, the held-out QA benchmark it evaluates on, and (slow) the whole flow."""

import json
import os
from pathlib import Path

import pytest

from uas_hf.cli import e2e


@pytest.fixture
def fake_steps(monkeypatch):
    """Replace every step by a recorder that writes the step's declared outputs."""
    calls = []

    def make(step):
        def run(config, out: Path):
            calls.append(step)
            for rel in e2e.STEP_OUTPUTS[step]:
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_text("{}")
            return {"step": step}

        return run

    monkeypatch.setattr(e2e, "STEP_FUNCS", {step: make(step) for step in e2e.STEPS})
    return calls


def test_rerun_reuses_finished_steps_and_reruns_changed_ones(tmp_path, fake_steps):
    config = e2e.E2EConfig(out=str(tmp_path), launch=False)
    report = e2e.run_e2e(config)
    assert fake_steps == list(e2e.STEPS)
    assert {v["status"] for v in report.values()} == {"ran"}

    fake_steps.clear()
    report = e2e.run_e2e(config)
    assert fake_steps == [] and {v["status"] for v in report.values()} == {"reused"}

    # a changed setting re-runs its step and every later one, not the earlier ones
    fake_steps.clear()
    e2e.run_e2e(e2e.E2EConfig(out=str(tmp_path), launch=False, stage3_steps=7))
    assert fake_steps == ["stage3", "eval", "cards"]

    # a missing output re-runs that step (and the later ones)
    fake_steps.clear()
    os.remove(tmp_path / "dataset" / "summary.json")
    e2e.run_e2e(e2e.E2EConfig(out=str(tmp_path), launch=False, stage3_steps=7))
    assert fake_steps == ["annotate", "init", "stage2", "stage3", "eval", "cards"]

    fake_steps.clear()
    e2e.run_e2e(e2e.E2EConfig(out=str(tmp_path), launch=False, stage3_steps=7, force=["eval"]))
    assert fake_steps == ["eval", "cards"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"size": "huge"}, "`size`"), ({"force": ["nope"]}, "`force`"), ({"num_proc": 0}, "`num_proc`")],
)
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        e2e.E2EConfig(**kwargs)


def test_missing_recipe_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="--recipes"):
        e2e._recipe(e2e.E2EConfig(recipes=str(tmp_path)), "stage2")


def test_held_out_qa_becomes_a_valid_mmsu_benchmark(small_corpus, tmp_path):
    """The e2e eval set: the test split's UAS-QA multiple-choice items, loadable and scorable as MMSU."""
    from uas_hf.data.qa import generate_qa
    from uas_hf.evaluation import load_benchmark
    from uas_hf.metrics.scoring import score_mmsu
    from uas_hf.pipeline.runner import AnnotateConfig, annotate

    dataset = tmp_path / "dataset"
    summary = annotate(
        AnnotateConfig(str(small_corpus), str(dataset), splits=["test"], progress=False), qa_generator=generate_qa
    )
    assert summary["accepted"] + summary["rejected"] == summary["inputs"]

    path = e2e.qa_to_mmsu(dataset, tmp_path / "bench", split="test")
    bench = load_benchmark("mmsu", path)  # validates fields, answers among choices, audio files present
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(bench.items) == len(records) > 0
    assert {r["category"] for r in records} <= {"Perception", "Reasoning"}
    for r in records:
        assert (r["category"] == "Reasoning") == (r["task_name"] in e2e.REASONING_FIELDS)
    gold = ["ABCD"[[r[f"choice_{k}"] for k in "abcd"].index(r["answer_gt"])] for r in records]
    assert score_mmsu(records, gold, scoring="official")["overall"] == 1.0


@pytest.mark.slow
def test_main_job_end_to_end(tmp_path):
    """`uas-hf e2e` on the small corpus with a few training steps: every step runs, a re-run reuses them all."""
    from uas_hf.cli.main import main

    out = tmp_path / "e2e"
    args = ["e2e", "--out", str(out), "--size", "small", "--stage2-steps", "3", "--stage3-steps", "3"]
    args += ["--eval-limit", "6", "--no-launch"]
    assert main(args) == 0
    report = json.loads((out / "e2e_report.json").read_text())
    assert set(report) == set(e2e.STEPS) and {v["status"] for v in report.values()} == {"ran"}
    assert main(args) == 0
    report = json.loads((out / "e2e_report.json").read_text())
    assert {v["status"] for v in report.values()} == {"reused"}

    from huggingface_hub import ModelCard

    card = ModelCard.load(out / "hub" / "model" / "README.md")
    assert card.data.eval_results  # the model-index entries from the eval runner
