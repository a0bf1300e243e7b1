"""uas_hf.evaluation: benchmark loaders and re-scoring of saved responses (see docs/architecture.md).

>>> from uas_hf.evaluation import load_benchmark, load_predictions, score_predictions
>>> bench = load_benchmark("mmau", "mmau-test-mini.json", require_audio=False)  # doctest: +SKIP
>>> score_predictions(bench, load_predictions("pred.jsonl"), scoring="tencent")["overall"]  # doctest: +SKIP
"""

from .loaders import (
    AnswerNotInChoicesError,
    Benchmark,
    BenchmarkDataError,
    BenchmarkItem,
    DuplicateIdError,
    InvalidFieldError,
    InvalidFileError,
    MissingAudioError,
    MissingFieldError,
    Predictions,
    PredictionsError,
    load_benchmark,
    load_mmar,
    load_mmau,
    load_mmsu,
    load_predictions,
)
from .rescore import score_predictions


__all__ = [
    "AnswerNotInChoicesError",
    "Benchmark",
    "BenchmarkDataError",
    "BenchmarkItem",
    "DuplicateIdError",
    "InvalidFieldError",
    "InvalidFileError",
    "MissingAudioError",
    "MissingFieldError",
    "Predictions",
    "PredictionsError",
    "load_benchmark",
    "load_mmar",
    "load_mmau",
    "load_mmsu",
    "load_predictions",
    "score_predictions",
]
