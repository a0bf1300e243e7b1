"""Which parameters train in each stage of the UAS-Audio recipe (paper §3.2, Table 8); reused by the trainers."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn


STAGES = {
    1: "new token embeddings + LM head (discrete token alignment)",
    2: "projector only (audio-LLM adaptation)",
    3: "everything except the audio encoder (full instruction tuning)",
    4: "everything except the audio encoder (GRPO)",
}
_HOOKS_ATTR = "_uas_stage_grad_hooks"


def _remove_row_hooks(model: nn.Module) -> None:
    for handle in getattr(model, _HOOKS_ATTR, []):
        handle.remove()
    setattr(model, _HOOKS_ATTR, [])


def _keep_rows_hook(rows: torch.Tensor):
    def hook(grad: torch.Tensor) -> torch.Tensor:
        mask = torch.zeros(grad.shape[0], 1, dtype=grad.dtype, device=grad.device)
        mask[rows.to(grad.device)] = 1
        return grad * mask

    return hook


def set_trainable_stage(model: nn.Module, stage: int, *, new_token_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Set `requires_grad` on a `UASAudioForCausalLM` for paper stage ``stage``; the audio encoder never trains.

    - 1: input embeddings + LM head. With ``new_token_ids``, gradient hooks zero every other row, so only the new
      tokens' embeddings / output rows change (weight decay aside: use `weight_decay=0` for these tensors).
    - 2: projector only.
    - 3 and 4: everything except the audio encoder.

    Calling it again replaces the previous stage's settings (and hooks).

    Args:
        model (`UASAudioForCausalLM`): the model (a PEFT wrapper's `base_model.model` also works).
        stage (`int`): 1, 2, 3 or 4.
        new_token_ids (`Iterable[int]`, *optional*): stage 1 only; the rows allowed to change.

    Returns:
        `dict` with `trainable` and `total` parameter counts.

    >>> from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio
    >>> model, _ = build_tiny_uas_audio()
    >>> counts = set_trainable_stage(model, 2)
    >>> counts["trainable"] == sum(p.numel() for p in model.model.projector.parameters())
    True
    """
    if stage not in STAGES:
        raise ValueError(f"`stage` must be one of {sorted(STAGES)} ({STAGES}), got {stage!r}.")
    if new_token_ids is not None and stage != 1:
        raise ValueError(f"`new_token_ids` only applies to stage 1, got stage {stage}. Drop `new_token_ids`.")
    rows = None
    if new_token_ids is not None:
        rows = torch.as_tensor(sorted({int(i) for i in new_token_ids}), dtype=torch.long)
        vocab = model.get_input_embeddings().weight.shape[0]
        if rows.numel() == 0 or rows.min() < 0 or rows.max() >= vocab:
            raise ValueError(
                f"`new_token_ids` must be non-empty ids in [0, {vocab}), got {rows.tolist()[:10]}. Pass the ids of the "
                "tokens added to the tokenizer."
            )
    backbone = model.model
    _remove_row_hooks(model)
    model.requires_grad_(False)
    if stage == 1:
        tensors = {model.get_input_embeddings().weight, model.get_output_embeddings().weight}
        for weight in tensors:
            weight.requires_grad_(True)
        if rows is not None:
            setattr(model, _HOOKS_ATTR, [w.register_hook(_keep_rows_hook(rows)) for w in tensors])
    elif stage == 2:
        backbone.projector.requires_grad_(True)
    else:
        model.requires_grad_(True)
        backbone.audio_encoder.requires_grad_(False)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"trainable": trainable, "total": sum(p.numel() for p in model.parameters())}


def trainable_parameter_names(model: nn.Module) -> list[str]:
    """Names of the parameters with `requires_grad=True` (tied weights listed once)."""
    return [name for name, p in model.named_parameters() if p.requires_grad]


__all__ = ["STAGES", "set_trainable_stage", "trainable_parameter_names"]
