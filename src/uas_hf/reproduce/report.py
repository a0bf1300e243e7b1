"""`docs/results/`: the table, the Fig. 1b-style and Fig. 4-style plots, and `ablation.json` (issue 8's shape)."""

import json
import os
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..utils.logging import get_logger
from .scoring import bootstrap_ci


logger = get_logger(__name__)

ABLATION_FILE = "ablation.json"
DETAILS_FILE = "details.json"
TABLE_FILE = "README.md"
FIG_PERCEPTION = "perception_vs_reasoning.png"
FIG_ABLATION = "ablation.png"
ARM_LABELS = {
    "asr": "ASR only",
    "asr_uas": "ASR + UAS",
    "asr_qa": "ASR + UAS-QA",
    "asr_uas_qa": "ASR + UAS + UAS-QA",
    "asr_caption": "ASR + caption",
}


def pooled_ci(per_seed: Sequence[Mapping[str, Any]], group: str, *, seed: int = 0) -> dict[str, Any]:
    """One accuracy + CI over seeds: items of every seed pooled, whole clips resampled (a clip keeps all its seeds)."""
    correct, clusters = [], []
    for run in per_seed:
        for item in run["items"]:
            if group == "all" or item["category"] == group or item["task_name"] == group:
                correct.append(item["correct"])
                clusters.append(item["cluster"])
    return bootstrap_ci(correct, clusters, seed=seed)


def paired_delta(
    per_seed_a: Sequence[Mapping[str, Any]], per_seed_b: Sequence[Mapping[str, Any]], group: str, *, seed: int = 0
) -> dict[str, Any]:
    """Accuracy of arm A minus arm B on the same items and seeds, with a 95 % interval resampling whole clips.

    Both arms answer the same questions, so the paired difference (per item and seed: +1, 0 or -1) has a much
    narrower interval than two separate intervals suggest. Items only one arm has are left out.
    """
    b_items = {
        (run["seed"], item["id"]): item["correct"]
        for run in per_seed_b
        for item in run["items"]
        if group == "all" or item["category"] == group or item["task_name"] == group
    }
    diffs, clusters = [], []
    for run in per_seed_a:
        for item in run["items"]:
            key = (run["seed"], item["id"])
            if key in b_items:
                diffs.append(float(item["correct"]) - float(b_items[key]))
                clusters.append(item["cluster"])
    stats = bootstrap_ci(diffs, clusters, seed=seed)
    return {"delta": stats["acc"], "ci": stats["ci"], "n": stats["n"]}


def _mean(values):
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def ablation_summary(runs: Mapping[str, Sequence[Mapping[str, Any]]], *, command: str, seeds, versions) -> dict:
    """`{"arms": {ARM: {"perception": {"acc", "ci", "n"}, "reasoning": {...}, "cer_targeted", "cer_holistic"}}, ...}`.

    ``runs`` maps an arm to its per-seed results (`items` with `correct`, `category`, `task_name`, `cluster`; and
    `cer_targeted`, `cer_holistic`, `letter_accuracy`). Accuracies pool the seeds; CERs are seed means.
    """
    arms = {}
    for arm, per_seed in runs.items():
        entry = {}
        for name, group in (("perception", "Perception"), ("reasoning", "Reasoning")):
            stats = pooled_ci(per_seed, group)
            entry[name] = {"acc": stats["acc"], "ci": stats["ci"], "n": stats["n"]}
        entry["cer_targeted"] = _mean(r.get("cer_targeted") for r in per_seed)
        entry["cer_holistic"] = _mean(r.get("cer_holistic") for r in per_seed)
        arms[arm] = entry
    return {"arms": arms, "command": command, "seed": list(seeds), "versions": dict(versions)}


