"""The `training_summary.json` contract: what a training run records for its model card.

A training run writes one `training_summary.json` next to the model it saves (usually with
`uas_hf.hub.callbacks.TrainingSummaryCallback`, which merges one stage per `Trainer.train()` call into the same
file). `uas_hf.hub.render_model_card` reads it. The file is a JSON object:

```json
{
  "schema_version": 1,
  "model_name": "uas-audio-tiny",            // optional
  "base_model": null,                        // optional, Hub id or path the run started from
  "stages": [                                // in training order; `name` is unique
    {
      "name": "stage1",                      // required
      "description": "projector alignment",  // optional, one line
      "trainer": "UASSFTTrainer",            // optional, class name
      "trainable": "projector",              // optional, what was trained (paper Table 8 row)
      "hyperparameters": {"learning_rate": 0.0005, "lr_scheduler_type": "cosine", "warmup_steps": 10,
                          "num_train_epochs": 1, "per_device_train_batch_size": 8, "weight_decay": 0.1,
                          "max_grad_norm": 1.0, "optim": "adamw_torch", "seed": 42},
      "data_mixture": [                      // what the stage trained on
        {"dataset": "uas-corpus", "config": "uas", "split": "train", "num_examples": 300, "weight": 1.0}
      ],
      "metrics": {"train_loss": 2.31, "global_step": 40, "epoch": 1.0, "train_runtime": 55.2},
      "num_parameters": 1234567,             // optional
      "num_trainable_parameters": 34567,     // optional
      "started_at": "2026-11-02T10:00:00+00:00", "finished_at": "2026-11-02T10:01:00+00:00"
    }
  ],
  "versions": {"uas_hf": "0.1.0", "transformers": "5.23.0", "trl": "1.16.0", "torch": "2.11.0"},
  "hardware": "cpu x 1"                       // optional, free text
}
```
Unknown keys are kept (and ignored by the card); values must be JSON-serialisable.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any


TRAINING_SUMMARY_FILE = "training_summary.json"
SCHEMA_VERSION = 1
# Packages whose versions a model card reports (the ones installed are recorded).
VERSION_PACKAGES = ("uas_hf", "transformers", "trl", "peft", "torch", "datasets", "accelerate", "tokenizers")


@dataclass
class StageSummary:
    """One training stage (one `Trainer.train()` call) of `TrainingSummary`; fields as in the module docstring."""

    name: str
    description: str | None = None
    trainer: str | None = None
    trainable: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    data_mixture: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    num_parameters: int | None = None
    num_trainable_parameters: int | None = None
    started_at: str | None = None
    finished_at: str | None = None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "StageSummary":
        if not isinstance(obj, Mapping) or not isinstance(obj.get("name"), str) or not obj["name"]:
            raise ValueError(f"each entry of `stages` must be an object with a non-empty string `name`; got {obj!r}.")
        known = set(cls.__dataclass_fields__)
        for key in ("hyperparameters", "metrics"):
            if not isinstance(obj.get(key, {}), Mapping):
                raise ValueError(f"stage {obj['name']!r}: `{key}` must be an object; got {obj[key]!r}.")
        if not isinstance(obj.get("data_mixture", []), list):
            raise ValueError(f"stage {obj['name']!r}: `data_mixture` must be a list; got {obj['data_mixture']!r}.")
        return cls(**{k: v for k, v in obj.items() if k in known})


@dataclass
class TrainingSummary:
    """The contents of `training_summary.json` (see the module docstring for the format).

    Example:

    >>> summary = TrainingSummary(stages=[StageSummary("stage1", trainable="projector")])
    >>> summary.upsert_stage(StageSummary("stage1", trainable="all (excl. encoder)"))
    >>> [s.trainable for s in summary.stages]
    ['all (excl. encoder)']
    """

    stages: list[StageSummary] = field(default_factory=list)
    model_name: str | None = None
    base_model: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    hardware: str | None = None
    schema_version: int = SCHEMA_VERSION

    def upsert_stage(self, stage: StageSummary) -> None:
        """Replace the stage with the same name (a re-run), or append it."""
        for i, existing in enumerate(self.stages):
            if existing.name == stage.name:
                self.stages[i] = stage
                return
        self.stages.append(stage)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)  # atomic: a crash never leaves a half-written summary
        return path

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "TrainingSummary":
        if not isinstance(obj, Mapping):
            raise ValueError(f"a training summary must be a JSON object; got {type(obj).__name__}.")
        version = obj.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"`schema_version` {version!r} is not supported (this uas_hf reads {SCHEMA_VERSION}); "
                "re-create the summary with this version of uas_hf."
            )
        stages = obj.get("stages", [])
        if not isinstance(stages, list):
            raise ValueError(f"`stages` must be a list; got {type(stages).__name__}.")
        return cls(
            stages=[StageSummary.from_dict(s) for s in stages],
            model_name=obj.get("model_name"),
            base_model=obj.get("base_model"),
            versions=dict(obj.get("versions") or {}),
            hardware=obj.get("hardware"),
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainingSummary":
        try:
            obj = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ValueError(f"`{path}` is not valid JSON ({e.msg} at line {e.lineno}).") from e
        try:
            return cls.from_dict(obj)
        except ValueError as e:
            raise ValueError(f"`{path}`: {e}") from e


def installed_versions(packages: tuple[str, ...] = VERSION_PACKAGES) -> dict[str, str]:
    """Versions of the installed ``packages`` (missing ones are left out)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
