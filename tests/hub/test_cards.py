"""Cards render from run data and parse back with huggingface_hub (metadata round-trip, model-index = results file)."""

import json
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import pytest
from huggingface_hub import ModelCard, SpaceCard

from uas_hf.hub import (
    StageSummary,
    TrainingSummary,
    render_metric_card,
    render_model_card,
    render_space_card,
    template_path,
)
from uas_hf.hub.cards import EvaluationFile, safetensors_parameter_count
from uas_hf.metrics.scoring import score_mmsu


REPO_ROOT = Path(__file__).resolve().parents[2]
MMSU_RECORDS = [
    {
        "id": f"q{i}",
        "choice_a": "dog",
        "choice_b": "cat",
        "choice_c": "cow",
        "choice_d": "owl",
        "answer_gt": "cat",
        "category": "Perception" if i % 2 else "Reasoning",
        "sub-category": "Semantics",
        "sub-sub-category": "x",
        "task_name": "t",
    }
    for i in range(8)
]


@pytest.fixture
def mmsu_result(tmp_path):
    """A real evaluation results file, written from the project's MMSU scorer."""
    result = score_mmsu(MMSU_RECORDS, ["B", "B", "A", "B", "C", "B", "xyz", "B"], scoring="official")
    path = tmp_path / "mmsu.json"
    path.write_text(json.dumps(result))
    return path


@pytest.fixture
def summary():
    return TrainingSummary(
        model_name="uas-audio-tiny",
        stages=[
            StageSummary(
                "stage1",
                description="projector alignment",
                trainer="UASSFTTrainer",
                trainable="projector",
                hyperparameters={"learning_rate": 5e-4, "lr_scheduler_type": "cosine", "seed": 42},
                data_mixture=[{"dataset": "uas-corpus", "config": "uas", "split": "train", "num_examples": 300}],
                metrics={"train_loss": 2.31, "global_step": 40, "epoch": 1.0, "train_runtime": 55.2},
                num_trainable_parameters=4096,
            ),
            StageSummary("stage3", trainable="all (excl. encoder)", hyperparameters={"learning_rate": 1e-4}),
        ],
        versions={"transformers": "5.23.0", "torch": "2.11.0"},
        hardware="cpu x 1",
    )


def test_model_card_round_trips_and_model_index_matches_results_file(tmp_path, mmsu_result, summary):
    card = render_model_card(
        model_name="uas-audio-tiny",
        repo_id="me/uas-audio-tiny",
        evaluations=[mmsu_result],
        training_summary=summary,
        datasets=["me/uas-corpus"],
    )
    card.save(tmp_path / "README.md")
    loaded = ModelCard.load(tmp_path / "README.md")
    assert loaded.data.to_dict() == card.data.to_dict()
    assert loaded.data.model_name == "uas-audio-tiny" and loaded.data.license == "apache-2.0"
    assert loaded.data.pipeline_tag == "audio-text-to-text" and loaded.data.datasets == ["me/uas-corpus"]

    result = json.loads(mmsu_result.read_text())
    by_name = {r.metric_name: r for r in loaded.data.eval_results}
    overall = by_name["Accuracy (official)"]
    assert overall.metric_value == result["overall"] and overall.dataset_type == result["benchmark"]
    # Top-level breakdown (MMSU category) also lands in model-index, value for value.
    for category, value in result["breakdown"]["category"].items():
        assert by_name[f"Accuracy: category: {category} (official)"].metric_value == value
    assert len(loaded.data.eval_results) == 1 + len(result["breakdown"]["category"])

    text = loaded.text
    assert "| stage1 — projector alignment | UASSFTTrainer | projector (4,096) | 40 |" in text
    assert "| stage1 | uas-corpus | uas | train | 300 |" in text
    assert "| `learning_rate` | 0.0005 | 0.0001 |" in text
    assert (
        "- transformers 5.23.0" in text
        and f"| MMSU |  |  | official | Accuracy | {result['overall']} | {result['n']} |" in text
    )
    assert "## Intended use" in text and "## Out-of-scope uses and limitations" in text


