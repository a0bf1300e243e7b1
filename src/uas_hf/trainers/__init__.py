"""TRL config/trainer pairs with audio (SFT for paper stages 1-3, GRPO for stage 4), PEFT helpers, data mixing.

>>> from uas_hf.trainers import UASSFTConfig, UASSFTTrainer, UASGRPOConfig, UASGRPOTrainer  # doctest: +SKIP

Submodules are imported on first use, so `uas_hf.trainers.stages` stays cheap to import (TRL is not).
"""

import importlib
from typing import Any


_EXPORTS = {
    "UASSFTConfig": "uas_sft_config",
    "UASSFTTrainer": "uas_sft_trainer",
    "UASGRPOConfig": "uas_grpo_config",
    "UASGRPOTrainer": "uas_grpo_trainer",
    "TrainingCurvesCallback": "callbacks",
    "plot_training_curves": "callbacks",
    "uas_lora_config": "peft_utils",
    "check_peft_config": "peft_utils",
    "merge_and_save": "peft_utils",
    "STAGES": "stages",
    "StageRecipe": "stages",
    "build_task_dataset": "mixture",
    "mix_datasets": "mixture",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
