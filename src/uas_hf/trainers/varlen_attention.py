"""Variable-length SDPA for packed rows: attend within each packed sample only, without a dense block-diagonal mask.

With padding-free packing the collator marks sample boundaries twice: `position_ids` restarting at 0 (from which
transformers builds a block-diagonal mask for SDPA) and flash-attention-style `cu_seq_lens_q` / `cu_seq_lens_k`
(cumulative sample lengths over the flattened batch, which flash-attention's varlen kernels use directly). A dense
block-diagonal mask still costs SDPA the full `L x L` attention of a packed row; flash-attention is CUDA-only. This
module registers `attn_implementation="sdpa_varlen"`, which runs causal SDPA on each sample's slice when
`cu_seq_lens_q` is given (cost: sum of L_i^2) and is plain SDPA otherwise (padded batches, generation).
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
    """`AttentionInterface` function: per-sample causal SDPA over `cu_seq_lens_q`, else transformers' SDPA."""
    cu_seq_lens = kwargs.get("cu_seq_lens_q")
    causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
    if cu_seq_lens is None or query.shape[2] != key.shape[2] or not causal:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, is_causal=is_causal, **kwargs
        )
    batch, heads, length, head_dim = query.shape
    kv_heads = key.shape[1]
    # (B, H, L, D) -> (H, B*L, D): the boundaries index the flattened batch, as in flash-attention's varlen API
    q = query.transpose(0, 1).reshape(heads, batch * length, head_dim)
    k = key.transpose(0, 1).reshape(kv_heads, batch * length, head_dim)
    v = value.transpose(0, 1).reshape(kv_heads, batch * length, value.shape[-1])
    bounds = cu_seq_lens.tolist()
    if bounds[0] != 0 or bounds[-1] != batch * length:
        raise ValueError(
            f"`cu_seq_lens_q` must run from 0 to batch * length = {batch * length}, got {bounds[0]}..{bounds[-1]}. "
            "Build packed batches with `UASAudioCollator(packing=True)`."
        )
    outputs = [
        F.scaled_dot_product_attention(
            q[None, :, start:end],
            k[None, :, start:end],
            v[None, :, start:end],
            dropout_p=dropout if module.training else 0.0,
            scale=scaling,
            is_causal=True,
            enable_gqa=heads != kv_heads,
        )[0]
        for start, end in zip(bounds[:-1], bounds[1:])
        if end > start
    ]
    out = torch.cat(outputs, dim=1).reshape(heads, batch, length, -1)
    return out.permute(1, 2, 0, 3).contiguous(), None  # (B, L, H, D), like transformers' SDPA


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
