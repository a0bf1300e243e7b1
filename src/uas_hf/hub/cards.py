"""Render the Hub cards (model, dataset, metric, Space) from the `hub_cards/` templates and real run data.

Every renderer returns a `huggingface_hub` card object whose YAML metadata is built with the library's card-data
classes (`ModelCardData` with `EvalResult`s, `DatasetCardData`, `SpaceCardData`), so the saved `README.md` parses
back with `ModelCard.load` / `DatasetCard.load` / `SpaceCard.load`.
"""

import json
import os
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub import (
    EvalResult,
    ModelCard,
    ModelCardData,
    RepoCard,
    SpaceCard,
    SpaceCardData,
)

from .. import __version__
from .templates import template_path
from .training_summary import TRAINING_SUMMARY_FILE, TrainingSummary, installed_versions


PAPER_URL = "https://arxiv.org/abs/2604.12506"
CITATION = """@misc{uas2026,
  title         = {Unified Audio Schema (UAS) for perception-aware audio language models},
  year          = {2026},
  eprint        = {2604.12506},
  archivePrefix = {arXiv},
  url           = {https://arxiv.org/abs/2604.12506}
}"""
DEFAULT_LIMITATIONS = (
    "This is a small research model: expect errors on real-world audio, especially for emotion and discrete "
    "events (the fields human raters also find hardest, paper App. A).",
    "English only, clips up to 30 s; longer audio must be split.",
)
# `model-index` tasks, as `uas_hf.evaluation.report` names them (a card and the runner's model-index.yaml agree):
# multiple-choice benchmarks by default, ASR and holistic UAS runs by benchmark name.
MC_TASK = ("audio-text-to-text", "Audio question answering")
EVAL_TASKS = {
    "asr": ("automatic-speech-recognition", "Speech recognition (targeted prompt)"),
    "uas": ("audio-text-to-text", "Holistic UAS description"),
}
METRIC_NAMES = {
    "accuracy": "Accuracy",
    "wer": "WER",
    "cer": "CER",
    "f1": "F1",
    "valid_json_rate": "Valid UAS JSON rate",
}
# Breakdown fields whose every value is its own metric: field -> (metric type of a value, name of a value).
_METRIC_BREAKDOWNS = {
    "error_rate": (lambda k: k, lambda k: k.upper()),
    "field_accuracy": (lambda k: "accuracy", lambda k: f"Field accuracy: {k}"),
    "events_f1": (lambda k: "f1", lambda k: f"Event F1: {k}"),
    "transcription": (lambda k: k, lambda k: f"Transcription {k.upper()} (holistic)"),
}


