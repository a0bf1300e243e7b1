"""The shared audio-encoder stage: one general-purpose encoder, pretrained once and frozen, for every arm.

A tiny encoder trained jointly with a language model from scratch never learns to use the audio (issue 8's feasibility
probe); real audio LLMs start from a pretrained encoder. Here the encoder (+ projector) of the initial UAS-Audio model
is pretrained on the corpus's TRAIN split with a broad multi-task objective from construction labels — linear heads on
mean-pooled audio embeddings for speech presence, gender, age group, accent, speaking rate, pitch, loudness,
background class and event classes (multi-label) — which is none of the arms' text supervision. Its held-out probe
accuracy is measured on the VALIDATION split. The pooled features of both splits are cached to disk.
"""

import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..utils.logging import get_logger
from .benchmark import read_split


logger = get_logger(__name__)

# Single-label heads: corpus column -> classes taken from the training split. Rows without a value are ignored.
CLASS_COLUMNS = ("has_speech", "gender", "age_group", "accent", "speaking_rate", "pitch", "loudness",
                 "background_class")  # fmt: skip
IGNORE = -100
FEATURES_FILE = "features_{split}.pt"
PROBE_FILE = "probe.json"


def label_space(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Classes of every head, from the pretraining split only."""
    space = {c: sorted({str(r[c]) for r in rows if r.get(c) is not None}) for c in CLASS_COLUMNS}
    space["background_class"] = ["none", *space["background_class"]]
    space["events"] = sorted({e["event_class"] for r in rows for e in r.get("events") or []})
    return space


def encode_labels(rows: Sequence[Mapping[str, Any]], space: Mapping[str, list[str]]):
    """`{head: LongTensor}` (IGNORE where unknown) and `events` as a multi-hot FloatTensor."""
    import torch

    labels = {}
    for column in CLASS_COLUMNS:
        index = {v: i for i, v in enumerate(space[column])}
        values = []
        for r in rows:
            value = r.get(column)
            if column == "background_class" and value is None:
                value = "none"
            values.append(index.get(str(value), IGNORE) if value is not None else IGNORE)
        labels[column] = torch.tensor(values, dtype=torch.long)
    events = torch.zeros(len(rows), len(space["events"]))
    for i, r in enumerate(rows):
        for e in r.get("events") or []:
            if e["event_class"] in space["events"]:
                events[i, space["events"].index(e["event_class"])] = 1.0
    labels["events"] = events
    return labels


def extract_inputs(processor, corpus_dir: str | os.PathLike, rows: Sequence[Mapping[str, Any]], split: str):
    """Log-mel inputs of every clip, one `(mels, frames)` tensor each (padded to whole encoder windows)."""
    import soundfile as sf
    from tqdm.auto import tqdm

    features = []
    for row in tqdm(rows, desc=f"log-mel {split}", leave=False):
        audio, rate = sf.read(Path(corpus_dir) / split / row["file_name"], dtype="float32")
        out = processor(text=processor.audio_token, audio=audio, sampling_rate=rate, return_tensors="pt")
        frames = int(out["feature_attention_mask"][0].sum())
        features.append((out["input_features"][0], frames))
    return features


def _batch(features, indices):
    import torch

    width = max(features[i][0].shape[-1] for i in indices)
    inputs = torch.stack(
        [torch.nn.functional.pad(features[i][0], (0, width - features[i][0].shape[-1])) for i in indices]
    )
    mask = torch.zeros(len(indices), width, dtype=torch.long)
    for row, i in enumerate(indices):
        mask[row, : features[i][1]] = 1
    return inputs, mask


def pooled_embeddings(model, inputs, mask):
    """Mean of each clip's audio embeddings (encoder + projector)."""
    import torch

    embeds, lengths = model.model.get_audio_features(inputs, mask)
    return torch.stack([chunk.mean(0) for chunk in torch.split(embeds, lengths.tolist())])


class ProbeHeads:
    """Linear heads on pooled audio embeddings, one per label column (+ a multi-label event head)."""

    def __init__(self, hidden: int, space: Mapping[str, list[str]], event_pos_weight=None):
        import torch

        self.heads = torch.nn.ModuleDict(
            {name: torch.nn.Linear(hidden, len(classes)) for name, classes in space.items()}
        )
        # Each event class is absent from most clips: weigh its positives up so the head does not learn "never"
        self.event_pos_weight = event_pos_weight

    def loss(self, pooled, labels, indices):
        import torch

        total = 0.0
        for name, head in self.heads.items():
            logits = head(pooled)
            target = labels[name][indices]
            if name == "events":
                total = total + torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, target, pos_weight=self.event_pos_weight
                )
            elif (target != IGNORE).any():
                total = total + torch.nn.functional.cross_entropy(logits, target, ignore_index=IGNORE)
        return total

    def accuracy(self, pooled, labels) -> dict[str, float | None]:
        import torch

        out = {}
        with torch.no_grad():
            for name, head in self.heads.items():
                logits = head(pooled)
                if name == "events":
                    # micro-F1, not element accuracy: most (clip, class) cells are absent, so "never" scores high
                    predicted, truth = (logits > 0).float(), labels[name]
                    hits = float((predicted * truth).sum())
                    denominator = float(predicted.sum() + truth.sum())
                    out["events_f1"] = 2 * hits / denominator if denominator else None
                    continue
                keep = labels[name] != IGNORE
                out[name] = (
                    float((logits.argmax(-1)[keep] == labels[name][keep]).float().mean()) if keep.any() else None
                )
        return out


