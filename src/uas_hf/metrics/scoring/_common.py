"""Pieces every benchmark scorer shares: scorer identities, response alignment, counters and the result dict."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ... import __version__
from .matching import THINK_MODES


SCORING_MODES = ("official", "tencent")

# A 4096-token greedy generation (the Tencent settings, the longest any reference pipeline allows) stays far below
# this; anything longer is a runaway output and is counted as unparseable instead of being matched.
MAX_RESPONSE_CHARS = 200_000

# Where each scorer's rules come from (benchmarks.md, source table). Results carry this so numbers are traceable.
SCORERS: dict[tuple[str, str], dict[str, str]] = {
    ("mmsu", "official"): {
        "name": "mmsu-official-2026",
        "source": "dingdongwang/MMSU@217d1d3 mmsu_evaluation.py (2026-02-12): per-record reset, "
        "unparseable responses dropped from the denominator",
    },
    ("mmsu", "official-2025"): {
        "name": "mmsu-official-2025",
        "source": "dingdongwang/MMSU_Bench@f0ef334 mmsu_evaluation.py (2025-06-08): stale letter reused for "
        "empty/'None' responses",
    },
    ("mmsu", "tencent"): {
        "name": "mmsu-tencent",
        "source": "Tencent/Unified_Audio_Schema@163590e MMSUEvaluator: unparseable responses counted wrong",
    },
    ("mmau", "official"): {
        "name": "mmau-official",
        "source": "Sakshi113/MMAU@110127f evaluation.py (2025-01-29): bag-of-words string_match on the raw output",
    },
    ("mmau", "tencent"): {
        "name": "mmau-tencent",
        "source": "Tencent/Unified_Audio_Schema@163590e MMAUEvaluator: extract_answer, string_match + letter shortcut",
    },
    ("mmar", "official"): {
        "name": "mmar-official",
        "source": "ddlBoJack/MMAR@3bce090 code/evaluation.py: bag-of-words string_match on the raw output",
    },
    ("mmar", "tencent"): {
        "name": "mmar-tencent",
        "source": "Tencent/Unified_Audio_Schema@163590e MMAREvaluator: extract_answer, string_match (no letter shortcut)",
    },
}


class _Missing:
    """Marks a record that has no prediction at all (the official scripts' "key not present")."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


def check_mode(scoring: str, think: str) -> None:
    if scoring not in SCORING_MODES:
        raise ValueError(
            f"`scoring` must be one of {', '.join(SCORING_MODES)}; got {scoring!r}. Use 'official' for the benchmark's "
            "own script or 'tencent' for the UAS authors' evaluator."
        )
    if think not in THINK_MODES:
        raise ValueError(f"`think` must be one of {', '.join(THINK_MODES)}; got {think!r}.")


def check_max_chars(max_response_chars: int | None) -> None:
    if max_response_chars is not None and (not isinstance(max_response_chars, int) or max_response_chars < 1):
        raise ValueError(
            f"`max_response_chars` must be a positive int or None (no limit); got {max_response_chars!r}."
        )


def record_id(record: Mapping[str, Any], index: int) -> str:
    value = record.get("id")
    return str(value) if value is not None else f"#{index}"


def align(records: Sequence[Mapping[str, Any]], responses: Any) -> Iterator[tuple[int, Mapping[str, Any], Any]]:
    """Yield ``(index, record, response)``; a response is `MISSING` when a mapping has no entry for the id."""
    if not isinstance(records, Sequence) or isinstance(records, (str, bytes)):
        raise TypeError(f"`records` must be a sequence of benchmark records (dicts); got {type(records).__name__}.")
    if isinstance(responses, Mapping):
        unknown = set(responses) - {r.get("id") for r in records if isinstance(r, Mapping)}
        if unknown:
            sample = ", ".join(repr(i) for i in sorted(map(str, unknown))[:3])
            raise ValueError(
                f"`responses` has {len(unknown)} id(s) that are not in `records` (e.g. {sample}). "
                "Score against the benchmark file the predictions were made for."
            )
        lookup = responses.get
    elif isinstance(responses, Sequence) and not isinstance(responses, (str, bytes)):
        if len(responses) != len(records):
            raise ValueError(
                f"`responses` has {len(responses)} entries but `records` has {len(records)}; a sequence must align "
                "1:1 with the records (pass a mapping id -> response to score a subset)."
            )
        lookup = None
    else:
        raise TypeError(
            f"`responses` must be a sequence aligned with `records` or a mapping id -> response; "
            f"got {type(responses).__name__}."
        )
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise TypeError(f"`records[{index}]` must be a dict (a benchmark record); got {type(record).__name__}.")
        response = lookup(record.get("id"), MISSING) if lookup else responses[index]
        yield index, record, response


def as_text(response: Any, max_response_chars: int | None) -> str | None:
    """The response as a string, or `None` when it is not a string or longer than the limit (unparseable)."""
    if not isinstance(response, str):
        return None
    if max_response_chars is not None and len(response) > max_response_chars:
        return None
    return response


@dataclass
class Tally:
    """Correct / counted items, overall and per breakdown field value (micro averages, like the originals)."""

    fields: tuple[str, ...]
    correct: int = 0
    n: int = 0
    groups: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def add(self, record: Mapping[str, Any], ok: bool, extra: Mapping[str, str] | None = None) -> None:
        self.correct += int(ok)
        self.n += 1
        keys = {f: record.get(f) for f in self.fields}
        if extra:
            keys.update(extra)
        for name, value in keys.items():
            if value is None or isinstance(value, (list, dict)):
                continue
            cell = self.groups.setdefault(name, {}).setdefault(str(value), [0, 0])
            cell[0] += int(ok)
            cell[1] += 1

    def breakdown(self) -> dict[str, dict[str, float]]:
        return {name: {value: c / t for value, (c, t) in sorted(cells.items())} for name, cells in self.groups.items()}

    def breakdown_counts(self) -> dict[str, dict[str, dict[str, int]]]:
        return {
            name: {value: {"correct": c, "n": t} for value, (c, t) in sorted(cells.items())}
            for name, cells in self.groups.items()
        }


def build_result(
    *,
    benchmark: str,
    scoring: str,
    think: str,
    tally: Tally,
    n_items: int,
    missing: int,
    unparseable: int,
    excluded: int,
    native_breakdown: Sequence[str],
    details: list[dict[str, Any]] | None,
    extra: Mapping[str, Any] | None = None,
    scorer_key: str | None = None,
) -> dict[str, Any]:
    scorer = dict(SCORERS[(benchmark, scorer_key or scoring)])
    scorer["implementation"] = f"uas_hf {__version__}"
    result: dict[str, Any] = {
        "benchmark": benchmark,
        "scoring": scoring,
        "think": think,
        "scorer": scorer,
        "overall": tally.correct / tally.n if tally.n else None,
        "n": tally.n,
        "correct": tally.correct,
        "n_items": n_items,
        "missing": missing,
        "unparseable": unparseable,
        "excluded": excluded,
        "breakdown": tally.breakdown(),
        "breakdown_counts": tally.breakdown_counts(),
        "native_breakdown": list(native_breakdown),
    }
    if extra:
        result.update(extra)
    if details is not None:
        result["details"] = details
    return result
