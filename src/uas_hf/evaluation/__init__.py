"""uas_hf.evaluation: benchmark loaders and re-scoring of saved responses (see docs/architecture.md).

>>> from uas_hf.evaluation import load_benchmark, load_predictions, score_predictions
>>> bench = load_benchmark("mmau", "mmau-test-mini.json", require_audio=False)  # doctest: +SKIP
>>> score_predictions(bench, load_predictions("pred.jsonl"), scoring="tencent")["overall"]  # doctest: +SKIP

The batched, resumable runner (`EvalConfig`, `run_evaluation`; `uas-hf eval`) imports torch, so it is loaded on
first access rather than with the loaders.
"""

from typing import Any

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


_LAZY = {"EvalConfig": "runner", "run_evaluation": "runner"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AnswerNotInChoicesError",
    "EvalConfig",
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
    "run_evaluation",
    "score_predictions",
]
