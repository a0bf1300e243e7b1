"""`score_uas`: validity, closed fields, speech detection, transcription, events and free text."""

import json

import pytest


pytest.importorskip("uas_hf.schema")

from uas_hf.metrics import score_uas, token_f1


def _record(transcription="Hello there.", gender="Female", emotion="Neutral", prosody="fast and high", events=()):
    return {
        "transcription": transcription,
        "paralinguistics": None
        if transcription is None
        else {
            "age": "Adult",
            "gender": gender,
            "emotion": emotion,
            "accent": None,
            "prosody": prosody,
            "timbre": None,
        },
        "nonLinguisticEvents": {
            "description": "A quiet room.",
            "discreteEvents": [{"label": e, "characteristic": None} for e in events],
            "continuousEvents": [],
        },
    }


def test_score_uas_fields():
    refs = [_record(events=("Door knock", "Cough")), _record(gender="Male", emotion="Anger"), _record(None)]
    preds = [
        "```json\n" + json.dumps(_record(prosody="high and fast", events=("door knock",))) + "\n```",
        json.dumps(_record(gender="Male", emotion="Happiness", events=("dog bark",))),
        "not json at all",
    ]
    out = score_uas(preds, refs)
    assert out["n"] == 3 and out["unparseable"] == 1
    assert out["valid_json_rate"] == pytest.approx(2 / 3)
    assert out["speech_detection_accuracy"] == pytest.approx(2 / 3)
    assert out["field_accuracy"] == {"age": 1.0, "gender": 1.0, "emotion": 0.5}
    assert out["field_n"] == {"age": 2, "gender": 2, "emotion": 2}
    assert out["transcription"]["wer"] == 0.0 and out["transcription"]["n"] == 2
    discrete = out["events"]["discreteEvents"]
    assert (discrete["tp"], discrete["fp"], discrete["fn"]) == (1, 1, 1)
    assert discrete["precision"] == discrete["recall"] == discrete["f1"] == 0.5
    assert out["events"]["continuousEvents"]["f1"] is None  # nothing to find, nothing predicted
    assert out["free_text_token_f1"]["prosody"] == pytest.approx(1.0)  # same words, other order (2 items)
    assert out["free_text_token_f1"]["description"] == pytest.approx(2 / 3)  # the unparseable one scores 0
    assert out["free_text_token_f1"]["accent"] is None


def test_unknown_key_is_invalid_but_salvaged():
    ref = _record()
    pred = dict(_record(), confidence=0.9)
    out = score_uas([json.dumps(pred)], [ref])
    assert out["valid_json_rate"] == 0.0 and out["unparseable"] == 0
    assert out["field_accuracy"]["gender"] == 1.0


def test_bad_references_and_lengths():
    with pytest.raises(ValueError, match=r"`references\[0\]` is not a valid UAS record"):
        score_uas(["{}"], ["nope"])
    with pytest.raises(ValueError, match="align 1:1"):
        score_uas([], [_record()])


def test_token_f1():
    assert token_f1("A deep, warm voice", "warm deep voice") == 1.0
    assert token_f1(None, "x") == 0.0 and token_f1("", "") == 1.0
