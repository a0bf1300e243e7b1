"""Variable-length SDPA for packed rows: attend within each packed sample only, without a dense block-diagonal mask.

With padding-free packing the collator marks sample boundaries twice: `position_ids` restarting at 0 (from which
transformers builds a block-diagonal mask for SDPA) and flash-attention-style `cu_seq_lens_q` / `cu_seq_lens_k`
(cumulative sample lengths over the flattened batch, which flash-attention's varlen kernels use directly). A dense
block-diagonal mask still costs SDPA the full `L x L` attention of a packed row; flash-attention is CUDA-only. This
module registers `attn_implementation="sdpa_varlen"`: given `cu_seq_lens_q`, it gathers the packed samples into
right-padded slots, grouped by length into at most `MAX_BUCKETS` groups, and runs one causal SDPA call per group
(cost close to sum of L_i^2, on SDPA's fast causal path, no mask tensor); the projections and MLPs around it stay
packed. Without `cu_seq_lens_q` it is plain SDPA (padded
batches, generation).
"""

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask


VARLEN_SDPA = "sdpa_varlen"
#: Packed samples are attended in at most this many length groups (one SDPA call each).
MAX_BUCKETS = 3


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
    lengths = (bounds[1:] - bounds[:-1]).tolist()
    heads_kv = key.shape[1]

    def flat(x: torch.Tensor) -> torch.Tensor:
        return x.transpose(0, 1).reshape(x.shape[1], total, x.shape[-1])  # (heads, B*L, dim): the flattened batch

    q, k, v = flat(query), flat(key), flat(value)
    parts, positions = [], []
    for group in _length_buckets(lengths):
        # Gather the group's samples into right-padded slots (samples, heads, longest, dim). Causal attention never
        # lets a real query see the padded keys after it, so one causal SDPA call per group is exact.
        longest = max(lengths[i] for i in group)
        offsets = torch.arange(longest, device=query.device)
        starts = bounds[group].to(query.device)
        index = (starts[:, None] + offsets[None, :]).clamp(max=total - 1)
        valid = offsets[None, :] < torch.tensor([lengths[i] for i in group], device=query.device)[:, None]
        out = F.scaled_dot_product_attention(
            q[:, index].transpose(0, 1),
            k[:, index].transpose(0, 1),
            v[:, index].transpose(0, 1),
            dropout_p=dropout if module.training else 0.0,
            scale=scaling,
            is_causal=True,
            enable_gqa=heads != heads_kv,
        )
        parts.append(out.transpose(0, 1)[:, valid])  # (heads, real tokens of the group, dim)
        positions.append(index[valid])
    order = torch.argsort(torch.cat(positions))
    out = torch.cat(parts, dim=1)[:, order]  # back to the flattened batch order
    return out.reshape(heads, batch, length, -1).permute(1, 2, 0, 3).contiguous(), None  # (B, L, H, D)


def _length_buckets(lengths: list[int], max_buckets: int = MAX_BUCKETS) -> list[list[int]]:
    """Split sample indices into at most ``max_buckets`` groups of similar length, minimizing sum(n x longest^2).

    Each group becomes one padded SDPA call, so grouping short samples apart from long ones keeps the attention cost
    near sum(L_i^2) without one kernel call per sample.

    >>> _length_buckets([200, 560, 230, 540], max_buckets=2)
    [[0, 2], [1, 3]]
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    n = len(order)
    sorted_lengths = [lengths[i] for i in order]

    def cost(a: int, b: int) -> int:  # samples order[a:b] in one group
        return (b - a) * sorted_lengths[b - 1] ** 2

    # best[g][j]: cheapest split of the first j samples into g groups (dynamic programming over sorted lengths)
    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(max_buckets + 1)]
    cut = [[0] * (n + 1) for _ in range(max_buckets + 1)]
    best[0][0] = 0
    for g in range(1, max_buckets + 1):
        for j in range(1, n + 1):
            for i in range(g - 1, j):
                candidate = best[g - 1][i] + cost(i, j)
                if candidate < best[g][j]:
                    best[g][j], cut[g][j] = candidate, i
    groups_used = min(range(1, max_buckets + 1), key=lambda g: best[g][n])
    groups, j = [], n
    for g in range(groups_used, 0, -1):
        i = cut[g][j]
        groups.append(sorted(order[i:j]))
        j = i
    return groups[::-1]


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
