"""Score saved responses against a loaded benchmark (`uas-hf score`, and the runner once responses are in)."""

from collections.abc import Mapping
from typing import Any

from ..metrics.scoring import MISSING, get_scorer
from .loaders import Benchmark, Predictions, PredictionsError


def score_predictions(
    benchmark: Benchmark,
    predictions: Predictions | Mapping[str, Any],
    *,
    scoring: str = "official",
    think: str = "keep",
    allow_missing: bool = False,
    **scorer_kwargs: Any,
) -> dict[str, Any]:
    """Score ``predictions`` on ``benchmark`` and add the data version and prediction-file provenance.

    Args:
        benchmark (`Benchmark`): from `load_benchmark`.
        predictions (`Predictions` or `Mapping[str, Any]`): id → raw response (`MISSING` for an entry without a
            response).
        scoring (`str`, *optional*, defaults to `"official"`): `"official"` or `"tencent"`.
        think (`str`, *optional*, defaults to `"keep"`): see `uas_hf.metrics.scoring.apply_think`.
        allow_missing (`bool`, *optional*, defaults to `False`): score although some benchmark items have no
            response. Each scorer then applies its own rule (MMAU/MMAR skip them; MMSU counts them wrong) and the
            result reports `missing`. By default that is an error, so a partial run is never mistaken for a full one.
        **scorer_kwargs: passed to the scorer (e.g. `official_version`, `max_response_chars`, `return_details`).

    Returns:
        `dict`: the scorer's result plus `data` (benchmark checksum / version / counts) and `predictions`.

    Raises:
        `PredictionsError`: ids that are not in the benchmark, or (unless `allow_missing`) items without a response.
    """
    responses = predictions.responses if isinstance(predictions, Predictions) else dict(predictions)
    ids = benchmark.ids
    known = set(ids)
    unknown = [i for i in responses if i not in known]
    if unknown:
        raise PredictionsError(
            f"predictions contain ids that are not in {benchmark.data['path']} ({benchmark.name}); they were made "
            "for another benchmark file or version.",
            [f"unknown id {i!r}" for i in unknown],
        )
    absent = [i for i in ids if responses.get(i, MISSING) is MISSING]
    if absent and not allow_missing:
        raise PredictionsError(
            f"{len(absent)} of {len(ids)} {benchmark.name} items have no response. Finish the run, or pass "
            "`allow_missing=True` (CLI: --allow-missing) to score the rest under the scorer's own rule.",
            [f"no response for id {i!r}" for i in absent],
        )
    result = get_scorer(benchmark.name)(benchmark.records, responses, scoring=scoring, think=think, **scorer_kwargs)
    result["data"] = dict(benchmark.data)
    if isinstance(predictions, Predictions):
        result["predictions"] = dict(predictions.data)
    return result
