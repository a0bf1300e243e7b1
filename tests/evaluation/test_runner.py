"""The evaluation runner on real MMAU / MMAR question metadata with audio from the embedded corpus and a tiny model.

Covers: batch-size invariance, kill (SIGKILL) + resume == uninterrupted, sharding, the asr/uas benchmarks on the
corpus test split, every output file (predictions consumed by `uas-hf score`, results.md, the plot, model-index, a hub
model card), typed errors before generation, and odd responses / failing clips counted instead of crashing.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from uas_hf.evaluation import DuplicateIdError, InvalidFileError, MissingAudioError, MissingFieldError
from uas_hf.evaluation.prompts import PROMPT_TEMPLATES, get_prompt_template
from uas_hf.evaluation.runner import EvalConfig, RunMismatchError, read_prediction_logs, run_evaluation


SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks"
MMAU_FILE = SHARED / "mmau-test-mini.json"
MMAR_FILE = SHARED / "mmar-meta.json"
needs_real_metadata = pytest.mark.skipif(
    not (MMAU_FILE.is_file() and MMAR_FILE.is_file()), reason=f"real MMAU/MMAR metadata not found in {SHARED}"
)
MAX_NEW_TOKENS = 6  # random weights never stop early; a few tokens exercise everything


def _clips(corpus: Path) -> list[Path]:
    return sorted((corpus / "test").glob("*.wav")) + sorted((corpus / "validation").glob("*.wav"))


def _pick_mmau(records: list[dict]) -> list[dict]:
    """12 items: per task the first 2 Information Extraction and 2 Reasoning items (one list-valued `category`)."""
    picked = []
    for task in ("sound", "music", "speech"):
        ie = [r for r in records if r["task"] == task and r["category"] == "Information Extraction"][:2]
        if task == "sound":
            reasoning = [r for r in records if r["task"] == task and r["category"] == "Reasoning"][:1]
            reasoning += [r for r in records if r["task"] == task and r["category"] == ["Reasoning"]][:1]
        else:
            reasoning = [r for r in records if r["task"] == task and r["category"] == "Reasoning"][:2]
        picked += ie + reasoning
    return picked


def _pick_mmar(records: list[dict]) -> list[dict]:
    """12 items: the first 3 of each layer (`category`), in file order."""
    layers = ("Signal Layer", "Perception Layer", "Semantic Layer", "Cultural Layer")
    return [r for layer in layers for r in [r for r in records if r["category"] == layer][:3]]


def _mmsu_records(corpus: Path) -> list[dict]:
    """8 MMSU-format items over corpus clips: gender questions (Perception) and which-sentence questions (Reasoning),
    two of them 2-option items with null `choice_c` / `choice_d`, as MMSU stores them."""
    rows = [json.loads(line) for line in (corpus / "test" / "metadata.jsonl").read_text().splitlines()]
    speech = [r for r in rows if r["transcription"] and r["gender"]][:8]
    records = []
    for k, row in enumerate(speech):
        rid = f"task{k % 2}_{row['id']}"
        base = {"id": rid, "audio_path": f"/audio/{rid}.wav", "sub-sub-category": "Semantics"}
        if k % 2 == 0:
            choices = ["Male", "Female", None, None] if k % 4 == 0 else ["Male", "Female", "Child", "Robot"]
            base.update(
                question="What is the gender of the speaker?",
                answer_gt=row["gender"],
                task_name="gender_prediction",
                category="Perception",
                **{"sub-category": "Paralinguistics"},
            )
        else:
            others = [r["transcription"] for r in speech if r is not row][:3]
            choices = [row["transcription"], *others]
            base.update(
                question="Which sentence does the speaker say?",
                answer_gt=row["transcription"],
                task_name="content_grounding",
                category="Reasoning",
                **{"sub-category": "Linguistics"},
            )
        base.update(zip(("choice_a", "choice_b", "choice_c", "choice_d"), choices))
        records.append((base, corpus / "test" / row["file_name"]))
    return records


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio

    model, processor = build_tiny_uas_audio()
    folder = tmp_path_factory.mktemp("tiny-uas-audio")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def bench_root(small_corpus, tmp_path_factory) -> Path:
    """`mmau/`, `mmar/`, `mmsu/` folders in each benchmark's official layout, audio copied from the corpus."""
    root = tmp_path_factory.mktemp("benchmarks")
    clips = _clips(small_corpus)
    if MMAU_FILE.is_file() and MMAR_FILE.is_file():
        mmau = _pick_mmau(json.loads(MMAU_FILE.read_text()))
        (root / "mmau" / "test-mini-audios").mkdir(parents=True)
        for k, record in enumerate(mmau):
            shutil.copy(clips[k % len(clips)], root / "mmau" / record["audio_id"])
        (root / "mmau" / "mmau-test-mini.json").write_text(json.dumps(mmau, ensure_ascii=False, indent=1))
        mmar = _pick_mmar(json.loads(MMAR_FILE.read_text()))
        (root / "mmar" / "audio").mkdir(parents=True)
        for k, record in enumerate(mmar):
            shutil.copy(clips[(k + 5) % len(clips)], root / "mmar" / record["audio_path"])
        (root / "mmar" / "MMAR-meta.json").write_text(json.dumps(mmar, ensure_ascii=False, indent=1))
    (root / "mmsu" / "question").mkdir(parents=True)
    (root / "mmsu" / "audio").mkdir()
    lines = []
    for record, clip in _mmsu_records(small_corpus):
        shutil.copy(clip, root / "mmsu" / record["audio_path"].lstrip("/"))
        lines.append(json.dumps(record))
    (root / "mmsu" / "question" / "mmsu.jsonl").write_text("\n".join(lines) + "\n")
    return root


