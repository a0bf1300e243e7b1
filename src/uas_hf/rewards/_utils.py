"""Shared helpers for reward functions: completion text extraction and small text normalizers."""

import re
import string
from collections.abc import Sequence
from typing import Any


_PUNCT_TABLE = str.maketrans(dict.fromkeys(string.punctuation, " "))


def completion_texts(completions: Sequence[Any]) -> list[str]:
    """Return the text of each completion, whether TRL passed plain strings or conversational messages.

    TRL passes ``list[str]`` for standard prompts and ``list[list[{"role": "assistant", "content": str}]]`` for
    conversational ones; the last message's ``content`` is the completion.
    """
    texts = []
    for i, completion in enumerate(completions):
        if isinstance(completion, str):
            texts.append(completion)
        elif isinstance(completion, (list, tuple)) and completion and isinstance(completion[-1], dict):
            content = completion[-1].get("content", "")
            if isinstance(content, list):  # content parts: keep the text ones
                content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
            texts.append(content or "")
        elif isinstance(completion, dict):
            texts.append(str(completion.get("content", "")))
        else:
            raise TypeError(
                f"`completions[{i}]` must be a string or a list of messages with a `content` key, got "
                f"{type(completion).__name__}. Pass the completions the way `GRPOTrainer` does."
            )
    return texts


def column(kwargs: dict[str, Any], name: str, n: int) -> list[Any]:
    """Return dataset column ``name`` from the reward kwargs, or ``n`` Nones when the dataset lacks it."""
    values = kwargs.get(name)
    if values is None:
        return [None] * n
    values = list(values)
    if len(values) != n:
        raise ValueError(
            f"Column `{name}` has {len(values)} values but there are {n} completions; TRL repeats each column once "
            "per generation, so pass one value per completion."
        )
    return values


def normalize_text(text: str | None) -> str:
    """Lower-case, strip punctuation and collapse whitespace (for lenient string comparison)."""
    if text is None:
        return ""
    return " ".join(text.lower().translate(_PUNCT_TABLE).split())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance divided by the reference length (normalized text; empty reference -> 0/1)."""
    ref, hyp = normalize_text(reference).split(), normalize_text(hypothesis).split()
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / len(ref)


def token_f1(reference: str | None, hypothesis: str | None) -> float:
    """Bag-of-words F1 between two free-text descriptions (both empty -> 1.0)."""
    ref, hyp = normalize_text(reference).split(), normalize_text(hypothesis).split()
    if not ref and not hyp:
        return 1.0
    if not ref or not hyp:
        return 0.0
    common = 0
    remaining = list(hyp)
    for token in ref:
        if token in remaining:
            remaining.remove(token)
            common += 1
    if common == 0:
        return 0.0
    precision, recall = common / len(hyp), common / len(ref)
    return 2 * precision * recall / (precision + recall)


_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def strip_code_fence(text: str) -> str:
    """Remove a surrounding Markdown code fence (```json ... ```), which LLMs often add around JSON."""
    match = _FENCE.match(text.strip())
    return match.group(1) if match else text.strip()
