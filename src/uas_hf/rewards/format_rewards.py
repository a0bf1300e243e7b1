"""Format rewards: does the completion have the shape its task asks for (an option, yes/no, one UAS JSON object)?"""

import json
import re

from ._utils import column, completion_texts


_CHOICE_ONLY = re.compile(r"^[\(\[]?[A-J][\)\]]?(?:[\.:]\s*[^\n]+)?\.?$")
_YES_NO = re.compile(r"^(?:yes|no)\b[^\n]*$", re.IGNORECASE)

#: Task types the format reward knows: UAS-QA's three `type` values plus whole-record UAS annotation.
FORMAT_TASK_TYPES = ("multiple_choice", "yes_no", "direct", "uas")


def _is_single_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def format_reward(completions: list, type: list | None = None, **kwargs) -> list[float | None]:
    r"""
    Reward 1.0 when a completion has the shape its task expects, else 0.0.

    The expected shape comes from the `type` column: ``"multiple_choice"`` — exactly one option (``"B"``, ``"(B)"``,
    ``"B. female"``) on one line; ``"yes_no"`` — one line starting with yes or no; ``"direct"`` — one non-empty line;
    ``"uas"`` — one JSON object and nothing else (no prose, no code fence). Without a `type` column every row is
    treated as ``"direct"``. Unknown types get `None`.

    Args:
        completions (`list[str]` or `list[list[dict]]`):
            Completions, as `GRPOTrainer` passes them.
        type (`list[str]`, *optional*):
            The task type of each row (the UAS-QA `type` column, or ``"uas"`` for annotation prompts).
        **kwargs:
            Other dataset columns and trainer extras; ignored.

    Returns:
        `list[float | None]`: one reward per completion.

    Example:
    ```python
    >>> from uas_hf.rewards import format_reward

    >>> completions = ["B. female", "Yes, a dog barks.", '{"transcription": null}', "Sure! Here it is: {}"]
    >>> format_reward(completions, type=["multiple_choice", "yes_no", "uas", "uas"])
    [1.0, 1.0, 1.0, 0.0]
    ```
    """
    texts = completion_texts(completions)
    types = column({"type": type}, "type", len(texts))
    rewards: list[float | None] = []
    for text, task in zip(texts, types):
        text = text.strip()
        task = task or "direct"
        if task == "multiple_choice":
            ok = bool(_CHOICE_ONLY.match(text))
        elif task == "yes_no":
            ok = bool(_YES_NO.match(text))
        elif task == "direct":
            ok = bool(text) and "\n" not in text
        elif task == "uas":
            ok = _is_single_json_object(text)
        else:
            rewards.append(None)
            continue
        rewards.append(1.0 if ok else 0.0)
    return rewards