@dataclass
class EvaluationFile:
    """One evaluation result file, as written by the evaluation runner / `uas-hf score`.

    Required keys: ``overall`` (the headline value, reported as stored) and ``n``. Optional: ``metric`` (the headline's
    metric type, defaults to ``"accuracy"``; ``"wer"``, ``"valid_json_rate"``, ...), ``benchmark`` (else the file
    name's stem), ``scoring``, ``unparseable``, ``breakdown`` (``{field: {value: number}}`` as the scorers write it,
    or flat ``{name: number | {"accuracy", "n"}}``), ``dataset`` (``{"type", "name", "config", "split",
    "revision"}``, the `model-index` dataset).
    """

    benchmark: str
    overall: float
    n: int
    metric: str = "accuracy"
    scoring: str | None = None
    unparseable: int | None = None
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    dataset_type: str = ""
    dataset_name: str = ""
    dataset_config: str | None = None
    dataset_split: str | None = None
    dataset_revision: str | None = None
    source: str | None = None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], *, source: str | None = None, default_name: str | None = None):
        where = f"`{source}`" if source else "the evaluation result"
        if not isinstance(obj, Mapping):
            raise ValueError(f"{where} must be a JSON object; got {type(obj).__name__}.")
        for key in ("overall", "n"):
            if key not in obj:
                raise ValueError(f"{where} has no `{key}`; expected the output of `uas-hf score` / the eval runner.")
        overall, n = obj["overall"], obj["n"]
        if overall is None:
            raise ValueError(f"{where}: `overall` is null (nothing was scored, n={n!r}); re-run the evaluation.")
        if isinstance(overall, bool) or not isinstance(overall, (int, float)):
            raise ValueError(f"{where}: `overall` must be a number; got {overall!r}.")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{where}: `n` must be a non-negative integer; got {n!r}.")
        benchmark = str(obj.get("benchmark") or default_name or "evaluation")
        dataset = obj.get("dataset") if isinstance(obj.get("dataset"), Mapping) else {}
        return cls(
            benchmark=benchmark,
            overall=overall,
            n=n,
            metric=str(obj.get("metric") or "accuracy"),
            scoring=obj.get("scoring"),
            unparseable=obj.get("unparseable"),
            breakdown=_breakdown_rows(obj.get("breakdown"), obj.get("breakdown_counts"), obj.get("native_breakdown")),
            dataset_type=str(dataset.get("type") or benchmark.lower()),
            dataset_name=str(dataset.get("name") or benchmark.upper()),
            dataset_config=dataset.get("config") or obj.get("config"),
            dataset_split=dataset.get("split") or obj.get("split"),
            dataset_revision=dataset.get("revision"),
            source=source,
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "EvaluationFile":
        path = Path(path)
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ValueError(f"`{path}` is not valid JSON ({e.msg} at line {e.lineno}).") from e
        return cls.from_dict(obj, source=path.name, default_name=path.stem.split(".")[0])

    @property
    def metric_label(self) -> str:
        return METRIC_NAMES.get(self.metric, self.metric.replace("_", " ").capitalize())

    def to_eval_results(self) -> list[EvalResult]:
        """The `model-index` entries, named as `uas_hf.evaluation.report.eval_results` names them: the headline value,
        then the benchmark's top-level breakdown (MC benchmarks), or every per-metric breakdown (ASR / UAS runs)."""
        task_type, task_name = EVAL_TASKS.get(self.benchmark, MC_TASK)
        common = {
            "task_type": task_type,
            "task_name": task_name,
            "dataset_type": self.dataset_type,
            "dataset_name": self.dataset_name,
            "dataset_config": self.dataset_config,
            "dataset_split": self.dataset_split,
            "dataset_revision": self.dataset_revision,
            "metric_config": self.scoring,
        }
        scoring = f" ({self.scoring})" if self.scoring else ""
        entries = [(self.metric, self.overall, f"{self.metric_label}{scoring}")]
        # Only the first (the benchmark's own top-level) breakdown goes into the metadata; the card shows them all.
        top_field = self.breakdown[0]["field"] if self.breakdown else None
        for row in self.breakdown:
            if row["field"] in _METRIC_BREAKDOWNS:
                metric_type, metric_name = (f(row["key"]) for f in _METRIC_BREAKDOWNS[row["field"]])
                entries.append((metric_type, row["value"], metric_name))
            elif row["field"] == top_field:
                entries.append((self.metric, row["value"], f"{self.metric_label}: {row['name']}{scoring}"))
        results, seen = [], set()
        for metric_type, value, name in entries:
            if (metric_type, value) in seen and name == METRIC_NAMES.get(metric_type):
                continue  # an ASR headline WER repeated in its error_rate breakdown
            seen.add((metric_type, value))
            results.append(EvalResult(metric_type=metric_type, metric_value=value, metric_name=name, **common))
        return results


def _breakdown_rows(breakdown: Any, counts: Any = None, native: Any = None) -> list[dict[str, Any]]:
    """Flatten a scorer breakdown into table rows ``{"name", "value", "n", "field"}``.

    Accepts the scorers' nested form ``{field: {value: fraction}}`` (with ``breakdown_counts`` ``{field: {value:
    {"correct", "n"}}}`` and ``native_breakdown``, the fields the original benchmark reports, listed first) and the flat
    forms ``{name: fraction}`` / ``{name: {"accuracy": fraction, "n": count}}``.
    """
    if not isinstance(breakdown, Mapping):
        return []
    counts = counts if isinstance(counts, Mapping) else {}
    rows = []

    def add(name, value, n, field_name, key):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append(
                {"name": str(name), "value": value, "n": "" if n is None else n, "field": field_name, "key": str(key)}
            )

    fields = [f for f in (native or []) if f in breakdown] + [f for f in breakdown if f not in (native or [])]
    for key in fields:
        value = breakdown[key]
        if isinstance(value, Mapping) and not any(k in value for k in _SCORE_KEYS):
            for sub, fraction in value.items():
                cell = counts.get(key, {}).get(sub, {}) if isinstance(counts.get(key), Mapping) else {}
                add(f"{key}: {sub}", fraction, cell.get("n") if isinstance(cell, Mapping) else None, key, sub)
        elif isinstance(value, Mapping):
            add(key, next(value[k] for k in _SCORE_KEYS if k in value), value.get("n"), None, key)
        else:
            add(key, value, None, None, key)
    return rows


_SCORE_KEYS = ("accuracy", "overall", "acc", "score")


def load_evaluations(sources: Iterable[str | os.PathLike | Mapping[str, Any]]) -> list[EvaluationFile]:
    """Read evaluation result files (paths) or already-loaded result dicts."""
    evaluations = []
    for source in sources:
        if isinstance(source, Mapping):
            evaluations.append(EvaluationFile.from_dict(source))
        else:
            evaluations.append(EvaluationFile.load(source))
    return evaluations


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def safetensors_parameter_count(model_dir: str | os.PathLike) -> int | None:
    """Number of parameters stored in ``model_dir``'s safetensors files, read from their headers only."""
    total, found = 0, False
    for path in sorted(Path(model_dir).glob("*.safetensors")):
        with open(path, "rb") as f:
            (header_len,) = struct.unpack("<Q", f.read(8))  # safetensors: u64 little-endian header size, then JSON
            header = json.loads(f.read(header_len))
        for name, info in header.items():
            if name != "__metadata__":
                count = 1
                for dim in info["shape"]:
                    count *= dim
                total += count
                found = True
    return total if found else None


def _architecture_rows(config: Mapping[str, Any] | None, n_params: int | None) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if config:
        if config.get("architectures"):
            rows.append(("Architecture", ", ".join(config["architectures"])))
        if config.get("model_type"):
            rows.append(("Model type", f"`{config['model_type']}`"))
        for key, label in (("audio_config", "Audio encoder"), ("text_config", "Language model")):
            sub = config.get(key)
            if isinstance(sub, Mapping):
                parts = [f"`{sub.get('model_type', '?')}`"]
                for dim_key, dim_label in (
                    ("d_model", "width"),
                    ("hidden_size", "width"),
                    ("encoder_layers", "layers"),
                    ("num_hidden_layers", "layers"),
                    ("vocab_size", "vocab"),
                ):
                    if dim_key in sub and not (dim_key == "vocab_size" and key == "audio_config"):
                        parts.append(f"{dim_label} {sub[dim_key]}")
                rows.append((label, ", ".join(parts)))
        if config.get("projector_type"):
            rows.append(
                ("Projector", f"{config['projector_type']} (downsample x{config.get('downsample_factor', 1)})")
            )
    if n_params is not None:
        rows.append(("Parameters", f"{n_params:,} ({n_params / 1e6:.2f} M)"))
    return rows or [("Architecture", "UAS-Audio (audio encoder → projector → causal LM)")]


def _stage_view(stage) -> dict[str, Any]:
    trainable = stage.trainable or ""
    if stage.num_trainable_parameters is not None:
        trainable = f"{trainable} ({stage.num_trainable_parameters:,})".strip()
    runtime = stage.metrics.get("train_runtime")
    view = dict(vars(stage))
    view["trainable_text"] = trainable
    view["runtime_text"] = f"{float(runtime):.0f} s" if isinstance(runtime, (int, float)) else ""
    return view


def render_model_card(
    *,
    model_name: str,
    repo_id: str,
    model_dir: str | os.PathLike | None = None,
    evaluations: Sequence[str | os.PathLike | Mapping[str, Any]] = (),
    training_summary: str | os.PathLike | Mapping[str, Any] | TrainingSummary | None = None,
    datasets: Sequence[str] = (),
    base_model: str | None = None,
    license: str = "apache-2.0",
    summary: str | None = None,
    limitations: Sequence[str] = DEFAULT_LIMITATIONS,
) -> ModelCard:
    """Render the model card of a UAS-Audio folder.

    Args:
        model_name (`str`): the title and the `model-index` name.
        repo_id (`str`): the Hub repository the card is for (used in the usage snippet).
        model_dir (`str` or `os.PathLike`, *optional*):
            the saved model folder; its `config.json` and safetensors headers fill the architecture table, and its
            `training_summary.json` is used when ``training_summary`` is not given.
        evaluations (`Sequence`, *optional*):
            evaluation result files (or loaded dicts) with ``overall``, ``n`` and optionally ``benchmark``,
            ``scoring``, ``unparseable``, ``breakdown``, ``dataset``; each becomes `model-index` entries.
        training_summary (*optional*): a `training_summary.json` path, its dict, or a `TrainingSummary`.
        datasets (`Sequence[str]`, *optional*): Hub ids of the training datasets (card metadata).
        base_model (`str`, *optional*): overrides the summary's ``base_model``.
        license (`str`, *optional*, defaults to `"apache-2.0"`): the licence identifier.
        summary (`str`, *optional*): the paragraph under the title.
        limitations (`Sequence[str]`, *optional*): extra bullet points for the limitations section.

    Example:

    >>> card = render_model_card(model_name="uas-audio-tiny", repo_id="me/uas-audio-tiny",
    ...     evaluations=[{"benchmark": "mmsu", "overall": 0.31, "n": 100, "scoring": "official"}])
    >>> card.data.eval_results[0].metric_value
    0.31
    """
    model_dir = Path(model_dir) if model_dir is not None else None
    config = _read_json(model_dir / "config.json") if model_dir else None
    if isinstance(training_summary, TrainingSummary):
        run = training_summary
    elif isinstance(training_summary, Mapping):
        run = TrainingSummary.from_dict(training_summary)
    elif training_summary is not None:
        run = TrainingSummary.load(training_summary)
    elif model_dir is not None and (model_dir / TRAINING_SUMMARY_FILE).is_file():
        run = TrainingSummary.load(model_dir / TRAINING_SUMMARY_FILE)
    else:
        run = TrainingSummary()
    evals = load_evaluations(evaluations)
    base_model = base_model or run.base_model
    eval_results = [r for e in evals for r in e.to_eval_results()]
    card_data = ModelCardData(
        model_name=model_name,
        license=license,
        language=["en"],
        library_name="transformers",
        pipeline_tag="audio-text-to-text",
        tags=["audio", "audio-language-model", "unified-audio-schema", "uas", "uas_hf", "paralinguistics"],
        datasets=list(datasets) or None,
        base_model=base_model,
        metrics=["accuracy"] if eval_results else None,
        eval_results=eval_results or None,
    )
    stages = [_stage_view(s) for s in run.stages]
    hyperparameter_keys = list(dict.fromkeys(k for s in run.stages for k in s.hyperparameters))
    versions = run.versions or installed_versions()
    versions.setdefault("uas_hf", __version__)
    n_params = safetensors_parameter_count(model_dir) if model_dir else None
    return ModelCard.from_template(
        card_data,
        template_path=str(template_path("model_card.md.jinja")),
        model_name=model_name,
        repo_id=repo_id,
        summary=summary
        or f"`{model_name}` is a UAS-Audio model: an audio encoder, a projector and a causal language model trained "
        "to describe audio in the Unified Audio Schema and to answer targeted questions about it.",
        architecture=_architecture_rows(config, n_params),
        remote_code=bool((config or {}).get("auto_map")),
        base_model=base_model,
        license=license,
        versions=versions,
        hardware=run.hardware,
        stages=stages,
        hyperparameter_keys=hyperparameter_keys,
        evaluations=evals,
        limitations=list(limitations),
        paper_url=PAPER_URL,
        citation=CITATION,
    )


def render_metric_card(
    *,
    name: str,
    description: str,
    inputs: Mapping[str, str],
    outputs: Mapping[str, str],
    example: str,
    repo_id: str | None = None,
    limitations: Sequence[str] = (),
    citation: str = CITATION,
    license: str = "apache-2.0",
) -> RepoCard:
    """Render the README of an `evaluate` metric module (a Space on the Hub, loadable with `evaluate.load`).

    Args:
        name (`str`): the metric's name (e.g. ``"uas_schema"``).
        description (`str`): what it measures, a paragraph.
        inputs (`Mapping[str, str]`): argument name -> description of `compute()`'s inputs.
        outputs (`Mapping[str, str]`): result key -> description.
        example (`str`): a Python snippet computing the metric.
        repo_id (`str`, *optional*): the Hub id, for the `evaluate.load` line (defaults to the local folder form).
        limitations (`Sequence[str]`, *optional*): bullet points.
        citation (`str`, *optional*): BibTeX.
        license (`str`, *optional*, defaults to `"apache-2.0"`): the licence identifier.

    >>> card = render_metric_card(name="uas_schema", description="Checks UAS JSON.", inputs={"predictions": "UAS"},
    ...     outputs={"valid_rate": "share of valid JSON"}, example="m.compute(predictions=[...])")
    >>> card.data.sdk
    'gradio'
    """
    card_data = SpaceCardData(
        title=name,
        sdk="gradio",
        sdk_version=_gradio_version(),
        app_file="app.py",
        license=license,
        tags=["evaluate", "metric", "uas_hf"],
        emoji="📏",
        colorFrom="indigo",
        colorTo="blue",
        pinned=False,
        short_description=description.split(".")[0][:60],
    )
    return SpaceCard.from_template(
        card_data,
        template_path=str(template_path("metric_card.md.jinja")),
        name=name,
        description=description,
        inputs=dict(inputs),
        outputs=dict(outputs),
        example=example,
        load_id=repo_id or name,
        limitations=list(limitations),
        citation=citation,
    )


def _gradio_version() -> str:
    versions = installed_versions(("gradio",))
    return versions.get("gradio", "6.31.0")


def render_space_card(
    *,
    title: str = "UAS Audio Demo",
    models: Sequence[str] = (),
    datasets: Sequence[str] = (),
    license: str = "apache-2.0",
    sdk_version: str | None = None,
) -> SpaceCard:
    """Render the README (Space YAML + description) of the UAS-Audio demo Space.

    Args:
        title (`str`, *optional*): the Space title.
        models (`Sequence[str]`, *optional*): Hub ids of the models the Space loads.
        datasets (`Sequence[str]`, *optional*): Hub ids of the datasets it uses.
        license (`str`, *optional*, defaults to `"apache-2.0"`): the licence identifier.
        sdk_version (`str`, *optional*): the gradio version (defaults to the installed one).

    >>> card = render_space_card()
    >>> card.data.sdk, card.data.app_file
    ('gradio', 'app.py')
    """
    card_data = SpaceCardData(
        title=title,
        sdk="gradio",
        sdk_version=sdk_version or _gradio_version(),
        python_version="3.11",
        app_file="app.py",
        license=license,
        models=list(models) or None,
        datasets=list(datasets) or None,
        tags=["audio", "unified-audio-schema", "uas_hf", "human-evaluation"],
        emoji="🎧",
        colorFrom="indigo",
        colorTo="purple",
        pinned=False,
        short_description="Describe audio as UAS JSON, ask about it, audit it",
    )
    return SpaceCard.from_template(
        card_data,
        template_path=str(template_path("space_card.md.jinja")),
        title=title,
        models=list(models),
        datasets=list(datasets),
        paper_url=PAPER_URL,
    )


__all__ = [
    "CITATION",
    "EvaluationFile",
    "load_evaluations",
    "render_metric_card",
    "render_model_card",
    "render_space_card",
    "safetensors_parameter_count",
]
