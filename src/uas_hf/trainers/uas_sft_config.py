"""`UASSFTConfig`: TRL's `SFTConfig` with the audio collator's settings and the paper's Table 8 defaults."""

from dataclasses import dataclass, field
from typing import Any

import torch
from trl import SFTConfig

from .stages import ADAM_BETA1, ADAM_BETA2, LR_SCHEDULER_TYPE, MAX_GRAD_NORM, WEIGHT_DECAY, get_stage


def _bf16_available(use_cpu: bool) -> bool:
    return (not use_cpu) and torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def resolve_stage_defaults(config: Any, trainer_kind: str) -> None:
    """Fill `learning_rate` / `warmup_steps` left as `None` from the stage's Table 8 row; pick bf16 only on a GPU."""
    if config.stage is not None:
        recipe = get_stage(config.stage)
        if recipe.trainer != trainer_kind:
            other = "UASGRPOConfig" if recipe.trainer == "grpo" else "UASSFTConfig"
            raise ValueError(
                f"`stage`={config.stage} ({recipe.name}) is trained with {recipe.trainer.upper()}, not "
                f"{trainer_kind.upper()}. Use `{other}` for it, or pick a stage among those this trainer runs."
            )
        if config.learning_rate is None:
            config.learning_rate = recipe.learning_rate
        if config.warmup_steps is None:
            config.warmup_steps = recipe.warmup_steps
    if config.learning_rate is None:
        config.learning_rate = 1e-4 if trainer_kind == "sft" else 1e-6
    if config.warmup_steps is None:
        config.warmup_steps = 0
    if config.bf16 is None:
        # TRL defaults to bf16; that fails or crawls on a CPU-only machine, so only turn it on with a bf16 GPU
        config.bf16 = (not config.fp16) and _bf16_available(config.use_cpu)


def check_common(config: Any) -> None:
    """Cross-field checks shared by the UAS configs; each error names the setting, the value and the fix."""
    for name in ("adam_beta1", "adam_beta2"):
        value = getattr(config, name)
        if not 0.0 <= value < 1.0:
            raise ValueError(f"`{name}` must be in [0, 1), got {value}. Table 8 uses β1=0.9, β2=0.95.")
    if config.learning_rate <= 0:
        raise ValueError(f"`learning_rate` must be positive, got {config.learning_rate}.")
    if config.weight_decay < 0:
        raise ValueError(f"`weight_decay` must be >= 0, got {config.weight_decay}. Table 8 uses 0.1.")
    if config.bf16 and config.fp16:
        raise ValueError("`bf16` and `fp16` are both set; pick one (bf16 on Ampere or newer GPUs).")
    if config.audio_field == "":
        raise ValueError("`audio_field` must name the dataset's audio column (e.g. 'audio'), got ''.")


