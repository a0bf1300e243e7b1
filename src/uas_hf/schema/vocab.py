"""Closed vocabularies of the Unified Audio Schema and the synonym maps used to normalize LLM output.

The paper (§2.1, App. H Fig. 6) fixes three closed sets: age {Child, Adult, Elderly}, gender {Male, Female} and
emotion {Anger, Disgust, Sadness, Happiness, Neutral, Surprise, Fear}. LLMs answer with synonyms ("happy", "a man",
"kid", "middle-aged", "slightly annoyed"); `normalize_closed` maps those to the canonical value and returns `None`
when there is no safe mapping, so callers can reject instead of guessing.
"""

from __future__ import annotations

import re


AGE_VALUES: tuple[str, ...] = ("Child", "Adult", "Elderly")
GENDER_VALUES: tuple[str, ...] = ("Male", "Female")
EMOTION_VALUES: tuple[str, ...] = ("Anger", "Disgust", "Sadness", "Happiness", "Neutral", "Surprise", "Fear")

CLOSED_VALUES: dict[str, tuple[str, ...]] = {"age": AGE_VALUES, "gender": GENDER_VALUES, "emotion": EMOTION_VALUES}

# Strings an LLM writes when it means JSON null. Never valid as an open-field value (the record constructor rejects
# them) so that lenient parsing maps them to `None` without breaking the canonical round trip.
NULL_SENTINELS: frozenset[str] = frozenset({"", "null", "none", "n/a", "na", "nil", "nan", "undefined", "-"})

# Answers meaning "cannot tell" for a closed field; lenient parsing treats them as null (a closed set has no slot
# for them, and a null field is honest where a forced guess would be noise).
UNDETERMINED: frozenset[str] = frozenset(
    {"unknown", "unclear", "undetermined", "indeterminate", "ambiguous", "not sure", "uncertain", "not applicable",
     "cannot be determined", "cannot determine", "not specified", "unspecified", "not clear", "mixed"}
)  # fmt: skip

# Age thresholds (years) for numeric answers such as "35" or "in his 60s". 13-17 is left unmapped on purpose: a
# teenager's voice may be pre- or post-puberty, so the closed set cannot say Child or Adult without listening.
CHILD_MAX_AGE = 12
ADULT_MIN_AGE = 18
ELDERLY_MIN_AGE = 60

_AGE_SYNONYMS = {
    "Child": (
        "child", "children", "kid", "kids", "young child", "little child", "small child", "boy", "girl", "little boy",
        "little girl", "toddler", "infant", "baby", "preschooler", "school age child", "schoolchild", "minor",
        "childlike", "child like", "juvenile", "pre teen", "preteen",
    ),
    "Adult": (
        "adult", "adults", "grown up", "grownup", "young adult", "middle aged", "middle age", "middle aged adult",
        "mature", "mature adult", "man", "woman", "men", "women", "adult male", "adult female", "young man",
        "young woman", "lady", "gentleman", "twenties", "thirties", "forties", "fifties", "adulthood",
    ),
    "Elderly": (
        "elderly", "elder", "old", "older", "older adult", "old adult", "old man", "old woman", "old lady",
        "senior", "senior citizen", "aged", "aging", "ageing", "geriatric", "pensioner", "retiree", "elderly man",
        "elderly woman", "elderly person", "sixties", "seventies", "eighties", "nineties", "old age",
    ),
}  # fmt: skip
_GENDER_SYNONYMS = {
    "Male": (
        "male", "m", "man", "men", "boy", "guy", "gentleman", "masculine", "he", "him", "his", "father", "husband",
        "adult male", "male adult", "young man", "old man", "elderly man", "mr",
    ),
    "Female": (
        "female", "f", "woman", "women", "girl", "lady", "feminine", "she", "her", "mother", "wife", "adult female",
        "female adult", "young woman", "old woman", "elderly woman", "old lady", "ms", "mrs",
    ),
}  # fmt: skip
_EMOTION_SYNONYMS = {
    "Anger": (
        "anger", "angry", "angered", "mad", "furious", "fury", "rage", "enraged", "irritated", "irritation",
        "annoyed", "annoyance", "frustrated", "frustration", "irate", "hostile", "hostility", "indignant",
        "exasperated", "resentful", "aggressive",
    ),
    "Disgust": (
        "disgust", "disgusted", "disgusting", "revulsion", "revolted", "repulsed", "contempt", "contemptuous",
        "disdain", "disdainful", "aversion", "grossed out",
    ),
    "Sadness": (
        "sadness", "sad", "unhappy", "sorrow", "sorrowful", "melancholy", "melancholic", "depressed", "depression",
        "gloomy", "grief", "grieving", "mournful", "despair", "despondent", "disappointed", "disappointment",
        "downcast", "dejected", "somber", "sombre", "heartbroken", "tearful",
    ),
    "Happiness": (
        "happiness", "happy", "joy", "joyful", "joyous", "cheerful", "cheery", "glad", "delighted", "delight",
        "pleased", "content", "contented", "amused", "amusement", "elated", "excited", "excitement", "enthusiastic",
        "enthusiasm", "upbeat", "jovial", "merry", "playful", "positive", "happy excited", "laughing",
    ),
    "Neutral": (
        "neutral", "calm", "calmness", "normal", "flat", "even", "composed", "relaxed", "matter of fact",
        "unemotional", "emotionless", "impassive", "indifferent", "plain", "steady", "measured", "no emotion",
        "neutral calm", "calm neutral",
    ),
    "Surprise": (
        "surprise", "surprised", "surprising", "astonished", "astonishment", "amazed", "amazement", "shocked",
        "shock", "startled", "stunned", "astounded", "incredulous", "in disbelief",
    ),
    "Fear": (
        "fear", "fearful", "afraid", "scared", "frightened", "terrified", "terror", "anxious", "anxiety",
        "nervous", "nervousness", "worried", "worry", "panic", "panicked", "panicky", "apprehensive", "uneasy",
        "alarmed",
    ),
}  # fmt: skip


