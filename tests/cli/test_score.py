"""`uas-hf score` round trips on the real MMAU / MMAR metadata with synthetic predictions whose expected scores
follow from how they were built (not from running the scorer), plus the error paths."""

import json
import re
import string
from collections import Counter
from pathlib import Path

import pytest

from uas_hf.cli.main import main


SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks"
MMAU_FILE = SHARED / "mmau-test-mini.json"
MMAR_FILE = SHARED / "mmar-meta.json"
needs_mmau = pytest.mark.skipif(not MMAU_FILE.is_file(), reason=f"real MMAU metadata not found at {MMAU_FILE}")
needs_mmar = pytest.mark.skipif(not MMAR_FILE.is_file(), reason=f"real MMAR metadata not found at {MMAR_FILE}")


def _words(text):
    return set(re.findall(r"\w+", text.lower()))


def _write_preds(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _score(tmp_path, benchmark, scoring, data, preds, *extra):
    out = tmp_path / f"{benchmark}-{scoring}.json"
    argv = ["score", "--benchmark", benchmark, "--scoring", scoring, "--data", str(data)]
    code = main([*argv, "--predictions", str(preds), "--out", str(out), *extra])
    return code, (json.loads(out.read_text()) if out.exists() else None)


@needs_mmau
def test_mmau_round_trip(tmp_path, capsys):
    records = json.loads(MMAU_FILE.read_text(encoding="utf-8"))
    rows, expected = [], {"official": Counter(), "tencent": Counter()}
    for i, r in enumerate(records):
        letter = string.ascii_uppercase[r["choices"].index(r["answer"])]
        # A bare letter is a distinct construction only where the gold text is not that very word (a note "D").
        kind = 0 if i % 3 == 1 and _words(r["answer"]) == {letter.lower()} else i % 3
        response = [r["answer"], letter, ""][kind]
        rows.append({"id": r["id"], "response": response})
        if kind == 0:  # the gold option text: correct for both scorers
            expected["official"][r["task"]] += 1
        if kind in (0, 1):  # a bare letter: only Tencent's MMAU shortcut accepts it
            expected["tencent"][r["task"]] += 1
    preds = _write_preds(tmp_path / "pred.jsonl", rows)
    totals = Counter(r["task"] for r in records)
    for scoring in ("official", "tencent"):
        code, result = _score(tmp_path, "mmau", scoring, MMAU_FILE, preds)
        assert code == 0
        assert result["overall"] == pytest.approx(sum(expected[scoring].values()) / 1000)
        assert result["n"] == 1000 and result["n_items"] == 1000 and result["missing"] == 0
        assert result["unparseable"] == sum(1 for i in range(1000) if i % 3 == 2)
        assert result["breakdown"]["task"] == pytest.approx({t: expected[scoring][t] / totals[t] for t in totals})
        assert set(result["breakdown"]) >= {"task", "difficulty", "sub-category"}
        assert result["scoring"] == scoring and result["scorer"]["name"] == f"mmau-{scoring}"
        assert result["data"]["sha256"].startswith("9f18fda9") and "v05.15.25" in result["data"]["version"]
    out = capsys.readouterr().out
    assert "mmau-tencent" in out and "task=sound" in out


@needs_mmar
def test_mmar_round_trip(tmp_path):
    records = json.loads(MMAR_FILE.read_text(encoding="utf-8"))
    rows, official, tencent = [], Counter(), Counter()
    for i, r in enumerate(records):
        kind = i % 3
        others = [c for c in r["choices"] if _words(c) - _words(r["answer"])]
        usable = r["answer"] in r["choices"] and "\n" not in r["answer"] and others
        if kind == 0 and usable:  # the gold text alone
            response = r["answer"]
            official[r["modality"]] += 1
            tencent[r["modality"]] += 1
        elif kind == 1 and usable:  # gold on the first line, a distractor word later: only Tencent reads line 1
            response = f"{r['answer']}\nIt is not {others[0]}"
            tencent[r["modality"]] += 1
        else:
            response = "ABCD"[i % 4]  # a bare letter: wrong for both (Tencent's MMAR has no letter shortcut)
        rows.append({"id": r["id"], "response": response})
    preds = _write_preds(tmp_path / "pred.jsonl", rows)
    totals = Counter(r["modality"] for r in records)
    for scoring, expected in (("official", official), ("tencent", tencent)):
        code, result = _score(tmp_path, "mmar", scoring, MMAR_FILE, preds)
        assert code == 0
        assert result["correct"] == sum(expected.values()) and result["n"] == 1000
        assert result["breakdown"]["modality"] == pytest.approx({m: expected[m] / totals[m] for m in totals})
        assert set(result["breakdown"]) >= {"modality", "category", "sub-category"}
        assert result["data"]["version"].startswith("MMAR v1")
        assert len(result["data"]["quirks"]["answer_not_in_choices"]) == 6


MMSU_ROWS = [
    {
        "id": f"q{i}",
        "question": "Which animal?",
        "choice_a": "dog",
        "choice_b": "cat",
        "choice_c": "cow",
        "choice_d": "owl",
        "answer_gt": "cat",
        "task_name": "animal_identification" if i < 2 else "pitch_comparison",
        "category": "Perception" if i < 2 else "Reasoning",
        "sub-category": "Paralinguistics",
        "sub-sub-category": "Speaker Traits",
        "audio_path": f"/audio/q{i}.wav",
    }
    for i in range(4)
]


def test_mmsu_denominators_and_bad_responses(tmp_path):
    data = _write_preds(tmp_path / "mmsu.jsonl", MMSU_ROWS)
    # q0 correct, q1 wrong format, q2 huge (runaway output), q3 empty.
    responses = {"q0": "B", "q1": "cat", "q2": "B" * 300_000, "q3": ""}
    preds = _write_preds(tmp_path / "pred.jsonl", [{"id": k, "response": v} for k, v in responses.items()])
    code, official = _score(tmp_path, "mmsu", "official", data, preds, "--details")
    assert code == 0
    # Official drops the two unreadable responses; the empty one stays (counted wrong).
    assert (official["correct"], official["n"], official["unparseable"], official["excluded"]) == (1, 2, 3, 2)
    assert official["breakdown"]["category/sub-category"] == {
        "Perception/Paralinguistics": 1.0,
        "Reasoning/Paralinguistics": 0.0,
    }
    assert [d["status"] for d in official["details"]] == ["correct", "malformed", "malformed", "blank"]
    code, tencent = _score(tmp_path, "mmsu", "tencent", data, preds)
    assert (tencent["correct"], tencent["n"], tencent["overall"]) == (1, 4, 0.25)
    assert tencent["accuracy_by_denominator"] == {"official": 0.5, "tencent": 0.25}
    assert "category/sub-sub-category" in tencent["breakdown"]


def test_structural_errors_exit_2(tmp_path, capsys):
    data = _write_preds(tmp_path / "mmsu.jsonl", MMSU_ROWS)
    cases = {
        "duplicate ids": [{"id": "q0", "response": "B"}] * 2,
        "unknown id 'nope'": [{"id": f"q{i}", "response": "B"} for i in range(4)] + [{"id": "nope", "response": "B"}],
        "have no response": [{"id": "q0", "response": "B"}],
    }
    for message, rows in cases.items():
        code, result = _score(tmp_path, "mmsu", "official", data, _write_preds(tmp_path / "p.jsonl", rows))
        assert code == 2 and result is None
        assert message in capsys.readouterr().err
    code, result = _score(
        tmp_path,
        "mmsu",
        "official",
        data,
        _write_preds(tmp_path / "p.jsonl", [{"id": "q0", "response": "B"}]),
        "--allow-missing",
    )
    assert code == 0 and (result["n"], result["missing"]) == (4, 3)  # MMSU counts items without a response wrong
    code, _ = _score(tmp_path, "mmsu", "official", tmp_path / "absent.jsonl", tmp_path / "p.jsonl")
    assert code == 2 and "does not exist" in capsys.readouterr().err
