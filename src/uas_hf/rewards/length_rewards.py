"""Length rewards: discourage rambling completions (soft penalty near a budget, full penalty beyond it)."""

from collections.abc import Callable

from ._utils import completion_texts


def _lengths(completions: list, completion_ids: list | None) -> list[int]:
    # Token counts when the trainer passes them (GRPOTrainer does), else whitespace words
    if completion_ids is not None:
        return [len(ids) for ids in completion_ids]
    return [len(text.split()) for text in completion_texts(completions)]


def get_length_reward(max_length: int, soft_margin: int = 0) -> Callable[..., list[float]]:
    r"""
    Build a length reward: 0.0 up to ``max_length - soft_margin`` tokens, falling linearly to -1.0 at ``max_length``,
    -1.0 beyond (the DAPO soft over-long punishment). Lengths are token counts from `completion_ids` when the trainer
    passes them, else whitespace-separated words.

    Args:
        max_length (`int`):
            Length at and beyond which the penalty is -1.0 (usually `max_completion_length`).
        soft_margin (`int`, *optional*, defaults to `0`):
            Width of the linear ramp before `max_length`; 0 gives a hard step.

    Example:
    ```python
    >>> from uas_hf.rewards import get_length_reward

    >>> reward = get_length_reward(max_length=4, soft_margin=2)
    >>> reward(["a", "a b c", "a b c d e"])
    [0.0, -0.5, -1.0]
    ```
    """
    if not isinstance(max_length, int) or max_length <= 0:
        raise ValueError(f"`max_length` must be a positive integer, got {max_length!r}.")
    if not isinstance(soft_margin, int) or not 0 <= soft_margin < max_length:
        raise ValueError(
            f"`soft_margin` must be an integer in [0, max_length) = [0, {max_length}), got {soft_margin!r}."
        )

    def length_reward(completions: list, completion_ids: list | None = None, **kwargs) -> list[float]:
        rewards = []
        for n in _lengths(completions, completion_ids):
            if n >= max_length:
                rewards.append(-1.0)
            elif soft_margin and n > max_length - soft_margin:
                rewards.append(-(n - (max_length - soft_margin)) / soft_margin)
            else:
                rewards.append(0.0)
        return rewards

    length_reward.__name__ = f"length_reward_{max_length}"
    return length_reward


#: Default length reward for short-answer GRPO (UAS-QA answers are a few tokens; 64 leaves room for a sentence).
length_reward = get_length_reward(max_length=64, soft_margin=32)
length_reward.__name__ = "length_reward"
