"""The UAS record types: frozen dataclasses whose `to_dict` / `from_dict` use the paper's exact keys.

A constructed record is always in *normal form*: closed fields hold a canonical value or `None`, open text fields
hold a non-blank string without surrounding whitespace (or `None`), the transcription is kept verbatim. Normal form
is what makes the canonical serialization round-trip exactly, under strict and lenient parsing alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import UASParseError, shorten
from .vocab import CLOSED_VALUES, NULL_SENTINELS


# The paper's keys (App. H, Fig. 6).
TRANSCRIPTION = "transcription"
PARALINGUISTICS = "paralinguistics"
NON_LINGUISTIC_EVENTS = "nonLinguisticEvents"
PARALINGUISTIC_KEYS: tuple[str, ...] = ("age", "gender", "emotion", "accent", "prosody", "timbre")
EVENTS_KEYS: tuple[str, ...] = ("description", "discreteEvents", "continuousEvents")
EVENT_KEYS: tuple[str, ...] = ("label", "characteristic")
CLOSED_FIELDS: tuple[str, ...] = ("age", "gender", "emotion")
OPEN_PARALINGUISTIC_FIELDS: tuple[str, ...] = ("accent", "prosody", "timbre")

FIELDS: tuple[str, ...] = (
    "transcription",
    "age",
    "gender",
    "emotion",
    "accent",
    "prosody",
    "timbre",
    "description",
    "discreteEvents",
    "continuousEvents",
)
"""Names of the targeted fields (App. D): one per leaf of the schema."""


def check_text(value: Any, path: str, *, verbatim: bool = False) -> None:
    """Raise `UASParseError` unless ``value`` is `None` or a normal-form string for ``path``."""
    if value is None:
        return
    if type(value) is not str:
        raise UASParseError(
            f"`{path}` must be a string or None; got {type(value).__name__} {shorten(value)}.",
            code="schema.type",
            path=path,
            value=value,
        )
    if verbatim:
        if not value.strip():
            raise UASParseError(
                f"`{path}` is blank ({shorten(value)}); use None when the audio has no speech.",
                code="schema.blank",
                path=path,
                value=value,
            )
    elif value.lower() in NULL_SENTINELS:
        raise UASParseError(
            f"`{path}` is {shorten(value)}, a spelled-out null; use None for a missing value.",
            code="schema.blank",
            path=path,
            value=value,
        )
    elif value[0].isspace() or value[-1].isspace():
        raise UASParseError(
            f"`{path}` has surrounding whitespace ({shorten(value)}); strip it (parse_uas does this for you).",
            code="schema.whitespace",
            path=path,
            value=value,
        )
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UASParseError(
                f"`{path}` contains a lone surrogate and cannot be written as UTF-8: {shorten(value)}.",
                code="schema.encoding",
                path=path,
                value=value,
            ) from None


def check_closed(value: Any, name: str, path: str) -> None:
    """Raise `UASParseError` unless ``value`` is `None` or a canonical value of the closed field ``name``."""
    if value is None:
        return
    allowed = CLOSED_VALUES[name]
    if value not in allowed or type(value) is not str:
        raise UASParseError(
            f"`{path}` is {shorten(value)}, which is not one of {list(allowed)}. Use one of those values, or None "
            "(parse_uas(..., lenient=True) maps synonyms such as 'happy' or 'man').",
            code=f"ontology.{name}",
            path=path,
            value=value,
            allowed=allowed,
        )


@dataclass(frozen=True)
class Event:
    """One non-linguistic sound event (discrete or continuous).

    Args:
        label (`str`):
            What the sound is, e.g. ``"Door slam"``. Labels are unique within a record (checked by `UASValidator`).
        characteristic (`str`, *optional*):
            A brief description of its intensity, duration or quality, e.g. ``"Sharp, loud"``.

    Example:

    ```python
    >>> Event("Background hiss", "Low-level and consistent").to_dict()
    {'label': 'Background hiss', 'characteristic': 'Low-level and consistent'}

    ```
    """

    label: str
    characteristic: str | None = None

    def __post_init__(self) -> None:
        if self.label is None:
            raise UASParseError("`label` is required for an event; got None.", code="schema.missing_key", path="label")
        check_text(self.label, "label")
        check_text(self.characteristic, "characteristic")

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "characteristic": self.characteristic}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        """Build an event from ``{"label": ..., "characteristic": ...}`` (strict: exact keys)."""
        from .parsing import parse_event

        return parse_event(data)


@dataclass(frozen=True)
class Paralinguistics:
    """How the speech is produced (paper §2.1). All fields are `None` for audio without speech.

    Args:
        age (`str`, *optional*): one of `AGE_VALUES` (``"Child"``, ``"Adult"``, ``"Elderly"``).
        gender (`str`, *optional*): one of `GENDER_VALUES` (``"Male"``, ``"Female"``).
        emotion (`str`, *optional*): one of `EMOTION_VALUES` (``"Anger"`` ... ``"Fear"``).
        accent (`str`, *optional*): free text, e.g. ``"Southern American English"``.
        prosody (`str`, *optional*): free text on pace, intonation and rhythm.
        timbre (`str`, *optional*): free text on voice quality, e.g. ``"Clear and resonant"``.

    Example:

    ```python
    >>> Paralinguistics(age="Adult", gender="Female", emotion="Neutral").is_empty
    False

    ```
    """

    age: str | None = None
    gender: str | None = None
    emotion: str | None = None
    accent: str | None = None
    prosody: str | None = None
    timbre: str | None = None

    def __post_init__(self) -> None:
        check_closed(self.age, "age", "paralinguistics.age")
        check_closed(self.gender, "gender", "paralinguistics.gender")
        check_closed(self.emotion, "emotion", "paralinguistics.emotion")
        check_text(self.accent, "paralinguistics.accent")
        check_text(self.prosody, "paralinguistics.prosody")
        check_text(self.timbre, "paralinguistics.timbre")

    @property
    def is_empty(self) -> bool:
        """Whether every field is `None` (the no-speech form)."""
        return (
            self.age is None
            and self.gender is None
            and self.emotion is None
            and self.accent is None
            and self.prosody is None
            and self.timbre is None
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "age": self.age,
            "gender": self.gender,
            "emotion": self.emotion,
            "accent": self.accent,
            "prosody": self.prosody,
            "timbre": self.timbre,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Paralinguistics:
        """Build from the paper's keys (strict)."""
        from .parsing import parse_paralinguistics

        return parse_paralinguistics(data)