def test_model_card_reads_config_summary_and_weights_from_model_dir(tmp_path, summary):
    import numpy as np
    from safetensors.numpy import save_file

    model_dir = tmp_path / "model"
    model_dir.mkdir()
    config = {
        "architectures": ["UASAudioForCausalLM"],
        "model_type": "uas_audio",
        "projector_type": "mlp",
        "downsample_factor": 4,
        "audio_config": {"model_type": "whisper", "d_model": 32, "encoder_layers": 2},
        "text_config": {"model_type": "qwen2", "hidden_size": 32, "num_hidden_layers": 2, "vocab_size": 128},
    }
    (model_dir / "config.json").write_text(json.dumps(config))
    save_file({"a": np.zeros((4, 8), np.float32), "b": np.zeros(3, np.float32)}, str(model_dir / "model.safetensors"))
    summary.save(model_dir / "training_summary.json")
    assert safetensors_parameter_count(model_dir) == 35

    card = render_model_card(model_name="tiny", repo_id="me/tiny", model_dir=model_dir)
    assert "| Architecture | UASAudioForCausalLM |" in card.text
    assert "| Audio encoder | `whisper`, width 32, layers 2 |" in card.text
    assert "| Parameters | 35 (0.00 M) |" in card.text
    assert "Trained in 2 stages" in card.text  # training_summary.json picked up from the model folder
    assert card.data.eval_results is None and "No evaluation results were supplied." in card.text


def test_evaluation_file_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="has no `overall`"):
        EvaluationFile.from_dict({"n": 3})
    with pytest.raises(ValueError, match="nothing was scored"):
        EvaluationFile.from_dict({"overall": None, "n": 0})
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        EvaluationFile.load(bad)
    flat = EvaluationFile.from_dict(
        {"overall": 0.5, "n": 4, "breakdown": {"speech": {"accuracy": 0.25, "n": 2}}}, default_name="uas_schema"
    )
    assert flat.dataset_type == "uas_schema" and flat.breakdown == [
        {"name": "speech", "value": 0.25, "n": 2, "field": None, "key": "speech"}
    ]


def test_training_summary_round_trip_and_validation(tmp_path, summary):
    path = summary.save(tmp_path / "training_summary.json")
    assert TrainingSummary.load(path) == summary
    with pytest.raises(ValueError, match="schema_version"):
        TrainingSummary.from_dict({"schema_version": 99})
    with pytest.raises(ValueError, match="non-empty string `name`"):
        TrainingSummary.from_dict({"stages": [{"trainable": "all"}]})


def test_training_summary_callback_merges_stages(tmp_path):
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from uas_hf.hub.callbacks import TrainingSummaryCallback

    args = TrainingArguments(
        output_dir=str(tmp_path), learning_rate=2e-4, num_train_epochs=1, use_cpu=True, report_to=[]
    )
    path = tmp_path / "training_summary.json"
    for stage, loss in (("stage1", 2.5), ("stage2", 1.5), ("stage1", 2.0)):
        state, control = TrainerState(), TrainerControl()
        mixture = [{"dataset": "d", "num_examples": 8}] if stage == "stage1" else None
        callback = TrainingSummaryCallback(stage, path, trainable="projector", data_mixture=mixture)
        loader = SimpleNamespace(dataset=list(range(5)))  # no mixture given: described from the train dataloader
        callback.on_train_begin(args, state, control, train_dataloader=loader)
        callback.on_log(args, state, control, logs={"loss": loss + 1})
        state.global_step, state.epoch = 10, 1.0
        callback.on_log(args, state, control, logs={"train_loss": loss, "train_runtime": 3.0})
        callback.on_train_end(args, state, control)
    written = TrainingSummary.load(path)
    assert [s.name for s in written.stages] == ["stage1", "stage2"]  # a re-run replaces its stage
    stage1 = written.stages[0]
    assert stage1.metrics == {"train_loss": 2.0, "train_runtime": 3.0, "global_step": 10, "epoch": 1.0}
    assert stage1.hyperparameters["learning_rate"] == 2e-4 and stage1.hyperparameters["lr_scheduler_type"] == "linear"
    assert "transformers" in written.versions and written.hardware.startswith("cpu")
    assert stage1.trainer == "Trainer" and stage1.data_mixture == [{"dataset": "d", "num_examples": 8}]
    assert written.stages[1].data_mixture == [{"dataset": "list", "num_examples": 5}]


