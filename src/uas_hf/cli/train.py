"""`uas-hf train CONFIG.yaml [--key value ...]`: run one paper training stage from a YAML recipe.

The YAML holds the fields of `uas_hf.trainers.recipe.UASTrainArguments` (model, corpus, task mixture, rewards, LoRA)
and of `UASSFTConfig` (stages 1-3) or `UASGRPOConfig` (stage 4, or `trainer: grpo`); `--key value` pairs after the
file override it (TRL's `TrlParser`). See `examples/stage*.yaml`.

Two processes on CPU (data parallel, gloo):

    accelerate launch --multi_gpu --num_processes 2 --num_machines 1 --mixed_precision no --dynamo_backend no \
        -m uas_hf.cli.train examples/stage2_projector.yaml
"""

import argparse
import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train one paper stage (SFT stages 1-3, GRPO stage 4) from a YAML recipe",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", help="YAML recipe (see examples/stage*.yaml)")
    parser.add_argument(
        "overrides", nargs=argparse.REMAINDER, help="`--key value` pairs overriding the YAML (e.g. --max_steps 5)"
    )
    parser.set_defaults(func=run)


def parse(config_path: str, overrides: list[str]):
    """Parse ``config_path`` (+ overrides) into `(UASTrainArguments, UASSFTConfig | UASGRPOConfig)`."""
    import os

    import yaml
    from trl import TrlParser

    from ..trainers.recipe import UASTrainArguments, trainer_kind
    from ..trainers.uas_grpo_config import UASGRPOConfig
    from ..trainers.uas_sft_config import UASSFTConfig

    if not os.path.isfile(config_path):
        raise FileNotFoundError(
            f"Config file {config_path!r} does not exist; pass a YAML recipe such as examples/stage2_projector.yaml."
        )
    with open(config_path) as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict):
        raise ValueError(f"{config_path} must hold a YAML mapping of settings, got {type(config).__name__}.")
    # `--stage 4` / `--trainer grpo` on the command line pick the trainer too
    peek = dict(config)
    for key in ("stage", "trainer"):
        if f"--{key}" in overrides:
            value = overrides[overrides.index(f"--{key}") + 1]
            peek[key] = int(value) if key == "stage" else value
    kind = trainer_kind(peek)
    config_cls = UASGRPOConfig if kind == "grpo" else UASSFTConfig
    config.pop("trainer", None)
    overrides = [o for o in overrides if o != "--"]
    if "--trainer" in overrides:
        i = overrides.index("--trainer")
        del overrides[i : i + 2]
    parser = TrlParser((UASTrainArguments, config_cls))
    unknown = parser.set_defaults_with_config(**config)
    if unknown:
        keys = sorted(k[2:] for k in unknown[::2])
        raise ValueError(
            f"{config_path} has unknown setting(s) {keys} for {config_cls.__name__}; check their spelling against "
            "`uas-hf train --help` and the examples/ recipes."
        )
    script_args, training_args = parser.parse_args_into_dataclasses(args=overrides)
    return script_args, training_args


def run(args: argparse.Namespace) -> int:
    from ..hub.callbacks import TrainingSummaryCallback
    from ..trainers.recipe import run_training
    from ..trainers.stages import STAGES

    script_args, training_args = parse(args.config, list(args.overrides or []))
    stage = training_args.stage
    recipe = STAGES.get(stage)
    callback = TrainingSummaryCallback(
        f"stage{stage}" if stage is not None else "train",
        description=recipe.name if recipe else None,
        trainable=recipe.trains if recipe else None,
        base_model=None if script_args.model_name_or_path == "tiny" else script_args.model_name_or_path,
    )
    summary = run_training(script_args, training_args, callbacks=[callback])
    if training_args.process_index == 0:
        print(json.dumps(summary, indent=2, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m uas_hf.cli.train CONFIG.yaml` (what `accelerate launch` / `torchrun` start)."""
    from ..utils.logging import configure_cli_logging

    parser = argparse.ArgumentParser(prog="uas-hf train")
    subparsers = parser.add_subparsers(dest="command")
    register(subparsers)
    args = parser.parse_args(["train", *(sys.argv[1:] if argv is None else argv)])
    configure_cli_logging(None)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
