"""`UASSFTTrainer`: TRL's `SFTTrainer` with audio — the audio collator, padding-free packing, paper stages."""

import textwrap
from typing import Any

from transformers import ProcessorMixin
from trl import SFTTrainer

from ..data.collators import UASAudioCollator
from ..utils.logging import get_logger
from .audio_graph import keep_audio_graph_on_text_only
from .callbacks import TrainingCurvesCallback
from .checks import check_something_trains, first_examples, require_columns, trainable_parameter_groups
from .peft_utils import check_peft_config
from .stages import get_stage
from .uas_sft_config import UASSFTConfig
from .varlen_attention import register_varlen_sdpa


logger = get_logger(__name__)

#: Examples encoded with the collator when the trainer is built, to surface data errors before training starts.
PREFLIGHT_EXAMPLES = 2

UAS_PAPER = {
    "title": "Unified Audio Schema (UAS) for perception-aware audio language models",
    "id": "2604.12506",
    # docstyle-ignore
    "citation": textwrap.dedent("""\
        @misc{uas2026,
            title         = {{Unified Audio Schema (UAS) for perception-aware audio language models}},
            year          = 2026,
            eprint        = {2604.12506},
            archivePrefix = {arXiv},
        }"""),
}


def apply_stage(model, stage: int | None, *, peft_config=None) -> None:
    """Set the trainable parameter groups of paper ``stage`` with the model's freezing helper (no-op for `None`)."""
    if stage is None:
        return
    get_stage(stage)
    if peft_config is not None:
        logger.warning(
            "`stage`=%s is ignored for trainability because a `peft_config` is given: PEFT trains the adapters and "
            "`modules_to_save` only.",
            stage,
        )
        return
    from ..models.uas_audio import set_trainable_stage

    set_trainable_stage(model, stage)


def _uses_sdpa(model) -> bool:
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    return getattr(config, "_attn_implementation", None) == "sdpa"


def load_model_and_processor(model: Any, processing_class: Any, args) -> tuple[Any, Any]:
    """Load ``model`` (a path / Hub id) and its processor when they are not already objects."""
    from transformers import AutoModelForCausalLM, AutoProcessor

    import uas_hf.models.uas_audio  # noqa: F401 - registers UAS-Audio with the Auto classes

    if isinstance(model, str):
        kwargs = dict(args.model_init_kwargs or {})
        kwargs.setdefault("trust_remote_code", args.trust_remote_code)
        name = model
        model = AutoModelForCausalLM.from_pretrained(name, **kwargs)
        if processing_class is None:
            processing_class = AutoProcessor.from_pretrained(name, trust_remote_code=args.trust_remote_code)
    if processing_class is None:
        name = getattr(model.config, "_name_or_path", None)
        if not name:
            raise ValueError(
                "`processing_class` is required when `model` is an object without a saved path: pass the model's "
                "processor (e.g. `UASAudioProcessor`)."
            )
        processing_class = AutoProcessor.from_pretrained(name, trust_remote_code=args.trust_remote_code)
    if not isinstance(processing_class, ProcessorMixin):
        raise TypeError(
            f"`processing_class` must be the model's multimodal processor (a `ProcessorMixin` such as "
            f"`UASAudioProcessor`), got {type(processing_class).__name__}. A bare tokenizer cannot turn audio into "
            "`input_features`."
        )
    return model, processing_class


