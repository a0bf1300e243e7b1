"""The held-out micro-benchmark: valid MMSU, written independently of UAS-QA, deterministic, split-disjoint."""

import json

import pytest

from uas_hf.evaluation import load_benchmark
from uas_hf.reproduce.benchmark import QUESTION_TYPES, benchmark_counts, build_micro_benchmark, read_split


@pytest.fixture(scope="module")
def benchmarks(small_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("micro-bench")
    return {split: build_micro_benchmark(small_corpus, out / split, split=split) for split in ("validation", "test")}


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_records_are_valid_mmsu(benchmarks):
    for path in benchmarks.values():
        bench = load_benchmark("mmsu", path)
        records = _records(path)
        assert len(bench.items) == len(records) > 0
        for r in records:
            options = [r[f"choice_{k}"] for k in "abcd" if r[f"choice_{k}"] is not None]
            assert r["answer_gt"] in options and len(set(options)) == len(options) >= 2
            assert r["category"] in ("Perception", "Reasoning")
            assert QUESTION_TYPES[r["task_name"]][0] == r["category"]


def test_covers_every_question_type_on_the_test_split(benchmarks):
    counts = benchmark_counts(benchmarks["test"])
    assert set(counts["by_type"]) == set(QUESTION_TYPES)
    assert counts["by_category"]["Reasoning"] > 0


def test_never_uses_uas_qa_phrasing(small_corpus, benchmarks):
    from uas_hf.data.qa import generate_qa
    from uas_hf.schema import parse_uas

    rows = read_split(small_corpus, "test")
    qa = list(generate_qa(((r["id"], parse_uas(r["uas"])) for r in rows), seed=0))
    qa_questions = {i["question"].lower() for i in qa}
    qa_openings = {" ".join(q.split()[:4]) for q in qa_questions}
    for r in _records(benchmarks["test"]):
        question = r["question"].lower()
        assert question not in qa_questions
        assert " ".join(question.split()[:4]) not in qa_openings, r["question"]


def test_answers_come_from_construction_truth(small_corpus, benchmarks):
    rows = {r["id"]: r for r in read_split(small_corpus, "test")}
    clips = json.loads((benchmarks["test"].parent / "clips.json").read_text())
    for r in _records(benchmarks["test"]):
        sources = [rows[c] for c in clips[r["id"]]]
        if r["task_name"] == "speaker_gender":
            assert r["answer_gt"] == {"Male": "A man", "Female": "A woman"}[sources[0]["gender"]]
        elif r["task_name"] == "sound_order":
            events = sorted(sources[0]["events"], key=lambda e: e["onset"])
            assert r["answer_gt"] == events[0]["label"]
        elif r["task_name"] == "compare_faster":
            a, b = sources
            faster_first = a["speaking_rate_wpm"] > b["speaking_rate_wpm"]
            assert r["answer_gt"] == ("The first speaker" if faster_first else "The second speaker")
        elif r["task_name"] == "word_spoken":
            assert r["answer_gt"] in sources[0]["transcription"].lower()


def test_comparison_audio_joins_both_clips(small_corpus, benchmarks):
    import soundfile as sf

    rows = {r["id"]: r for r in read_split(small_corpus, "test")}
    clips = json.loads((benchmarks["test"].parent / "clips.json").read_text())
    pair = next(r for r in _records(benchmarks["test"]) if r["task_name"].startswith("compare_"))
    a, b = (rows[c] for c in clips[pair["id"]])
    info = sf.info(benchmarks["test"].parent / pair["audio_path"].lstrip("/"))
    assert info.duration == pytest.approx(a["duration"] + b["duration"] + 1.0, abs=0.05)


def test_deterministic_for_a_seed(small_corpus, benchmarks, tmp_path):
    again = build_micro_benchmark(small_corpus, tmp_path / "again", split="test", seed=0)
    assert again.read_text() == benchmarks["test"].read_text()
    other = build_micro_benchmark(small_corpus, tmp_path / "other", split="test", seed=1)
    assert other.read_text() != benchmarks["test"].read_text()


def test_validation_and_test_share_no_clip_voice_or_sentence(small_corpus, benchmarks):
    ids = {split: {c for cs in json.loads((p.parent / "clips.json").read_text()).values() for c in cs}
           for split, p in benchmarks.items()}  # fmt: skip
    assert not ids["validation"] & ids["test"]
    rows = {s: read_split(small_corpus, s) for s in ("train", "validation", "test")}
    for column in ("voice", "sentence_id"):
        values = {s: {r[column] for r in rs if r[column]} for s, rs in rows.items()}
        assert not values["test"] & values["validation"] and not values["test"] & values["train"]


def test_bad_split_and_foreign_folder_are_rejected(small_corpus, tmp_path):
    with pytest.raises(ValueError, match="`split`"):
        build_micro_benchmark(small_corpus, tmp_path, split="dev")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="refusing to replace it"):
        build_micro_benchmark(small_corpus, tmp_path, split="test")
    assert (tmp_path / "notes.txt").is_file()


def test_qa_probe_is_valid_mmsu_from_training_templates_on_held_out_clips(small_corpus, tmp_path):
    """The in-distribution probe: UAS-QA multiple choice (the arms' own templates) on the test split's clips."""
    from uas_hf.reproduce.arms import perception_fields
    from uas_hf.reproduce.qa_probe import build_qa_probe

    path = build_qa_probe(small_corpus, tmp_path / "probe", split="test", max_per_field=5)
    records = _records(path)
    assert len(load_benchmark("mmsu", path).items) == len(records) > 0
    test_ids = {row["id"] for row in read_split(small_corpus, "test")}
    clips = json.loads((tmp_path / "probe" / "clips.json").read_text())
    per_field = {}
    for r in records:
        options = [r[f"choice_{k}"] for k in "abcd" if r[f"choice_{k}"] is not None]
        assert r["answer_gt"] in options and 2 <= len(options) <= 4
        field = r["task_name"].removeprefix("uasqa_")
        assert field in perception_fields() and r["category"] == "Perception"
        per_field[field] = per_field.get(field, 0) + 1
        assert clips[r["id"]][0] in test_ids and (path.parent / r["audio_path"]).is_file()
    assert max(per_field.values()) <= 5
    assert (
        build_qa_probe(small_corpus, tmp_path / "again", split="test", max_per_field=5).read_text() == path.read_text()
    )