def test_space_readme_is_the_rendered_template():
    readme = REPO_ROOT / "spaces" / "uas-audio-demo" / "README.md"
    card = SpaceCard.load(readme)
    assert card.data.sdk == "gradio" and card.data.app_file == "app.py" and card.data.license == "apache-2.0"
    assert card.data.sdk_version == metadata.version("gradio")
    # The committed README is exactly what `render_space_card()` produces: re-render it when the template changes.
    assert readme.read_text(encoding="utf-8") == str(render_space_card())


def test_metric_card_parses():
    card = render_metric_card(
        name="uas_schema",
        description="Validity and field accuracy of UAS JSON predictions.",
        inputs={"predictions": "model outputs", "references": "ground-truth UAS"},
        outputs={"valid_rate": "share of parseable predictions"},
        example="metric.compute(predictions=[...], references=[...])",
        limitations=["Open-text fields are compared after normalization only."],
    )
    loaded = SpaceCard(str(card))
    assert loaded.data.sdk == "gradio" and "evaluate" in loaded.data.tags
    assert "- **`valid_rate`**: share of parseable predictions" in loaded.text


def test_template_path_rejects_paths():
    assert template_path("model_card.md.jinja").is_file()
    with pytest.raises(ValueError, match="bare template file name"):
        template_path("../pyproject.toml")
    with pytest.raises(FileNotFoundError, match="not found"):
        template_path("nope.md.jinja")


def _as_tuples(entries):
    return sorted(
        (
            e.task_type,
            e.task_name,
            e.dataset_type,
            e.dataset_split,
            e.metric_type,
            e.metric_name,
            e.metric_value,
            e.metric_config,
        )
        for e in entries
    )


@pytest.mark.parametrize("benchmark", ["mmsu", "asr", "uas"])
def test_card_model_index_equals_the_evaluation_runners(tmp_path, benchmark):
    """The eval runner writes eval_results/*.json for `uas-hf push model` and its own model-index.yaml: the card
    rendered from the files carries exactly the runner's entries."""
    from uas_hf.evaluation.report import eval_results
    from uas_hf.evaluation.runner import _eval_result_files

    common = {
        "benchmark": benchmark,
        "model": {"name": "tiny"},
        "dataset": {
            "type": benchmark,
            "name": benchmark.upper(),
            "config": None,
            "split": "test",
            "revision": "abc123",
        },
    }
    if benchmark == "mmsu":
        scorings = {
            s: score_mmsu(MMSU_RECORDS, ["B", "A", "B", "xyz", "B", "C", "B", "B"], scoring=s)
            for s in ("official", "tencent")
        }
        results = {**common, "scorings": scorings}
    elif benchmark == "asr":
        asr = {"metric": "wer", "wer": 0.25, "cer": 0.125, "n": 4}
        results = {
            **common,
            "metric": "wer",
            "overall": 0.25,
            "n": 4,
            "unparseable": 0,
            "breakdown": {"error_rate": {"wer": 0.25, "cer": 0.125}},
            "asr": asr,
        }
    else:
        uas = {
            "valid_json_rate": 0.75,
            "field_accuracy": {"gender": 0.5, "age": 0.25},
            "events": {"discrete": {"f1": 0.4}, "continuous": {"f1": 0.6}},
            "unparseable": 1,
        }
        breakdown = {
            "field_accuracy": uas["field_accuracy"],
            "events_f1": {"discrete": 0.4, "continuous": 0.6},
            "transcription": {"wer": 0.3, "cer": 0.2},
        }
        results = {
            **common,
            "metric": "valid_json_rate",
            "overall": 0.75,
            "n": 4,
            "unparseable": 1,
            "uas": uas,
            "transcription": {"wer": 0.3, "cer": 0.2},
            "breakdown": breakdown,
        }
    files = []
    for name, payload in _eval_result_files(results).items():
        files.append(tmp_path / name)
        files[-1].write_text(json.dumps(payload))
    card = render_model_card(model_name="tiny", repo_id="me/tiny", evaluations=files)
    card.save(tmp_path / "README.md")
    assert _as_tuples(ModelCard.load(tmp_path / "README.md").data.eval_results) == _as_tuples(eval_results(results))
