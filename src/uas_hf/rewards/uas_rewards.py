"""UAS rewards: is the completion a valid Unified Audio Schema record, and how many fields match the ground truth?"""

from collections.abc import Mapping
from typing import Any

from ._utils import column, completion_texts, normalize_text, strip_code_fence, token_f1, word_error_rate


# Closed-vocabulary / short categorical fields: exact match after normalization.
_CATEGORICAL = ("age", "gender", "emotion", "accent")
# Free-text descriptions: bag-of-words F1 (their wording varies between equally correct annotations).
_FREE_TEXT = ("prosody", "timbre", "description")
_EVENT_LISTS = ("discreteEvents", "continuousEvents")


def _parse(obj: Any, *, lenient: bool):
    from uas_hf.schema import parse_uas

    return parse_uas(obj, lenient=lenient)


def _record_or_none(text: str):
    """Parse a completion leniently (fence stripped); `None` when it is not a UAS record at all."""
    from uas_hf.schema import UASError

    try:
        return _parse(strip_code_fence(text), lenient=True)
    except (UASError, ValueError, TypeError):
        return None


def _as_dict(record) -> dict[str, Any]:
    return record.to_dict()


def _field_value(d: Mapping[str, Any], field: str) -> Any:
    if field == "transcription":
        return d.get("transcription")
    if field in _CATEGORICAL or field in ("prosody", "timbre"):
        return (d.get("paralinguistics") or {}).get(field)
    events = d.get("nonLinguisticEvents") or {}
    return events.get(field)


def _event_labels(events: Any) -> set[str]:
    labels = set()
    for event in events or []:
        label = event.get("label") if isinstance(event, Mapping) else event
        if label:
            labels.add(normalize_text(str(label)))
    return labels


def field_scores(prediction: Mapping[str, Any], truth: Mapping[str, Any]) -> dict[str, float]:
    """Score every UAS field of ``prediction`` against ``truth`` (both ``UASRecord.to_dict()`` dicts), each in [0, 1].

    transcription: ``1 - WER`` (clipped at 0; both absent -> 1); age / gender / emotion / accent: exact match after
    normalization; prosody / timbre / description: bag-of-words F1; discreteEvents / continuousEvents: Jaccard
    similarity of the event labels (both empty -> 1).

    Example:
    ```python
    >>> from uas_hf.rewards.uas_rewards import field_scores

    >>> truth = {"transcription": "hello there", "paralinguistics": {"gender": "female"}}
    >>> pred = {"transcription": "hello", "paralinguistics": {"gender": "female"}}
    >>> scores = field_scores(pred, truth)
    >>> scores["transcription"], scores["gender"]
    (0.5, 1.0)
    ```
    """
    scores = {}
    for field in ("transcription", *_CATEGORICAL, *_FREE_TEXT, *_EVENT_LISTS):
        p, t = _field_value(prediction, field), _field_value(truth, field)
        if field == "transcription":
            if t is None or p is None:
                scores[field] = 1.0 if t is None and p is None else 0.0
            else:
                scores[field] = max(0.0, 1.0 - word_error_rate(t, p))
        elif field in _CATEGORICAL:
            scores[field] = 1.0 if normalize_text(p) == normalize_text(t) else 0.0
        elif field in _FREE_TEXT:
            scores[field] = token_f1(t, p)
        else:
            p_labels, t_labels = _event_labels(p), _event_labels(t)
            union = p_labels | t_labels
            scores[field] = len(p_labels & t_labels) / len(union) if union else 1.0
    return scores


def uas_json_validity_reward(completions: list, **kwargs) -> list[float]:
    r"""
    Reward the completion for being a Unified Audio Schema record: 1.0 when it parses strictly (canonical keys,
    closed vocabularies), 0.5 when it only parses leniently (code fence, synonyms, minor key variants), 0.0 otherwise.

    Args:
        completions (`list[str]` or `list[list[dict]]`):
            Completions, as `GRPOTrainer` passes them.
        **kwargs:
            Dataset columns and trainer extras; ignored.

    Returns:
        `list[float]`: one reward per completion.

    Example:
    ```python
    >>> from uas_hf.rewards import uas_json_validity_reward

    >>> good = '{"transcription": null, "paralinguistics": {"age": null, "gender": null, "emotion": null, "accent": null, "prosody": null, "timbre": null}, "nonLinguisticEvents": {"description": "rain", "discreteEvents": [], "continuousEvents": [{"label": "rain", "characteristic": "steady"}]}}'
    >>> uas_json_validity_reward([good, "no json here"])
    [1.0, 0.0]
    ```
    """
    from uas_hf.schema import UASError

    rewards = []
    for text in completion_texts(completions):
        try:
            _parse(text.strip(), lenient=False)
            rewards.append(1.0)
            continue
        except (UASError, ValueError, TypeError):
            pass
        rewards.append(0.5 if _record_or_none(text) is not None else 0.0)
    return rewards


def uas_field_accuracy_reward(completions: list, uas: list, **kwargs) -> list[float | None]:
    r"""
    Mean per-field accuracy of a UAS completion against the ground-truth record (see [`field_scores`]).

    An unparseable completion scores 0.0; a row without ground truth gets `None`. When the trainer passes
    `log_metric` (TRL `GRPOTrainer` does), the batch mean of each field is logged as ``uas_field/<field>``.

    Args:
        completions (`list[str]` or `list[list[dict]]`):
            Completions, as `GRPOTrainer` passes them.
        uas (`list[str | dict]`):
            Ground-truth UAS per row (the corpus `uas` column: canonical JSON, or a dict).
        **kwargs:
            Other dataset columns and trainer extras.

    Returns:
        `list[float | None]`: one reward per completion.

    Example:
    ```python
    >>> from uas_hf.rewards import uas_field_accuracy_reward

    >>> truth = '{"transcription": null, "paralinguistics": {"age": null, "gender": null, "emotion": null, "accent": null, "prosody": null, "timbre": null}, "nonLinguisticEvents": {"description": "rain", "discreteEvents": [], "continuousEvents": [{"label": "rain", "characteristic": "steady"}]}}'
    >>> uas_field_accuracy_reward([truth, "garbage"], uas=[truth, truth])
    [1.0, 0.0]
    ```
    """
    texts = completion_texts(completions)
    truths = column({"uas": uas}, "uas", len(texts))
    rewards: list[float | None] = []
    per_field: dict[str, list[float]] = {}
    for text, truth in zip(texts, truths):
        if truth is None:
            rewards.append(None)
            continue
        truth_dict = _as_dict(_parse(truth, lenient=True))
        record = _record_or_none(text)
        if record is None:
            rewards.append(0.0)
            continue
        scores = field_scores(_as_dict(record), truth_dict)
        for field, score in scores.items():
            per_field.setdefault(field, []).append(score)
        rewards.append(sum(scores.values()) / len(scores))
    log_metric = kwargs.get("log_metric")
    if callable(log_metric):
        for field, values in per_field.items():
            log_metric(f"uas_field/{field}", sum(values) / len(values))
    return rewards
