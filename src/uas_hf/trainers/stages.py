"""Paper §3.2 training stages and their Table 8 hyper-parameters, shared by the SFT and GRPO configs.

Table 8 (all stages): AdamW (β1=0.9, β2=0.95), weight decay 0.1, gradient clipping 1.0, cosine schedule with linear
warm-up. Peak learning rates: stage 1 and stage 4 are printed as "oe-4" / "oe-6" in our copy of the paper (the leading
digit is illegible); we read them as 5e-4 and 5e-6 and say so wherever they are used. Stage 2: 2e-4, stage 3: 1e-4.

Trainable parameters (Table 8 and §3.2; the model's `set_trainable_stage` applies them):
stage 1 — embeddings + LM head (§3.2 text; Table 8 prints "Projector"); stage 2 — projector only;
stages 3 and 4 — everything except the audio encoder.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class StageRecipe:
    """One training stage: what it trains on, what it updates, and its Table 8 schedule."""

    stage: int
    name: str
    trainer: str  # "sft" or "grpo"
    learning_rate: float
    warmup_steps: int
    trains: str


ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.95
WEIGHT_DECAY = 0.1
MAX_GRAD_NORM = 1.0
LR_SCHEDULER_TYPE = "cosine"  # transformers' cosine schedule warms up linearly over `warmup_steps`

STAGES: dict[int, StageRecipe] = {
    1: StageRecipe(1, "alignment", "sft", 5e-4, 500, "embeddings and LM head"),
    2: StageRecipe(2, "projector adaptation", "sft", 2e-4, 1000, "projector"),
    3: StageRecipe(3, "full instruction tuning", "sft", 1e-4, 1000, "all but the audio encoder"),
    4: StageRecipe(4, "GRPO", "grpo", 5e-6, 200, "all but the audio encoder"),
}


def get_stage(stage: int, *, setting: str = "stage") -> StageRecipe:
    """Return the recipe for ``stage``, or raise a `ValueError` naming ``setting`` and the valid stages."""
    if stage not in STAGES:
        raise ValueError(
            f"`{setting}` must be one of {sorted(STAGES)} (paper §3.2: 1 alignment, 2 projector adaptation, 3 full "
            f"instruction tuning, 4 GRPO), got {stage!r}."
        )
    return STAGES[stage]
