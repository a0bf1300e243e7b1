"""Scoring for the reproduction: option likelihood for multiple choice, bootstrap intervals over whole clips.

Option likelihood (the primary metric) asks the model how probable each option is as its answer, given the audio
and the question with its options, and picks the most probable; it needs no parseable generation, so small models
that have not learned the answer format are still measured on what they know. The letter answer scored by the MMSU
scorer is reported next to it.
"""

import json
import os
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..utils.logging import get_logger


logger = get_logger(__name__)

LETTERS = "ABCD"
# Same layout as UAS-QA's training items and the eval runner's `uas-qa` template: question, then one option per line.
PROMPT_FORMAT = "{question}\n{options}"
DEFAULT_RESAMPLES = 1000
CONFIDENCE = 0.95


def record_options(record: Mapping[str, Any]) -> list[str]:
    """The non-empty options of an MMSU record, in letter order."""
    return [record[f"choice_{k}"] for k in "abcd" if record.get(f"choice_{k}") not in (None, "")]


def option_prompt(record: Mapping[str, Any]) -> str:
    options = record_options(record)
    return PROMPT_FORMAT.format(
        question=record["question"], options="\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(options))
    )


def option_continuations(record: Mapping[str, Any]) -> list[str]:
    """What the model is asked to have said for each option: ``"B. text"``, the UAS-QA answer format."""
    return [f"{LETTERS[i]}. {o}" for i, o in enumerate(record_options(record))]


def continuation_logprobs(model, collator, examples: Sequence[Mapping[str, Any]], *, batch_size: int = 8):
    """Mean log-probability per token of each example's assistant turn (labels != -100) under ``model``.

    The mean, not the sum, so long option texts are not penalized for their length.
    """
    import torch

    scores: list[float] = []
    for start in range(0, len(examples), batch_size):
        batch = collator(list(examples[start : start + batch_size]))
        device = next(model.parameters()).device
        batch = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        labels = batch.pop("labels")
        with torch.no_grad():
            logits = model(**batch).logits.float()
        logprobs = torch.log_softmax(logits[:, :-1], dim=-1)
        target = labels[:, 1:]
        keep = target != -100
        picked = logprobs.gather(-1, target.clamp(min=0).unsqueeze(-1)).squeeze(-1) * keep
        scores += (picked.sum(-1) / keep.sum(-1).clamp(min=1)).tolist()
    return scores


def predict_by_likelihood(
    records: Sequence[Mapping[str, Any]],
    score_examples: Callable[[list[dict[str, Any]]], list[float]],
    audio_of: Callable[[Mapping[str, Any]], Any],
) -> list[dict[str, Any]]:
    """For each record, the option with the highest score: ``{"id", "prediction", "scores", "correct"}``.

    Args:
        records: MMSU records.
        score_examples: `examples -> scores`, one per conversational example (`messages` + `audio`); e.g.
            ``functools.partial(continuation_logprobs, model, collator)``.
        audio_of: the audio of a record (a path or ``{"array", "sampling_rate"}``).
    """
    examples, owners = [], []
    for index, record in enumerate(records):
        prompt = option_prompt(record)
        for continuation in option_continuations(record):
            examples.append(
                {
                    "messages": [
                        {"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": prompt}]},
                        {"role": "assistant", "content": [{"type": "text", "text": continuation}]},
                    ],
                    "audio": audio_of(record),
                }
            )
            owners.append(index)
    scores = score_examples(examples)
    if len(scores) != len(examples):
        raise ValueError(f"`score_examples` returned {len(scores)} scores for {len(examples)} examples.")
    per_record: list[list[float]] = [[] for _ in records]
    for owner, score in zip(owners, scores):
        per_record[owner].append(float(score))
    out = []
    for record, option_scores in zip(records, per_record):
        options = record_options(record)
        best = max(range(len(options)), key=lambda i: option_scores[i])
        out.append(
            {
                "id": record["id"],
                "prediction": options[best],
                "scores": option_scores,
                "correct": options[best] == record["answer_gt"],
            }
        )
    return out


def bootstrap_ci(
    correct: Sequence[bool | float],
    clusters: Sequence[str],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> dict[str, Any]:
    """Accuracy with a percentile bootstrap interval that resamples whole clips (clusters), not single items.

    Items of one clip are correlated (same voice, same recording); resampling items would make the interval too
    narrow. Returns ``{"acc", "ci": [lo, hi], "n", "clips"}``.

    >>> bootstrap_ci([1, 1, 0, 1], ["a", "a", "b", "c"], n_resamples=200)["acc"]
    0.75
    """
    if len(correct) != len(clusters):
        raise ValueError(f"`correct` ({len(correct)}) and `clusters` ({len(clusters)}) must have the same length.")
    if not 0 < confidence < 1:
        raise ValueError(f"`confidence` must be in (0, 1), got {confidence}.")
    n = len(correct)
    if n == 0:
        return {"acc": None, "ci": [None, None], "n": 0, "clips": 0}
    groups: dict[str, list[float]] = {}
    for value, cluster in zip(correct, clusters):
        groups.setdefault(cluster, []).append(float(value))
    sums = [(sum(v), len(v)) for v in groups.values()]
    rng = random.Random(seed)
    stats = []
    for _ in range(n_resamples):
        draw = [sums[rng.randrange(len(sums))] for _ in sums]
        stats.append(sum(s for s, _ in draw) / sum(k for _, k in draw))
    stats.sort()
    tail = (1 - confidence) / 2
    lo = stats[int(tail * (n_resamples - 1))]
    hi = stats[int(round((1 - tail) * (n_resamples - 1)))]
    acc = sum(float(c) for c in correct) / n
    return {"acc": acc, "ci": [min(lo, acc), max(hi, acc)], "n": n, "clips": len(groups)}


def load_records(path: str | os.PathLike) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """A micro-benchmark's records and its record -> source clips map (`clips.json` next to it)."""
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    clips_file = path.parent / "clips.json"
    clips = (
        json.loads(clips_file.read_text()) if clips_file.is_file() else {r["id"]: [r["audio_path"]] for r in records}
    )
    return records, clips


def cluster_of(record_id: str, clips: Mapping[str, list[str]]) -> str:
    """The resampling unit of an item: its clip, or its pair of clips for comparison items."""
    return "+".join(clips.get(record_id) or [record_id])


def item_outcomes(
    records: Sequence[Mapping[str, Any]], clips: Mapping[str, list[str]], predictions: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Per prediction: ``id``, ``correct``, ``category``, ``task_name`` and ``cluster`` (its clip, for the bootstrap),
    what the report pools across seeds."""
    by_id = {r["id"]: r for r in records}
    return [
        {
            "id": p["id"],
            "correct": p["correct"],
            "category": by_id[p["id"]]["category"],
            "task_name": by_id[p["id"]]["task_name"],
            "cluster": cluster_of(p["id"], clips),
        }
        for p in predictions
    ]
