"""`UASGRPOConfig`: TRL's `GRPOConfig` with the audio column, stage 4 of the paper and Table 8 defaults."""

from dataclasses import dataclass, field

from trl import GRPOConfig

from .stages import ADAM_BETA1, ADAM_BETA2, LR_SCHEDULER_TYPE, MAX_GRAD_NORM, WEIGHT_DECAY
from .uas_sft_config import check_common, resolve_stage_defaults


@dataclass
class UASGRPOConfig(GRPOConfig):
    r"""
    Configuration for [`UASGRPOTrainer`]: TRL's [`~trl.GRPOConfig`] plus the audio column, with paper stage 4 and the
    Table 8 defaults (AdamW β=(0.9, 0.95), weight decay 0.1, clipping 1.0, cosine schedule, 200 warm-up steps).

    Parameters that differ from `GRPOConfig`:

        stage (`int`, *optional*, defaults to `4`):
            Paper §3.2 stage; GRPO is stage 4 (everything but the audio encoder trains). `None` leaves the model's
            trainable parameters as they are.
        learning_rate (`float`, *optional*):
            Defaults to the stage-4 Table 8 value (5e-6; the paper's digit is illegible, see `uas_hf.trainers.stages`).
        warmup_steps (`float`, *optional*):
            Defaults to 200 (Table 8).
        audio_field (`str`, *optional*, defaults to `"audio"`):
            Dataset column with each prompt's audio clip (exactly one per prompt, matching one `{"type": "audio"}`
            part in the `prompt` messages).
        bf16 (`bool`, *optional*):
            Defaults to `True` only on a bf16-capable GPU.

    Example:
    ```python
    >>> from uas_hf.trainers import UASGRPOConfig

    >>> args = UASGRPOConfig(output_dir="out", num_generations=4, per_device_train_batch_size=4, report_to="none")
    >>> args.learning_rate, args.warmup_steps, args.stage
    (5e-06, 200, 4)
    ```
    """

    stage: int | None = field(
        default=4,
        metadata={
            "help": "Paper §3.2 stage (GRPO is stage 4: all but the audio encoder trains); None keeps the model's."
        },
    )
    learning_rate: float | None = field(
        default=None, metadata={"help": "Peak learning rate; defaults to the stage-4 Table 8 value (5e-6)."}
    )
    warmup_steps: float | None = field(
        default=None, metadata={"help": "Linear warm-up steps (int) or ratio (float in [0, 1)); Table 8: 200."}
    )
    lr_scheduler_type: str = field(
        default=LR_SCHEDULER_TYPE, metadata={"help": "Learning-rate schedule; Table 8: cosine with linear warm-up."}
    )
    adam_beta1: float = field(default=ADAM_BETA1, metadata={"help": "AdamW β1 (Table 8: 0.9)."})
    adam_beta2: float = field(default=ADAM_BETA2, metadata={"help": "AdamW β2 (Table 8: 0.95)."})
    weight_decay: float = field(default=WEIGHT_DECAY, metadata={"help": "AdamW weight decay (Table 8: 0.1)."})
    max_grad_norm: float = field(default=MAX_GRAD_NORM, metadata={"help": "Gradient clipping norm (Table 8: 1.0)."})
    bf16: bool | None = field(
        default=None,
        metadata={"help": "bf16 mixed precision; defaults to True only on a bf16-capable GPU (CPU runs stay fp32)."},
    )
    gradient_checkpointing: bool | None = field(
        default=None,
        metadata={
            "help": "Deprecated alias of `activation_checkpointing`; left off unless asked (set "
            "`activation_checkpointing: true` for 7B-scale runs)."
        },
    )
    audio_field: str = field(
        default="audio", metadata={"help": "Dataset column with each prompt's audio clip (one per prompt)."}
    )
    plot_training_curves: bool = field(
        default=True,
        metadata={"help": "Save `training_curves.png` (loss, learning rate, rewards) in `output_dir` at the end."},
    )

    def __post_init__(self):
        resolve_stage_defaults(self, "grpo")
        super().__post_init__()
        check_common(self)
        if self.use_vllm:
            raise ValueError(
                "`use_vllm=True` is not supported by UASGRPOTrainer: vLLM would generate without the audio features. "
                "Set `use_vllm=False` (transformers generation)."
            )
        if self.use_transformers_continuous_batching:
            raise ValueError(
                "`use_transformers_continuous_batching=True` drops multimodal inputs; set it to False for audio."
            )
        if self.remove_unused_columns:
            raise ValueError(
                "`remove_unused_columns=True` would drop the audio column and the reward columns; set it to False."
            )
