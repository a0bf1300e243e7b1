"""Plain-Python scorers for MMSU, MMAR and MMAU, each in the benchmark's official and in Tencent's UAS flavour.

>>> from uas_hf.metrics.scoring import score_mmau
>>> rec = {"id": "q", "choices": ["dog", "cat"], "answer": "cat", "task": "sound"}
>>> score_mmau([rec], {"q": "A cat."})["overall"]
1.0
"""

from collections.abc import Callable
from typing import Any

from ._common import MAX_RESPONSE_CHARS, MISSING, SCORERS, SCORING_MODES
from .choice_text import MMAR_BREAKDOWN_FIELDS, MMAU_BREAKDOWN_FIELDS, score_mmar, score_mmau
from .matching import THINK_MODES, apply_think, extract_answer, string_match, string_match_tencent, tokenize
from .mmsu import MMSU_BREAKDOWN_FIELDS, mmsu_letter, score_mmsu


BENCHMARKS = ("mmsu", "mmar", "mmau")
_SCORERS: dict[str, Callable[..., dict[str, Any]]] = {"mmsu": score_mmsu, "mmar": score_mmar, "mmau": score_mmau}


def get_scorer(benchmark: str) -> Callable[..., dict[str, Any]]:
    """Return `score_mmsu`, `score_mmar` or `score_mmau` for ``benchmark``."""
    try:
        return _SCORERS[benchmark]
    except KeyError:
        raise ValueError(f"`benchmark` must be one of {', '.join(BENCHMARKS)}; got {benchmark!r}.") from None


__all__ = [
    "BENCHMARKS",
    "MAX_RESPONSE_CHARS",
    "MISSING",
    "MMAR_BREAKDOWN_FIELDS",
    "MMAU_BREAKDOWN_FIELDS",
    "MMSU_BREAKDOWN_FIELDS",
    "SCORERS",
    "SCORING_MODES",
    "THINK_MODES",
    "apply_think",
    "extract_answer",
    "get_scorer",
    "mmsu_letter",
    "score_mmar",
    "score_mmau",
    "score_mmsu",
    "string_match",
    "string_match_tencent",
    "tokenize",
]
