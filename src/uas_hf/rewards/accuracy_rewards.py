"""Accuracy rewards: multiple-choice answers parsed the way the MMSU / MMAR / MMAU scorers parse them."""

import re
from collections.abc import Sequence
from typing import Any

from ._utils import column, completion_texts, normalize_text


# Benchmarks in the paper use at most 10 options (A-J).
_LETTERS = "ABCDEFGHIJ"
# A leading letter counts only when punctuation or the end follows it, so "A dog barks" / "I think" are not picks
_LEADING = re.compile(r"^\s*[\(\[]?\s*([A-J])\s*(?:[\)\]\.:：]|$)")
_ANSWER_IS = re.compile(
    r"(?:answer|option|choice)\s*(?:is|:|：)?\s*(?:option\s*)?[\(\[]?\s*([A-J])\s*(?:[\)\]\.:,;]|$|\s)", re.IGNORECASE
)
_PARENTHESIZED = re.compile(r"[\(\[]\s*([A-J])\s*[\)\]]")
_OPTION_PREFIX = re.compile(r"^\s*[\(\[]?([A-J])[\)\]\.:]\s*")


def _option_texts(options: Sequence[str] | None) -> dict[str, str]:
    """Map letter -> normalized option text from ``["A. text", ...]`` (or bare texts, lettered in order)."""
    if not options:
        return {}
    mapping = {}
    for i, option in enumerate(options):
        match = _OPTION_PREFIX.match(option)
        if match:
            mapping[match.group(1)] = normalize_text(option[match.end() :])
        elif i < len(_LETTERS):
            mapping[_LETTERS[i]] = normalize_text(option)
    return mapping


def extract_choice(text: str | None, options: Sequence[str] | None = None) -> str | None:
    """Return the option letter a free-form answer picks, or `None` when it picks none or several.

    The rules follow the benchmark scorers (first rule that matches wins): a leading letter (``"B"``, ``"(B)"``,
    ``"B. female"``); otherwise the one letter named by ``"answer is B"`` / ``"Answer: (B)"`` or parenthesized (several
    different letters are a hedge: `None`); otherwise, when ``options`` are given, the one option whose text the
    answer contains (longest match; ties are ambiguous). A letter that is not among ``options`` never counts.

    Args:
        text (`str` or `None`):
            The model's answer.
        options (`list[str]`, *optional*):
            The options as shown to the model, ``["A. male", "B. female"]``; bare texts are lettered in order.

    Example:
    ```python
    >>> from uas_hf.rewards import extract_choice

    >>> extract_choice("B. Female")
    'B'
    >>> extract_choice("I think the answer is (C).")
    'C'
    >>> extract_choice("The speaker sounds female.", options=["A. male", "B. female"])
    'B'
    >>> extract_choice("A or B") is None
    True
    ```
    """
    if not text:
        return None
    text = text.strip().replace("*", "")
    valid = set(_option_texts(options)) or set(_LETTERS)
    match = _LEADING.match(text)
    if match and match.group(1) in valid:
        rest = text[match.end() :].lstrip()
        # "A) or B)" hedges between options: ambiguous, not a pick
        if re.match(r"^(?:or|and|/)\s*[\(\[]?[A-J]\b", rest):
            return None
        return match.group(1)
    if re.match(r"^\s*[\(\[]?[A-J]\s+(?:or|and|/)\s*[\(\[]?[A-J]\b", text):
        return None
    # An explicit "answer is X" and parenthesized letters must agree on one letter; disagreement is a hedge
    found = {m.group(1) for m in _ANSWER_IS.finditer(text)} | {m.group(1) for m in _PARENTHESIZED.finditer(text)}
    found &= valid
    if len(found) == 1:
        return found.pop()
    if len(found) > 1:
        return None
    option_texts = _option_texts(options)
    if option_texts:
        answer = f" {normalize_text(text)} "
        hits = [(len(t), letter) for letter, t in option_texts.items() if t and f" {t} " in answer]
        if hits:
            hits.sort(reverse=True)
            # An option whose text is contained in a longer matched option ("happy" in "not happy") does not count
            longest = [h for h in hits if h[0] == hits[0][0]]
            return longest[0][1] if len(longest) == 1 else None
    return None


def _gold_letter(answer: Any, options: Sequence[str] | None) -> str | None:
    if answer is None:
        return None
    answer = str(answer).strip()
    if len(answer) == 1 and answer.upper() in _LETTERS:
        return answer.upper()
    match = _OPTION_PREFIX.match(answer)
    if match:
        return match.group(1)
    wanted = normalize_text(answer)
    for letter, option_text in _option_texts(options).items():
        if option_text == wanted:
            return letter
    return None


def multiple_choice_accuracy_reward(
    completions: list, answer: list, options: list | None = None, **kwargs
) -> list[float | None]:
    r"""
    Reward 1.0 when the completion picks the correct option, 0.0 when it picks another one or none.

    Rows whose `type` column (UAS-QA) is not ``"multiple_choice"``, or whose gold answer names no option, get `None`
    (not applicable), so this reward can be combined with others on a mixed dataset.

    Args:
        completions (`list[str]` or `list[list[dict]]`):
            Completions, as `GRPOTrainer` passes them.
        answer (`list[str]`):
            Gold answers: a letter (``"B"``), a lettered option (``"B. female"``) or an option text.
        options (`list[list[str]]`, *optional*):
            The options shown with each question (``["A. male", "B. female"]``).
        **kwargs:
            Other dataset columns (`type` is read when present) and trainer extras; ignored otherwise.

    Returns:
        `list[float | None]`: one reward per completion.

    Example:
    ```python
    >>> from uas_hf.rewards import multiple_choice_accuracy_reward

    >>> completions = [[{"content": "B. female"}], [{"content": "The answer is A."}], [{"content": "not sure"}]]
    >>> options = [["A. male", "B. female"]] * 3
    >>> multiple_choice_accuracy_reward(completions, answer=["B"] * 3, options=options)
    [1.0, 0.0, 0.0]
    ```
    """
    texts = completion_texts(completions)
    answers = column({"answer": answer}, "answer", len(texts))
    all_options = column({"options": options}, "options", len(texts))
    types = column(kwargs, "type", len(texts))
    rewards: list[float | None] = []
    for text, gold, opts, qa_type in zip(texts, answers, all_options, types):
        if qa_type is not None and qa_type != "multiple_choice":
            rewards.append(None)
            continue
        gold_letter = _gold_letter(gold, opts)
        if gold_letter is None:
            rewards.append(None)
            continue
        rewards.append(1.0 if extract_choice(text, opts) == gold_letter else 0.0)
    return rewards