def details_summary(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """What `ablation.json` (issue 8's exact shape) leaves out: letter accuracy, per-seed and per-type accuracy."""
    return {
        arm: {
            "letter_accuracy": _mean(r.get("letter_accuracy") for r in per_seed),
            "letter_unparseable": [r.get("letter_unparseable") for r in per_seed],
            "per_seed": {
                str(r["seed"]): {k: r["summary"][k]["acc"] for k in ("perception", "reasoning")} for r in per_seed
            },
            "by_type": {task: pooled_ci(per_seed, task) for task in question_types({arm: per_seed})},
            "train": [r.get("train") for r in per_seed],
            "qa_probe": _probe_details(per_seed),
            "vs_asr": (
                {
                    group: paired_delta(per_seed, runs["asr"], group.capitalize())
                    for group in ("perception", "reasoning")
                }
                if "asr" in runs and arm != "asr"
                else None
            ),
        }
        for arm, per_seed in runs.items()
    }


def _probe_details(per_seed: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The in-distribution UAS-QA probe (`uas_hf.reproduce.qa_probe`), seeds pooled: overall and per field."""
    probes = [r["qa_probe"] for r in per_seed if r.get("qa_probe")]
    if not probes:
        return None
    items = [item for probe in probes for item in probe["items"]]
    fields = sorted({item["task_name"] for item in items})

    def majority(selected) -> float | None:
        answers = Counter(item.get("answer") for item in selected)
        return answers.most_common(1)[0][1] / len(selected) if selected and None not in answers else None

    return {
        "overall": pooled_ci(probes, "all"),
        "chance": statistics.fmean(1 / item["n_options"] for item in items) if items else None,
        "by_field": {field: pooled_ci(probes, field) for field in fields},
        "majority": {field: majority([i for i in items if i["task_name"] == field]) for field in fields},
    }


def question_types(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    return sorted({item["task_name"] for per_seed in runs.values() for r in per_seed for item in r["items"]})


def _delta_text(delta: Mapping[str, Any], unit: str = "") -> str:
    """``"+1.4 [-0.4, +3.2]"``: a paired difference and its interval, in points (``unit`` follows the value)."""
    lo, hi = delta["ci"]
    return f"{100 * delta['delta']:+.1f}{unit} [{100 * lo:+.1f}, {100 * hi:+.1f}]"


def _excludes_zero(delta: Mapping[str, Any]) -> bool:
    return delta.get("delta") is not None and (delta["ci"][0] > 0 or delta["ci"][1] < 0)


def verdict(delta: Mapping[str, Any]) -> str:
    """How a paired difference reads: above zero, below zero, or not told apart from zero at 95 %."""
    if delta.get("delta") is None:
        return "not measured"
    lo, hi = delta["ci"]
    text = _delta_text(delta, " points")
    if lo > 0:
        return f"{text}: higher, the interval excludes zero"
    if hi < 0:
        return f"{text}: lower, the interval excludes zero"
    return f"{text}: not told apart from zero"


def answers(details: Mapping[str, Any], order: Sequence[str]) -> list[str]:
    """The questions issue 8 asks of the run, answered from the paired differences (written, not hand-edited)."""
    lines = ["", "## Answers (from the paired differences above)", ""]
    full = details.get("asr_uas_qa", {}).get("vs_asr")
    if full:
        lines.append(f"- ASR + UAS + UAS-QA vs ASR only, perception: {verdict(full['perception'])}.")
        lines.append(f"- Reasoning, same comparison: {verdict(full['reasoning'])}.")
    resolved = [
        ARM_LABELS.get(arm, arm)
        for arm in order
        if details[arm].get("vs_asr") and _excludes_zero(details[arm]["vs_asr"]["perception"])
    ]
    lines.append(
        "- Order of the arms by perception: " + " > ".join(ARM_LABELS.get(a, a) for a in order) + "; "
        + (f"told apart from ASR only at 95 %: {', '.join(resolved)}." if resolved
           else "no arm is told apart from ASR only at 95 %, so the order is within noise.")
    )  # fmt: skip
    return lines


def _fmt(stats: Mapping[str, Any]) -> str:
    if stats.get("acc") is None:
        return "–"
    lo, hi = stats["ci"]
    return f"{100 * stats['acc']:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"


def write_results(
    results_dir: str | os.PathLike,
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    command: str,
    seeds: Sequence[int],
    versions: Mapping[str, str],
    run_time: Mapping[str, float],
    encoder: Mapping[str, Any] | None = None,
    benchmark: Mapping[str, Any] | None = None,
    eval_split: str = "test",
) -> dict[str, Path]:
    """Write `ablation.json`, `README.md` (tables) and the two plots into ``results_dir``."""
    out = Path(results_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = ablation_summary(runs, command=command, seeds=seeds, versions=versions)
    (out / ABLATION_FILE).write_text(json.dumps(summary, indent=2))
    details = details_summary(runs)
    (out / DETAILS_FILE).write_text(
        json.dumps({"arms": details, "run_time_seconds": dict(run_time), "encoder": encoder, "benchmark": benchmark},
                   indent=2, default=str)
    )  # fmt: skip
    types = question_types(runs)
    lines = [
        "# UAS ablation at micro scale (issue 8)",
        "",
        f"Command: `{command}`  ",
        f"Seeds: {list(seeds)}  ",
        f"Evaluated on: the {eval_split} split's micro-benchmark  ",
        f"Run time: {json.dumps({k: round(v) for k, v in run_time.items()})} s  ",
        f"Versions: {json.dumps(dict(versions))}",
        "",
        *(
            ["Interpretation of this run, by hand: [analysis.md](analysis.md).", ""]
            if (out / "analysis.md").is_file()
            else []
        ),  # fmt: skip
        "Primary metric: option likelihood (the option whose text the model finds most probable). 95 % bootstrap",
        "intervals resample whole clips (seeds pooled). Letter accuracy: the MMSU scorer on generated answers.",
        "",
        "| arm | perception | reasoning | letter acc. | CER targeted | CER holistic |",
        "|---|---|---|---|---|---|",
    ]
    for arm, entry in summary["arms"].items():
        cells = [ARM_LABELS.get(arm, arm), _fmt(entry["perception"]), _fmt(entry["reasoning"])]
        for key in ("letter_accuracy", "cer_targeted", "cer_holistic"):
            value = details[arm][key] if key == "letter_accuracy" else entry.get(key)
            cells.append("–" if value is None else f"{100 * value:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    if "asr" in runs and len(runs) > 1:
        lines += ["", "## Paired differences from ASR only (points, 95 % CI)", "",
                  "Same items and seeds for both arms; whole clips resampled. Paper (Fig. 4, MMSU perception, full "
                  "scale): ASR + UAS + UAS-QA is ~+15.0 over ASR only; removing UAS costs 6.3, removing UAS-QA 9.6.", "",
                  "| arm | Δ perception | Δ reasoning |", "|---|---|---|"]  # fmt: skip
        for arm in runs:
            if arm == "asr":
                continue
            cells = []
            for group in ("perception", "reasoning"):
                d = details[arm]["vs_asr"][group]
                cells.append("–" if d["delta"] is None else _delta_text(d))
            lines.append(f"| {ARM_LABELS.get(arm, arm)} | " + " | ".join(cells) + " |")
        order = sorted(summary["arms"], key=lambda a: -(summary["arms"][a]["perception"]["acc"] or 0.0))
        lines += ["", "Order by perception accuracy: " + " > ".join(ARM_LABELS.get(a, a) for a in order) + "."]
        lines += answers(details, order)
    probed = {arm: details[arm]["qa_probe"] for arm in runs if details[arm].get("qa_probe")}
    if probed:
        fields = sorted({f for d in probed.values() for f in d["by_field"]})
        chance = next(iter(probed.values()))["chance"]
        lines += ["", "## In-distribution check: UAS-QA multiple choice on held-out clips (%, 95 % CI)", "",
                  "The arms' own training templates (`uas_hf.reproduce.qa_probe`), answers from the held-out clips' "
                  "construction-truth UAS, scored by option likelihood like the benchmark. A diagnostic: it tells a "
                  "perception skill that was not learned from one learned in UAS-QA's words but not transferred to the "
                  f"benchmark's own phrasings. Chance {100 * chance:.1f}.", "",
                  "| field | majority | " + " | ".join(ARM_LABELS.get(a, a) for a in probed) + " |",
                  "|---|---|" + "---|" * len(probed)]  # fmt: skip
        lines.append("| **all** | – | " + " | ".join(_fmt(d["overall"]) for d in probed.values()) + " |")
        first = next(iter(probed.values()))
        for field in fields:
            share = first["majority"].get(field)
            cells = ["–" if share is None else f"{100 * share:.1f}"]
            cells += [_fmt(d["by_field"].get(field, {})) for d in probed.values()]
            lines.append(f"| {field.removeprefix('uasqa_')} | " + " | ".join(cells) + " |")
    chance = (benchmark or {}).get("chance", {})
    majority = (benchmark or {}).get("majority_answer", {})
    lines += ["", "## Accuracy per question type (%, 95 % CI)", "",
              "Chance: uniform guessing among the item's options; majority: always the type's most common answer.", "",
              "| type | chance | majority | " + " | ".join(runs) + " |", "|---|---|---|" + "---|" * len(runs)]  # fmt: skip
    for task in types:
        base = [f"{100 * d[task]:.1f}" if task in d else "–" for d in (chance, majority)]
        cells = [_fmt(pooled_ci(runs[arm], task)) for arm in runs]
        lines.append(f"| {task} | " + " | ".join(base + cells) + " |")
    if encoder:
        lines += ["", "## Shared encoder: held-out probe accuracy (validation split)", "",
                  "```json", json.dumps(encoder.get("probe_accuracy"), indent=1), "```"]  # fmt: skip
    if benchmark:
        lines += [
            "",
            f"## Micro-benchmark ({eval_split} split)",
            "",
            "```json",
            json.dumps(benchmark, indent=1),
            "```",
        ]
    lines += ["", f"![perception vs reasoning]({FIG_PERCEPTION})", "", f"![ablation]({FIG_ABLATION})", ""]
    (out / TABLE_FILE).write_text("\n".join(lines))
    _plots(out, summary)
    return {"ablation": out / ABLATION_FILE, "details": out / DETAILS_FILE, "table": out / TABLE_FILE}


def _plots(out: Path, summary: Mapping[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = summary["arms"]
    fig, ax = plt.subplots(figsize=(5, 4))
    for arm, entry in arms.items():
        p, r = entry["perception"], entry["reasoning"]
        if p["acc"] is None or r["acc"] is None:
            continue
        ax.errorbar(
            r["acc"], p["acc"],
            xerr=[[r["acc"] - r["ci"][0]], [r["ci"][1] - r["acc"]]],
            yerr=[[p["acc"] - p["ci"][0]], [p["ci"][1] - p["acc"]]],
            fmt="o", capsize=3, label=ARM_LABELS.get(arm, arm),
        )  # fmt: skip
    ax.set_xlabel("reasoning accuracy")
    ax.set_ylabel("perception accuracy")
    ax.set_title("Perception vs reasoning (Fig. 1b style)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / FIG_PERCEPTION, dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(arms)
    accs = [arms[a]["perception"]["acc"] or 0.0 for a in names]
    errs = [
        [acc - (arms[a]["perception"]["ci"][0] or acc) for a, acc in zip(names, accs)],
        [(arms[a]["perception"]["ci"][1] or acc) - acc for a, acc in zip(names, accs)],
    ]
    ax.bar([ARM_LABELS.get(a, a) for a in names], accs, yerr=errs, capsize=3, color="#4c72b0")
    ax.set_ylabel("perception accuracy")
    ax.set_title("Supervision ablation (Fig. 4 style)")
    ax.tick_params(axis="x", labelrotation=20, labelsize=7)
    fig.tight_layout()
    fig.savefig(out / FIG_ABLATION, dpi=120)
    plt.close(fig)
