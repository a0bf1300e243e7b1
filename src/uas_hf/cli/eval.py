"""`uas-hf eval`: run a UAS-Audio model on MMSU / MMAR / MMAU, an ASR split or holistic UAS, resumably.

    uas-hf eval --model ckpt/ --benchmark mmau --data MMAU/ --out runs/mmau --batch-size 16
    uas-hf eval --model ckpt/ --benchmark uas --data corpus/ --split test --out runs/uas
    accelerate launch --num_processes 4 -m uas_hf.cli.main eval --model ckpt/ --benchmark mmar --data MMAR/ --out runs/mmar

Re-running the same command resumes (finished ids are skipped) and, once every item has a response, (re-)writes
OUT/predictions.jsonl, results.json (official and Tencent scoring for MMSU/MMAR/MMAU), results.md,
perception_vs_reasoning.png, eval_results/*.json and model-index.yaml. Prompt templates and the folder layout are
documented in `uas_hf.evaluation.prompts` / `uas_hf.evaluation.runner` and docs/evaluation.md. Bad data (missing
audio, duplicate ids, broken records) stops before generation with exit code 2.
"""

import argparse


_FLAGS = {"output_dir": "--out"}
_TYPES = {"batch_size": int, "max_new_tokens": int, "limit": int, "num_shards": int, "shard_index": int}
_CHOICES = {
    "benchmark": ["mmsu", "mmar", "mmau", "asr", "uas"],
    "dtype": ["auto", "float32", "bfloat16", "float16"],
    "language": ["en", "zh", "basic"],
    "think": ["keep", "split", "remove_tags"],
}
_REQUIRED = ("model", "benchmark", "data", "output_dir")


def register(subparsers: argparse._SubParsersAction) -> None:
    # Flags come from `EvalConfig`'s fields and help texts, so the CLI and the Python API cannot drift apart.
    from ..evaluation.runner import config_fields

    parser = subparsers.add_parser(
        "eval",
        help="evaluate a model on MMSU / MMAR / MMAU / ASR / holistic UAS (batched, resumable, sharded)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for name, f in config_fields():
        flag = _FLAGS.get(name, "--" + name.replace("_", "-"))
        help_text = f.metadata.get("help", "")
        if name == "progress":
            parser.add_argument("--no-progress", dest="progress", action="store_false", help="hide progress bars")
        elif name == "overwrite":
            parser.add_argument(flag, dest=name, action="store_true", help=help_text)
        elif name == "max_audio_seconds":
            parser.add_argument(flag, dest=name, type=float, default=None, help=help_text)
        else:
            kwargs = {"dest": name, "help": help_text, "required": name in _REQUIRED}
            if name in _TYPES:
                kwargs["type"] = _TYPES[name]
            if name in _CHOICES:
                kwargs["choices"] = _CHOICES[name]
            if not kwargs["required"]:
                kwargs["default"] = None if f.default is None else f.default
            parser.add_argument(flag, **kwargs)
    parser.set_defaults(func=run)


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def format_summary(results: dict) -> str:
    """A few lines for the terminal: headline numbers and where the files are."""
    lines = [f"{results['benchmark']} · {results['model']['name']} · {results['data']['n_items']} items"]
    if "scorings" in results:
        for scoring, r in results["scorings"].items():
            groups = results["perception_reasoning"].get(scoring, {})
            labels = results["perception_reasoning"]["labels"]
            lines.append(
                f"  {scoring:<9} overall {_pct(r['overall'])} (n={r['n']}, unparseable={r['unparseable']})  "
                f"{labels[0]} {_pct(groups.get('perception', {}).get('accuracy'))}  "
                f"{labels[1]} {_pct(groups.get('reasoning', {}).get('accuracy'))}"
            )
    elif results["benchmark"] == "asr":
        lines.append(f"  WER {_pct(results['asr']['wer'])}  CER {_pct(results['asr']['cer'])}  (n={results['n']})")
    else:
        t = results.get("transcription") or {}
        lines.append(
            f"  valid JSON {_pct(results['overall'])}  validator accepts {_pct(results['validator']['accept_rate'])}"
            f"  transcription WER {_pct(t.get('wer'))}  (n={results['n']})"
        )
    rate = results["timings"].get("samples_per_s")
    if rate is not None:
        lines.append(f"  {rate:.2f} samples/s over {results['timings']['n_generated']} generated")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..evaluation.runner import EvalConfig, config_fields, run_evaluation

    config = EvalConfig(**{name: getattr(args, name) for name, _ in config_fields()})
    results = run_evaluation(config)
    if results.get("status") == "pending":
        print(
            f"shard {config.shard_index}/{config.num_shards} finished; {results['missing']} items wait for other "
            "shards (the last one to finish writes the results; re-run without sharding to merge)"
        )
        return 0
    print(format_summary(results))
    print(f"wrote {Path(config.output_dir) / 'results.json'}")
    return 0
