"""Benchmark loaders: the real MMAU test-mini / MMAR v1 metadata, synthetic MMSU files, and every typed error."""

import json
from collections import Counter
from pathlib import Path

import pytest

from uas_hf.evaluation import (
    AnswerNotInChoicesError,
    DuplicateIdError,
    InvalidFieldError,
    InvalidFileError,
    MissingAudioError,
    MissingFieldError,
    PredictionsError,
    load_benchmark,
    load_mmar,
    load_mmau,
    load_mmsu,
    load_predictions,
    score_predictions,
)
from uas_hf.evaluation.loaders import MMAR_V1_ANSWER_QUIRKS, BenchmarkDataError
from uas_hf.metrics.scoring import MISSING


SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks"
MMAU_FILE = SHARED / "mmau-test-mini.json"
MMAR_FILE = SHARED / "mmar-meta.json"
needs_mmau = pytest.mark.skipif(not MMAU_FILE.is_file(), reason=f"real MMAU metadata not found at {MMAU_FILE}")
needs_mmar = pytest.mark.skipif(not MMAR_FILE.is_file(), reason=f"real MMAR metadata not found at {MMAR_FILE}")

# The real MMSU record quoted in benchmarks.md §1.2 (no MMSU file is shipped), plus a 2-option item.
MMSU_RECORD = {
    "id": "code_switch_question_answering_7affd9a4-03cf-4eee-a3be-e4580a8df238",
    "task_name": "code_switch_question_answering",
    "audio_path": "/audio/code_switch_question_answering_7affd9a4-03cf-4eee-a3be-e4580a8df238.wav",
    "question": "What did the speaker receive from their friend?",
    "choice_a": "A cake.",
    "choice_b": "Chocolate.",
    "choice_c": "A fruit basket.",
    "choice_d": "A drink.",
    "answer_gt": "Chocolate.",
    "category": "Reasoning",
    "sub-category": "Linguistics",
    "sub-sub-category": "Semantics",
    "linguistics_sub_discipline": "Semantics",
}
MMSU_TWO_OPTION = dict(
    MMSU_RECORD,
    id="pitch_comparison_0001",
    audio_path="/audio/pitch_comparison_0001.wav",
    choice_a="Yes",
    choice_b="No",
    choice_c=None,
    choice_d=None,
    answer_gt="No",
    category="Perception",
    task_name="pitch_comparison",
)
MMAU_RECORD = {
    "id": "72fb5481-73ae-409d-8e16-c94ac48d2ee4",
    "audio_id": "./test-mini-audios/72fb5481-73ae-409d-8e16-c94ac48d2ee4.wav",
    "question": "Based on the given audio, identify the source of the speech.",
    "choices": ["A child", "A woman", "An adult man", "A teenager"],
    "answer": "A woman",
    "dataset": "AudioSet",
    "task": "sound",
    "split": "test-mini",
    "category": ["Reasoning"],
    "sub-category": "Acoustic Source Inference",
    "difficulty": "medium",
}


def _write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _write_json(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def _touch_audio(root, relative):
    target = root / relative.lstrip("/").removeprefix("./")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"RIFF")


# --- real metadata ---------------------------------------------------------------------------------------------


@needs_mmau
def test_real_mmau_test_mini():
    bench = load_mmau(MMAU_FILE, require_audio=False)
    assert len(bench) == 1000 and bench.data["n_items"] == 1000
    assert bench.data["sha256"] == "9f18fda99f8dbc2bc5ecd6323fb5063309f54969810b5c6f1caeb3b8d904cf1c"
    assert "v05.15.25" in bench.data["version"]
    # benchmarks.md §2.1: per-task and per-difficulty sizes of test-mini v05.15.25.
    assert Counter(r["task"] for r in bench.records) == {"music": 334, "sound": 333, "speech": 333}
    assert Counter(r["difficulty"] for r in bench.records) == {"medium": 540, "hard": 236, "easy": 224}
    assert Counter(len(i.choices) for i in bench) == {4: 948, 2: 27, 5: 24, 8: 1}
    item = bench.items[0]
    assert item.audio_path == str((SHARED / "test-mini-audios" / f"{item.id}.wav").resolve())
    assert item.answer in item.choices and item.record["answer"] == item.answer


@needs_mmau
def test_real_mmau_requires_audio_by_default():
    with pytest.raises(MissingAudioError, match="1000 problem"):
        load_mmau(MMAU_FILE)


