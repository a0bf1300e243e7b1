"""uas_hf.metrics: `evaluate` module folders (`mmsu`, `mmar`, `mmau`, `uas_schema`, `wer`) and their plain-Python API.

>>> from uas_hf.metrics import load_metric, score_mmau
>>> mmau = load_metric("mmau")  # doctest: +SKIP  (evaluate.load of the shipped folder; works offline)
>>> score_mmau([{"id": "q", "choices": ["dog", "cat"], "answer": "cat", "task": "sound"}], ["B"], scoring="tencent")["overall"]
1.0
"""

from .asr import compute_error_rates, extract_uas_transcription, score_uas_transcriptions
from .evaluate_support import METRIC_NAMES, load_metric, metric_path
from .normalizers import ChineseTextNormalizer, EnglishTextNormalizer, get_normalizer
from .scoring import (
    MISSING,
    SCORERS,
    apply_think,
    extract_answer,
    get_scorer,
    mmsu_letter,
    score_mmar,
    score_mmau,
    score_mmsu,
    string_match,
    string_match_tencent,
)
from .uas import score_uas, token_f1


__all__ = [
    "METRIC_NAMES",
    "MISSING",
    "SCORERS",
    "ChineseTextNormalizer",
    "EnglishTextNormalizer",
    "apply_think",
    "compute_error_rates",
    "extract_answer",
    "extract_uas_transcription",
    "get_normalizer",
    "get_scorer",
    "load_metric",
    "metric_path",
    "mmsu_letter",
    "score_mmar",
    "score_mmau",
    "score_mmsu",
    "score_uas",
    "score_uas_transcriptions",
    "string_match",
    "string_match_tencent",
    "token_f1",
]