def pretrain_encoder(
    model,
    processor,
    corpus_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    steps: int = 600,
    batch_size: int = 16,
    learning_rate: float = 2e-3,
    seed: int = 0,
    pretrain_split: str = "train",
    probe_split: str = "validation",
    max_clips: int | None = None,
) -> dict[str, Any]:
    """Pretrain ``model``'s audio encoder + projector with the multi-task heads, freeze the encoder, save the model.

    Writes ``out_dir/model/`` (the whole UAS-Audio model, processor included), ``out_dir/probe.json`` (held-out probe
    accuracy per head, on ``probe_split``) and ``out_dir/features_{split}.pt`` (pooled audio embeddings + labels of
    both splits, so later probes need no encoder pass). Returns the probe summary.
    """
    import torch
    from tqdm.auto import trange

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    torch.manual_seed(seed)
    train_rows = read_split(corpus_dir, pretrain_split)[:max_clips]
    probe_rows = read_split(corpus_dir, probe_split)[:max_clips]
    space = label_space(train_rows)
    train_labels, probe_labels = encode_labels(train_rows, space), encode_labels(probe_rows, space)
    train_inputs = extract_inputs(processor, corpus_dir, train_rows, pretrain_split)
    probe_inputs = extract_inputs(processor, corpus_dir, probe_rows, probe_split)

    hidden = model.config.text_config.hidden_size
    positives = train_labels["events"].sum(0).clamp(min=1)
    heads = ProbeHeads(hidden, space, event_pos_weight=(len(train_rows) - positives) / positives)
    audio_params = [*model.model.audio_encoder.parameters(), *model.model.projector.parameters()]
    optimizer = torch.optim.AdamW([*audio_params, *heads.heads.parameters()], lr=learning_rate, weight_decay=0.01)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    losses = []
    for _ in trange(steps, desc="encoder pretraining", leave=False):
        indices = torch.randint(len(train_rows), (min(batch_size, len(train_rows)),), generator=generator).tolist()
        inputs, mask = _batch(train_inputs, indices)
        loss = heads.loss(pooled_embeddings(model, inputs, mask), train_labels, indices)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()

    cached = {}
    for split, rows, inputs, labels in (
        (pretrain_split, train_rows, train_inputs, train_labels),
        (probe_split, probe_rows, probe_inputs, probe_labels),
    ):
        pooled = []
        with torch.no_grad():
            for start in range(0, len(rows), batch_size):
                batch = list(range(start, min(start + batch_size, len(rows))))
                pooled.append(pooled_embeddings(model, *_batch(inputs, batch)))
        cached[split] = torch.cat(pooled)
        torch.save(
            {"ids": [r["id"] for r in rows], "pooled": cached[split], "labels": labels, "space": space},
            out / FEATURES_FILE.format(split=split),
        )
    for parameter in model.model.audio_encoder.parameters():
        parameter.requires_grad_(False)  # frozen from here on; stages 2-3 never unfreeze it either
    model.save_pretrained(out / "model")
    processor.save_pretrained(out / "model")
    # uniform guessing; for the event head, F1 of always predicting every class
    chance = {name: 1 / len(classes) for name, classes in space.items() if name != "events"}
    positives = float(probe_labels["events"].mean()) if len(probe_rows) else 0.0
    chance["events_f1"] = 2 * positives / (1 + positives) if positives else None
    summary = {
        "pretrain_split": pretrain_split,
        "probe_split": probe_split,
        "clips": {pretrain_split: len(train_rows), probe_split: len(probe_rows)},
        "steps": steps,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "final_loss": sum(losses[-20:]) / max(1, len(losses[-20:])),
        "train_accuracy": heads.accuracy(cached[pretrain_split], train_labels),
        "probe_accuracy": heads.accuracy(cached[probe_split], probe_labels),
        "chance": chance,
        "classes": space,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / PROBE_FILE).write_text(json.dumps(summary, indent=2))
    logger.info("Encoder probe accuracy on %s: %s", probe_split, summary["probe_accuracy"])
    return summary