@needs_mmar
def test_real_mmar_v1_with_known_quirks():
    bench = load_mmar(MMAR_FILE, require_audio=False)
    assert len(bench) == 1000
    assert bench.data["version"].startswith("MMAR v1")
    assert set(bench.data["quirks"]["answer_not_in_choices"]) == MMAR_V1_ANSWER_QUIRKS
    # benchmarks.md §3.1 modality sizes.
    assert Counter(r["modality"] for r in bench.records) == {
        "speech": 294,
        "mix-sound-speech": 218,
        "music": 206,
        "sound": 165,
        "mix-music-speech": 82,
        "mix-sound-music-speech": 24,
        "mix-sound-music": 11,
    }
    with pytest.raises(AnswerNotInChoicesError, match="6 problem"):
        load_mmar(MMAR_FILE, require_audio=False, allow_answer_mismatch=False)


def test_mmar_v2_jsonl(tmp_path):
    # v2 (MMAR-meta.jsonl, 2026-02) adds reference reasoning, cues and rubrics to the v1 fields.
    record = {
        "id": "BV1o64y1G7p2_00-00-12_00-00-31",
        "audio_path": "./audio/BV1o64y1G7p2_00-00-12_00-00-31.wav",
        "question": "In what scenario does this sound occur",
        "choices": ["On a plane", "On a ship", "In a car", "On a train"],
        "answer": "On a plane",
        "modality": "mix-sound-speech",
        "category": "Perception Layer",
        "sub-category": "Environmental Perception and Reasoning",
        "language": None,
        "thinking": "Engine hum and a cabin announcement.",
        "cue": ["engine"],
        "rubric": [{"name": "r", "scoring_point": "p", "note": "", "choices": [0, 1]}],
    }
    bench = load_mmar(_write_jsonl(tmp_path / "MMAR-meta.jsonl", [record]), require_audio=False)
    assert bench.data["format"] == "jsonl" and bench.data["version"].startswith("MMAR v2-like")
    with pytest.raises(AnswerNotInChoicesError):  # outside the six known v1 ids, a mismatch is an error
        load_mmar(_write_jsonl(tmp_path / "bad.jsonl", [dict(record, answer="On a boat")]), require_audio=False)


# --- MMSU formats ----------------------------------------------------------------------------------------------


def test_mmsu_release_layout_resolves_audio(tmp_path):
    # The MMSU release: MMSU/question/mmsu.jsonl with audio paths "/audio/<id>.wav" relative to MMSU/.
    data = _write_jsonl(tmp_path / "MMSU" / "question" / "mmsu.jsonl", [MMSU_RECORD, MMSU_TWO_OPTION])
    with pytest.raises(MissingAudioError, match=r"--no-require-audio"):
        load_mmsu(data)
    for record in (MMSU_RECORD, MMSU_TWO_OPTION):
        _touch_audio(tmp_path / "MMSU", record["audio_path"])
    bench = load_mmsu(data)
    assert bench.items[0].audio_path == str(tmp_path / "MMSU" / "audio" / f"{MMSU_RECORD['id']}.wav")
    assert bench.items[1].choices == ("Yes", "No", None, None)
    assert bench.data["format"] == "jsonl" and bench.data["version"] == "unknown"


def test_mmsu_json_array_and_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    array = load_mmsu(_write_json(tmp_path / "mmsu.json", [MMSU_RECORD]), require_audio=False)
    assert array.data["format"] == "json"
    # HF ddwang2000/MMSU: parquet shards with an embedded `audio` struct column instead of `audio_path`.
    rows = [{k: v for k, v in r.items() if k != "audio_path"} for r in (MMSU_RECORD, MMSU_TWO_OPTION)]
    table = pa.Table.from_pylist(
        [dict(r, audio={"bytes": b"ID3", "path": f"{r['id']}.wav"}) for r in rows],
    )
    (tmp_path / "hf" / "data").mkdir(parents=True)
    pq.write_table(table.slice(0, 1), tmp_path / "hf" / "data" / "train-00000-of-00002.parquet")
    pq.write_table(table.slice(1, 1), tmp_path / "hf" / "data" / "train-00001-of-00002.parquet")
    bench = load_mmsu(tmp_path / "hf")
    assert len(bench) == 2 and bench.data["embedded_audio"] and len(bench.data["files"]) == 2
    assert all(item.audio_path is None for item in bench)
    assert "audio" not in bench.records[0]


