"""Scoring holistic UAS output against reference UAS records (the `uas_schema` metric's plain-Python API).

Reports: how often the output parses (the schema's lenient parser), per-field accuracy for the closed sets (age,
gender, emotion), speech / no-speech agreement, transcription WER/CER, event-label precision/recall/F1, and a
token-F1 similarity for the free-text fields (accent, prosody, timbre, description). Unparseable outputs stay in
every denominator: they score as an empty record.
"""

import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .asr import compute_error_rates


FREE_TEXT_FIELDS = ("accent", "prosody", "timbre", "description")
EVENT_FIELDS = ("discreteEvents", "continuousEvents")
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_PUNCT = str.maketrans(dict.fromkeys(string.punctuation, " "))


def _parse(obj: Any):
    """(record or None, valid): `valid` is the schema's default lenient parse; fields are salvaged from a parse that
    ignores unknown keys, so one stray key does not zero every field."""
    from ..schema import UASRecord, parse_uas

    if isinstance(obj, UASRecord):
        return obj, True
    if not isinstance(obj, (str, bytes, dict)):
        return None, False
    try:
        return parse_uas(obj, lenient=True), True
    except (ValueError, TypeError):
        pass
    try:
        return parse_uas(obj, lenient=True, unknown_keys="ignore"), False
    except (ValueError, TypeError):
        return None, False


def _get(record, name: str) -> Any:
    if record is None:
        return None
    if name == "transcription":
        return record.transcription
    if name in ("description", "discreteEvents", "continuousEvents"):
        events = record.non_linguistic_events
        return {
            "description": events.description,
            "discreteEvents": events.discrete_events,
            "continuousEvents": events.continuous_events,
        }[name]
    return getattr(record.paralinguistics, name)


def _normalize_text(text: str) -> str:
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def token_f1(prediction: str | None, reference: str) -> float:
    """SQuAD-style token F1 (lower-cased, punctuation and articles removed) between two free-text values.

    >>> token_f1("Fast and high-pitched", "a high pitched, fast voice")
    0.75
    """
    if prediction is None:
        return 0.0
    pred, ref = _normalize_text(prediction).split(), _normalize_text(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    overlap = sum((Counter(pred) & Counter(ref)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(ref)
    return 2 * precision * recall / (precision + recall)


def _labels(events) -> set[str]:
    return {_normalize_text(e.label) for e in (events or ()) if e.label}


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def score_uas(
    predictions: Sequence[Any],
    references: Sequence[Any],
    *,
    language: str = "en",
    free_text: bool = True,
) -> dict[str, Any]:
    """Score holistic UAS predictions against reference records.

    Args:
        predictions (`Sequence`): raw model outputs (text with a UAS JSON object, possibly fenced or wrapped in prose),
            dicts or `UASRecord`s. Anything that does not parse counts as invalid and scores as an empty record.
        references (`Sequence`): reference records (JSON text, dicts or `UASRecord`s); each must parse.
        language (`str`, *optional*, defaults to `"en"`): transcript normalization for WER/CER (`"en"`, `"zh"`,
            `"basic"`).
        free_text (`bool`, *optional*, defaults to `True`): compute token-F1 for accent / prosody / timbre /
            description.

    Returns:
        `dict`: `n`, `valid_json_rate`, `unparseable`, `speech_detection_accuracy`, `field_accuracy`
        {age, gender, emotion} with `field_n` (items whose reference has the field), `transcription` (WER/CER over
        references with speech), `events` {discreteEvents, continuousEvents, all → precision/recall/f1/tp/fp/fn},
        and with `free_text` `free_text_token_f1` / `free_text_n`.

    >>> ref = {"transcription": "Hello there.", "paralinguistics": {"age": "Adult", "gender": "Female",
    ...        "emotion": "Neutral", "accent": None, "prosody": None, "timbre": None},
    ...        "nonLinguisticEvents": {"description": None, "discreteEvents": [], "continuousEvents": []}}
    >>> pred = '{"transcription": "hello there", "paralinguistics": {"gender": "woman"}, "nonLinguisticEvents": {}}'
    >>> out = score_uas([pred], [ref])
    >>> out["valid_json_rate"], out["field_accuracy"]["gender"], out["transcription"]["wer"]
    (1.0, 1.0, 0.0)
    """
    from ..schema import CLOSED_FIELDS, parse_uas

    if len(predictions) != len(references):
        raise ValueError(
            f"`predictions` has {len(predictions)} items but `references` has {len(references)}; they must align 1:1."
        )
    refs = []
    for i, ref in enumerate(references):
        try:
            refs.append(parse_uas(ref, lenient=True))
        except ValueError as e:
            raise ValueError(f"`references[{i}]` is not a valid UAS record: {e}") from e

    n = len(refs)
    valid = unparseable = speech_agree = 0
    closed = {f: [0, 0] for f in CLOSED_FIELDS}
    texts = {f: [0.0, 0] for f in FREE_TEXT_FIELDS}
    events = {f: [0, 0, 0] for f in (*EVENT_FIELDS, "all")}
    asr_refs, asr_hyps = [], []
    for prediction, ref in zip(predictions, refs):
        pred, ok = _parse(prediction)
        valid += ok
        unparseable += pred is None
        speech_agree += pred is not None and (pred.transcription is None) == (ref.transcription is None)
        if ref.transcription is not None:
            asr_refs.append(ref.transcription)
            asr_hyps.append(_get(pred, "transcription"))
        for name, cell in closed.items():
            gold = _get(ref, name)
            if gold is not None:
                cell[0] += _get(pred, name) == gold
                cell[1] += 1
        if free_text:
            for name, cell in texts.items():
                gold = _get(ref, name)
                if gold is not None:
                    cell[0] += token_f1(_get(pred, name), gold)
                    cell[1] += 1
        union_pred, union_ref = set(), set()
        for name in EVENT_FIELDS:
            p, r = _labels(_get(pred, name)), _labels(_get(ref, name))
            union_pred |= p
            union_ref |= r
            cell = events[name]
            cell[0] += len(p & r)
            cell[1] += len(p - r)
            cell[2] += len(r - p)
        cell = events["all"]
        cell[0] += len(union_pred & union_ref)
        cell[1] += len(union_pred - union_ref)
        cell[2] += len(union_ref - union_pred)

    result: dict[str, Any] = {
        "n": n,
        "valid_json_rate": valid / n if n else None,
        "unparseable": unparseable,
        "speech_detection_accuracy": speech_agree / n if n else None,
        "field_accuracy": {f: (c / t if t else None) for f, (c, t) in closed.items()},
        "field_n": {f: t for f, (_, t) in closed.items()},
        "transcription": compute_error_rates(asr_refs, asr_hyps, language=language),
        "events": {f: _prf(*cell) for f, cell in events.items()},
    }
    if free_text:
        result["free_text_token_f1"] = {f: (s / t if t else None) for f, (s, t) in texts.items()}
        result["free_text_n"] = {f: t for f, (_, t) in texts.items()}
    return result
