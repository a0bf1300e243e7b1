"""MMAU and MMAR scoring (benchmarks.md §2.4–2.7, §3.3–3.4): the gold option *text* is matched against the output.

Official: `string_match` on the whole raw output. Tencent: `extract_answer` first, then `string_match` — with a
bare-letter shortcut for MMAU only (Tencent's MMAR evaluator has none, although its UAS prompt is lettered).
Records without a prediction are skipped by every one of these scripts.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from ._common import (
    MAX_RESPONSE_CHARS,
    MISSING,
    Tally,
    align,
    as_text,
    build_result,
    check_max_chars,
    check_mode,
    record_id,
)
from .matching import apply_think, extract_answer, letter_index, string_match, string_match_tencent, tokenize


MMAU_BREAKDOWN_FIELDS = ("task", "difficulty", "sub-category")
MMAR_BREAKDOWN_FIELDS = ("modality", "category", "sub-category")
_NATIVE = {
    ("mmau", "official"): MMAU_BREAKDOWN_FIELDS,
    ("mmau", "tencent"): ("task",),
    ("mmar", "official"): MMAR_BREAKDOWN_FIELDS,
    ("mmar", "tencent"): MMAR_BREAKDOWN_FIELDS,
}


def _check_record(record: Mapping[str, Any], index: int) -> tuple[str, list[str]]:
    answer, choices = record.get("answer"), record.get("choices")
    if not isinstance(answer, str):
        raise TypeError(
            f"record {record_id(record, index)!r}: `answer` must be the gold option text (str); got {answer!r}."
        )
    if not isinstance(choices, Sequence) or isinstance(choices, str) or not all(isinstance(c, str) for c in choices):
        raise TypeError(
            f"record {record_id(record, index)!r}: `choices` must be a list of option strings; got {choices!r}."
        )
    return answer, list(choices)


def _score_choice_text(
    benchmark: str,
    fields: tuple[str, ...],
    records: Sequence[Mapping[str, Any]],
    responses: Sequence[Any] | Mapping[str, Any],
    *,
    scoring: str,
    think: str,
    max_response_chars: int | None,
    return_details: bool,
) -> dict[str, Any]:
    check_mode(scoring, think)
    check_max_chars(max_response_chars)
    letter_shortcut = benchmark == "mmau" and scoring == "tencent"
    tally = Tally(fields)
    n_items = missing = unparseable = 0
    details: list[dict[str, Any]] | None = [] if return_details else None

    for index, record, response in align(records, responses):
        n_items += 1
        answer, choices = _check_record(record, index)
        if response is MISSING:
            # Official and Tencent both skip a record that has no prediction key.
            missing += 1
            if details is not None:
                details.append(
                    {
                        "id": record_id(record, index),
                        "matched": None,
                        "correct": False,
                        "counted": False,
                        "status": "missing",
                    }
                )
            continue
        text = as_text(response, max_response_chars)
        matched: str | None = None
        ok = False
        if text is not None:
            text = apply_think(text, think)
            matched = extract_answer(text.lstrip()) if scoring == "tencent" else text
            if letter_shortcut:
                ok = string_match_tencent(answer, matched, choices)
            else:
                ok = string_match(answer, matched, choices)
        readable = matched is not None and (
            bool(tokenize(matched)) or (letter_shortcut and letter_index(matched, len(choices)) is not None)
        )
        unparseable += not readable
        tally.add(record, ok)
        if details is not None:
            status = "correct" if ok else ("wrong" if readable else "unparseable")
            details.append(
                {"id": record_id(record, index), "matched": matched, "correct": ok, "counted": True, "status": status}
            )

    return build_result(
        benchmark=benchmark,
        scoring=scoring,
        think=think,
        tally=tally,
        n_items=n_items,
        missing=missing,
        unparseable=unparseable,
        excluded=n_items - tally.n,
        native_breakdown=_NATIVE[(benchmark, scoring)],
        details=details,
    )


def score_mmau(
    records: Sequence[Mapping[str, Any]],
    responses: Sequence[Any] | Mapping[str, Any],
    *,
    scoring: str = "official",
    think: str = "keep",
    max_response_chars: int | None = MAX_RESPONSE_CHARS,
    return_details: bool = False,
) -> dict[str, Any]:
    """Score MMAU responses like the official `evaluation.py` or Tencent's `MMAUEvaluator`.

    Args:
        records (`Sequence[Mapping]`): MMAU records with `choices` (option texts), `answer` (gold option text) and
            the breakdown fields `task`, `difficulty`, `sub-category`.
        responses (`Sequence` or `Mapping[str, Any]`): raw model outputs aligned with `records`, or a mapping
            id → output; records absent from a mapping are skipped (not in `n`), as both scripts do.
        scoring (`str`, *optional*, defaults to `"official"`): `"official"` matches the whole raw output;
            `"tencent"` extracts an answer first and accepts a bare in-range option letter.
        think (`str`, *optional*, defaults to `"keep"`): `"split"` keeps only what follows the first `</think>`
            (Tencent `--thinking`; off in Tencent's scripts); `"remove_tags"` deletes the tags only.
        max_response_chars (`int`, *optional*, defaults to `MAX_RESPONSE_CHARS`): longer outputs count as
            unparseable (and wrong).
        return_details (`bool`, *optional*, defaults to `False`): add a per-record `details` list.

    Returns:
        `dict`: see `score_mmsu`; `unparseable` counts non-string/oversized outputs and outputs whose matched text
        has no word at all (they are wrong, and stay in `n`).

    >>> rec = {"id": "q", "choices": ["dog", "cat", "bird", "cow"], "answer": "cat", "task": "sound"}
    >>> score_mmau([rec], ["B"])["overall"], score_mmau([rec], ["B"], scoring="tencent")["overall"]
    (0.0, 1.0)
    """
    return _score_choice_text(
        "mmau",
        MMAU_BREAKDOWN_FIELDS,
        records,
        responses,
        scoring=scoring,
        think=think,
        max_response_chars=max_response_chars,
        return_details=return_details,
    )


def score_mmar(
    records: Sequence[Mapping[str, Any]],
    responses: Sequence[Any] | Mapping[str, Any],
    *,
    scoring: str = "official",
    think: str = "keep",
    max_response_chars: int | None = MAX_RESPONSE_CHARS,
    return_details: bool = False,
) -> dict[str, Any]:
    """Score MMAR responses like the official `code/evaluation.py` or Tencent's `MMAREvaluator`.

    Same arguments and result as `score_mmau`; breakdowns are `modality`, `category` and `sub-category`. Tencent's
    MMAR scorer extracts an answer but has **no** letter shortcut, so a bare ``"B"`` is wrong in both modes.

    >>> rec = {"id": "q", "choices": ["dog", "cat", "bird", "cow"], "answer": "cat", "modality": "sound"}
    >>> score_mmar([rec], ["Answer: cat"], scoring="tencent")["overall"]
    1.0
    """
    return _score_choice_text(
        "mmar",
        MMAR_BREAKDOWN_FIELDS,
        records,
        responses,
        scoring=scoring,
        think=think,
        max_response_chars=max_response_chars,
        return_details=return_details,
    )