class UASSFTTrainer(SFTTrainer):
    r"""
    Supervised fine-tuning of audio LLMs (UAS-Audio stages 1–3) on TRL's [`~trl.SFTTrainer`].

    On top of `SFTTrainer` it: collates audio with [`~uas_hf.data.collators.UASAudioCollator`] (features carried to the
    model, loss on assistant tokens only, optional padding-free packing — TRL refuses packing for processors); applies
    the paper stage's trainable parameter groups (`args.stage`); checks the dataset, the audio placeholders, the
    trainable parameters and the PEFT targets when it is built; and saves `training_curves.png` at the end.

    Args:
        model (`str` or [`~transformers.PreTrainedModel`]):
            The model or its path / Hub id (`UASAudioForCausalLM`).
        args ([`UASSFTConfig`], *optional*):
            Training configuration. Defaults to `UASSFTConfig("<model>-UAS-SFT")`.
        data_collator (*optional*):
            Defaults to a `UASAudioCollator` built from `args`.
        train_dataset / eval_dataset ([`~datasets.Dataset`]):
            Conversational examples: `messages` (or `prompt` + `completion`) with `{"type": "audio"}` parts, and the
            audio in `audio` (see `uas_hf.trainers.mixture` for ASR / UAS / UAS-QA / caption formatting and mixing).
        processing_class ([`~transformers.ProcessorMixin`], *optional*):
            The model's processor; loaded from the model path when omitted.
        peft_config ([`~peft.PeftConfig`], *optional*):
            LoRA on the language model with the projector trained (see [`uas_lora_config`]).

    Example:
    ```python
    >>> from uas_hf.trainers import UASSFTConfig, UASSFTTrainer

    >>> args = UASSFTConfig(output_dir="out", stage=2, packing=True, max_steps=10)  # doctest: +SKIP
    >>> trainer = UASSFTTrainer(model, args=args, train_dataset=ds, processing_class=processor)  # doctest: +SKIP
    >>> trainer.train()  # doctest: +SKIP
    ```
    """

    _tag_names = ["trl", "sft", "uas-hf", "audio"]
    _name = "UAS SFT"
    _paper = UAS_PAPER

    def __init__(
        self,
        model: Any,
        args: UASSFTConfig | None = None,
        data_collator: Any = None,
        train_dataset: Any = None,
        eval_dataset: Any = None,
        processing_class: Any = None,
        callbacks: list | None = None,
        optimizers: tuple = (None, None),
        peft_config: Any = None,
        **kwargs: Any,
    ):
        if args is None:
            name = model if isinstance(model, str) else getattr(model.config, "_name_or_path", "") or "uas-audio"
            args = UASSFTConfig(f"{name.rstrip('/').split('/')[-1]}-UAS-SFT")
        if not isinstance(args, UASSFTConfig):
            raise TypeError(
                f"`args` must be a `UASSFTConfig`, got {type(args).__name__}. Build it with "
                "`UASSFTConfig(output_dir=..., ...)`: it carries the audio collator settings and Table 8 defaults."
            )
        if train_dataset is None:
            raise ValueError("`train_dataset` is required: pass conversational examples with audio.")
        model, processing_class = load_model_and_processor(model, processing_class, args)

        require_columns(
            train_dataset,
            [[args.messages_field], ["prompt", "completion"]],
            setting="train_dataset",
            fix=f"Format it with `uas_hf.trainers.mixture` (ASR / UAS / QA / caption formatters), or set "
            f"`messages_field` (now {args.messages_field!r}) to the column holding the chat messages.",
        )

        apply_stage(model, args.stage, peft_config=peft_config)
        if peft_config is not None:
            check_peft_config(model, peft_config)
        else:
            check_something_trains(model, stage=args.stage)

        if data_collator is None:
            data_collator = UASAudioCollator(
                processing_class,
                max_length=args.max_length,
                packing=args.packing,
                max_packed_length=args.max_packed_length,
                pad_to_multiple_of=args.pad_to_multiple_of if isinstance(args.pad_to_multiple_of, int) else None,
                assistant_only_loss=args.assistant_only_loss,
                messages_field=args.messages_field,
                audio_field=args.audio_field,
            )
        if isinstance(data_collator, UASAudioCollator):
            # Placeholder / audio mismatches, too-long samples and template problems surface now, not at step 1
            for i, example in enumerate(first_examples(train_dataset, PREFLIGHT_EXAMPLES)):
                data_collator.encode(example, i)

        if args.packing and args.packed_attention == "varlen" and _uses_sdpa(model):
            model.set_attn_implementation(register_varlen_sdpa())
            logger.info("Packed samples attend through `sdpa_varlen` (per-sample SDPA, no block-diagonal mask)")

        if args.keep_audio_graph and keep_audio_graph_on_text_only(model) and args.ddp_find_unused_parameters is None:
            # Every trainable parameter now joins every step's graph: DDP can skip its unused-parameter search
            args.ddp_find_unused_parameters = False

        callbacks = list(callbacks or [])
        if args.plot_training_curves and not any(isinstance(c, TrainingCurvesCallback) for c in callbacks):
            callbacks.append(TrainingCurvesCallback())

        # TRL's own packing / assistant-mask machinery refuses processors; our collator does both, so hide the flags
        # from SFTTrainer.__init__ and restore them afterwards (they stay visible in the saved training args).
        packing, assistant_only_loss = args.packing, args.assistant_only_loss
        args.packing, args.assistant_only_loss = False, False
        try:
            super().__init__(
                model=model,
                args=args,
                data_collator=data_collator,
                train_dataset=train_dataset,
                eval_dataset=eval_dataset,
                processing_class=processing_class,
                callbacks=callbacks,
                optimizers=optimizers,
                peft_config=peft_config,
                **kwargs,
            )
        finally:
            args.packing, args.assistant_only_loss = packing, assistant_only_loss
        if peft_config is not None:
            check_something_trains(self.model, stage=args.stage)
        groups = trainable_parameter_groups(self.model)
        logger.info("Trainable parameters by group: %s", groups)
