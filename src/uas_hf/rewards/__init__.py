"""Reward functions for GRPO on audio tasks (plain functions, TRL style).

Each reward is ``reward(completions, <dataset columns>, **kwargs) -> list[float | None]``: one value per completion,
`None` where the reward does not apply to a row (e.g. multiple-choice accuracy on a yes/no question).

>>> from uas_hf.rewards import format_reward, multiple_choice_accuracy_reward
>>> multiple_choice_accuracy_reward(["(B)"], answer=["B"], options=[["A. male", "B. female"]])
[1.0]
"""

from .accuracy_rewards import extract_choice, multiple_choice_accuracy_reward
from .format_rewards import FORMAT_TASK_TYPES, format_reward
from .length_rewards import get_length_reward, length_reward
from .uas_rewards import field_scores, uas_field_accuracy_reward, uas_json_validity_reward


#: Rewards by name, for configs and the CLI (`reward_funcs: [multiple_choice_accuracy, format]`).
REWARD_FUNCS = {
    "multiple_choice_accuracy": multiple_choice_accuracy_reward,
    "format": format_reward,
    "uas_json_validity": uas_json_validity_reward,
    "uas_field_accuracy": uas_field_accuracy_reward,
    "length": length_reward,
}

__all__ = [
    "FORMAT_TASK_TYPES",
    "REWARD_FUNCS",
    "extract_choice",
    "field_scores",
    "format_reward",
    "get_length_reward",
    "length_reward",
    "multiple_choice_accuracy_reward",
    "uas_field_accuracy_reward",
    "uas_json_validity_reward",
]
