"""Typed errors of the schema layer."""

from __future__ import annotations

from typing import Any


class UASError(Exception):
    """Base class of every error raised on purpose by `uas_hf` for bad UAS data."""


class UASParseError(UASError, ValueError):
    """A UAS record could not be parsed or repaired.

    Attributes:
        code (`str`):
            Stable machine-readable reason, e.g. ``"parse.invalid_json"`` or ``"ontology.emotion"``. The same code is
            used by `UASValidator` rejections.
        path (`str` or `None`):
            Where in the record the problem is, e.g. ``"paralinguistics.emotion"`` or
            ``"nonLinguisticEvents.discreteEvents[1].label"``; `None` for the whole input.
        value (`Any`):
            The offending value (shortened for huge inputs).
        allowed (`tuple[str, ...]` or `None`):
            The values that would have been accepted, when that set is closed.
        issues (`list[UASParseError]`):
            Every problem found in the input (this error is the first of them).

    Example:

    ```python
    >>> from uas_hf.schema import parse_uas, UASParseError
    >>> try:
    ...     parse_uas('{"transcription": "hi", "paralinguistics": {"emotion": "bored"}}')
    ... except UASParseError as e:
    ...     print(e.code, e.path, e.value)
    ontology.emotion paralinguistics.emotion bored

    ```
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        path: str | None = None,
        value: Any = None,
        allowed: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.path = path
        self.value = value
        self.allowed = allowed
        self.issues: list[UASParseError] = [self]

    def __reduce__(self):
        # Keep the keyword-only attributes when pickled across processes (multiprocessing / datasets.map).
        return (_rebuild_parse_error, (self.message, self.code, self.path, self.value, self.allowed))


def _rebuild_parse_error(message, code, path, value, allowed) -> UASParseError:
    return UASParseError(message, code=code, path=path, value=value, allowed=allowed)


_MAX_SHOWN_CHARS = 80  # longer values are shortened in messages so one bad record cannot flood a log


def shorten(value: Any) -> str:
    """`repr` of ``value``, cut to a readable length."""
    text = repr(value)
    if len(text) > _MAX_SHOWN_CHARS:
        text = f"{text[: _MAX_SHOWN_CHARS - 20]}...{text[-12:]} ({len(text)} chars)"
    return text