@dataclass
class UASSFTConfig(SFTConfig):
    r"""
    Configuration for [`UASSFTTrainer`]: TRL's [`~trl.SFTConfig`] plus the audio settings, with the paper's Table 8
    optimizer defaults (AdamW β=(0.9, 0.95), weight decay 0.1, clipping 1.0, cosine schedule with linear warm-up).

    Parameters that differ from `SFTConfig`:

        stage (`int`, *optional*):
            Paper §3.2 stage (1 alignment, 2 projector adaptation, 3 full instruction tuning). Sets the trainable
            parameter groups through the model's `set_trainable_stage`, and `learning_rate` / `warmup_steps` from Table
            8 when those are left unset. Stage 4 is GRPO: use [`UASGRPOConfig`].
        learning_rate (`float`, *optional*):
            Peak learning rate. Defaults to the stage's Table 8 value (5e-4 / 2e-4 / 1e-4), or 1e-4 without a stage.
        warmup_steps (`float`, *optional*):
            Linear warm-up steps (an int) or ratio (a float in [0, 1)). Defaults to Table 8 (500 / 1000 / 1000).
        packing (`bool`, *optional*, defaults to `False`):
            Padding-free packing of several samples per row (done by the audio collator; TRL's own packing refuses
            processors).
        max_packed_length (`int`, *optional*):
            Token budget of a packed row; `None` packs each batch into one row.
        packed_attention (`str`, *optional*, defaults to `"varlen"`):
            With packing and an SDPA model, `"varlen"` switches the model to `sdpa_varlen` (SDPA per packed sample;
            identical results, no dense block-diagonal mask); `"mask"` keeps SDPA with the mask.
        max_length (`int`, *optional*):
            Truncate samples to this many tokens; truncation never cuts audio placeholders (that is an error).
        assistant_only_loss (`bool`, *optional*, defaults to `True`):
            Loss on assistant tokens only (never on prompts, audio placeholders or padding).
        messages_field / audio_field (`str`):
            Dataset columns with the conversation and the audio.
        bf16 (`bool`, *optional*):
            Defaults to `True` only when a bf16-capable GPU is used, so CPU runs stay in fp32.
        keep_audio_graph (`bool`, *optional*, defaults to `True`):
            Run the audio branch on a dummy window for batches without audio (0x its output joins the loss), so
            ZeRO-3 ranks stay in step and DDP sees every trainable parameter used.
        plot_training_curves (`bool`, *optional*, defaults to `True`):
            Save `training_curves.png` in `output_dir` when training ends.

    Example:
    ```python
    >>> from uas_hf.trainers import UASSFTConfig

    >>> args = UASSFTConfig(output_dir="out", stage=2, packing=True, report_to="none")
    >>> args.learning_rate, args.warmup_steps, args.adam_beta2, args.lr_scheduler_type.value
    (0.0002, 1000, 0.95, 'cosine')
    ```
    """

    stage: int | None = field(
        default=None,
        metadata={
            "help": "Paper §3.2 stage: 1 alignment, 2 projector adaptation, 3 full instruction tuning (4 is GRPO: use "
            "UASGRPOConfig). Selects the trainable parameter groups and the Table 8 learning rate / warm-up."
        },
    )
    learning_rate: float | None = field(
        default=None,
        metadata={"help": "Peak learning rate; defaults to the stage's Table 8 value (5e-4/2e-4/1e-4), else 1e-4."},
    )
    warmup_steps: float | None = field(
        default=None,
        metadata={
            "help": "Linear warm-up steps (int) or ratio of total steps (float in [0, 1)); defaults to Table 8 "
            "(500/1000/1000), else 0."
        },
    )
    lr_scheduler_type: str = field(
        default=LR_SCHEDULER_TYPE,
        metadata={"help": "Learning-rate schedule; Table 8: cosine with linear warm-up."},
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
            "help": "Deprecated alias of `activation_checkpointing` (TRL turns it on; we leave it off unless asked, "
            "so tiny CPU runs stay fast). Set `activation_checkpointing: true` for 7B-scale runs."
        },
    )
    max_length: int | None = field(
        default=None,
        metadata={"help": "Truncate each sample to this many tokens; audio placeholders are never cut (error)."},
    )
    packing: bool = field(
        default=False,
        metadata={
            "help": "Padding-free packing of several samples per row with per-sample position ids (no cross-sample "
            "attention), done by the audio collator."
        },
    )
    max_packed_length: int | None = field(
        default=None,
        metadata={"help": "Token budget of one packed row; None packs each batch into a single row."},
    )
    packed_attention: str = field(
        default="varlen",
        metadata={
            "help": "How packed samples are kept apart when the model uses SDPA: 'varlen' runs SDPA per sample "
            "(`sdpa_varlen`, cost sum L_i^2, like flash-attention's varlen kernels); 'mask' keeps SDPA with a dense "
            "block-diagonal mask (cost L^2 per row). Flash-attention models use the collator's `cu_seq_lens_*` "
            "either way."
        },
    )
    assistant_only_loss: bool = field(
        default=True,
        metadata={"help": "Compute the loss on assistant tokens only (never on prompts or audio placeholders)."},
    )
    messages_field: str = field(
        default="messages", metadata={"help": "Dataset column with the conversation (chat messages)."}
    )
    audio_field: str = field(default="audio", metadata={"help": "Dataset column with the audio clip(s)."})
    remove_unused_columns: bool = field(
        default=False,
        metadata={"help": "Keep raw columns: the audio collator needs `messages` and `audio`."},
    )
    dataset_kwargs: dict[str, Any] | str | None = field(
        default_factory=lambda: {"skip_prepare_dataset": True},
        metadata={"help": "TRL dataset preparation is skipped: the audio collator tokenizes on the fly."},
    )
    plot_training_curves: bool = field(
        default=True,
        metadata={"help": "Save `training_curves.png` (loss, learning rate, rewards) in `output_dir` at the end."},
    )
    keep_audio_graph: bool = field(
        default=True,
        metadata={
            "help": "On batches without audio, run the encoder + projector on a dummy window and add 0x its output, "
            "so every rank runs the same collectives (DeepSpeed ZeRO-3 would hang otherwise) and DDP needs no "
            "`find_unused_parameters`."
        },
    )

    def __post_init__(self):
        resolve_stage_defaults(self, "sft")
        super().__post_init__()
        check_common(self)
        if self.max_packed_length is not None and not self.packing:
            raise ValueError(
                f"`max_packed_length`={self.max_packed_length} only applies with packing; set `packing=True` or "
                "remove `max_packed_length`."
            )
        for name in ("max_length", "max_packed_length"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"`{name}` must be a positive number of tokens or None, got {value}.")
        if (
            self.max_packed_length is not None
            and self.max_length is not None
            and self.max_length > self.max_packed_length
        ):
            raise ValueError(
                f"`max_length`={self.max_length} exceeds `max_packed_length`={self.max_packed_length}, so a sample "
                "may not fit in a packed row. Set `max_length <= max_packed_length`."
            )
        if self.packed_attention not in ("varlen", "mask"):
            raise ValueError(f"`packed_attention` must be 'varlen' or 'mask', got {self.packed_attention!r}.")
        if self.padding_free:
            raise ValueError(
                "`padding_free=True` is TRL's text-only path and refuses audio processors; set `packing=True` "
                "instead (the audio collator packs padding-free)."
            )
        if self.remove_unused_columns:
            raise ValueError(
                "`remove_unused_columns=True` would drop the `messages` and `audio` columns the audio collator "
                "needs; set it to False."
            )