def _config(model_dir, benchmark, data, out, **kwargs) -> EvalConfig:
    kwargs.setdefault("max_new_tokens", MAX_NEW_TOKENS)
    return EvalConfig(
        model=str(model_dir), benchmark=benchmark, data=str(data), output_dir=str(out), progress=False, **kwargs
    )


def _predictions(out: Path) -> list[tuple[str, str]]:
    return [(r["id"], r["response"]) for r in map(json.loads, (out / "predictions.jsonl").read_text().splitlines())]


def _stable(results: dict) -> dict:
    """Results without what legitimately differs between runs (timings, batch size, sharding)."""
    stable = {k: v for k, v in results.items() if k != "timings"}
    stable["generation"] = {k: v for k, v in results["generation"].items() if k not in ("batch_size", "num_shards")}
    return stable


@pytest.fixture(scope="module")
def mmau_runs(model_dir, bench_root, tmp_path_factory):
    """MMAU run twice: batch size 1 and batch size 8."""
    if not (bench_root / "mmau").is_dir():
        pytest.skip("real MMAU metadata not available")
    outs = {}
    for batch_size in (1, 8):
        out = tmp_path_factory.mktemp(f"mmau-bs{batch_size}")
        outs[batch_size] = (
            out,
            run_evaluation(_config(model_dir, "mmau", bench_root / "mmau", out, batch_size=batch_size)),
        )
    return outs


@needs_real_metadata
def test_batch_size_1_and_8_give_identical_predictions_and_results(mmau_runs):
    (out1, res1), (out8, res8) = mmau_runs[1], mmau_runs[8]
    preds = _predictions(out1)
    assert len(preds) == 12 and preds == _predictions(out8)
    assert (out1 / "predictions.jsonl").read_bytes() == (out8 / "predictions.jsonl").read_bytes()
    assert _stable(res1) == _stable(res8)
    # Both scorings, the data checksum of the fixture file and the perception/reasoning split are reported.
    assert (
        set(res1["scorings"]) == {"official", "tencent"} and res1["overall"] == res1["scorings"]["official"]["overall"]
    )
    assert res1["data"]["n_items"] == 12 and len(res1["data"]["sha256"]) == 64
    pr = res1["perception_reasoning"]
    assert pr["official"]["perception"]["n_items"] == 6 and pr["official"]["reasoning"]["n_items"] == 6
    assert res1["predictions"]["truncated"] == 12 and res1["predictions"]["errors"] == 0


@needs_real_metadata
def test_predictions_are_what_uas_hf_score_consumes(mmau_runs, bench_root, tmp_path):
    from uas_hf.cli.main import main

    out, results = mmau_runs[8]
    for scoring in ("official", "tencent"):
        target = tmp_path / f"{scoring}.json"
        argv = [
            "score",
            "--benchmark",
            "mmau",
            "--scoring",
            scoring,
            "--data",
            str(bench_root / "mmau" / "mmau-test-mini.json"),
        ]
        assert main([*argv, "--predictions", str(out / "predictions.jsonl"), "--out", str(target)]) == 0
        rescored = json.loads(target.read_text())
        assert rescored["overall"] == results["scorings"][scoring]["overall"]
        assert rescored["breakdown"] == results["scorings"][scoring]["breakdown"]


