"""Deterministic synthetic UAS records for tests, benchmarks and demos (no audio, no downloads).

The records look like Stage-2 output: varied transcriptions, accents, prosody/timbre phrases, scenes and events,
about one in six without speech. Every record is valid under the default `UASValidator` rules for the returned
duration (a few of them fail on purpose when ``faulty`` is set).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from .types import Event, NonLinguisticEvents, Paralinguistics, UASRecord
from .vocab import AGE_VALUES, EMOTION_VALUES, GENDER_VALUES


_TEXT = (
    "the wing has rounded edges and that just does not generate very much lift at all in terms of stability all "
    "modern aeroplanes have a tail we will meet at the station tomorrow morning please remember to bring the "
    "tickets I think the weather is going to change soon could you turn the music down a little she said the "
    "results were better than expected thank you for calling how can I help you today the meeting starts at "
    "nine"
)
_WORDS = tuple(_TEXT.split())
_ACCENTS = (
    "General American English", "Southern American English", "British English (RP)", "Scottish English",
    "Australian English", "Indian English", "Irish English", "Standard Mandarin Chinese", "Canadian English",
    "New Zealand English", "South African English", "Nigerian English", "German-accented English",
    "French-accented English", "Spanish-accented English",
)  # fmt: skip
_PACE = ("Slow", "Moderate", "Fast", "Measured", "Brisk", "Unhurried", "Rapid", "Steady")
_INTONATION = (
    "falling intonation", "rising intonation", "flat intonation", "expressive pitch movement", "even rhythm",
    "clear emphasis on key words", "frequent pauses", "a conversational rhythm", "a sing-song melody",
)  # fmt: skip
_TIMBRE = (
    "clear and resonant", "slightly muffled", "warm", "breathy", "bright", "nasal", "raspy", "smooth", "thin",
    "rich", "gravelly", "soft", "crisp", "hoarse", "full-bodied", "light",
)  # fmt: skip
_SCENES = (
    "A quiet indoor room with slight reverberation.", "A busy street with passing traffic.",
    "A small office with an air conditioner running.", "An outdoor park with birds in the distance.",
    "A kitchen with occasional clattering.", "A recording studio with a clean background.",
    "A crowded cafe with background chatter.", "A car interior with engine noise.",
    "A train platform with announcements in the distance.", "A forest with wind in the trees.",
)  # fmt: skip
_DISCRETE = (
    ("Door slam", "Sharp, loud"), ("Car horn", "Short, loud"), ("Dog bark", "Two quick barks"),
    ("Phone ring", "Electronic, repeating"), ("Cough", "Brief, close"), ("Keyboard click", "Soft, rapid"),
    ("Cup clink", "Light, high-pitched"), ("Footsteps", "Approaching"), ("Stylus click", "Sharp, high-pitched"),
    ("Bird chirp", "Faint, distant"), ("Glass break", "Sudden, loud"), ("Knock", "Three firm knocks"),
    ("Beep", "Short electronic tone"), ("Laughter", "Brief, in the background"), ("Thunder", "Distant rumble"),
)  # fmt: skip
_CONTINUOUS = (
    ("Background hiss", "Low-level and consistent"), ("Engine rumble", "Steady, low-frequency"),
    ("Rain", "Steady patter"), ("Wind", "Gusty"), ("Air conditioning", "Low hum"), ("Crowd chatter", "Murmur"),
    ("Traffic noise", "Distant, constant"), ("Music", "Soft piano in the background"), ("Fan noise", "Whirring"),
    ("Birdsong", "Intermittent"), ("Electrical hum", "50 Hz mains hum"), ("Ocean waves", "Rhythmic"),
)  # fmt: skip
_NO_SPEECH_EVERY = 6  # one record in six has no speech (music, ambience), like the paper's AudioSet share


def synthetic_record(rng: random.Random, *, speech: bool | None = None) -> tuple[UASRecord, float]:
    """One random valid record and a plausible duration in seconds."""
    if speech is None:
        speech = rng.randrange(_NO_SPEECH_EVERY) != 0
    duration = round(rng.uniform(2.0, 15.0), 2)
    if speech:
        n_words = rng.randint(1, max(1, int(duration * 2.5)))
        start = rng.randrange(len(_WORDS))
        words = [_WORDS[(start + i) % len(_WORDS)] for i in range(n_words)]
        transcription = " ".join(words).capitalize() + rng.choice((".", "?", "!", "."))
        para = Paralinguistics(
            age=rng.choice(AGE_VALUES),
            gender=rng.choice(GENDER_VALUES),
            emotion=rng.choice(EMOTION_VALUES),
            accent=rng.choice(_ACCENTS),
            prosody=f"{rng.choice(_PACE)} pace with {rng.choice(_INTONATION)}",
            timbre=rng.choice(_TIMBRE).capitalize() + ", " + rng.choice(_TIMBRE),
        )
    else:
        transcription, para = None, Paralinguistics()
    discrete = rng.sample(_DISCRETE, rng.randint(0, 2))
    continuous = rng.sample(_CONTINUOUS, rng.randint(0 if speech else 1, 2))
    events = NonLinguisticEvents(
        description=rng.choice(_SCENES),
        discrete_events=tuple(Event(label, ch) for label, ch in discrete),
        continuous_events=tuple(Event(label, ch) for label, ch in continuous),
    )
    return UASRecord(transcription, para, events), duration


def synthetic_records(n: int, *, seed: int = 0) -> Iterator[tuple[str, UASRecord, float]]:
    """Yield ``(id, record, duration)`` for ``n`` deterministic synthetic records.

    Example:

    ```python
    >>> [rid for rid, _, _ in synthetic_records(2, seed=1)]
    ['syn-000000', 'syn-000001']

    ```
    """
    rng = random.Random(seed)
    for i in range(n):
        record, duration = synthetic_record(rng)
        yield f"syn-{i:06d}", record, duration
