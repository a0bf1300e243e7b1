"""Variable-length SDPA for packed rows: attend within each packed sample only, without a dense block-diagonal mask.

With padding-free packing the collator marks sample boundaries twice: `position_ids` restarting at 0 (from which
transformers builds a block-diagonal mask for SDPA) and flash-attention-style `cu_seq_lens_q` / `cu_seq_lens_k`
(cumulative sample lengths over the flattened batch, which flash-attention's varlen kernels use directly). A dense
block-diagonal mask still costs SDPA the full `L x L` attention of a packed row; flash-attention is CUDA-only. This
module registers `attn_implementation="sdpa_varlen"`: given `cu_seq_lens_q`, it gathers the packed samples into
right-padded slots and runs ONE causal SDPA call over them (cost: samples x longest^2, on SDPA's fast causal path, no
mask tensor); the projections and MLPs around it stay packed. Without `cu_seq_lens_q` it is plain SDPA (padded
batches, generation).
"""

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask


VARLEN_SDPA = "sdpa_varlen"


def varlen_sdpa_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    """`AttentionInterface` function: causal SDPA within each sample of `cu_seq_lens_q`, else transformers' SDPA."""
    cu_seq_lens = kwargs.get("cu_seq_lens_q")
    causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
    if cu_seq_lens is None or query.shape[2] != key.shape[2] or not causal:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, is_causal=is_causal, **kwargs
        )
    batch, heads, length, head_dim = query.shape
    total = batch * length
    bounds = cu_seq_lens.to(torch.long)
    if int(bounds[0]) != 0 or int(bounds[-1]) != total:
        raise ValueError(
            f"`cu_seq_lens_q` must run from 0 to batch * length = {total}, got {int(bounds[0])}..{int(bounds[-1])}. "
            "Build packed batches with `UASAudioCollator(packing=True)`."
        )
    lengths = bounds[1:] - bounds[:-1]
    longest = int(lengths.max())
    # Gather each sample into its own right-padded slot: (num_samples, heads, longest, dim). Causal attention never
    # lets a real query see the padded keys after it, so one batched causal SDPA call is exact for real positions.
    offsets = torch.arange(longest, device=query.device)
    index = (bounds[:-1, None].to(query.device) + offsets[None, :]).clamp(max=total - 1)
    valid = offsets[None, :] < lengths[:, None].to(query.device)

    def per_sample(x: torch.Tensor) -> torch.Tensor:
        flat = x.transpose(0, 1).reshape(x.shape[1], total, x.shape[-1])  # (heads, B*L, dim): the flattened batch
        return flat[:, index].transpose(0, 1)  # (num_samples, heads, longest, dim)

    out = F.scaled_dot_product_attention(
        per_sample(query),
        per_sample(key),
        per_sample(value),
        dropout_p=dropout if module.training else 0.0,
        scale=scaling,
        is_causal=True,
        enable_gqa=heads != key.shape[1],
    )
    out = out.transpose(0, 1)[:, valid]  # back to (heads, B*L, dim), samples in order
    return out.reshape(heads, batch, length, -1).permute(1, 2, 0, 3).contiguous(), None  # (B, L, H, D)


def register_varlen_sdpa() -> str:
    """Register `"sdpa_varlen"` with transformers' attention and mask interfaces (idempotent); return the name.

    Example:
    ```python
    >>> from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio
    >>> model, _ = build_tiny_uas_audio()
    >>> model.set_attn_implementation(register_varlen_sdpa())
    >>> model.config.text_config._attn_implementation
    'sdpa_varlen'
    ```
    """
    AttentionInterface.register(VARLEN_SDPA, varlen_sdpa_attention_forward)
    # Padded batches still need SDPA's mask; packed ones get a (then unused) block-diagonal mask from it
    ALL_MASK_ATTENTION_FUNCTIONS.register(VARLEN_SDPA, sdpa_mask)
    return VARLEN_SDPA
