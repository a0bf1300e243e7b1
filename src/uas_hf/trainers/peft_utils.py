"""PEFT LoRA for UAS-Audio: adapters on the language model only, the projector fully trainable, merge and save."""

import os
import re
from collections.abc import Sequence
from typing import Any

from torch import nn

from ..utils.logging import get_logger


logger = get_logger(__name__)

#: Attention projections of Qwen2/Llama-style language models.
DEFAULT_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")
#: Module (suffix) names of UAS-Audio trained in full next to the adapters.
DEFAULT_MODULES_TO_SAVE = ("projector",)
_ENCODER_PREFIX = "audio_encoder"


def language_model_target_regex(targets: Sequence[str]) -> str:
    """A PEFT `target_modules` regex matching ``targets`` inside the language model only.

    Plain names such as ``"q_proj"`` would also hit the Whisper / Qwen2-Audio encoder, which every paper stage keeps
    frozen. PEFT full-matches a string `target_modules` against module names.

    >>> language_model_target_regex(["q_proj", "v_proj"])
    '.*language_model.*\\\\.(q_proj|v_proj)'
    """
    names = "|".join(re.escape(t) for t in targets)
    return rf".*language_model.*\.({names})"


def uas_lora_config(
    r: int = 16,
    lora_alpha: int = 32,
    lora_dropout: float = 0.05,
    target_modules: Sequence[str] = DEFAULT_LORA_TARGETS,
    modules_to_save: Sequence[str] | None = DEFAULT_MODULES_TO_SAVE,
    **kwargs: Any,
):
    """Return a `peft.LoraConfig` with adapters on the language model's ``target_modules`` and the projector trained.

    Example:
    ```python
    >>> from uas_hf.trainers import uas_lora_config

    >>> config = uas_lora_config(r=8, target_modules=["q_proj", "v_proj"])
    >>> config.target_modules, sorted(config.modules_to_save)
    ('.*language_model.*\\\\.(q_proj|v_proj)', ['projector'])
    ```
    """
    from peft import LoraConfig

    return LoraConfig(
        r=r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        target_modules=language_model_target_regex(target_modules),
        modules_to_save=list(modules_to_save) if modules_to_save else None,
        task_type="CAUSAL_LM",
        **kwargs,
    )


def _matched_modules(model: nn.Module, peft_config) -> list[str]:
    from peft.tuners.tuners_utils import _ExcludedModule, check_target_module_exists

    matched = []
    for name, module in model.named_modules():
        if not name or not isinstance(module, (nn.Linear, nn.Embedding, nn.Conv1d)):
            continue
        hit = check_target_module_exists(peft_config, name)
        if hit and not isinstance(hit, _ExcludedModule):
            matched.append(name)
    return matched


def check_peft_config(model: nn.Module, peft_config) -> None:
    """Reject PEFT settings that cannot work with UAS-Audio, before any training step.

    Errors: `target_modules` matching nothing; adapters on the (always frozen) audio encoder; an adapter on
    `lm_head` (TRL computes log-probs from `lm_head.weight` directly, so it would never train). A warning when the
    projector is neither adapted nor in `modules_to_save` (it then stays frozen).
    """
    target_modules = getattr(peft_config, "target_modules", None)
    if target_modules is None:
        return  # prompt-learning methods and target_parameters configs: nothing to match here
    if isinstance(target_modules, str) and target_modules.lower() == "all-linear":
        raise ValueError(
            "`peft_config.target_modules='all-linear'` also adapts the audio encoder (frozen in every paper stage) "
            "and the projector. Use `uas_hf.trainers.uas_lora_config(target_modules=[...])`, which targets the "
            "language model only, e.g. r'.*language_model.*\\.(q_proj|v_proj)'."
        )
    matched = _matched_modules(model, peft_config)
    if not matched:
        raise ValueError(
            f"`peft_config.target_modules`={target_modules!r} matches no Linear/Embedding module of "
            f"{type(model).__name__}. Module names look like 'model.language_model.layers.0.self_attn.q_proj'; use "
            "`uas_lora_config(target_modules=['q_proj', 'v_proj'])` or a regex over those names."
        )
    in_encoder = [m for m in matched if f"{_ENCODER_PREFIX}." in m or m.startswith(_ENCODER_PREFIX)]
    if in_encoder:
        raise ValueError(
            f"`peft_config.target_modules`={target_modules!r} also matches {len(in_encoder)} audio-encoder modules "
            f"(e.g. {in_encoder[0]!r}); the encoder stays frozen in every paper stage. Restrict the targets to the "
            "language model: target_modules=r'.*language_model.*\\.(q_proj|v_proj)' (see `uas_lora_config`)."
        )
    if any(m == "lm_head" or m.endswith(".lm_head") for m in matched):
        raise ValueError(
            f"`peft_config.target_modules`={target_modules!r} matches `lm_head`: TRL computes log-probs from "
            "`lm_head.weight` directly, so the adapter would never train. Remove it from the targets; put "
            "'lm_head' in `modules_to_save` to train it in full."
        )
    modules_to_save = list(getattr(peft_config, "modules_to_save", None) or [])
    if not any("projector" in m for m in matched) and "projector" not in modules_to_save:
        logger.warning(
            "The projector is neither adapted nor in `peft_config.modules_to_save`, so it stays frozen. Add "
            "modules_to_save=['projector'] to train it (paper stages 2-4 train it)."
        )


def merge_and_save(model, output_dir: str, processor=None, **save_kwargs) -> nn.Module:
    """Merge LoRA adapters into the base weights, save the plain model (and ``processor``) to ``output_dir``.

    Returns the merged model (no PEFT wrappers), which loads with `AutoModelForCausalLM.from_pretrained`.

    Example:
    ```python
    >>> merged = merge_and_save(trainer.model, "out/merged", processor=processor)  # doctest: +SKIP
    ```
    """
    from peft import PeftModel

    if not isinstance(model, PeftModel):
        raise TypeError(
            f"`model` must be a `peft.PeftModel` (the trainer's model after training with `peft_config`), got "
            f"{type(model).__name__}. A model without adapters can be saved with `save_pretrained` directly."
        )
    merged = model.merge_and_unload()
    os.makedirs(output_dir, exist_ok=True)
    merged.save_pretrained(output_dir, **save_kwargs)
    if processor is not None:
        processor.save_pretrained(output_dir)
    logger.info("Saved merged model to %s", output_dir)
    return merged
