"""The dataset card (README.md) of an `annotate` output folder, rendered from ``hub_cards/dataset_card.md.jinja``.

Its YAML lists the `uas` / `qa` configs with their Parquet `data_files` (so `load_dataset(DIR, "qa")` works), the
features and split sizes (`dataset_info`), the licence and the provenance of each stage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def dataset_card_template() -> Path:
    """Where ``dataset_card.md.jinja`` lives (package data `uas_hf.hub_cards`)."""
    from ..utils.templates import template_path

    return template_path("dataset_card.md.jinja")


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


_CAPTION_NOTES = {
    "analyzer": (
        "the offline acoustic analyzer: silero-vad voice activity, Praat (praat-parselmouth) F0, formants, HNR, "
        "jitter/shimmer and intensity, syllable-nuclei speaking rate, background level / SNR and onset-delimited "
        "sound segments outside speech. It writes what the signal shows and states what it cannot know."
    ),
    "transformers": "a local transformers audio-text-to-text model prompted to describe speaker and scene.",
    "openai": "a model behind an OpenAI-compatible server prompted to describe speaker and scene.",
}
_SYNTH_NOTES = {
    "rules": (
        "deterministic rules over the analyzer's measurements: gender from median F0 (threshold in the provenance), "
        "prosody from speaking rate and F0 variability, timbre from HNR and spectral tilt, events from measured "
        "segments. Age, emotion and accent are left null: no offline measurement supports them."
    ),
    "transformers": "a local LLM given the caption and the ground-truth transcript under the Fig. 6 rules.",
    "openai": "an LLM behind an OpenAI-compatible server given the caption and the transcript under the Fig. 6 rules.",
}
_LIMITATIONS = {
    "rules": (
        "Labels come from signal measurements, not from a trained classifier or a listener. Gender is a pitch cue "
        "(children's voices read as female); events are described by acoustic shape and time, not by source; "
        "sounds overlapping speech are not separated; emotion, accent and age are null."
    ),
}


def render_dataset_card(
    *,
    features: dict[str, Any],
    split_sizes: dict[str, dict[str, dict[str, int]]],
    summary: dict[str, Any],
    provenance: dict[str, Any],
    license: str = "other",
    license_note: str | None = None,
    pretty_name: str | None = None,
    repo_id: str = "path/to/this/folder",
    embed_audio: bool = True,
) -> str:
    """Render README.md for an annotate output folder.

    Args:
        features (`dict`): config name -> `datasets.Features`.
        split_sizes (`dict`): config -> split -> ``{"num_examples", "num_bytes"}``.
        summary (`dict`): the run's `summary.json` content.
        provenance (`dict`): stage provenance (`Captioner.provenance()`, `Synthesizer.provenance()`, source...).
        license (`str`, *optional*, defaults to `"other"`): SPDX id or Hub licence name of the output.
        license_note (`str`, *optional*): a sentence on where the licence comes from.
        pretty_name (`str`, *optional*): card title.
        repo_id (`str`, *optional*): id shown in the loading example.
        embed_audio (`bool`, *optional*, defaults to `True`): whether the Parquet files embed audio bytes.
    """
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCard, DatasetCardData

    counts = {k: summary.get(k, 0) for k in ("inputs", "accepted", "rejected", "qa_items")}
    configs, infos = [], {}
    for config_name, feats in features.items():
        sizes = split_sizes.get(config_name, {})
        data_files = [{"split": split, "path": f"{config_name}/{split}-*.parquet"} for split in sizes]
        if not data_files:
            continue
        entry = {"config_name": config_name, "data_files": data_files}
        if config_name == "uas":
            entry["default"] = True
        configs.append(entry)
        splits = SplitDict()
        for split, s in sizes.items():
            splits.add(SplitInfo(name=split, num_examples=s["num_examples"], num_bytes=s["num_bytes"]))
        infos[config_name] = DatasetInfo(
            features=feats,
            splits=splits,
            dataset_size=sum(s["num_bytes"] for s in sizes.values()),
            download_size=sum(s.get("download_size", 0) for s in sizes.values()),
        )
    source = provenance.get("source", {})
    source_name = Path(source.get("path", "source")).name
    card_data = DatasetCardData(
        license=license,
        pretty_name=pretty_name or f"UAS annotations of {source_name}",
        task_categories=["audio-text-to-text", "audio-classification"],
        tags=["audio", "paralinguistics", "unified-audio-schema", "uas-qa", "uas_hf"],
        size_categories=_size_category(max(counts["accepted"], 1)),
        configs=configs,
    )
    DatasetInfosDict(infos).to_dataset_card_data(card_data)

    cap, syn = provenance.get("caption", {}), provenance.get("synthesis", {})
    stages = [
        {"stage": "1 caption", "backend": cap.get("backend", "?"), "details": _stage_details(cap)},
        {"stage": "2 synthesis", "backend": syn.get("backend", "?"), "details": _stage_details(syn)},
        {"stage": "3 validation", "backend": "UASValidator", "details": "ground truth = source transcript"},
    ]
    reasons = sorted(summary.get("rejection_reasons", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    first_split = next(iter(split_sizes.get("uas", {}) or {"train": 0}))
    card = DatasetCard.from_template(
        card_data,
        template_path=str(dataset_card_template()),
        pretty_name=card_data.pretty_name,
        source={"kind": source.get("kind", "source"), "name": source_name},
        counts=counts,
        embed_audio=embed_audio,
        license=license,
        license_note=license_note,
        repo_id=repo_id,
        first_split=first_split,
        stages=stages,
        stage_notes={
            "caption": _CAPTION_NOTES.get(cap.get("backend"), "see provenance."),
            "synthesis": _SYNTH_NOTES.get(syn.get("backend"), "see provenance."),
        },
        qa_seed=summary.get("qa_seed"),
        rejection_reasons=reasons,
        limitations=_LIMITATIONS.get(
            syn.get("backend"),
            "Labels are model outputs filtered by rule-based validation, not human judgements; see the paper's "
            "human audit (App. A) for the accuracy such a pipeline reaches with strong models.",
        ),
        versions=provenance.get("versions", {}),
        provenance_json=json.dumps(provenance, indent=2, ensure_ascii=False, default=str),
    )
    return str(card)


def _stage_details(p: dict[str, Any]) -> str:
    bits = []
    for key in ("model_class", "model", "model_path", "vad", "description"):
        if p.get(key):
            bits.append(f"{key.replace('_', ' ')}: {p[key]}")
    for tool in p.get("tools", []):
        bits.append(f"{tool['name']} {tool.get('version') or ''} ({tool.get('license')})")
    return "; ".join(str(b).replace("|", "/") for b in bits) or "-"
