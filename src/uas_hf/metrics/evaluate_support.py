"""Glue shared by the `evaluate` module scripts in this package (they import it from the installed `uas_hf`)."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any


METRIC_NAMES = ("mmsu", "mmar", "mmau", "uas_schema", "wer")
# evaluate refuses `None` in the first row of a batch (a null prediction, MMSU's null `choice_c`), so nulls travel
# through its Arrow cache as this marker and are restored to `None` before scoring. NUL never occurs in model text.
NULL_MARKER = "\x00uas_hf:null\x00"


def metric_path(name: str) -> str:
    """Folder of a metric module shipped in `uas_hf`, for `evaluate.load`.

    >>> metric_path("mmau").endswith("uas_hf/metrics/mmau")
    True
    """
    if name not in METRIC_NAMES:
        raise ValueError(f"`name` must be one of {', '.join(METRIC_NAMES)}; got {name!r}.")
    return str(Path(__file__).resolve().parent / name)


def load_metric(name: str, **kwargs: Any):
    """`evaluate.load` of one of our metric modules (works offline: nothing is fetched from the Hub)."""
    import evaluate

    return evaluate.load(metric_path(name), **kwargs)


class RecordReferencesMixin:
    """Let a benchmark metric take whole benchmark records as references.

    `evaluate` rejects dict references whose keys differ from the declared features; benchmark records carry more
    keys (question, audio path, …), so only the declared ones are kept (absent ones become `None`). Predictions that
    are not strings become `None` (they are unparseable to every scorer anyway, and Arrow cannot hold mixed types).
    Nulls travel as `NULL_MARKER`; module scripts pass inputs through `restore` / `restore_records` before scoring.

    A plain mixin, not an `evaluate.Metric`: `evaluate` picks the first `EvaluationModule` subclass it finds in a
    module script, which must be the metric class itself.
    """

    def _reference_keys(self) -> list[str]:
        return list(self.features["references"].keys())

    def _select(self, reference: Any) -> Any:
        if isinstance(reference, Mapping):
            values = {key: reference.get(key) for key in self._reference_keys()}
            return {key: NULL_MARKER if value is None else value for key, value in values.items()}
        return reference

    @staticmethod
    def _text(prediction: Any) -> str:
        return prediction if isinstance(prediction, str) else NULL_MARKER

    @staticmethod
    def restore(predictions: list[str]) -> list[str | None]:
        """Undo the null marker in predictions: what the scorers see is `None`."""
        return [None if p == NULL_MARKER else p for p in predictions]

    @staticmethod
    def restore_records(references: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Undo the null marker in reference fields."""
        return [{k: (None if v == NULL_MARKER else v) for k, v in r.items()} for r in references]

    # evaluate appends the metric's input description to `compute.__doc__`, so these need a docstring.
    def compute(self, *, predictions=None, references=None, **kwargs):
        """Compute the metric (references may be whole benchmark records)."""
        if predictions is not None:
            predictions = [self._text(p) for p in predictions]
        if references is not None:
            references = [self._select(r) for r in references]
        return super().compute(predictions=predictions, references=references, **kwargs)

    def add_batch(self, *, predictions=None, references=None, **kwargs):
        """Add a batch (references may be whole benchmark records)."""
        if predictions is not None:
            predictions = [self._text(p) for p in predictions]
        if references is not None:
            references = [self._select(r) for r in references]
        return super().add_batch(predictions=predictions, references=references, **kwargs)

    def add(self, *, prediction=None, reference=None, **kwargs):
        """Add one example (the reference may be a whole benchmark record)."""
        return super().add(prediction=self._text(prediction), reference=self._select(reference), **kwargs)
