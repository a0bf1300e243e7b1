"""`TrainingSummaryCallback`: gathers a stage's card data during `Trainer.train()` into `training_summary.json`."""

import datetime
import os
import platform
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from ..utils import get_logger
from .training_summary import TRAINING_SUMMARY_FILE, StageSummary, TrainingSummary, installed_versions


logger = get_logger(__name__)

# `TrainingArguments` / TRL config fields a model card reports (those absent from a config are skipped).
HYPERPARAMETER_KEYS = (
    "learning_rate",
    "lr_scheduler_type",
    "warmup_steps",
    "warmup_ratio",
    "num_train_epochs",
    "max_steps",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "optim",
    "adam_beta1",
    "adam_beta2",
    "weight_decay",
    "max_grad_norm",
    "seed",
    "bf16",
    "fp16",
    # TRL GRPO
    "beta",
    "num_generations",
    "max_completion_length",
    "temperature",
    "loss_type",
)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _json_value(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(getattr(value, "value", value))  # enums (SchedulerType, OptimizerNames) -> their string


def _mixture_from_dataloader(dataloader) -> list[dict[str, Any]]:
    """One data-mixture row from the training dataset when the caller gave none (name, split, size if known)."""
    dataset = getattr(dataloader, "dataset", None)
    if dataset is None:
        return []
    info = getattr(dataset, "info", None)
    row: dict[str, Any] = {"dataset": getattr(info, "dataset_name", None) or type(dataset).__name__}
    split = getattr(dataset, "split", None)
    if split is not None:
        row["split"] = str(split)
    if hasattr(dataset, "__len__"):  # an iterable dataset has no length
        row["num_examples"] = len(dataset)
    return [row]


class TrainingSummaryCallback(TrainerCallback):
    """Record one training stage (hyper-parameters, data mixture, parameter counts, final metrics, versions).

    The stage is merged into ``path`` (replacing a stage of the same name), so one file collects every stage of a
    multi-stage run when each trainer gets a callback with the same ``path``. Only the main process writes.

    Args:
        stage (`str`): stage name, unique within the run (e.g. ``"stage1"``).
        trainer (`str`, *optional*): the trainer class name; defaults to one derived from the config class.
        path (`str` or `os.PathLike`, *optional*):
            the summary file; defaults to ``<args.output_dir>/training_summary.json``.
        description (`str`, *optional*): one line saying what the stage does.
        trainable (`str`, *optional*): what was trained (``"projector"``, ``"all (excl. encoder)"``).
        data_mixture (`list[dict]`, *optional*):
            ``{"dataset", "config", "split", "num_examples", "weight"}`` per training source; defaults to one row
            describing the trainer's training dataset.
        base_model (`str`, *optional*): the Hub id or path the run started from.
        model_name (`str`, *optional*): the name shown on the card.

    Example:

    >>> callback = TrainingSummaryCallback("stage1", trainable="projector",
    ...     data_mixture=[{"dataset": "uas-corpus", "config": "uas", "split": "train", "num_examples": 300}])
    >>> # trainer = UASSFTTrainer(..., callbacks=[callback]); trainer.train()
    """

    def __init__(
        self,
        stage: str,
        path: str | os.PathLike | None = None,
        *,
        trainer: str | None = None,
        description: str | None = None,
        trainable: str | None = None,
        data_mixture: list[dict[str, Any]] | None = None,
        base_model: str | None = None,
        model_name: str | None = None,
    ):
        if not isinstance(stage, str) or not stage:
            raise ValueError(f"`stage` must be a non-empty string such as 'stage1'; got {stage!r}.")
        self.path = Path(path) if path is not None else None
        self.base_model = base_model
        self.model_name = model_name
        self.stage = StageSummary(
            name=stage,
            trainer=trainer,
            description=description,
            trainable=trainable,
            data_mixture=list(data_mixture or []),
        )

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.stage.started_at = _now()
        self.stage.hyperparameters = {
            key: _json_value(getattr(args, key)) for key in HYPERPARAMETER_KEYS if hasattr(args, key)
        }
        self.stage.hyperparameters["world_size"] = int(getattr(args, "world_size", 1))
        # Callbacks never see the trainer; its config class names it (TRL pairs `XConfig` with `XTrainer`).
        config_name = type(args).__name__
        self.stage.trainer = self.stage.trainer or (
            config_name[: -len("Config")] + "Trainer" if config_name.endswith("Config") else "Trainer"
        )
        if not self.stage.data_mixture:
            self.stage.data_mixture = _mixture_from_dataloader(kwargs.get("train_dataloader"))
        if model is not None:
            self.stage.num_parameters = sum(p.numel() for p in model.parameters())
            self.stage.num_trainable_parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)

    def on_log(self, args, state, control, logs=None, **kwargs):
        for key, value in (logs or {}).items():
            if key in ("loss", "train_loss", "train_runtime", "train_samples_per_second", "reward"):
                self.stage.metrics["train_loss" if key == "loss" else key] = _json_value(value)

    def on_train_end(self, args, state, control, **kwargs):
        self.stage.finished_at = _now()
        self.stage.metrics["global_step"] = int(state.global_step)
        self.stage.metrics["epoch"] = round(float(state.epoch or 0.0), 4)
        if not state.is_world_process_zero:
            return
        path = self.path or Path(args.output_dir) / TRAINING_SUMMARY_FILE
        summary = TrainingSummary.load(path) if path.is_file() else TrainingSummary()
        summary.upsert_stage(self.stage)
        summary.model_name = self.model_name or summary.model_name
        summary.base_model = self.base_model or summary.base_model
        summary.versions = installed_versions()
        device = "cuda" if getattr(args, "_n_gpu", 0) else "cpu"
        summary.hardware = f"{device} x {getattr(args, 'world_size', 1)} ({platform.machine()})"
        summary.save(path)
        logger.info("Recorded stage %r in %s", self.stage.name, path)
