"""The KV-cache choice shared by every batched generation path (evaluation runner, inference helpers).

transformers' default `DynamicCache` grows by `torch.cat` at every decoding step: each step copies the whole cache
into a fresh allocation. On a CPU at batch 16 that copy is about a third of a decode step
(`benchmarks/bench_model.py`), and it grows with the output length. A `StaticCache` is allocated once per
`generate()` call (prompt + `max_new_tokens` positions) and written in place, so batched generation keeps its
advantage over one-at-a-time generation. Greedy outputs are the same with either (tested).
"""

CACHE_IMPLEMENTATIONS = ("static", "dynamic")
DEFAULT_CACHE_IMPLEMENTATION = "static"


def cache_kwargs(cache_implementation: str) -> dict[str, str]:
    """`generate()` keyword arguments for ``cache_implementation`` (`"static"` or `"dynamic"`).

    Example:
    ```python
    >>> cache_kwargs("static")
    {'cache_implementation': 'static'}
    >>> cache_kwargs("dynamic")
    {}
    ```
    """
    if cache_implementation not in CACHE_IMPLEMENTATIONS:
        raise ValueError(
            f"`cache_implementation` must be one of {', '.join(CACHE_IMPLEMENTATIONS)}; got {cache_implementation!r}. "
            "Use 'static' (preallocated, the default) or 'dynamic' (transformers' growing cache)."
        )
    return {} if cache_implementation == "dynamic" else {"cache_implementation": cache_implementation}
