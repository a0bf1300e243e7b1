"""Answer matching shared by the MMAU and MMAR scorers (benchmarks.md §2.4–2.6), reimplemented from the spec.

Three pieces, each a pure function of strings:

- `tokenize` / `string_match`: the official MMAU/MMAR bag-of-words comparison of a whole output against the gold
  option text (no answer extraction; a bare letter is just the token ``"b"``).
- `string_match_tencent`: the Tencent UAS evaluator's MMAU variant, which adds a single-letter → option shortcut.
- `extract_answer`: the Tencent (MiMo-derived) answer extractor: "correct answer is" / "Answer:" markers, then
  **bold** spans, then the first non-empty line.
"""

import re
from collections.abc import Sequence


# Unicode word runs of the lower-cased text, as a set: punctuation is dropped, "4/4" -> {"4"}.
_WORD = re.compile(r"\b\w+\b")

# The Tencent extractor's markers (§2.6). Case-insensitive, per line; the whitespace after "is" / "answer" and
# after the optional ":"/"-" may run over newlines, the captured tail stops at the end of its line.
_MARKER_CORRECT = re.compile(r"^[ \t]*(?:the\s+)?correct\s+(?:choice|answer)\s+is\s*[:\-]?\s*(.*)$", re.I | re.M)
_MARKER_ANSWER = re.compile(r"^[ \t]*answer\s*[:\-]\s*(.*)$", re.I | re.M)
# Bold spans never cross a newline ("." excludes it).
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_UNWRAP = (re.compile(r"\*{1,2}(.+?)\*{1,2}"), re.compile(r"`(.+?)`"), re.compile(r"['\"](.+?)['\"]"))
# Characters trimmed from both ends of a normalized candidate; quotes are deliberately not among them.
_TRIM = " \t\r\n.:;!?,"
_SPACES = re.compile(r"\s+")

THINK_CLOSE = "</think>"
THINK_MODES = ("keep", "split", "remove_tags")


def tokenize(text: str) -> frozenset[str]:
    """The official MMAU/MMAR tokenizer: the set of ``\\b\\w+\\b`` runs of ``text.lower()``.

    >>> sorted(tokenize("The 4/4 time, ninety-one!"))
    ['4', 'ninety', 'one', 'the', 'time']
    """
    return frozenset(_WORD.findall(text.lower()))


def string_match(answer: str, prediction: str, choices: Sequence[str]) -> bool:
    """Official MMAU/MMAR `string_match`: every gold word is in the output and no word that occurs only in wrong
    options is.

    Args:
        answer (`str`): gold option text.
        prediction (`str`): the text to judge (the raw model output in the official scorers).
        choices (`Sequence[str]`): all option texts of the item.

    >>> string_match("cat", "The sound is a cat.", ["dog", "cat", "bird", "cow"])
    True
    >>> string_match("cat", "It's not a dog, it's a cat", ["dog", "cat", "bird", "cow"])
    False
    >>> string_match("cat", "B", ["dog", "cat", "bird", "cow"])
    False
    """
    predicted = tokenize(prediction)
    if not predicted:
        return False
    gold = tokenize(answer)
    wrong_only: set[str] = set()
    for choice in choices:
        tokens = tokenize(choice)
        if tokens != gold:
            wrong_only |= tokens - gold
    return gold <= predicted and not (predicted & wrong_only)


def letter_index(text: str, n_choices: int) -> int | None:
    """Index named by a bare option letter (``"b"`` → 1), as the Tencent MMAU shortcut reads it, or `None`."""
    letter = text.strip().upper()
    if len(letter) == 1 and "A" <= letter <= "Z":
        index = ord(letter) - ord("A")
        if index < n_choices:
            return index
    return None


def string_match_tencent(answer: str, prediction: str, choices: Sequence[str]) -> bool:
    """Tencent UAS MMAU matching: a bare in-range letter is correct iff its option has the gold option's tokens;
    anything else falls through to the official `string_match`.

    >>> string_match_tencent("A woman", "b", ["A child", "A woman", "An adult man", "A teenager"])
    True
    """
    index = letter_index(prediction, len(choices))
    if index is not None and tokenize(choices[index]) == tokenize(answer):
        return True
    return string_match(answer, prediction, choices)


def _normalize_candidate(text: str) -> str:
    text = text.strip().split("\n", 1)[0].strip()
    text = text.replace('\\"', '"').replace("\\'", "'")
    for pattern in _UNWRAP:
        match = pattern.fullmatch(text)
        if match:
            text = match.group(1)
    text = text.strip(_TRIM)
    return _SPACES.sub(" ", text)


def _following(text: str, start: int) -> str:
    """The first **bold** span after ``start``, else the first non-empty line after it (normalized), else ``""``."""
    bold = _BOLD.search(text, start)
    if bold:
        return _normalize_candidate(bold.group(1))
    for line in text[start:].split("\n"):
        if line.strip():
            return _normalize_candidate(line)
    return ""


def extract_answer(text: str) -> str:
    """Tencent UAS / MiMo answer extraction for MMAU and MMAR (benchmarks.md §2.6).

    Candidates are collected from every "(the) correct answer/choice is" line, then every line starting with
    "answer:"/"answer -" (so an ``Answer:`` line beats a later "correct answer is" line); failing those, every
    ``**bold**`` span; failing those, the first non-empty line. The last candidate wins.

    >>> extract_answer("Answer: B.")
    'B'
    >>> extract_answer("cat\\nExplanation: it is not a dog")
    'cat'
    >>> extract_answer("The correct answer is:\\n\\n**cat** because")
    '**cat** because'
    """
    candidates: list[str] = []
    for marker in (_MARKER_CORRECT, _MARKER_ANSWER):
        for match in marker.finditer(text):
            tail = _normalize_candidate(match.group(1))
            if not tail:
                tail = _following(text, match.end())
            if tail:
                candidates.append(tail)
    if not candidates:
        candidates = [c for c in (_normalize_candidate(m.group(1)) for m in _BOLD.finditer(text)) if c]
    if not candidates:
        for line in text.split("\n"):
            if line.strip():
                candidates.append(_normalize_candidate(line))
                break
    return candidates[-1] if candidates else ""


def apply_think(text: str, think: str) -> str:
    """Apply a ``think`` mode to a raw response.

    - ``"keep"``: unchanged (the official scorers, and Tencent's shipped scripts, which never pass ``--thinking``).
    - ``"split"``: keep what follows the first ``</think>`` when there is one (Tencent ``--thinking``).
    - ``"remove_tags"``: delete the literal ``<think>``/``</think>`` tags but keep the reasoning text and strip the
      ends, as Tencent's UAS model wrapper does to MMSU outputs before they are saved.

    >>> apply_think("<think>dog or cat?</think>B", "split")
    'B'
    >>> apply_think("<think>I hear meowing</think>B", "remove_tags")
    'I hear meowingB'
    """
    if think == "keep":
        return text
    if think == "split":
        return text.split(THINK_CLOSE, 1)[1] if THINK_CLOSE in text else text
    if think == "remove_tags":
        return text.replace("<think>", "").replace(THINK_CLOSE, "").strip()
    raise ValueError(f"`think` must be one of {', '.join(THINK_MODES)}; got {think!r}.")
