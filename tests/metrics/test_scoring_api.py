"""The scorers' API and result shape, and the data facts of benchmarks.md that follow from `string_match`."""

import json
from pathlib import Path

import pytest

from uas_hf.metrics.scoring import (
    MISSING,
    SCORERS,
    get_scorer,
    score_mmar,
    score_mmau,
    score_mmsu,
    string_match,
    tokenize,
)


SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks"
MMAU_FILE = SHARED / "mmau-test-mini.json"
MMAR_FILE = SHARED / "mmar-meta.json"

CHOICES = ["dog", "cat", "bird", "cow"]


def _mmau(i, task="sound", difficulty="easy"):
    return {"id": f"q{i}", "choices": CHOICES, "answer": "cat", "task": task, "difficulty": difficulty,
            "sub-category": "Sound-Based Event Recognition"}  # fmt: skip


def _load(path):
    if not path.is_file():
        pytest.skip(f"real benchmark metadata not found at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def test_result_shape_and_micro_breakdown():
    records = [_mmau(0, "sound"), _mmau(1, "sound", "hard"), _mmau(2, "music")]
    result = score_mmau(records, ["cat", "dog", "A cat."])
    assert result["overall"] == pytest.approx(2 / 3) and result["n"] == 3 and result["correct"] == 2
    assert result["breakdown"]["task"] == {"music": 1.0, "sound": 0.5}
    assert result["breakdown"]["difficulty"] == {"easy": 1.0, "hard": 0.0}
    assert result["breakdown_counts"]["task"]["sound"] == {"correct": 1, "n": 2}
    assert result["native_breakdown"] == ["task", "difficulty", "sub-category"]
    assert result["scorer"]["name"] == "mmau-official" and result["scorer"]["implementation"].startswith("uas_hf ")
    assert result["scorer"]["source"] == SCORERS[("mmau", "official")]["source"]
    json.dumps(result)  # results are plain JSON
    assert score_mmau(records, ["cat"] * 3, scoring="tencent")["native_breakdown"] == ["task"]


def test_mapping_responses_and_missing_records():
    records = [_mmau(0), _mmau(1)]
    # MMAU/MMAR skip records without a prediction (both scripts), MMSU counts them wrong.
    result = score_mmau(records, {"q0": "cat"})
    assert (result["n"], result["missing"], result["excluded"], result["overall"]) == (1, 1, 1, 1.0)
    assert score_mmar(records, {"q0": "cat", "q1": MISSING})["n"] == 1
    with pytest.raises(ValueError, match="not in `records`"):
        score_mmau(records, {"zz": "cat"})
    with pytest.raises(ValueError, match="must align 1:1"):
        score_mmau(records, ["cat"])
    with pytest.raises(TypeError, match="sequence aligned"):
        score_mmau(records, "cat")


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="`scoring` must be one of official, tencent"):
        score_mmau([_mmau(0)], ["cat"], scoring="lenient")
    with pytest.raises(ValueError, match="`think`"):
        score_mmsu([], [], think="strip")
    with pytest.raises(ValueError, match="`official_version`"):
        score_mmsu([], [], official_version="2024")
    with pytest.raises(ValueError, match="`max_response_chars`"):
        score_mmau([], [], max_response_chars=0)
    with pytest.raises(TypeError, match="`choices` must be a list"):
        score_mmau([dict(_mmau(0), choices="dog, cat")], ["cat"])
    with pytest.raises(ValueError, match="`benchmark` must be one of"):
        get_scorer("mmlu")


def test_empty_huge_and_non_string_responses_are_unparseable():
    records = [_mmau(i) for i in range(5)]
    responses = ["", "   ", None, 42, "cat " * 100_000]
    for scoring in ("official", "tencent"):
        result = score_mmau(records, responses, scoring=scoring, return_details=True)
        assert (result["correct"], result["n"], result["unparseable"]) == (0, 5, 5)
        assert {d["status"] for d in result["details"]} == {"unparseable"}
    assert score_mmau(records[-1:], responses[-1:], max_response_chars=None)["correct"] == 1
    assert score_mmau([], [])["overall"] is None


def test_mmsu_both_denominators_and_details():
    base = {"choice_a": "dog", "choice_b": "cat", "choice_c": "cow", "choice_d": "owl", "answer_gt": "cat",
            "category": "Perception", "sub-category": "Paralinguistics", "sub-sub-category": "Speaker Traits",
            "task_name": "t"}  # fmt: skip
    records = [dict(base, id=f"q{i}") for i in range(4)]
    responses = ["B", "xyz", "", None]
    official = score_mmsu(records, responses, return_details=True)
    tencent = score_mmsu(records, responses, scoring="tencent")
    assert (official["correct"], official["n"], official["unparseable"], official["excluded"]) == (1, 2, 3, 2)
    assert (tencent["correct"], tencent["n"], tencent["excluded"]) == (1, 4, 0)
    assert (
        official["accuracy_by_denominator"] == tencent["accuracy_by_denominator"] == {"official": 0.5, "tencent": 0.25}
    )
    assert [d["status"] for d in official["details"]] == ["correct", "malformed", "blank", "malformed"]
    assert [d["counted"] for d in official["details"]] == [True, False, True, False]
    assert official["breakdown"]["category/sub-category"] == {"Perception/Paralinguistics": 0.5}
    assert tencent["breakdown"]["category/sub-sub-category"] == {"Perception/Speaker Traits": 0.25}
    assert official["official_version"] == "2026" and official["scorer"]["name"] == "mmsu-official-2026"


def test_tokenize_is_unicode_word_runs():
    assert tokenize("Ninety-one, 4/4 time!") == {"ninety", "one", "4", "time"}
    assert tokenize("ÉTÉ 夏天") == {"été", "夏天"}


# --- facts the spec derived by running the official string_match over the real metadata (§2.7, §3.2, §3.3) -------


def _wrong_options_accepted(records):
    return sum(
        any(string_match(r["answer"], c, r["choices"]) for c in r["choices"] if c != r["answer"]) for r in records
    )


def test_real_mmau_gold_text_always_wins_and_nine_permuted_items():
    records = _load(MMAU_FILE)
    result = score_mmau(records, [r["answer"] for r in records])
    assert result["overall"] == 1.0  # "No item where outputting the gold option text is scored wrong"
    assert _wrong_options_accepted(records) == 9  # "9 items where at least one wrong option is also scored correct"
    assert score_mmau(records, ["B"] * len(records))["overall"] < 0.05  # a bare letter is (almost) always wrong


def test_real_mmar_v1_quirks():
    records = _load(MMAR_FILE)
    assert _wrong_options_accepted(records) == 21  # "v1 has 21 items where some wrong option is scored correct"
    mismatched = [r for r in records if r["answer"] not in r["choices"]]
    winnable = [r for r in mismatched if any(string_match(r["answer"], c, r["choices"]) for c in r["choices"])]
    assert len(mismatched) == 6 and [r["answer"] for r in winnable] == ["2040"]  # "only '2040' can be won"
