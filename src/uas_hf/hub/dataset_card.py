"""The Hub dataset card of an `uas-hf annotate` folder, for `uas-hf push dataset`.

The body is the pipeline's own card (`uas_hf.pipeline.card.render_dataset_card`, template
`hub_cards/dataset_card.md.jinja`: configs, features, sizes, stage provenance), re-rendered for the target repository
id, plus a "Sources, licences and attribution" section (`hub_cards/dataset_attribution.md.jinja`) that carries the
source corpus's `ATTRIBUTION.md` and the licence of every tool that touched the data.
"""

import json
import os
from pathlib import Path
from typing import Any

import jinja2
from huggingface_hub import DatasetCard

from .templates import template_path


# Data files of an annotate folder (the Parquet configs its README lists).
DATA_GLOBS = ("uas/*.parquet", "qa/*.parquet")
ATTRIBUTION_FILE = "ATTRIBUTION.md"


def _features_and_sizes(dataset_dir: Path) -> tuple[dict[str, Any], dict[str, dict[str, dict[str, int]]]]:
    """Features and split sizes from the folder's card YAML (`dataset_info`), else from the Parquet files."""
    from datasets import Features
    from datasets.info import DatasetInfosDict

    features: dict[str, Any] = {}
    sizes: dict[str, dict[str, dict[str, int]]] = {}
    readme = dataset_dir / "README.md"
    if readme.is_file():
        for name, info in DatasetInfosDict.from_dataset_card_data(DatasetCard.load(readme).data).items():
            if info.features is not None and info.splits:
                features[name] = info.features
                sizes[name] = {
                    split: {"num_examples": s.num_examples, "num_bytes": s.num_bytes}
                    for split, s in info.splits.items()
                }
    if features:
        return features, sizes
    import pyarrow.parquet as pq

    for pattern in DATA_GLOBS:
        for path in sorted(dataset_dir.glob(pattern)):
            config, split = path.parent.name, path.name.split("-")[0]
            meta = pq.read_metadata(path)
            features.setdefault(config, Features.from_arrow_schema(meta.schema.to_arrow_schema()))
            cell = sizes.setdefault(config, {}).setdefault(split, {"num_examples": 0, "num_bytes": 0})
            cell["num_examples"] += meta.num_rows
            cell["num_bytes"] += path.stat().st_size
    return features, sizes


def card_provenance(dataset_dir: Path) -> dict[str, Any]:
    """The ``provenance`` recorded in the folder's `summary.json` (empty when missing)."""
    try:
        return json.loads((Path(dataset_dir) / "summary.json").read_text(encoding="utf-8")).get("provenance") or {}
    except (OSError, json.JSONDecodeError, AttributeError):
        return {}


def find_attribution(dataset_dir: Path, provenance: dict[str, Any]) -> Path | None:
    """`ATTRIBUTION.md` in the folder itself, else in the annotate source folder named by the provenance."""
    candidates = [dataset_dir / ATTRIBUTION_FILE]
    source_path = (provenance.get("source") or {}).get("path")
    if source_path:
        candidates.append(Path(source_path) / ATTRIBUTION_FILE)
    return next((c for c in candidates if c.is_file()), None)


def _tools(provenance: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for stage in ("caption", "synthesis"):
        p = provenance.get(stage) or {}
        for tool in p.get("tools") or []:
            rows.append({"stage": stage, **tool})
        if p.get("backend") and not p.get("tools"):
            rows.append({"stage": stage, "name": f"uas_hf `{p['backend']}`", "license": "Apache-2.0"})
    versions = provenance.get("versions") or {}
    rows.append(
        {
            "stage": "validation",
            "name": "uas_hf UASValidator",
            "version": versions.get("uas_hf"),
            "license": "Apache-2.0",
        }
    )
    return rows


def _demote_headings(markdown: str) -> str:
    """Nest the attribution file's headings under the card's section (``# X`` -> ``### X``)."""
    lines = [f"##{line}" if line.startswith("#") else line for line in markdown.strip().splitlines()]
    return "\n".join(lines)


def render_dataset_card(
    dataset_dir: str | os.PathLike,
    *,
    repo_id: str,
    attribution: str | os.PathLike | None = None,
    license: str | None = None,
    license_note: str | None = None,
    pretty_name: str | None = None,
) -> DatasetCard:
    """Render the card of an annotate output folder for the Hub repository ``repo_id``.

    Args:
        dataset_dir (`str` or `os.PathLike`): the `uas-hf annotate --out` folder (needs `summary.json`).
        repo_id (`str`): the dataset repository (used in the loading example).
        attribution (`str` or `os.PathLike`, *optional*):
            the source corpus's `ATTRIBUTION.md`; found automatically in the folder or the annotate source folder.
        license (`str`, *optional*): overrides the licence the annotate job recorded.
        license_note (`str`, *optional*): overrides where the licence comes from.
        pretty_name (`str`, *optional*): the card title.

    Returns:
        `DatasetCard`: YAML with `configs` (Parquet `data_files`), `dataset_info` (features, split sizes), licence.
    """
    from ..pipeline.card import render_dataset_card as render_pipeline_card

    dataset_dir = Path(dataset_dir)
    summary_path = dataset_dir / "summary.json"
    if not summary_path.is_file():
        raise FileNotFoundError(
            f"`{dataset_dir}` has no summary.json; pass a folder written by `uas-hf annotate --out DIR`."
        )
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    provenance = summary.get("provenance") or {}
    job = provenance.get("job") or {}
    license = license or job.get("license") or "other"
    license_note = license_note or job.get("license_note")
    features, sizes = _features_and_sizes(dataset_dir)
    body = render_pipeline_card(
        features=features,
        split_sizes=sizes,
        summary=summary,
        provenance=provenance,
        license=license,
        license_note=license_note,
        pretty_name=pretty_name,
        repo_id=repo_id,
        embed_audio=bool(summary.get("embed_audio", True)),
    )
    attribution_path = Path(attribution) if attribution else find_attribution(dataset_dir, provenance)
    if attribution and not attribution_path.is_file():
        raise FileNotFoundError(f"`attribution` file {str(attribution_path)!r} does not exist.")
    source = provenance.get("source") or {}
    template = jinja2.Template(template_path("dataset_attribution.md.jinja").read_text(encoding="utf-8"))
    section = template.render(
        source_kind=source.get("kind", "source"),
        source_name=Path(source.get("path", "source")).name,
        license=license,
        license_note=license_note,
        tools=_tools(provenance),
        attribution=_demote_headings(attribution_path.read_text(encoding="utf-8")) if attribution_path else None,
    )
    return DatasetCard(body.rstrip() + "\n\n" + section.strip() + "\n")
