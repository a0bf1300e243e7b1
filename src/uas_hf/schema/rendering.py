"""Three renderings of one UAS record: canonical JSON, a prose caption (App. F) and targeted answers (App. D)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .types import FIELDS, UASRecord


NO_SPEECH = "No speech"
"""Targeted answer for `transcription` when the audio has no speech."""
NO_VOICE = "No human voice"
"""Targeted answer for a paralinguistic field when the audio has no speech (or the field is unknown)."""
NONE_ANSWER = "None"
"""Targeted answer for an empty description or event list."""

EMOTION_ADJECTIVES: dict[str, str] = {
    "Anger": "angry",
    "Disgust": "disgusted",
    "Sadness": "sad",
    "Happiness": "happy",
    "Neutral": "neutral",
    "Surprise": "surprised",
    "Fear": "fearful",
}
AGE_NOUNS: dict[str, str] = {"Child": "child", "Adult": "adult", "Elderly": "elderly"}

_CANONICAL_SEPARATORS = (",", ":")


def to_canonical_json(record: UASRecord) -> str:
    """The canonical serialization: the paper's keys in a fixed order, compact, UTF-8 text kept as is.

    Canonical JSON is deterministic (one record -> one string) and round-trips exactly:
    ``parse_uas(to_canonical_json(r)) == r``. It is the low-entropy training target of the paper (§2.1).

    Example:

    ```python
    >>> from uas_hf.schema import UASRecord
    >>> to_canonical_json(UASRecord())
    '{"transcription":null,"paralinguistics":{"age":null,"gender":null,"emotion":null,"accent":null,"prosody":null,"timbre":null},"nonLinguisticEvents":{"description":null,"discreteEvents":[],"continuousEvents":[]}}'

    ```
    """
    if not isinstance(record, UASRecord):
        raise TypeError(f"`record` must be a UASRecord; got {type(record).__name__}. Parse raw data with parse_uas.")
    return json.dumps(record.to_dict(), ensure_ascii=False, separators=_CANONICAL_SEPARATORS)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _lower_first(text: str) -> str:
    # Lower-case "Slow and steady" but keep "American English" and acronyms ("US", "RP") as written.
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower() and first not in _KEEP_CASE:
        return text[0].lower() + text[1:]
    return text


_KEEP_CASE = frozenset({"American", "British", "English", "Mandarin", "Chinese", "Australian", "Indian", "Irish"})


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text[-1:] in ".!?…。！？" else text + "."


def _event_phrase(event) -> str:
    label = _lower_first(event.label)
    return f"{label} ({event.characteristic.rstrip('.')})" if event.characteristic else label


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def render_caption(record: UASRecord) -> str:
    """Unstructured prose with the same content as ``record`` (the caption baseline of App. F).

    Deterministic: one record -> one caption. The transcription is quoted verbatim and every value appears, so the
    caption carries the same information as the canonical JSON, only in free-form (high-entropy) language.

    Example:

    ```python
    >>> from uas_hf.schema import UASRecord, Paralinguistics, NonLinguisticEvents, Event
    >>> record = UASRecord(
    ...     "Good morning.",
    ...     Paralinguistics("Adult", "Female", "Happiness", "British English", "Brisk and bright", "Clear, warm"),
    ...     NonLinguisticEvents("A small office.", [Event("Door slam", "Sharp")], [Event("Air conditioning", "Low hum")]),
    ... )
    >>> print(render_caption(record))
    An adult female speaker says: "Good morning." She sounds happy and speaks with a British English accent. Her delivery is brisk and bright, and her voice is clear, warm. A small office. A door slam (Sharp) can be heard, over a continuous air conditioning (Low hum) in the background.

    ```
    """
    if not isinstance(record, UASRecord):
        raise TypeError(f"`record` must be a UASRecord; got {type(record).__name__}.")
    p = record.paralinguistics
    n = record.non_linguistic_events
    parts: list[str] = []
    if record.transcription is not None:
        words = [w for w in (AGE_NOUNS.get(p.age or ""), (p.gender or "").lower()) if w]
        subject = " ".join([*words, "speaker"])
        parts.append(f'{_article(subject).capitalize()} {subject} says: "{record.transcription}"')
        pronoun, possessive = {"Male": ("He", "His"), "Female": ("She", "Her")}.get(p.gender or "", ("They", "Their"))
        clauses = []
        if p.emotion:
            clauses.append(f"{'sound' if pronoun == 'They' else 'sounds'} {EMOTION_ADJECTIVES[p.emotion]}")
        if p.accent:
            accent = p.accent if "accent" in p.accent.lower() else f"{_article(p.accent)} {p.accent} accent"
            clauses.append(f"{'speak' if pronoun == 'They' else 'speaks'} with {_lower_first(accent)}")
        if clauses:
            parts.append(f"{pronoun} {' and '.join(clauses)}.")
        voice = []
        if p.prosody:
            voice.append(f"delivery is {_lower_first(p.prosody).rstrip('.')}")
        if p.timbre:
            voice.append(f"voice is {_lower_first(p.timbre).rstrip('.')}")
        if voice:
            parts.append(f"{possessive} " + f", and {possessive.lower()} ".join(voice) + ".")
    else:
        parts.append("There is no speech in this recording.")
    if n.description:
        parts.append(_sentence(n.description))
    discrete = [f"{_article(e.label)} {_event_phrase(e)}" for e in n.discrete_events]
    continuous = [f"a continuous {_event_phrase(e)}" for e in n.continuous_events]
    if discrete and continuous:
        parts.append(
            f"{_join(discrete)[0].upper()}{_join(discrete)[1:]} can be heard, over {_join(continuous)} in the background."
        )
    elif discrete:
        parts.append(f"{_join(discrete)[0].upper()}{_join(discrete)[1:]} can be heard.")
    elif continuous:
        parts.append(f"In the background there is {_join(continuous)}.")
    else:
        parts.append("No distinct sound events can be heard.")
    return " ".join(parts)


def _events_answer(events) -> str:
    if not events:
        return NONE_ANSWER
    return "; ".join(f"{e.label} ({e.characteristic})" if e.characteristic else e.label for e in events)


def render_targeted(record: UASRecord, field: str | Sequence[str]) -> str:
    """A short answer for one field (or several) of ``record``: the "Targeted Mode" of App. D.

    Args:
        record (`UASRecord`): the record.
        field (`str` or sequence of `str`): one of `FIELDS`, or several (answers joined with ``", "``).

    Null values answer `NO_SPEECH` (transcription), `NO_VOICE` (paralinguistics) or `NONE_ANSWER` (description,
    empty event lists). Events render as ``"Label (characteristic); Label"``.

    Example:

    ```python
    >>> from uas_hf.schema import UASRecord, Paralinguistics
    >>> record = UASRecord("Hi.", Paralinguistics(gender="Male", emotion="Neutral"))
    >>> render_targeted(record, ["emotion", "gender"])
    'Neutral, Male'
    >>> render_targeted(record, "discreteEvents")
    'None'

    ```
    """
    if not isinstance(record, UASRecord):
        raise TypeError(f"`record` must be a UASRecord; got {type(record).__name__}.")
    if not isinstance(field, str):
        if not field:
            raise ValueError(f"`field` must name at least one of {list(FIELDS)}; got an empty sequence.")
        return ", ".join(render_targeted(record, f) for f in field)
    if field not in _TARGETED:
        raise ValueError(f"`field` must be one of {list(FIELDS)}; got {field!r}.")
    return _TARGETED[field](record)


def _or(value: str | None, default: str) -> str:
    return default if value is None else value


_TARGETED = {
    "transcription": lambda r: _or(r.transcription, NO_SPEECH),
    "age": lambda r: _or(r.paralinguistics.age, NO_VOICE),
    "gender": lambda r: _or(r.paralinguistics.gender, NO_VOICE),
    "emotion": lambda r: _or(r.paralinguistics.emotion, NO_VOICE),
    "accent": lambda r: _or(r.paralinguistics.accent, NO_VOICE),
    "prosody": lambda r: _or(r.paralinguistics.prosody, NO_VOICE),
    "timbre": lambda r: _or(r.paralinguistics.timbre, NO_VOICE),
    "description": lambda r: _or(r.non_linguistic_events.description, NONE_ANSWER),
    "discreteEvents": lambda r: _events_answer(r.non_linguistic_events.discrete_events),
    "continuousEvents": lambda r: _events_answer(r.non_linguistic_events.continuous_events),
}
