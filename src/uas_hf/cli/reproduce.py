"""`uas-hf reproduce --out DIR`: issue 8's ablation — five supervision arms x seeds on the embedded corpus.

Stages (each resumable; re-running skips what is done and unchanged):

| step | what |
|---|---|
| corpus | the embedded corpus (built in OUT/corpus unless --corpus names one) |
| benchmark | held-out MMSU-format micro-benchmarks from the validation and test splits' construction truth |
| encoder | one audio encoder pretrained on the TRAIN split with multi-task label heads, then frozen (probe on validation) |
| projector | shared projector adaptation (ASR + content QA) |
| train:A:seedS | the arm's SFT from the shared projector checkpoint (same model, steps and clips for every arm) |
| eval:A:seedS:SPLIT | option-likelihood + letter accuracy on the SPLIT micro-benchmark, targeted/holistic CER |

The report (table with bootstrap CIs, Fig. 1b / Fig. 4 style plots, ablation.json) goes to --results-dir.
See docs/reproduce.md for the full-run command, run time and the honesty rules.
"""

import argparse
import json
import shlex
import sys
from dataclasses import fields
from pathlib import Path

from ..reproduce.runner import ReproduceConfig


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reproduce",
        help="the UAS ablation (issue 8): 5 supervision arms x seeds, held-out micro-benchmark, report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    helps = {f.name: f.metadata.get("help") for f in fields(ReproduceConfig)}
    defaults = ReproduceConfig()
    parser.add_argument("--out", default=defaults.out, help=helps["out"])
    parser.add_argument("--seeds", type=int, nargs="+", default=defaults.seeds, help=helps["seeds"])
    parser.add_argument("--arms", nargs="+", default=defaults.arms, help=helps["arms"])
    parser.add_argument("--steps", type=int, default=defaults.steps, help=helps["steps"])
    parser.add_argument("--projector-steps", type=int, default=None, help=helps["projector_steps"])
    parser.add_argument("--encoder-steps", type=int, default=defaults.encoder_steps, help=helps["encoder_steps"])
    parser.add_argument("--size", default=defaults.size, choices=["default", "small"], help=helps["size"])
    parser.add_argument("--corpus", default=None, help=helps["corpus"])
    parser.add_argument("--corpus-size", default=defaults.corpus_size, choices=["small", "default"])
    parser.add_argument("--base-seed", type=int, default=defaults.base_seed, help=helps["base_seed"])
    parser.add_argument("--max-train-clips", type=int, default=None, help=helps["max_train_clips"])
    parser.add_argument("--bench-limit", type=int, default=None, help=helps["bench_limit"])
    parser.add_argument("--asr-limit", type=int, default=defaults.asr_limit, help=helps["asr_limit"])
    parser.add_argument(
        "--eval-split", default=defaults.eval_split, choices=["validation", "test"], help=helps["eval_split"]
    )
    parser.add_argument("--results-dir", default=defaults.results_dir, help=helps["results_dir"])
    parser.add_argument("--workers", type=int, default=defaults.workers, help=helps["workers"])
    parser.add_argument("--force", nargs="+", default=[], choices=["corpus", "benchmark", "encoder", "projector"])
    parser.set_defaults(func=run)


def _command_line(settings: dict) -> str:
    """The command as the user could retype it: every setting that differs from its default, in a fixed order."""
    defaults = ReproduceConfig()
    parts = ["uas-hf", "reproduce"]
    for name, value in settings.items():
        if value is None or value == getattr(defaults, name) or value == []:
            continue
        values = value if isinstance(value, list) else [value]
        parts += [f"--{name.replace('_', '-')}", *(str(v) for v in values)]
    return " ".join(shlex.quote(p) for p in parts)


def run(args: argparse.Namespace) -> int:
    from ..reproduce.runner import run_reproduce

    names = {f.name for f in fields(ReproduceConfig)} - {"command"}
    settings = {k: v for k, v in vars(args).items() if k in names}
    config = ReproduceConfig(**settings, command=_command_line(settings))
    report = run_reproduce(config)
    print("\n== uas-hf reproduce ==")
    for step, entry in report["steps"].items():
        print(f"{step:<28} {entry['status']:<7} {entry['seconds']:>8.1f} s")
    ablation = json.loads(Path(report["results"]["ablation"]).read_text())
    for arm, entry in ablation["arms"].items():
        p, r = entry["perception"], entry["reasoning"]
        print(f"  {arm:<12} perception {p['acc']} {p['ci']} (n={p['n']})  reasoning {r['acc']} {r['ci']} (n={r['n']})")
    print(f"report: {report['results']['table']}")
    return 0


if __name__ == "__main__":
    from .main import main

    sys.exit(main(["reproduce", *sys.argv[1:]]))