@needs_real_metadata
def test_reports_model_index_and_hub_model_card(mmau_runs, tmp_path):
    import yaml
    from huggingface_hub import ModelCard

    from uas_hf.hub import render_model_card

    out, results = mmau_runs[8]
    assert (out / "perception_vs_reasoning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (out / "results.md").read_text()
    assert "| official (mmau-official, think=keep) |" in markdown and "### By `task`" in markdown
    assert yaml.safe_load((out / "model-index.yaml").read_text())["model-index"] == results["model_index"]

    # The card renders straight from results.json (official scoring at the top level) ...
    card = render_model_card(model_name="tiny", repo_id="me/tiny", evaluations=[out / "results.json"])
    card.save(tmp_path / "README.md")
    loaded = ModelCard.load(tmp_path / "README.md")
    assert loaded.data.eval_results[0].metric_value == results["overall"]
    assert loaded.data.eval_results[0].dataset_revision == results["data"]["sha256"]
    # ... and from the per-scoring files, whose model-index equals the one the runner wrote.
    files = sorted((out / "eval_results").glob("*.json"))
    assert [f.name for f in files] == ["mmau.official.json", "mmau.tencent.json"]
    card = render_model_card(model_name=results["model"]["name"], repo_id="me/tiny", evaluations=files)
    from_card = {(r.metric_name, r.metric_value) for r in card.data.eval_results}
    written = {(m["name"], m["value"]) for entry in results["model_index"][0]["results"] for m in entry["metrics"]}
    assert from_card == written and ("Accuracy (tencent)", results["scorings"]["tencent"]["overall"]) in written


@needs_real_metadata
def test_kill_mid_run_and_resume_equals_uninterrupted_run(model_dir, bench_root, tmp_path):
    data = bench_root / "mmar"
    reference = run_evaluation(
        _config(model_dir, "mmar", data, tmp_path / "reference", batch_size=3, max_new_tokens=24)
    )

    out = tmp_path / "killed"
    log = out / "predictions" / "rank-00000-of-00001.jsonl"
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    argv = [sys.executable, "-m", "uas_hf.cli.main", "eval", "--model", str(model_dir), "--benchmark", "mmar"]
    argv += ["--data", str(data), "--out", str(out), "--batch-size", "1", "--max-new-tokens", "24", "--no-progress"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if log.is_file() and log.read_bytes().count(b"\n") >= 2:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            proc.kill()
        stderr = proc.communicate()[1].decode(errors="replace")
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it could be killed: {stderr[-2000:]}"
    assert not (out / "results.json").exists()
    survived = read_prediction_logs(out / "predictions")
    assert 2 <= len(survived) < 12
    with open(log, "ab") as f:  # what a kill in the middle of a write leaves behind
        f.write(b'{"id": "torn-wri')

    resumed = run_evaluation(_config(model_dir, "mmar", data, out, batch_size=4, max_new_tokens=24))
    assert _predictions(out) == _predictions(tmp_path / "reference")
    assert _stable(resumed)["scorings"] == _stable(reference)["scorings"]
    assert _stable(resumed)["perception_reasoning"] == _stable(reference)["perception_reasoning"]
    # The resumed run generated only what the kill had not saved; the survivors were not redone.
    assert resumed["timings"]["n_generated"] == 12 - len(survived)
    assert {r["id"]: r["response"] for r in survived.values()}.items() <= dict(_predictions(out)).items()


@needs_real_metadata
def test_sharded_run_merges_to_the_unsharded_predictions(model_dir, bench_root, mmau_runs, tmp_path):
    out = tmp_path / "sharded"
    first = run_evaluation(_config(model_dir, "mmau", bench_root / "mmau", out, num_shards=2, shard_index=1))
    assert first == {"status": "pending", "missing": 6, "output_dir": str(out)}
    last = run_evaluation(_config(model_dir, "mmau", bench_root / "mmau", out, num_shards=2, shard_index=0))
    assert sorted(p.name for p in (out / "predictions").glob("*.jsonl")) == [
        "rank-00000-of-00002.jsonl",
        "rank-00001-of-00002.jsonl",
    ]
    assert _predictions(out) == _predictions(mmau_runs[8][0])
    assert _stable(last) == _stable(mmau_runs[8][1])


def test_mmsu_perception_and_reasoning_from_category(model_dir, bench_root, tmp_path):
    results = run_evaluation(
        _config(model_dir, "mmsu", bench_root / "mmsu", tmp_path, prompt_template="mmsu-official")
    )
    assert results["generation"]["prompt_template"] == "mmsu-official"
    first = json.loads((tmp_path / "predictions.jsonl").read_text().splitlines()[0])
    assert first["prompt"].startswith("Choose the most suitable answer") and "\nC. None\nD. None" in first["prompt"]
    tencent = results["perception_reasoning"]["tencent"]
    assert tencent["perception"]["n"] == 4 and tencent["reasoning"]["n"] == 4  # Tencent: every item counts
    assert (
        results["scorings"]["tencent"]["think"] == "remove_tags" and results["scorings"]["official"]["think"] == "keep"
    )
    assert (tmp_path / "perception_vs_reasoning.png").is_file()


def test_asr_and_uas_benchmarks_on_the_corpus_test_split(model_dir, small_corpus, tmp_path):
    rows = [json.loads(line) for line in (small_corpus / "test" / "metadata.jsonl").read_text().splitlines()]
    n_speech = sum(bool(r["transcription"]) for r in rows)

    asr = run_evaluation(_config(model_dir, "asr", small_corpus, tmp_path / "asr", batch_size=8))
    assert asr["metric"] == "wer" and asr["n"] == n_speech and asr["overall"] == asr["asr"]["wer"] > 0
    assert asr["data"]["skipped_without_transcription"] == len(rows) - n_speech and asr["data"]["split"] == "test"
    assert asr["model_index"][0]["results"][0]["task"]["type"] == "automatic-speech-recognition"

    uas = run_evaluation(_config(model_dir, "uas", small_corpus, tmp_path / "uas", batch_size=8))
    assert uas["n"] == len(rows) and 0.0 <= uas["uas"]["valid_json_rate"] <= 1.0
    assert uas["transcription"]["n"] == n_speech and uas["transcription"]["wer"] is not None  # the "holistic tax"
    assert uas["validator"]["accept_rate"] is not None
    assert "holistic tax" in (tmp_path / "uas" / "results.md").read_text()
    assert not (tmp_path / "uas" / "perception_vs_reasoning.png").exists()


def test_bad_input_is_a_typed_error_before_any_generation(bench_root, small_corpus, model_dir, tmp_path):
    missing_model = tmp_path / "no-model"  # never loaded: data problems surface first
    broken = tmp_path / "mmsu"
    shutil.copytree(bench_root / "mmsu", broken)
    next((broken / "audio").glob("*.wav")).unlink()
    with pytest.raises(MissingAudioError, match="audio files are missing"):
        run_evaluation(_config(missing_model, "mmsu", broken, tmp_path / "o1"))

    folder = tmp_path / "corpus-split"
    shutil.copytree(small_corpus / "test", folder)
    rows = (folder / "metadata.jsonl").read_text().splitlines()
    (folder / "metadata.jsonl").write_text("\n".join([*rows, rows[1]]) + "\n")
    with pytest.raises(DuplicateIdError, match="duplicate ids"):
        run_evaluation(_config(missing_model, "asr", folder, tmp_path / "o2"))
    no_field = [json.dumps({k: v for k, v in json.loads(r).items() if k != "uas"}) for r in rows]
    (folder / "metadata.jsonl").write_text("\n".join(no_field) + "\n")
    with pytest.raises(MissingFieldError, match="uas needs `file_name` and `uas`"):
        run_evaluation(_config(missing_model, "uas", folder, tmp_path / "o3"))
    with pytest.raises(InvalidFileError, match="without a known mmar metadata file"):
        run_evaluation(_config(missing_model, "mmar", tmp_path, tmp_path / "o4"))
    with pytest.raises(ValueError, match="unknown field"):
        _config(model_dir, "mmau", tmp_path, tmp_path / "o5", prompt_template="{question} {answer}")
    with pytest.raises(ValueError, match="`cache_implementation` must be one of static, dynamic; got 'paged'"):
        _config(model_dir, "mmau", tmp_path, tmp_path / "o5", cache_implementation="paged")
    assert not any((tmp_path / f"o{i}").exists() for i in range(1, 6))

    # A finished folder refuses predictions of another configuration.
    run_evaluation(_config(model_dir, "mmsu", bench_root / "mmsu", tmp_path / "o6", limit=2))
    with pytest.raises(RunMismatchError, match="max_new_tokens: 6 -> 7"):
        run_evaluation(_config(model_dir, "mmsu", bench_root / "mmsu", tmp_path / "o6", limit=2, max_new_tokens=7))


def test_odd_responses_are_counted_and_failing_clips_retried(model_dir, bench_root, tmp_path, monkeypatch):
    import uas_hf.evaluation.runner as runner

    data = bench_root / "mmsu"
    real_load = runner._load_clip
    broken_id = json.loads((data / "question" / "mmsu.jsonl").read_text().splitlines()[2])["id"]

    def flaky(path):
        if broken_id in path:
            raise RuntimeError("decoder crashed")
        return real_load(path)

    monkeypatch.setattr(runner, "_load_clip", flaky)
    results = run_evaluation(_config(model_dir, "mmsu", data, tmp_path, batch_size=4))
    assert results["predictions"]["errors"] == 1 and results["predictions"]["error_ids"] == [broken_id]
    assert results["scorings"]["tencent"]["n"] == 8  # the failed item is scored as unparseable, not dropped
    monkeypatch.setattr(runner, "_load_clip", real_load)
    retried = run_evaluation(_config(model_dir, "mmsu", data, tmp_path))
    assert retried["predictions"]["errors"] == 0 and retried["timings"]["n_generated"] == 9

    # Empty, huge and control-character responses (as a broken model would write them) are scored, not fatal.
    log = tmp_path / "predictions" / "rank-00000-of-00001.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines() if "error" not in line]
    odd = ["", "B" * 300_000, "\x00\x1b[31m", "   "]
    for row, text in zip(rows, odd):
        row["response"] = text
    log.write_text("".join(json.dumps(row) + "\n" for row in rows))
    rescored = run_evaluation(_config(model_dir, "mmsu", data, tmp_path))
    assert rescored["predictions"]["empty"] >= 2 and rescored["scorings"]["tencent"]["unparseable"] >= 4


def test_prompt_templates():
    mmsu = get_prompt_template("mmsu")
    assert mmsu.name == "uas" and mmsu.format("Q?", ["a", "b", None, None]) == "Q?\n\nA. a\nB. b\nC. None\nD. None"
    text = get_prompt_template("mmar", "choice-text").format("Where?", ["On a plane", "On a ship"])
    assert text.startswith("Where?\n\nChoice: \nOn a plane\nOn a ship\n\nChoose a choices from the given 2 choices.")
    custom = get_prompt_template("mmau", "{letters}: {question} {choices}")
    assert custom.name == "custom" and custom.format("Q?", ["x", "y", "z"]) == "A, B, and C: Q? x\ny\nz"
    assert get_prompt_template("asr").format() == "Transcribe any speech in this audio."
    assert get_prompt_template("uas", "Describe {{as JSON}}.").format() == "Describe {as JSON}."
    with pytest.raises(ValueError, match="meant for mmsu, not mmau"):
        get_prompt_template("mmau", "mmsu-official")
    with pytest.raises(ValueError, match="must show the question and the options"):
        get_prompt_template("mmau", "Answer: {question}")
    with pytest.raises(ValueError, match="takes no fields"):
        get_prompt_template("asr", "Transcribe {question}")
    assert {t for name, t in PROMPT_TEMPLATES.items() if "mmsu" in t.benchmarks} >= {PROMPT_TEMPLATES["mmsu-official"]}


def test_generation_that_keeps_failing_stops_the_run(model_dir, bench_root, tmp_path, monkeypatch):
    import uas_hf.evaluation.runner as runner

    def broken(path):
        raise RuntimeError("no audio backend")

    monkeypatch.setattr(runner, "_load_clip", broken)
    with pytest.raises(RuntimeError, match="generation failed for 8 items in a row .*no audio backend"):
        run_evaluation(_config(model_dir, "mmsu", bench_root / "mmsu", tmp_path, batch_size=2))
    assert not (tmp_path / "results.json").exists()
    assert all("error" in row for row in read_prediction_logs(tmp_path / "predictions").values())