def _build(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for canonical, words in table.items():
        for word in (canonical.lower(), *words):
            if lookup.get(word, canonical) != canonical:
                raise RuntimeError(f"synonym {word!r} maps to both {lookup[word]!r} and {canonical!r}")
            lookup[word] = canonical
    return lookup


SYNONYMS: dict[str, dict[str, str]] = {
    "age": _build(_AGE_SYNONYMS),
    "gender": _build(_GENDER_SYNONYMS),
    "emotion": _build(_EMOTION_SYNONYMS),
}
"""Normalized synonym -> canonical value, per closed field (lower case, punctuation removed)."""

# Words that qualify an answer without changing its category ("slightly happy", "a male voice", "mostly calm").
_FILLER = frozenset(
    {"a", "an", "the", "voice", "voiced", "speaker", "speaking", "sounding", "sounds", "tone", "toned", "person",
     "individual", "group", "state", "emotion", "emotional", "gender", "age", "slightly", "mildly", "somewhat",
     "rather", "quite", "very", "extremely", "highly", "really", "bit", "little", "mostly", "mainly",
     "predominantly", "generally", "overall", "fairly", "moderately", "clearly", "likely", "probably",
     "possibly", "perhaps", "seemingly", "apparently", "is", "of", "mood", "feeling", "like"}
)  # fmt: skip
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_NUMBER = re.compile(r"(\d{1,3})")


def _age_from_years(years: int) -> str | None:
    if years <= CHILD_MAX_AGE:
        return "Child"
    if ADULT_MIN_AGE <= years < ELDERLY_MIN_AGE:
        return "Adult"
    if years >= ELDERLY_MIN_AGE:
        return "Elderly"
    return None  # a teenager: ambiguous, see CHILD_MAX_AGE


def normalize_key_text(text: str) -> str:
    """Lower-case ``text`` and keep only words, single-spaced (``"Middle-aged."`` -> ``"middle aged"``)."""
    return _NON_WORD.sub(" ", text.lower()).strip()


def normalize_closed(field: str, value: object) -> str | None:
    """Map an LLM answer for a closed ``field`` (`age`, `gender`, `emotion`) to its canonical value.

    Returns the canonical value, or `None` when no safe mapping exists (the caller decides whether that is a
    rejection). Canonical values map to themselves; undetermined answers ("unknown") are *not* handled here (see
    `UNDETERMINED`).

    Example:

    ```python
    >>> normalize_closed("emotion", "Slightly happy")
    'Happiness'
    >>> normalize_closed("gender", "a man")
    'Male'
    >>> normalize_closed("age", "in his 70s")
    'Elderly'
    >>> normalize_closed("emotion", "bored") is None
    True

    ```
    """
    table = SYNONYMS[field]
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _age_from_years(value) if field == "age" and 0 <= value < 130 else None
    if not isinstance(value, str):
        return None
    if value in CLOSED_VALUES[field]:
        return value
    text = normalize_key_text(_PARENS.sub(" ", value))
    hit = table.get(text)
    if hit is not None:
        return hit
    words = [w for w in text.split() if w not in _FILLER]
    hit = table.get(" ".join(words))
    if hit is not None:
        return hit
    if field == "age":
        numbers = _NUMBER.findall(text)
        if len(numbers) == 1:
            return _age_from_years(int(numbers[0]))
    # "Happy/Excited", "calm and neutral": accept only when every word agrees on one category.
    hits = {table[w] for w in words if w in table}
    unknown = [w for w in words if w not in table and w not in _CONNECTORS]
    if len(hits) == 1 and not unknown:
        return hits.pop()
    return None


_CONNECTORS = frozenset({"and", "or", "but", "with", "yet", "also", "to", "slightly"})


def is_null_sentinel(text: str) -> bool:
    """Whether ``text`` is a spelled-out null (``""``, ``"null"``, ``"N/A"`` ...)."""
    return text.strip().lower() in NULL_SENTINELS


def is_undetermined(text: str) -> bool:
    """Whether ``text`` says the value cannot be determined (``"unknown"``, ``"unclear"`` ...)."""
    return normalize_key_text(text) in UNDETERMINED
