"""Keep the audio branch in every training graph, also for batches without audio (DeepSpeed ZeRO-3, DDP).

A text-only batch (a text-only dataset in the mixture, or a packed row of text-only samples) never calls the audio
encoder or the projector. Under DeepSpeed ZeRO-3 each submodule call all-gathers its sharded parameters, so a rank
with a text-only batch skips collectives the other ranks run and training hangs; under DDP the projector's
parameters receive no gradient, which fails without `find_unused_parameters=True`. The fix peers use: run the encoder
+ projector on one dummy window of silence and add 0 x its output to the backbone's output, so the graph (and the
collective sequence) is the same on every rank while the numbers are unchanged.
"""

import torch
from torch import nn

from ..utils.logging import get_logger


logger = get_logger(__name__)

_HANDLE_ATTR = "_uas_text_only_audio_hook"


def _backbone(model: nn.Module) -> nn.Module | None:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    backbone = getattr(base, "model", None)
    return backbone if hasattr(backbone, "get_audio_features") else None


def _dummy_audio_hook(module: nn.Module, args, kwargs, output):
    if not module.training or kwargs.get("input_features") is not None:
        return output
    if kwargs.get("past_key_values") is not None and kwargs["past_key_values"].get_seq_length() > 0:
        return output  # a generation decode step, not a training forward
    config = module.config
    reference = output.last_hidden_state
    frames = config.audio_window_frames
    features = reference.new_zeros((1, config.audio_config.num_mel_bins, frames))
    mask = torch.ones((1, frames), dtype=torch.long, device=reference.device)
    audio_embeds, _ = module.get_audio_features(features, mask)
    output.last_hidden_state = reference + 0.0 * audio_embeds.sum().to(reference.dtype)
    return output


def keep_audio_graph_on_text_only(model: nn.Module) -> bool:
    """Install (once) a forward hook on the UAS-Audio backbone that runs the audio branch on a dummy window whenever
    a training forward has no `input_features`. Returns whether the model has such a backbone.

    Example:
    ```python
    >>> from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio
    >>> model, _ = build_tiny_uas_audio()
    >>> keep_audio_graph_on_text_only(model)
    True
    ```
    """
    backbone = _backbone(model)
    if backbone is None:
        return False
    if getattr(backbone, _HANDLE_ATTR, None) is None:
        handle = backbone.register_forward_hook(_dummy_audio_hook, with_kwargs=True)
        setattr(backbone, _HANDLE_ATTR, handle)
    return True
