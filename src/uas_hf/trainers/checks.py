"""Checks run when a trainer is built, so bad input fails before the first training step with a fix in the message."""

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from torch import nn

from ..utils.logging import get_logger


logger = get_logger(__name__)


def dataset_columns(dataset: Any) -> list[str] | None:
    """Column names of a `datasets.Dataset` / `IterableDataset` (None when unknown, e.g. a plain list)."""
    names = getattr(dataset, "column_names", None)
    if names is None and getattr(dataset, "features", None) is not None:
        names = list(dataset.features)
    if isinstance(names, dict):  # DatasetDict
        return None
    return list(names) if names is not None else None


def first_examples(dataset: Any, n: int) -> list[dict]:
    """The first ``n`` examples of a map-style or iterable dataset (or list)."""
    if hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__") and not isinstance(dataset, dict):
        return [dataset[i] for i in range(min(n, len(dataset)))]
    return list(islice(iter(dataset), n))


def require_columns(dataset: Any, alternatives: Sequence[Sequence[str]], *, setting: str, fix: str) -> None:
    """Raise when ``dataset`` has none of the column sets in ``alternatives`` (each a set that must all be present)."""
    columns = dataset_columns(dataset)
    if columns is None:
        sample = first_examples(dataset, 1)
        if not sample:
            raise ValueError(f"`{setting}` is empty; pass a dataset with at least one example.")
        columns = list(sample[0])
    if any(all(c in columns for c in needed) for needed in alternatives):
        return
    wanted = " or ".join("+".join(f"`{c}`" for c in needed) for needed in alternatives)
    raise ValueError(f"`{setting}` lacks the required column(s) {wanted}; its columns are {sorted(columns)}. {fix}")


def trainable_parameter_groups(model: nn.Module) -> dict[str, int]:
    """Trainable parameter counts per group (``audio_encoder``, ``projector``, ``language_model.embed_tokens``,
    ``language_model.layers``, ``lm_head``, ...)."""
    groups: dict[str, int] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        parts = [p for p in name.split(".") if p not in ("base_model", "model", "modules_to_save", "default")]
        # the language model splits into embeddings / layers / norm, which the paper's stages treat differently
        key = ".".join(parts[:2]) if parts[:1] == ["language_model"] else (parts[0] if parts else name)
        groups[key] = groups.get(key, 0) + param.numel()
    return groups


def check_something_trains(model: nn.Module, *, stage: int | None) -> int:
    """Return the number of trainable parameters; raise when it is zero (a config that freezes everything)."""
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if n == 0:
        where = f"`stage`={stage} left" if stage is not None else "The model has"
        raise ValueError(
            f"{where} no trainable parameters: every parameter has requires_grad=False, so training would change "
            "nothing. Pick a stage that trains something (1 embeddings+LM head, 2 projector, 3/4 all but the "
            "encoder), pass a `peft_config`, or unfreeze parameters before building the trainer."
        )
    return n


def check_reward_funcs(reward_funcs: Iterable[Any], examples: list[dict], names: Sequence[str]) -> None:
    """Call each plain-function reward on dummy completions for ``examples``; check it returns one value per row."""
    if not examples:
        return
    keys = [k for k in examples[0] if k not in ("prompt", "completion", "completion_ids")]
    columns = {k: [ex.get(k) for ex in examples] for k in keys}
    conversational = isinstance(examples[0].get("prompt"), list)
    completions = (
        [[{"role": "assistant", "content": ""}] for _ in examples] if conversational else [""] * len(examples)
    )
    for func, name in zip(reward_funcs, names):
        if isinstance(func, nn.Module) or not callable(func):
            continue
        try:
            out = func(
                prompts=[ex.get("prompt") for ex in examples],
                completions=completions,
                completion_ids=[[] for _ in examples],
                **columns,
            )
        except TypeError as e:
            raise ValueError(
                f"Reward function `{name}` cannot be called as reward(prompts=..., completions=..., "
                f"completion_ids=..., **dataset_columns) with the dataset columns {sorted(keys)}: {e}. Add "
                "`**kwargs` to its signature and make sure the columns it needs exist in the dataset."
            ) from e
        if hasattr(out, "__await__"):
            out.close()  # async reward: its length is checked by TRL at the first step
            continue
        if out is None or not hasattr(out, "__len__") or len(out) != len(examples):
            got = "None" if out is None else (len(out) if hasattr(out, "__len__") else type(out).__name__)
            raise ValueError(
                f"Reward function `{name}` returned {got} rewards for {len(examples)} completions; it must return "
                "a list with exactly one float (or None) per completion."
            )