# --- typed errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "records", "error", "message"),
    [
        ("mmau", [{k: v for k, v in MMAU_RECORD.items() if k != "answer"}], MissingFieldError, "lacks `answer`"),
        ("mmsu", [{k: v for k, v in MMSU_RECORD.items() if k != "sub-sub-category"}], MissingFieldError, "sub-sub"),
        ("mmau", [dict(MMAU_RECORD, choices=["A child", 2])], InvalidFieldError, "list of at least 2 strings"),
        ("mmau", [dict(MMAU_RECORD, choices="A child, A woman")], InvalidFieldError, "`choices`"),
        ("mmsu", [dict(MMSU_RECORD, choice_c=3)], InvalidFieldError, "`choice_c` must be a string"),
        ("mmau", [dict(MMAU_RECORD, task="noise")], InvalidFieldError, "`task` is 'noise'"),
        ("mmar", [dict(MMAU_RECORD, modality="video", category="Signal Layer")], MissingFieldError, "audio_path"),
        ("mmau", [dict(MMAU_RECORD, answer="A man")], AnswerNotInChoicesError, "'A man' is not one of"),
        ("mmsu", [dict(MMSU_RECORD, answer_gt="B")], AnswerNotInChoicesError, "'B' is not one of"),
        ("mmau", [MMAU_RECORD, MMAU_RECORD], DuplicateIdError, "appears more than once"),
        ("mmau", [42], InvalidFieldError, "record 0 is a int"),
    ],
)
def test_typed_errors(tmp_path, name, records, error, message):
    path = _write_json(tmp_path / "bench.json", records)
    with pytest.raises(error, match=message) as info:
        load_benchmark(name, path, require_audio=False)
    assert isinstance(info.value, BenchmarkDataError) and isinstance(info.value, ValueError)
    assert info.value.code.startswith("data.")


def test_file_level_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_mmau(tmp_path / "absent.json")
    with pytest.raises(InvalidFileError, match="JSON array"):
        load_mmau(_write_json(tmp_path / "obj.json", {"id": "x"}))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(MMSU_RECORD) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InvalidFileError, match="line 2 is not valid JSON"):
        load_mmsu(bad, require_audio=False)
    with pytest.raises(InvalidFileError, match="official `.json` array"):
        load_mmau(_write_jsonl(tmp_path / "mmau.jsonl", [MMAU_RECORD]))
    with pytest.raises(ValueError, match="`name` must be one of"):
        load_benchmark("mmlu", bad)


def test_errors_list_every_offending_record(tmp_path):
    records = [dict(MMAU_RECORD, id=f"q{i}", answer="nope") for i in range(7)]
    with pytest.raises(AnswerNotInChoicesError) as info:
        load_mmau(_write_json(tmp_path / "m.json", records), require_audio=False)
    assert len(info.value.problems) == 7 and "(and 2 more)" in str(info.value)


def test_require_answers_false_accepts_withheld_answers(tmp_path):
    path = _write_json(tmp_path / "test.json", [dict(MMAU_RECORD, answer="", split="test")])
    with pytest.raises(MissingFieldError):
        load_mmau(path, require_audio=False)
    assert load_mmau(path, require_audio=False, require_answers=False).items[0].answer == ""


def test_audio_root_override(tmp_path):
    path = _write_json(tmp_path / "meta" / "mmau.json", [MMAU_RECORD])
    _touch_audio(tmp_path / "audio_root", MMAU_RECORD["audio_id"])
    bench = load_mmau(path, audio_root=tmp_path / "audio_root")
    assert Path(bench.items[0].audio_path).is_file()


# --- predictions -----------------------------------------------------------------------------------------------


def test_predictions_reader(tmp_path):
    preds = load_predictions(_write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "response": "B"}, {"id": "b"}]))
    assert preds.responses == {"a": "B", "b": MISSING} and preds.data["n"] == 2
    official = _write_json(tmp_path / "p.json", [dict(MMAU_RECORD, model_output="A woman")])
    assert load_predictions(official, response_key="model_output").responses == {MMAU_RECORD["id"]: "A woman"}
    with pytest.raises(PredictionsError, match="no entry has the key `response`"):
        load_predictions(official)
    with pytest.raises(PredictionsError, match="duplicate ids"):
        load_predictions(_write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "response": "x"}] * 2))
    with pytest.raises(PredictionsError, match="no string `id`"):
        load_predictions(_write_jsonl(tmp_path / "n.jsonl", [{"response": "x"}]))


def test_score_predictions_structural_checks(tmp_path):
    bench = load_mmau(_write_json(tmp_path / "m.json", [MMAU_RECORD, dict(MMAU_RECORD, id="q2")]), require_audio=False)
    with pytest.raises(PredictionsError, match="unknown id 'zzz'"):
        score_predictions(bench, {"zzz": "x", "q2": "A woman"})
    with pytest.raises(PredictionsError, match="1 of 2 mmau items have no response"):
        score_predictions(bench, {"q2": "A woman"})
    result = score_predictions(bench, {"q2": "A woman"}, allow_missing=True)
    assert (result["overall"], result["n"], result["missing"]) == (1.0, 1, 1)
    assert result["data"]["sha256"] == bench.data["sha256"] and result["data"]["n_items"] == 2
