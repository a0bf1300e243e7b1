"""`uas-hf train CONFIG.yaml`: every example recipe parses; bad settings are named; a stage runs end to end."""

import json
from pathlib import Path

import pytest

from uas_hf.cli.train import parse
from uas_hf.trainers import UASGRPOConfig, UASSFTConfig
from uas_hf.trainers.mixture import mix_datasets


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RECIPES = sorted(EXAMPLES.glob("stage*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_example_recipes_parse(path, tmp_path):
    script_args, args = parse(str(path), ["--output_dir", str(tmp_path)])
    stage = int(path.stem[len("stage")])
    assert args.stage == stage
    assert isinstance(args, UASGRPOConfig if stage == 4 else UASSFTConfig)
    assert (args.adam_beta1, args.adam_beta2, args.weight_decay, args.max_grad_norm) == (0.9, 0.95, 0.1, 1.0)
    assert args.lr_scheduler_type.value == "cosine"
    assert args.bf16 is False and args.use_cpu
    assert script_args.model_name_or_path == "tiny" and script_args.corpus_dir


def test_command_line_overrides_win(tmp_path):
    script_args, args = parse(
        str(EXAMPLES / "stage3_instruction.yaml"),
        [
            "--output_dir",
            str(tmp_path),
            "--max_steps",
            "3",
            "--mixture",
            '{"uas": 2, "qa": 1}',
            "--learning_rate",
            "1e-3",
        ],
    )
    assert (args.max_steps, args.learning_rate) == (3, 1e-3)
    assert script_args.mixture == {"uas": 2, "qa": 1}


@pytest.mark.parametrize(
    ("yaml_text", "match"),
    [
        ("stage: 2\nlearning_rat: 0.1\n", r"unknown setting\(s\) \['learning_rat'\]"),
        ("stage: 9\n", r"`stage` must be one of \[1, 2, 3, 4\]"),
        ("stage: 3\nmixture: {asr: 1, speech: 1}\n", r"unknown task\(s\) \['speech'\]"),
        ("trainer: ppo\n", "`trainer` must be 'sft' or 'grpo'"),
        ("- a list\n", "YAML mapping"),
    ],
)
def test_bad_recipes_are_named(tmp_path, yaml_text, match):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ValueError, match=match):
        parse(str(path), ["--output_dir", str(tmp_path / "out")])


def test_mix_datasets_weights_and_errors():
    from datasets import Dataset

    a = Dataset.from_dict({"x": [0] * 50})
    b = Dataset.from_dict({"x": [1] * 50})
    mixed = mix_datasets({"a": a, "b": b}, {"a": 3, "b": 1}, seed=0, stopping_strategy="first_exhausted")
    share = sum(mixed["x"]) / len(mixed)
    assert 0.1 < share < 0.4  # about 1 in 4 from `b`
    assert mix_datasets({"a": a, "b": b}, {"a": 1, "b": 0}) is a
    with pytest.raises(ValueError, match="must name exactly the datasets"):
        mix_datasets({"a": a}, {"b": 1})
    with pytest.raises(ValueError, match="non-negative"):
        mix_datasets({"a": a, "b": b}, {"a": -1, "b": 1})


def test_stage3_recipe_runs_end_to_end_on_the_corpus(small_corpus, tmp_path, capsys):
    from uas_hf.cli.main import main

    out = tmp_path / "run"
    code = main(
        [
            "train",
            str(EXAMPLES / "stage3_instruction.yaml"),
            "--corpus_dir",
            str(small_corpus),
            "--output_dir",
            str(out),
            "--max_steps",
            "2",
            "--per_device_train_batch_size",
            "2",
            "--max_train_samples",
            "8",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out  # Trainer also prints its log dicts; the summary is the last JSON object
    summary = json.loads(printed[printed.rindex('{\n  "trainer"') :])
    assert summary["stage"] == 3 and summary["global_step"] == 2
    assert set(summary["mixture"]) == {"asr", "uas", "qa"}
    assert (out / "final" / "model.safetensors").is_file()
    assert (out / "training_curves.png").is_file()
    assert json.loads((out / "training_summary.json").read_text())["stages"][0]["name"] == "stage3"
