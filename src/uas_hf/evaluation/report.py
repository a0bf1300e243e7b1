"""Reports of an evaluation run: markdown tables, `model-index` entries and the Fig. 1b perception-vs-reasoning plot.

All of them are rendered from the `results.json` dict the runner writes, so they can be re-made from a saved run:

>>> import json
>>> results = json.load(open("out/results.json"))  # doctest: +SKIP
>>> print(render_markdown(results))  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any


# `model-index` task of the multiple-choice benchmarks; identical to `uas_hf.hub.cards` so card and file agree.
MC_TASK = ("audio-text-to-text", "Audio question answering")
ASR_TASK = ("automatic-speech-recognition", "Speech recognition (targeted prompt)")
UAS_TASK = ("audio-text-to-text", "Holistic UAS description")
# Published MMSU Perception / Reasoning accuracies (%), Tencent's pipeline (TENC README = paper Table 1), the grey
# reference points of Fig. 1b. Source: shared/specs/benchmarks.md §5.1.
PUBLISHED_MMSU = {
    "Kimi-Audio": (44.8, 75.7),
    "Qwen2.5-Omni": (42.7, 77.6),
    "Step-Audio2": (42.9, 73.2),
    "UAS-Audio (paper)": (55.7, 77.4),
}
# Label offsets (points) that keep the four close reference labels apart.
_LABEL_OFFSETS = {
    "Kimi-Audio": (6, -2),
    "Qwen2.5-Omni": (-8, 6),
    "Step-Audio2": (-6, -12),
    "UAS-Audio (paper)": (-10, 7),
}
AXIS_MARGIN = 8  # percentage points around the outermost point


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _top_field(result: Mapping[str, Any]) -> str | None:
    """The breakdown field a model card lists in its metadata: the benchmark's first native field."""
    breakdown = result.get("breakdown") or {}
    native = [f for f in (result.get("native_breakdown") or []) if f in breakdown]
    fields = native + [f for f in breakdown if f not in native]
    return fields[0] if fields else None


def eval_results(results: Mapping[str, Any]) -> list:
    """`huggingface_hub.EvalResult`s of a run: for MC benchmarks the overall accuracy and the top breakdown field per
    scoring (named as `uas_hf.hub` names them); for asr WER and CER; for uas validity, field accuracies, event F1
    and the transcription WER / CER."""
    from huggingface_hub import EvalResult

    dataset = results["dataset"]
    common = {
        "dataset_type": dataset["type"],
        "dataset_name": dataset["name"],
        "dataset_config": dataset.get("config"),
        "dataset_split": dataset.get("split"),
        "dataset_revision": dataset.get("revision"),
    }
    entries = []

    def add(task, metric_type, value, name, config=None):
        if _number(value):
            entries.append(
                EvalResult(
                    task_type=task[0],
                    task_name=task[1],
                    metric_type=metric_type,
                    metric_value=value,
                    metric_name=name,
                    metric_config=config,
                    **common,
                )
            )

    if "scorings" in results:
        for scoring, result in results["scorings"].items():
            if not _number(result.get("overall")):
                continue  # nothing counted (e.g. MMSU official with no readable letter): no entry, as the card
            add(MC_TASK, "accuracy", result["overall"], f"Accuracy ({scoring})", scoring)
            top = _top_field(result)
            for value_name, value in (result["breakdown"].get(top) or {}).items() if top else ():
                add(MC_TASK, "accuracy", value, f"Accuracy: {top}: {value_name} ({scoring})", scoring)
    elif results["benchmark"] == "asr":
        add(ASR_TASK, "wer", results["asr"]["wer"], "WER")
        add(ASR_TASK, "cer", results["asr"]["cer"], "CER")
    else:
        uas = results["uas"]
        add(UAS_TASK, "valid_json_rate", uas["valid_json_rate"], "Valid UAS JSON rate")
        for name, value in uas["field_accuracy"].items():
            add(UAS_TASK, "accuracy", value, f"Field accuracy: {name}")
        for name, value in uas["events"].items():
            add(UAS_TASK, "f1", value.get("f1"), f"Event F1: {name}")
        if results.get("transcription"):
            add(UAS_TASK, "wer", results["transcription"]["wer"], "Transcription WER (holistic)")
            add(UAS_TASK, "cer", results["transcription"]["cer"], "Transcription CER (holistic)")
    return entries


