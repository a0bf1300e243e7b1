"""MMSU scoring (benchmarks.md §1.4–1.6): one option letter read from fixed character positions.

The official script (2026) and Tencent's evaluator read the same letter; they differ only in what an unreadable
response does to the denominator (official: dropped; Tencent: kept and wrong) and in the inner breakdown key.
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
from .matching import apply_think


MMSU_LETTERS = "ABCD"
MMSU_BREAKDOWN_FIELDS = ("category", "sub-category", "sub-sub-category", "task_name")
# The inner key each original scorer nests under `category` (official: sub-category; Tencent: sub-sub-category).
_NATIVE_INNER = {"official": "sub-category", "tencent": "sub-sub-category"}
OFFICIAL_VERSIONS = ("2026", "2025")
# Literal responses both scripts treat as "no prediction" (counted, wrong) rather than as a format error.
_NO_PREDICTION = ("", "None")


def mmsu_letter(response: str) -> str | None:
    """The option letter the MMSU scorers read: the first character if it is ``A``–``D``, else the second to last.

    The response is trimmed and its newlines deleted first. Only upper-case letters count. Returns `None` when
    neither position holds a letter (including empty responses).

    >>> [mmsu_letter(r) for r in ["B.", "(B)", "The answer is B.", "Answer: B", "b", "The answer is B"]]
    ['B', 'B', 'B', 'A', None, None]
    """
    s = response.strip().replace("\n", "")
    if not s:
        return None
    if s[0] in MMSU_LETTERS:
        return s[0]
    if len(s) > 1 and s[-2] in MMSU_LETTERS:
        return s[-2]
    return None


def _read(response: Any, think: str, max_response_chars: int | None) -> tuple[str, str | None]:
    """Classify one response: ``("letter", L)``, ``("blank", None)`` (empty or the literal "None": counted wrong),
    ``("malformed", None)`` (wrong format, non-string or oversized: the official script skips it) or
    ``("missing", None)`` (no prediction for the record: counted wrong)."""
    if response is MISSING:
        return "missing", None
    text = as_text(response, max_response_chars)
    if text is None:
        return "malformed", None
    s = apply_think(text, think).strip().replace("\n", "")
    if s in _NO_PREDICTION:
        return "blank", None
    letter = mmsu_letter(s)
    return ("letter", letter) if letter else ("malformed", None)


def _is_correct(record: Mapping[str, Any], letter: str, scoring: str) -> bool:
    choice = record.get(f"choice_{letter.lower()}")
    answer = record.get("answer_gt")
    if scoring == "tencent":
        # Tencent's loader applies str() to every option and the answer, so a null option becomes "None".
        return str(choice) == str(answer)
    return choice == answer


def score_mmsu(
    records: Sequence[Mapping[str, Any]],
    responses: Sequence[Any] | Mapping[str, Any],
    *,
    scoring: str = "official",
    think: str = "keep",
    official_version: str = "2026",
    max_response_chars: int | None = MAX_RESPONSE_CHARS,
    return_details: bool = False,
) -> dict[str, Any]:
    """Score MMSU responses the way the official script or Tencent's evaluator does.

    Args:
        records (`Sequence[Mapping]`): MMSU records with `choice_a`…`choice_d`, `answer_gt` (option text) and the
            breakdown fields `category`, `sub-category`, `sub-sub-category`, `task_name`.
        responses (`Sequence` or `Mapping[str, Any]`): raw model outputs aligned with `records`, or a mapping
            id → output. A record whose id is absent from the mapping has no prediction; both the 2026 official
            script and Tencent count it wrong.
        scoring (`str`, *optional*, defaults to `"official"`): `"official"` drops unreadable responses (wrong
            format, non-string) from the denominator; `"tencent"` counts them wrong (denominator = all records).
        think (`str`, *optional*, defaults to `"keep"`): `"keep"` scores the raw text; `"split"` keeps only what
            follows the first `</think>` (Tencent `--thinking`); `"remove_tags"` deletes the tags but keeps the
            reasoning (Tencent's UAS model wrapper).
        official_version (`str`, *optional*, defaults to `"2026"`): `"2025"` reproduces the superseded
            MMSU_Bench script, which reuses the previous record's letter for an empty/`"None"` response and crashes
            (here: `ValueError`) when there is none yet. Only used with `scoring="official"`.
        max_response_chars (`int`, *optional*, defaults to `MAX_RESPONSE_CHARS`): longer responses are unreadable.
        return_details (`bool`, *optional*, defaults to `False`): add a per-record `details` list.

    Returns:
        `dict`: `overall` (fraction, `None` when nothing was counted), `n` (denominator), `correct`, `n_items`,
        `missing`, `unparseable` (responses with no readable letter), `excluded` (records left out of `n`),
        `breakdown` {field → {value → fraction}}, `breakdown_counts`, `accuracy_by_denominator` (both rules),
        `scorer` (name, source, implementation version), `scoring`, `think`.

    >>> records = [{"id": "q1", "choice_a": "dog", "choice_b": "cat", "choice_c": "cow", "choice_d": "owl",
    ...             "answer_gt": "cat", "category": "Perception"}]
    >>> score_mmsu(records, ["xyz"])["n"], score_mmsu(records, ["xyz"], scoring="tencent")["n"]
    (0, 1)
    """
    check_mode(scoring, think)
    check_max_chars(max_response_chars)
    if official_version not in OFFICIAL_VERSIONS:
        raise ValueError(
            f"`official_version` must be one of {', '.join(OFFICIAL_VERSIONS)}; got {official_version!r}."
        )
    stale = scoring == "official" and official_version == "2025"
    inner = _NATIVE_INNER[scoring]
    tally = Tally(MMSU_BREAKDOWN_FIELDS)
    n_items = missing = unparseable = dropped = 0
    stale_letter: str | None = None
    details: list[dict[str, Any]] | None = [] if return_details else None

    for index, record, response in align(records, responses):
        n_items += 1
        kind, letter = _read(response, think, max_response_chars)
        missing += kind == "missing"
        unparseable += kind in ("blank", "malformed")
        dropped += kind == "malformed"
        if letter is None and kind != "malformed" and stale:
            if stale_letter is None:
                raise ValueError(
                    f"record {record_id(record, index)!r} has no response or an empty/'None' one before any readable "
                    "one: the 2025 official MMSU script crashes here (UnboundLocalError). Use official_version='2026'."
                )
            letter = stale_letter
        elif kind == "letter":
            stale_letter = letter
        # Wrong-format and non-string responses: the official script `continue`s before counting them.
        counted = not (kind == "malformed" and scoring == "official")
        ok = letter is not None and _is_correct(record, letter, scoring)
        if counted:
            cat, sub = record.get("category"), record.get(inner)
            extra = {f"category/{inner}": f"{cat}/{sub}"} if cat is not None and sub is not None else None
            tally.add(record, ok, extra)
        if details is not None:
            status = "correct" if ok else ("wrong" if kind == "letter" else kind)
            details.append(
                {"id": record_id(record, index), "parsed": letter, "correct": ok, "counted": counted, "status": status}
            )

    correct = tally.correct
    denominators = {"official": n_items - dropped, "tencent": n_items}
    extra = {
        "accuracy_by_denominator": {k: (correct / v if v else None) for k, v in denominators.items()},
        "n_by_denominator": denominators,
    }
    if scoring == "official":
        extra["official_version"] = official_version
    return build_result(
        benchmark="mmsu",
        scoring=scoring,
        think=think,
        tally=tally,
        n_items=n_items,
        missing=missing,
        unparseable=unparseable,
        excluded=n_items - tally.n,
        native_breakdown=["category", f"category/{inner}"],
        details=details,
        extra=extra,
        scorer_key="official-2025" if stale else None,
    )