@dataclass(frozen=True)
class NonLinguisticEvents:
    """The acoustic scene beyond speech (paper §2.1).

    Args:
        description (`str`, *optional*): a summary sentence of the recording environment.
        discrete_events (`tuple[Event, ...]`, *optional*, defaults to `()`): one-shot sounds (a door slam).
        continuous_events (`tuple[Event, ...]`, *optional*, defaults to `()`): sounds persisting in the background.

    Lists are accepted and stored as tuples so the record stays hashable.

    Example:

    ```python
    >>> nle = NonLinguisticEvents("A quiet room.", [Event("Door slam", "Sharp")])
    >>> nle.discrete_events
    (Event(label='Door slam', characteristic='Sharp'),)

    ```
    """

    description: str | None = None
    discrete_events: tuple[Event, ...] = ()
    continuous_events: tuple[Event, ...] = ()

    def __post_init__(self) -> None:
        check_text(self.description, "nonLinguisticEvents.description")
        for attr, key in (("discrete_events", "discreteEvents"), ("continuous_events", "continuousEvents")):
            events = getattr(self, attr)
            if isinstance(events, list):
                events = tuple(events)
                object.__setattr__(self, attr, events)
            if not isinstance(events, tuple):
                raise UASParseError(
                    f"`nonLinguisticEvents.{key}` must be a list or tuple of Event; got {type(events).__name__}.",
                    code="schema.type",
                    path=f"nonLinguisticEvents.{key}",
                    value=events,
                )
            for i, event in enumerate(events):
                if not isinstance(event, Event):
                    raise UASParseError(
                        f"`nonLinguisticEvents.{key}[{i}]` must be an Event; got {type(event).__name__} "
                        f"{shorten(event)}. Build it with Event(label, characteristic) or Event.from_dict(...).",
                        code="schema.type",
                        path=f"nonLinguisticEvents.{key}[{i}]",
                        value=event,
                    )

    @property
    def events(self) -> tuple[Event, ...]:
        """Discrete then continuous events."""
        return self.discrete_events + self.continuous_events

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "discreteEvents": [{"label": e.label, "characteristic": e.characteristic} for e in self.discrete_events],
            "continuousEvents": [
                {"label": e.label, "characteristic": e.characteristic} for e in self.continuous_events
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> NonLinguisticEvents:
        """Build from the paper's keys (strict)."""
        from .parsing import parse_non_linguistic_events

        return parse_non_linguistic_events(data)


@dataclass(frozen=True)
class UASRecord:
    """One Unified Audio Schema annotation: transcription, paralinguistics and non-linguistic events.

    Args:
        transcription (`str`, *optional*):
            The verbatim speech, kept exactly as given; `None` when the audio has no speech.
        paralinguistics (`Paralinguistics`, *optional*):
            Speaker attributes; all `None` for audio without speech.
        non_linguistic_events (`NonLinguisticEvents`, *optional*):
            The acoustic scene.

    The constructor checks types and closed vocabularies, not cross-field logic (a record whose paralinguistics
    contradict its transcription can still be represented, e.g. to score a model's output); `UASValidator` checks
    the logic.

    Example:

    ```python
    >>> from uas_hf.schema import UASRecord, Paralinguistics, to_canonical_json, parse_uas
    >>> record = UASRecord("Hello there.", Paralinguistics(age="Adult", gender="Male", emotion="Neutral"))
    >>> parse_uas(to_canonical_json(record)) == record
    True
    >>> record.to_dict()["paralinguistics"]["gender"]
    'Male'

    ```
    """

    transcription: str | None = None
    paralinguistics: Paralinguistics = field(default_factory=Paralinguistics)
    non_linguistic_events: NonLinguisticEvents = field(default_factory=NonLinguisticEvents)

    def __post_init__(self) -> None:
        check_text(self.transcription, "transcription", verbatim=True)
        if not isinstance(self.paralinguistics, Paralinguistics):
            raise UASParseError(
                f"`paralinguistics` must be a Paralinguistics; got {type(self.paralinguistics).__name__}. "
                "Use Paralinguistics(...) or UASRecord.from_dict(...) for plain dicts.",
                code="schema.type",
                path="paralinguistics",
                value=self.paralinguistics,
            )
        if not isinstance(self.non_linguistic_events, NonLinguisticEvents):
            raise UASParseError(
                f"`non_linguistic_events` must be a NonLinguisticEvents; got "
                f"{type(self.non_linguistic_events).__name__}. Use NonLinguisticEvents(...) or UASRecord.from_dict.",
                code="schema.type",
                path="nonLinguisticEvents",
                value=self.non_linguistic_events,
            )

    @property
    def has_speech(self) -> bool:
        """Whether the record transcribes speech (``transcription is not None``)."""
        return self.transcription is not None

    def get(self, name: str) -> Any:
        """The value of the targeted field ``name`` (one of `FIELDS`); events come back as a tuple of `Event`."""
        getter = _GETTERS.get(name)
        if getter is None:
            raise ValueError(f"`field` must be one of {list(FIELDS)}; got {name!r}.")
        return getter(self)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data with the paper's keys, in canonical key order."""
        p = self.paralinguistics
        n = self.non_linguistic_events
        return {
            "transcription": self.transcription,
            "paralinguistics": {
                "age": p.age,
                "gender": p.gender,
                "emotion": p.emotion,
                "accent": p.accent,
                "prosody": p.prosody,
                "timbre": p.timbre,
            },
            "nonLinguisticEvents": {
                "description": n.description,
                "discreteEvents": [{"label": e.label, "characteristic": e.characteristic} for e in n.discrete_events],
                "continuousEvents": [
                    {"label": e.label, "characteristic": e.characteristic} for e in n.continuous_events
                ],
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UASRecord:
        """Build from plain data with the paper's exact keys (strict; use `parse_uas` for LLM output)."""
        from .parsing import parse_uas

        return parse_uas(data, lenient=False)


_GETTERS = {
    "transcription": lambda r: r.transcription,
    "age": lambda r: r.paralinguistics.age,
    "gender": lambda r: r.paralinguistics.gender,
    "emotion": lambda r: r.paralinguistics.emotion,
    "accent": lambda r: r.paralinguistics.accent,
    "prosody": lambda r: r.paralinguistics.prosody,
    "timbre": lambda r: r.paralinguistics.timbre,
    "description": lambda r: r.non_linguistic_events.description,
    "discreteEvents": lambda r: r.non_linguistic_events.discrete_events,
    "continuousEvents": lambda r: r.non_linguistic_events.continuous_events,
}

_new = object.__new__
_set = object.__setattr__


def build_unchecked(
    transcription: str | None,
    para: tuple[str | None, ...],
    description: str | None,
    discrete: tuple[tuple[str, str | None], ...],
    continuous: tuple[tuple[str, str | None], ...],
) -> UASRecord:
    """Assemble a record from values the parser has already normalized, skipping the constructor checks.

    Internal fast path (the checks are the expensive part of building ~6 objects per record); callers must
    guarantee normal form. Each object gets its whole ``__dict__`` in one assignment (frozen dataclasses forbid
    attribute assignment, and one call per object beats one per field).
    """
    p = _new(Paralinguistics)
    _set(
        p,
        "__dict__",
        {
            "age": para[0],
            "gender": para[1],
            "emotion": para[2],
            "accent": para[3],
            "prosody": para[4],
            "timbre": para[5],
        },
    )
    n = _new(NonLinguisticEvents)
    _set(
        n,
        "__dict__",
        {
            "description": description,
            "discrete_events": tuple([_event(label, ch) for label, ch in discrete]),
            "continuous_events": tuple([_event(label, ch) for label, ch in continuous]),
        },
    )
    r = _new(UASRecord)
    _set(r, "__dict__", {"transcription": transcription, "paralinguistics": p, "non_linguistic_events": n})
    return r


def _event(label: str, characteristic: str | None) -> Event:
    e = _new(Event)
    _set(e, "__dict__", {"label": label, "characteristic": characteristic})
    return e