def model_index_entries(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The card's `model-index` block for this run (a list with one `{"name", "results"}` entry)."""
    from huggingface_hub.repocard_data import eval_results_to_model_index

    entries = eval_results(results)
    return eval_results_to_model_index(results["model"]["name"], entries) if entries else []


def render_model_index_yaml(results: Mapping[str, Any]) -> str:
    """YAML to paste into a model card's front matter."""
    import yaml

    return yaml.safe_dump({"model-index": results["model_index"]}, sort_keys=False, allow_unicode=True)


def _pct(value: Any) -> str:
    return f"{100 * value:.2f}" if _number(value) else "n/a"


def _mc_markdown(results: Mapping[str, Any]) -> list[str]:
    scorings = results["scorings"]
    names = list(scorings)
    pr = results.get("perception_reasoning", {})
    labels = pr.get("labels", ["perception", "reasoning"])
    lines = [
        f"| Scoring | Overall (%) | N | Unparseable | Excluded | {labels[0]} (%) | {labels[1]} (%) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        r = scorings[name]
        groups = pr.get(name, {})
        lines.append(
            f"| {name} ({r['scorer']['name']}, think={r['think']}) | {_pct(r['overall'])} | {r['n']} | "
            f"{r['unparseable']} | {r['excluded']} | {_pct(groups.get('perception', {}).get('accuracy'))} | "
            f"{_pct(groups.get('reasoning', {}).get('accuracy'))} |"
        )
    fields = list(dict.fromkeys(f for name in names for f in scorings[name].get("breakdown", {})))
    for field_name in fields:
        lines += [
            "",
            f"### By `{field_name}`",
            "",
            "| " + field_name + " | " + " | ".join(f"{n} (%)" for n in names) + " | N |",
        ]
        lines.append("|---|" + "---|" * len(names) + "---|")
        values = list(dict.fromkeys(v for n in names for v in scorings[n]["breakdown"].get(field_name, {})))
        for value in values:
            cells = [_pct(scorings[n]["breakdown"].get(field_name, {}).get(value)) for n in names]
            count = scorings[names[0]].get("breakdown_counts", {}).get(field_name, {}).get(value, {}).get("n", "")
            lines.append(f"| {value} | " + " | ".join(cells) + f" | {count} |")
    return lines


def _folder_markdown(results: Mapping[str, Any]) -> list[str]:
    if results["benchmark"] == "asr":
        a = results["asr"]
        return [
            "| Metric | Value |",
            "|---|---|",
            f"| WER (%) | {_pct(a['wer'])} |",
            f"| CER (%) | {_pct(a['cer'])} |",
            f"| Utterances | {a['n']} |",
            f"| Reference words | {a['reference_words']} |",
            f"| Empty responses | {results['unparseable']} |",
            f"| Normalisation | {a['language']} |",
        ]
    u = results["uas"]
    lines = [
        "| Metric | Value |",
        "|---|---|",
        f"| Valid UAS JSON (%) | {_pct(u['valid_json_rate'])} |",
        f"| Accepted by the Stage-3 validator (%) | {_pct(results['validator']['accept_rate'])} |",
        f"| Speech detection accuracy (%) | {_pct(u['speech_detection_accuracy'])} |",
        f"| Clips | {u['n']} |",
    ]
    for name, value in u["field_accuracy"].items():
        lines.append(f"| Field accuracy: {name} (%) | {_pct(value)} (n={u['field_n'].get(name)}) |")
    for name, value in u["events"].items():
        lines.append(f"| Event F1: {name} (%) | {_pct(value.get('f1'))} |")
    for name, value in (u.get("free_text_token_f1") or {}).items():
        lines.append(f"| Token F1: {name} (%) | {_pct(value)} |")
    t = results.get("transcription")
    if t:
        lines += [
            "",
            'Transcription field of the holistic output (the paper\'s Table 3 "holistic tax"; compare with the `asr` '
            "benchmark on the same split):",
            "",
            "| WER (%) | CER (%) | Utterances | Unparseable | No transcription |",
            "|---|---|---|---|---|",
            f"| {_pct(t['wer'])} | {_pct(t['cer'])} | {t['n']} | {t['unparseable']} | {t['no_transcription']} |",
        ]
    return lines


def render_markdown(results: Mapping[str, Any]) -> str:
    """`results.md`: headline table, breakdowns, data / model / generation provenance and timings."""
    data, model, gen, pred, timings = (
        results["data"],
        results["model"],
        results["generation"],
        results["predictions"],
        results["timings"],
    )
    lines = [f"# {results['benchmark']} · `{model['name']}`", ""]
    lines += _mc_markdown(results) if "scorings" in results else _folder_markdown(results)
    rate = timings.get("samples_per_s")
    lines += [
        "",
        "## Run",
        "",
        "| | |",
        "|---|---|",
        f"| Data | `{data['path']}` ({data.get('version', 'unknown')}; {data['n_items']} items; sha256 "
        f"`{data['sha256'][:12]}`) |",
        f"| Model | `{model['path']}` ({', '.join(model.get('architectures') or [])}; {model['dtype']} on "
        f"{model['device']}) |",
        f"| Prompt | `{gen['prompt_template']}`: `{gen['prompt_text']!r}` |",
        f"| Generation | greedy, max_new_tokens={gen['max_new_tokens']}, batch_size={gen['batch_size']}, "
        f"shards={gen['num_shards']} |",
        f"| Predictions | `{pred['path']}`: {pred['n']} ({pred['errors']} errors, {pred['empty']} empty, "
        f"{pred['truncated']} hit max_new_tokens) |",
        f"| Throughput | {rate if rate is not None else 'n/a'} samples/s over {timings['n_generated']} generated "
        f"({timings['generate_s']} s) |",
        f"| Versions | {', '.join(f'{k} {v}' for k, v in results['versions'].items() if v)} |",
        "",
    ]
    return "\n".join(lines)


def plot_perception_vs_reasoning(results: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Fig. 1b style: reasoning accuracy (y) against perception accuracy (x), one point per scoring.

    MMSU uses its `category` (Perception / Reasoning) and shows the published models as grey reference points; MMAU
    plots Information Extraction vs Reasoning, MMAR the Signal + Perception vs Semantic + Cultural layers (the axes
    say which).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    pr = results["perception_reasoning"]
    labels = pr["labels"]
    fig = Figure(figsize=(5.2, 4.4), dpi=120)
    ax = fig.add_subplot()
    points: list[tuple[float, float]] = []
    if results["benchmark"] == "mmsu":
        for name, (x, y) in PUBLISHED_MMSU.items():
            ax.scatter([x], [y], s=50, color="0.6", zorder=2)
            ax.annotate(
                name, (x, y), textcoords="offset points", xytext=_LABEL_OFFSETS[name], fontsize=7, color="0.35"
            )
            points.append((x, y))
        ax.text(
            0.99,
            0.01,
            "grey: published, Tencent pipeline (paper Table 1)",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=7,
            color="0.45",
        )
    markers = {"official": ("o", "tab:red"), "tencent": ("*", "tab:blue")}
    plotted = 0
    for scoring in results.get("scorings", {}):
        groups = pr.get(scoring, {})
        x = groups.get("perception", {}).get("accuracy")
        y = groups.get("reasoning", {}).get("accuracy")
        if not (_number(x) and _number(y)):
            continue
        marker, color = markers.get(scoring, ("s", "tab:green"))
        ax.scatter([100 * x], [100 * y], s=140, marker=marker, color=color, zorder=3, edgecolor="black", linewidth=0.5)
        ax.annotate(
            f"{results['model']['name']} ({scoring})",
            (100 * x, 100 * y),
            textcoords="offset points",
            xytext=(6, -10),
            fontsize=8,
            color=color,
        )
        plotted += 1
        points.append((100 * x, 100 * y))
    if not plotted:
        ax.text(
            0.5,
            0.5,
            "no scorable items in one of the groups",
            ha="center",
            va="center",
            fontsize=9,
            color="0.4",
            transform=ax.transAxes,
        )
    for axis, values in ((ax.set_xlim, [p[0] for p in points]), (ax.set_ylim, [p[1] for p in points])):
        # Zoom on the points (as Fig. 1b) in steps of 10, within 0-100.
        low = max(0, 10 * math.floor((min(values, default=0) - AXIS_MARGIN) / 10))
        high = min(100, 10 * math.ceil((max(values, default=100) + AXIS_MARGIN) / 10))
        axis(low, high)
    ax.set_xlabel(f"{labels[0]} accuracy (%)")
    ax.set_ylabel(f"{labels[1]} accuracy (%)")
    ax.set_title(f"{results['benchmark'].upper()}: {labels[1]} vs. {labels[0]}", fontsize=10)
    ax.grid(True, linestyle=":", linewidth=0.6)
    fig.tight_layout()
    fig.savefig(path)


__all__ = [
    "PUBLISHED_MMSU",
    "eval_results",
    "model_index_entries",
    "plot_perception_vs_reasoning",
    "render_markdown",
    "render_model_index_yaml",
]
