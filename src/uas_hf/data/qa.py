"""UAS-QA (paper §2.3): question-answer pairs generated from UAS records.

Three question types cover every field of the schema:

* ``direct`` - "What is the speaker's emotion?" -> "Neutral" (answers are `render_targeted` short answers);
* ``multiple_choice`` - 3-4 options, the correct position uniform; distractors come from the closed vocabularies or,
  for open fields (accent, prosody, timbre, description, transcription, events), from *other* records held in a
  bounded pool, so generation streams in constant memory;
* ``yes_no`` - balanced: the polarity is drawn first, then a true or false statement is asked
  ("Are there discrete sound events in this audio?" -> "No").

Questions never contain their answer. Each record gets its own RNG derived from ``(seed, source_id)``, so output is
deterministic for a seed and does not depend on record order - except for open-field distractors, which depend on
the records seen before (the pool).

`generate_qa` is the template generator (the default). `LLMQAGenerator` implements the paper's Fig. 7 prompt with a
pluggable ``backend(prompt) -> str``; its output is parsed and checked against the same requirements.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ..schema import (
    AGE_VALUES,
    EMOTION_VALUES,
    FIELDS,
    GENDER_VALUES,
    UASError,
    UASRecord,
    render_targeted,
    to_canonical_json,
)
from ..schema.parsing import load_json_array
from ..schema.rendering import EMOTION_ADJECTIVES
from ..utils.logging import get_logger


logger = get_logger(__name__)

QA_TYPES: tuple[str, ...] = ("direct", "multiple_choice", "yes_no")
LETTERS = "ABCD"
MIN_OPTIONS, MAX_OPTIONS = 3, 4  # Fig. 7: "Provide 3-4 answer options"
DEFAULT_POOL_SIZE = 512
"""Earlier records kept for open-field distractors. Bounded so a stream of millions of records runs in constant
memory; 512 records give far more candidates than the 3 distractors a question needs."""
MAX_OPTION_CHARS = 160  # longer texts (long transcriptions) make unreadable options; such fields get other types
MAX_SIMILARITY = 0.5  # word-set Jaccard above which a distractor is too close to another option to be fair
_DISTRACTOR_TRIES = 12  # random pool draws per question before giving up (bounds the work per record)
_PARALINGUISTIC = ("age", "gender", "emotion", "accent", "prosody", "timbre")
_PARALINGUISTIC_SET = frozenset(_PARALINGUISTIC)

# -- templates ---------------------------------------------------------------------------------------------------
_DIRECT = {
    "transcription": ("Transcribe any speech in this audio.", "What is said in this recording, if anything?"),
    "age": ("What is the speaker's age group?", "Which age group does the speaker belong to?"),
    "gender": ("What is the speaker's gender?", "What gender does the speaker's voice suggest?"),
    "emotion": ("What is the speaker's emotion?", "What emotion does the speaker convey?"),
    "accent": ("What is the speaker's accent?", "What accent does the speaker have?"),
    "prosody": (
        "Describe the speaker's prosody (pace, intonation and rhythm).",
        "How would you describe the way the speaker delivers the speech?",
    ),
    "timbre": ("Describe the timbre of the speaker's voice.", "What is the quality of the speaker's voice?"),
    "description": ("Describe the acoustic environment of this recording.", "What is the overall sound scene?"),
    "discreteEvents": (
        "What discrete sound events can be heard in this audio?",
        "List the distinct, one-off sounds in this recording.",
    ),
    "continuousEvents": (
        "What continuous or background sounds can be heard in this audio?",
        "List the ambient sounds that persist in this recording.",
    ),
}
_MC = {
    "transcription": ("What does the speaker say?", "Which sentence is spoken in this audio?"),
    "age": ("What is the speaker's age group?", "Which age group does the speaker belong to?"),
    "emotion": ("Which emotion does the speaker express?", "What is the speaker's emotion?"),
    "accent": ("Which accent does the speaker have?", "What is the speaker's accent?"),
    "prosody": ("Which description best matches the speaker's prosody?", "How does the speaker deliver the speech?"),
    "timbre": ("Which description best matches the speaker's voice quality?", "How does the speaker's voice sound?"),
    "description": (
        "Which description best matches the acoustic environment?",
        "Where was this most likely recorded?",
    ),
    "discreteEvents": ("Which of these sound events can be heard in this audio?", "Which sound occurs in this audio?"),
    "continuousEvents": (
        "Which of these sounds persists in the background of this audio?",
        "Which ambient sound can be heard throughout this recording?",
    ),
}
_AGE_PHRASES = {"Child": "a child", "Adult": "an adult", "Elderly": "an elderly person"}
_YES, _NO = "Yes", "No"

# Words too generic to tell two sound descriptions apart ("background noise" vs "background music").
_STOP_WORDS = (
    "a an and or the of in on at to with for from by is are be this that its it as very slightly some light low high "
    "soft loud background noise sound sounds distant faint occasional constant steady brief short long"
)
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[^\W\d_]{3,}")


_WORDS_CACHE: dict[str, frozenset[str]] = {}
_WORDS_CACHE_SIZE = 2048  # cleared when full: bounded memory, and repeated values (common in real data) stay cheap


def _words(text: str) -> frozenset[str]:
    """Content words of ``text`` (lower case, 3+ letters, generic sound words removed), for similarity checks."""
    words = _WORDS_CACHE.get(text)
    if words is None:
        if len(_WORDS_CACHE) >= _WORDS_CACHE_SIZE:
            _WORDS_CACHE.clear()
        words = _WORDS_CACHE[text] = frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)
    return words


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    """Word-set Jaccard similarity of at least `MAX_SIMILARITY` (disjoint sets, the common case, exit early)."""
    shared = len(a & b)
    return shared > 0 and shared >= MAX_SIMILARITY * len(a | b)


_YES_NO_WORD = {_YES: re.compile(r"\byes\b", re.I), _NO: re.compile(r"\bno\b", re.I)}


def _reveals(question: str, answer: str) -> bool:
    """Whether ``question`` gives its answer away (answer text in the question, or Yes/No as a word in it)."""
    word = _YES_NO_WORD.get(answer)
    if word is not None:
        return word.search(question) is not None
    return answer.casefold() in question.casefold()


class RecordRNG:
    """A small counter-mode RNG keyed by ``(seed, source_id)``: BLAKE2b blocks read as 32-bit uniforms.

    Seeding `random.Random` costs ~5 us (Mersenne Twister state); a record needs only a dozen draws, so hashing is
    cheaper and makes each record's randomness independent of every other record (order-stable output).
    """

    __slots__ = ("_block", "_buf", "_i", "_key")
    _WORDS_PER_BLOCK = 16  # a 64-byte BLAKE2b digest holds sixteen 32-bit words
    _SCALE = 1.0 / 2**32

    def __init__(self, seed: int, key: str) -> None:
        self._key = f"{seed}\x1f{key}".encode("utf-8", "surrogatepass")
        self._block = 0
        self._refill()

    def _refill(self) -> None:
        key = self._key if self._block == 0 else self._key + b"\x1f" + self._block.to_bytes(8, "little")
        # 32-bit words, scaled when drawn: most records use fewer than 16 draws, so scaling all 16 here is waste
        self._buf = struct.unpack("<16I", hashlib.blake2b(key, digest_size=64).digest())
        self._i = 0
        self._block += 1

    def random(self) -> float:
        """A float in [0, 1)."""
        i = self._i
        if i == self._WORDS_PER_BLOCK:
            self._refill()
            i = 0
        self._i = i + 1
        return self._buf[i] * self._SCALE

    def randrange(self, n: int) -> int:
        return int(self.random() * n)

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def sample(self, seq: Sequence[Any], k: int) -> list[Any]:
        pool = list(seq)
        for i in range(k):  # partial Fisher-Yates: only the first k positions are drawn
            j = i + int(self.random() * (len(pool) - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


class _RecentRecords:
    """A ring of the last ``size`` records (their `_pool_entry` values); distractors are drawn from them.

    Drawing records (not distinct values) makes a value's chance to be a distractor follow its frequency in the data,
    as its chance to be a correct answer does - so "the rare option is the wrong one" is not learnable. Remembering a
    record is O(1); memory is bounded by ``size``.
    """

    __slots__ = ("_cursor", "_records", "_size")

    def __init__(self, size: int) -> None:
        self._size = size
        self._records: list[tuple] = []  # `_pool_entry` tuples
        self._cursor = 0

    def __len__(self) -> int:
        return len(self._records)

    def add(self, record: UASRecord) -> None:
        entry = _pool_entry(record)
        if len(self._records) < self._size:
            self._records.append(entry)
        else:
            self._records[self._cursor] = entry
            self._cursor = (self._cursor + 1) % self._size

    def draw(
        self,
        rng: RecordRNG,
        k: int,
        field: str,
        avoid: list[frozenset[str]],
        avoid_folded: set[str],
    ) -> list[str]:
        """Up to ``k`` values of ``field`` (for ``"events"``, one random event label per drawn record) unlike
        everything in ``avoid`` and each other; a bounded number of random draws. ``avoid`` and ``avoid_folded`` are
        extended in place."""
        out: list[str] = []
        records = self._records
        n = len(records)
        if n == 0:
            return out
        random = rng.random
        index = _POOL_INDEX[field]
        for _ in range(_DISTRACTOR_TRIES):
            value = records[int(random() * n)][index]
            if index == _EVENTS_INDEX:  # one of the record's event labels, drawn like the record
                value = value[int(random() * len(value))] if value else None
            if value is None or len(value) > MAX_OPTION_CHARS:
                continue
            folded = value.casefold()
            if folded in avoid_folded:
                continue
            words = _words(value)
            for other in avoid:
                if _similar(words, other):
                    break
            else:
                out.append(value)
                avoid.append(words)
                avoid_folded.add(folded)
                if len(out) == k:
                    break
        return out


def _pool_entry(record: UASRecord) -> tuple:
    """What the distractor pool keeps of a record: its open-field values and event labels, indexed by `_POOL_INDEX`.

    Keeping these strings rather than the record lets the record's objects be freed while still in the cache, not
    hundreds of records later.
    """
    p = record.paralinguistics
    n = record.non_linguistic_events
    return (
        record.transcription,
        p.accent,
        p.prosody,
        p.timbre,
        n.description,
        tuple([e.label for e in n.events]),  # discrete then continuous
    )


_POOL_INDEX = {"transcription": 0, "accent": 1, "prosody": 2, "timbre": 3, "description": 4, "events": 5}
_EVENTS_INDEX = _POOL_INDEX["events"]


def _messages(question: str, answer: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": question}]},
        {"role": "assistant", "content": [{"type": "text", "text": answer}]},
    ]


class UASQAGenerator:
    """Template-based UAS-QA generator (paper §2.3).

    Args:
        seed (`int`, *optional*, defaults to `0`):
            Base seed; each record's RNG is derived from ``(seed, source_id)``.
        per_record (`int` or `None`, *optional*, defaults to `3`):
            Questions per record, each on a different field; `None` asks one question for every applicable field.
        types (`Sequence[str]`, *optional*, defaults to `QA_TYPES`):
            Question types to draw from (``direct``, ``multiple_choice``, ``yes_no``).
        fields (`Sequence[str]`, *optional*, defaults to `FIELDS`):
            Fields to ask about.
        pool_size (`int`, *optional*, defaults to `DEFAULT_POOL_SIZE`):
            Earlier records kept (a ring) to draw open-field distractors from.

    Paralinguistic questions are asked only for records with speech; gender has no multiple-choice form (two
    values cannot make 3-4 options). When no fair distractors exist yet (the first records of a stream), another
    type is used.

    Example:

    ```python
    >>> from uas_hf.schema import UASRecord, Paralinguistics
    >>> gen = UASQAGenerator(seed=0, per_record=None, types=["direct"])
    >>> items = gen.generate("utt1", UASRecord("Hello.", Paralinguistics(age="Adult", gender="Male")))
    >>> sorted((item["field"], item["answer"]) for item in items)[:3]
    [('age', 'Adult'), ('continuousEvents', 'None'), ('discreteEvents', 'None')]

    ```
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        per_record: int | None = 3,
        types: Sequence[str] = QA_TYPES,
        fields: Sequence[str] = FIELDS,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"`seed` must be an int; got {type(seed).__name__} {seed!r}.")
        if per_record is not None and (
            isinstance(per_record, bool) or not isinstance(per_record, int) or per_record < 1
        ):
            raise ValueError(f"`per_record` must be a positive int or None (all fields); got {per_record!r}.")
        types = tuple(types)
        bad = [t for t in types if t not in QA_TYPES]
        if bad or not types:
            raise ValueError(f"`types` must be a non-empty subset of {list(QA_TYPES)}; got {list(types)}.")
        fields = tuple(fields)
        bad = [f for f in fields if f not in FIELDS]
        if bad or not fields:
            raise ValueError(f"`fields` must be a non-empty subset of {list(FIELDS)}; got {list(fields)}.")
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ValueError(f"`pool_size` must be a positive int; got {pool_size!r}.")
        self.seed = seed
        self.per_record = per_record
        self.types = types
        self.fields = fields
        self._recent = _RecentRecords(pool_size)
        self._scene_fields = tuple(f for f in fields if f not in _PARALINGUISTIC_SET)
        self._type_orders = list(itertools.permutations(types))
        self._builders = {"direct": self._direct, "multiple_choice": self._multiple_choice, "yes_no": self._yes_no}

    # -- public ----------------------------------------------------------------------------------------------------
    def rng_for(self, source_id: str) -> RecordRNG:
        """The RNG of one record: a function of ``(seed, source_id)`` only, so results do not depend on order."""
        return RecordRNG(self.seed, source_id)

    def generate(self, source_id: str, record: UASRecord) -> list[dict[str, Any]]:
        """QA items for one record; afterwards the record joins the distractor pool of later records."""
        if not isinstance(record, UASRecord):
            raise TypeError(
                f"`record` must be a UASRecord; got {type(record).__name__}. Parse raw data with "
                "uas_hf.schema.parse_uas first."
            )
        source_id = str(source_id)
        rng = RecordRNG(self.seed, source_id)
        p = record.paralinguistics
        if record.transcription is None:
            fields = list(self._scene_fields)
        else:
            fields = list(self.fields)
            if None in (p.age, p.gender, p.emotion, p.accent, p.prosody, p.timbre):
                fields = [f for f in fields if f not in _PARALINGUISTIC_SET or getattr(p, f) is not None]
        if record.non_linguistic_events.description is None and "description" in fields:
            fields.remove("description")
        n_fields = len(fields)
        limit = n_fields if self.per_record is None else self.per_record
        items: list[dict[str, Any]] = []
        ctx = _Context(record)
        type_orders, n_orders, builders = self._type_orders, len(self._type_orders), self._builders
        for i in range(n_fields):
            # lazy Fisher-Yates: draw the next field only when it is needed
            j = i + int(rng.random() * (n_fields - i))
            fields[i], fields[j] = fields[j], fields[i]
            name = fields[i]
            # a uniformly random order of the types (one draw instead of a shuffle)
            for qa_type in type_orders[int(rng.random() * n_orders)]:
                built = builders[qa_type](name, record, rng, ctx)
                if built is None:
                    continue
                question, options, answer = built
                if _reveals(question, answer if qa_type != "multiple_choice" else answer[3:]):
                    continue
                text = question if not options else question + "\n" + "\n".join(options)
                items.append(
                    {
                        "id": f"{source_id}:qa:{len(items)}",
                        "source_id": source_id,
                        "type": qa_type,
                        "field": name,
                        "question": question,
                        "options": options,
                        "answer": answer,
                        "messages": [  # inlined _messages(): this runs for every item
                            {"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": text}]},
                            {"role": "assistant", "content": [{"type": "text", "text": answer}]},
                        ],
                    }
                )
                break
            if len(items) >= limit:
                break
        self._remember(record)
        return items

    def __call__(self, records: Iterable[tuple[str, UASRecord]]) -> Iterator[dict[str, Any]]:
        for source_id, record in records:
            yield from self.generate(source_id, record)

    # -- selection -------------------------------------------------------------------------------------------------
    @staticmethod
    def _applicable(name: str, record: UASRecord) -> bool:
        if name in _PARALINGUISTIC_SET:
            return record.transcription is not None and getattr(record.paralinguistics, name) is not None
        if name == "description":
            return record.non_linguistic_events.description is not None
        return True

    def _remember(self, record: UASRecord) -> None:
        self._recent.add(record)

    # -- builders: each returns (question, options, answer) or None when this type cannot be asked fairly ------------
    def _direct(self, name: str, record: UASRecord, rng: RecordRNG, ctx: _Context):
        return rng.choice(_DIRECT[name]), [], render_targeted(record, name)

    def _options(self, rng: RecordRNG, correct: str, distractors: list[str]) -> tuple[list[str], str]:
        options = list(distractors)
        position = rng.randrange(len(options) + 1)
        options.insert(position, correct)
        letters = [f"{LETTERS[i]}. {text}" for i, text in enumerate(options)]
        return letters, letters[position]

    def _multiple_choice(self, name: str, record: UASRecord, rng: RecordRNG, ctx: _Context):
        n_options = rng.choice((MIN_OPTIONS, MAX_OPTIONS))
        if name in ("age", "emotion"):
            correct = getattr(record.paralinguistics, name)
            others = [v for v in (AGE_VALUES if name == "age" else EMOTION_VALUES) if v != correct]
            distractors = rng.sample(others, min(n_options - 1, len(others)))
        elif name == "gender":
            return None  # two values cannot make 3-4 options
        elif name in ("discreteEvents", "continuousEvents"):
            events = (
                record.non_linguistic_events.discrete_events
                if name == "discreteEvents"
                else record.non_linguistic_events.continuous_events
            )
            if not events:
                return None
            correct = rng.choice(events).label
            distractors = self._recent.draw(rng, n_options - 1, "events", [ctx.scene_words], set(ctx.labels_folded))
        else:
            correct = record.transcription if name == "transcription" else ctx.text(name)
            if correct is None or len(correct) > MAX_OPTION_CHARS:
                return None
            distractors = self._recent.draw(rng, n_options - 1, name, [_words(correct)], {correct.casefold()})
        if len(distractors) < MIN_OPTIONS - 1:
            return None
        options, answer = self._options(rng, correct, distractors)
        return rng.choice(_MC[name]), options, answer

    def _yes_no(self, name: str, record: UASRecord, rng: RecordRNG, ctx: _Context):
        want_yes = rng.random() < 0.5
        p = record.paralinguistics
        if name == "transcription":
            if record.transcription is None:
                if want_yes:
                    return "Is this recording free of human speech?", [], _YES
                return (
                    rng.choice(("Is there human speech in this audio?", "Does anyone speak in this recording?")),
                    [],
                    _NO,
                )
            if want_yes:
                if len(record.transcription) <= MAX_OPTION_CHARS and rng.random() < 0.5:
                    return f'Does the speaker say: "{record.transcription}"?', [], _YES
                return "Is there human speech in this audio?", [], _YES
            other = self._recent.draw(
                rng,
                1,
                "transcription",
                [_words(record.transcription)],
                {record.transcription.casefold()},
            )
            return (f'Does the speaker say: "{other[0]}"?', [], _NO) if other else None
        if name == "age":
            value = p.age if want_yes else rng.choice([v for v in AGE_VALUES if v != p.age])
            return f"Is the speaker {_AGE_PHRASES[value]}?", [], _YES if want_yes else _NO
        if name == "gender":
            value = p.gender if want_yes else next(v for v in GENDER_VALUES if v != p.gender)
            return f"Is the speaker {value.lower()}?", [], _YES if want_yes else _NO
        if name == "emotion":
            value = p.emotion if want_yes else rng.choice([v for v in EMOTION_VALUES if v != p.emotion])
            return f"Does the speaker sound {EMOTION_ADJECTIVES[value]}?", [], _YES if want_yes else _NO
        if name in ("accent", "prosody", "timbre", "description"):
            own = ctx.text(name)
            if own is None:
                return None
            if want_yes:
                value = own
            else:
                other = self._recent.draw(rng, 1, name, [_words(own)], {own.casefold()})
                if not other:
                    return None
                value = other[0]
            if len(value) > MAX_OPTION_CHARS:
                return None
            template = _YES_NO_OPEN[name]
            return template.format(value=value), [], _YES if want_yes else _NO
        # events
        discrete = name == "discreteEvents"
        events = (
            record.non_linguistic_events.discrete_events
            if discrete
            else record.non_linguistic_events.continuous_events
        )
        kind = "discrete sound events" if discrete else "continuous background sounds"
        if want_yes:
            if not events:
                return f"Is this audio free of {kind}?", [], _YES
            if rng.random() < 0.5:
                return f"Are there {kind} in this audio?", [], _YES
            return _HEAR[discrete].format(label=rng.choice(events).label), [], _YES
        if events or rng.random() < 0.5:
            other = self._recent.draw(rng, 1, "events", [ctx.scene_words], set(ctx.labels_folded))
            if other:
                return _HEAR[discrete].format(label=other[0]), [], _NO
            if events:
                return None
        return f"Are there {kind} in this audio?", [], _NO


_YES_NO_OPEN = {
    "accent": 'Is the speaker\'s accent best described as "{value}"?',
    "prosody": 'Is the speaker\'s delivery best described as "{value}"?',
    "timbre": 'Is the speaker\'s voice best described as "{value}"?',
    "description": 'Does this describe the recording environment: "{value}"?',
}
_HEAR = {
    True: 'Can you hear "{label}" in this audio?',
    False: 'Is "{label}" heard continuously in the background of this audio?',
}


class _Context:
    """Per-record values computed at most once (scene words are needed only by event questions)."""

    __slots__ = ("_labels", "_scene", "record")

    def __init__(self, record: UASRecord) -> None:
        self.record = record
        self._scene: frozenset[str] | None = None
        self._labels: list[str] | None = None

    def text(self, name: str) -> str | None:
        if name == "description":
            return self.record.non_linguistic_events.description
        return getattr(self.record.paralinguistics, name)

    @property
    def labels_folded(self) -> list[str]:
        if self._labels is None:
            self._labels = [e.label.casefold() for e in self.record.non_linguistic_events.events]
        return self._labels

    @property
    def scene_words(self) -> frozenset[str]:
        """Content words of everything the record says is audible: a negative event must share none of them."""
        if self._scene is None:
            n = self.record.non_linguistic_events
            parts = [n.description or ""]
            for e in n.events:
                parts.append(e.label)
                parts.append(e.characteristic or "")
            self._scene = frozenset().union(*map(_words, parts))  # per-part sets are cached; the whole is not
        return self._scene


def generate_qa(
    records: Iterable[tuple[str, UASRecord]],
    *,
    seed: int,
    per_record: int | None = 3,
    types: Sequence[str] = QA_TYPES,
    fields: Sequence[str] = FIELDS,
    pool_size: int = DEFAULT_POOL_SIZE,
) -> Iterator[dict[str, Any]]:
    """Stream UAS-QA items for ``(source_id, record)`` pairs (see `UASQAGenerator` for the options).

    Each item: ``id``, ``source_id``, ``type`` (``direct`` | ``multiple_choice`` | ``yes_no``), ``field``,
    ``question``, ``options`` (``["A. ...", ...]`` for multiple choice, else ``[]``), ``answer`` and ``messages``
    (user turn = audio + question with its options, assistant turn = answer), ready for SFT.

    Example:

    ```python
    >>> from uas_hf.schema.synthetic import synthetic_records
    >>> items = list(generate_qa(((i, r) for i, r, _ in synthetic_records(50)), seed=0))
    >>> len(items), sorted({item["type"] for item in items})
    (150, ['direct', 'multiple_choice', 'yes_no'])

    ```
    """
    generator = UASQAGenerator(seed=seed, per_record=per_record, types=types, fields=fields, pool_size=pool_size)
    return generator(records)


# ----------------------------------------------------------------------------------------------------------------
# LLM-backed generation (Fig. 7)
# ----------------------------------------------------------------------------------------------------------------
class QAGenerationError(UASError, ValueError):
    """An LLM-generated QA item broke a Fig. 7 requirement; ``code`` says which (e.g. ``qa.reveals_answer``)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


FIG7_PROMPT = """**Instructions:**
You are given a structured audio description in UAS (Unified Audio Schema) JSON format. Please generate a relevant \
question in the form of a **Multiple Choice** question, along with the corresponding answer, based on the specific \
fields provided in the JSON (such as transcription, paralinguistics, or non-linguistic events).

**Requirements:**
- Provide exactly {n_options} answer options. Each option must include both the letter and the content (e.g., \
"A. male", "B. female").
- The question must be about {field_description}.
- The question text must not directly reveal or hint at the answer; answering must require information from the \
audio, and not be possible by simply reading the question.
- Do not include phrases like "according to the JSON" or "in the paralinguistics field".
- The correct answer must be option {correct_option}.

**Input Format:**
A JSON object containing "transcription", "paralinguistics", and "nonLinguisticEvents".

**Output Format:**
Present your output in the following JSON format:
```json
[
{{"role": "user", "content": [{{"type": "text", "text": "question_text"}}]}},
{{"role": "assistant", "content": "answer_text"}}
]
```

**Now, generate a question and its answer for the following UAS input using the above guidelines:**
{uas}"""
"""The paper's QA-generation prompt (App. H, Fig. 7), with the option count and target field made explicit."""

FIELD_DESCRIPTIONS = {
    "transcription": "the content of the speech (from `transcription`)",
    "age": "the speaker's age group",
    "gender": "the speaker's gender",
    "emotion": "the speaker's emotion",
    "accent": "the speaker's accent",
    "prosody": "the speaker's prosody (pace, intonation, rhythm)",
    "timbre": "the speaker's timbre (voice quality)",
    "description": "the overall acoustic environment",
    "discreteEvents": "the discrete sound events (from `discreteEvents`)",
    "continuousEvents": "the continuous background sounds (from `continuousEvents`)",
}
FORBIDDEN_PHRASES = ("according to the json", "in the json", "paralinguistics field", "the uas", "json object")
_OPTION_LINE = re.compile(r"(?:^|\s)([A-D])[.)]\s+(.+?)(?=\s+[A-D][.)]\s|\n|$)", re.S)


def _text_of(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text") for part in content if isinstance(part, dict) and part.get("type") == "text"]
        if texts and all(isinstance(t, str) for t in texts):
            return "\n".join(texts)
    return None


class LLMQAGenerator:
    """Multiple-choice UAS-QA written by an LLM with the paper's Fig. 7 prompt, checked before it is kept.

    Args:
        backend (`Callable[[str], str]`):
            Any function from prompt to completion (a local `transformers` pipeline, an HTTP client...). This module
            does no I/O itself.
        seed (`int`, *optional*, defaults to `0`):
            Seeds the per-record choice of field, option count and correct letter (uniform over the options).
        max_attempts (`int`, *optional*, defaults to `2`):
            Calls per record before giving up with `QAGenerationError`.
        fields (`Sequence[str]`, *optional*, defaults to `FIELDS`):
            Fields the questions may target.

    Checks: the output is a user/assistant message pair; the question lists 3-4 distinct lettered options; the
    answer is the requested letter; the question stem does not contain the correct option; no "according to the
    JSON" phrasing.

    Example:

    ```python
    >>> def backend(prompt):  # a stand-in for an LLM
    ...     letter = prompt.split("must be option ")[1][0]
    ...     options = ["Child", "Adult", "Elderly", "Teenager"][: 3 if "exactly 3" in prompt else 4]
    ...     options.remove("Adult"); options.insert("ABCD".index(letter), "Adult")
    ...     text = "How old is the speaker? " + " ".join(f"{l}. {o}" for l, o in zip("ABCD", options))
    ...     return '[{"role": "user", "content": [{"type": "text", "text": "%s"}]}, ' \\
    ...            '{"role": "assistant", "content": "%s. Adult"}]' % (text, letter)
    >>> from uas_hf.schema import UASRecord, Paralinguistics
    >>> gen = LLMQAGenerator(backend, seed=0, fields=["age"])
    >>> item = gen.generate("utt1", UASRecord("Hi.", Paralinguistics(age="Adult")))
    >>> item["answer"].endswith("Adult"), item["type"]
    (True, 'multiple_choice')

    ```
    """

    def __init__(
        self,
        backend: Callable[[str], str],
        *,
        seed: int = 0,
        max_attempts: int = 2,
        fields: Sequence[str] = FIELDS,
        prompt_template: str = FIG7_PROMPT,
    ) -> None:
        if not callable(backend):
            raise TypeError(f"`backend` must be a callable prompt -> str; got {type(backend).__name__}.")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"`max_attempts` must be a positive int; got {max_attempts!r}.")
        bad = [f for f in fields if f not in FIELDS]
        if bad or not fields:
            raise ValueError(f"`fields` must be a non-empty subset of {list(FIELDS)}; got {list(fields)}.")
        self.backend = backend
        self.seed = seed
        self.max_attempts = max_attempts
        self.fields = tuple(fields)
        self.prompt_template = prompt_template

    def build_prompt(self, source_id: str, record: UASRecord) -> tuple[str, str, int, str]:
        """``(prompt, field, n_options, correct_letter)`` for one record (deterministic for the seed)."""
        rng = RecordRNG(self.seed, f"llm\x1f{source_id}")
        fields = [f for f in self.fields if UASQAGenerator._applicable(f, record)] or ["description"]
        name = rng.choice(fields)
        n_options = rng.choice((MIN_OPTIONS, MAX_OPTIONS))
        letter = LETTERS[rng.randrange(n_options)]
        prompt = self.prompt_template.format(
            n_options=n_options,
            field_description=FIELD_DESCRIPTIONS[name],
            correct_option=letter,
            uas=to_canonical_json(record),
        )
        return prompt, name, n_options, letter

    def check(self, completion: str, *, n_options: int, letter: str) -> tuple[str, list[str], str]:
        """Parse and check one completion; return ``(question_stem, options, answer)`` or raise `QAGenerationError`."""
        try:
            messages = load_json_array(completion)
        except UASError as e:
            raise QAGenerationError(f"the completion holds no message list: {e}", code="qa.unparseable") from None
        if len(messages) != 2 or not all(isinstance(m, dict) for m in messages):
            raise QAGenerationError("expected exactly a user and an assistant message.", code="qa.unparseable")
        user, assistant = messages
        question, answer = _text_of(user.get("content")), _text_of(assistant.get("content"))
        if user.get("role") != "user" or assistant.get("role") != "assistant" or question is None or answer is None:
            raise QAGenerationError(
                "expected a user turn then an assistant turn, both with text.", code="qa.unparseable"
            )
        first = re.search(r"(?:^|\s)A[.)]\s", question)
        if first is None:
            raise QAGenerationError("the question lists no lettered options (A. ...).", code="qa.option_count")
        stem = question[: first.start()].strip()
        options = [(m.group(1), m.group(2).strip()) for m in _OPTION_LINE.finditer(question[first.start() :])]
        if len(options) != n_options or [x for x, _ in options] != list(LETTERS[:n_options]):
            raise QAGenerationError(
                f"expected options {list(LETTERS[:n_options])}; got {[x for x, _ in options]}.", code="qa.option_count"
            )
        contents = [text for _, text in options]
        if len({c.casefold() for c in contents}) != len(contents):
            raise QAGenerationError(f"duplicate options: {contents}.", code="qa.duplicate_options")
        chosen = re.match(r"\s*\(?([A-D])\b", answer)
        if chosen is None or chosen.group(1) != letter:
            raise QAGenerationError(
                f"the answer must be option {letter}; got {answer!r}.", code="qa.wrong_answer_letter"
            )
        correct = contents[LETTERS.index(letter)]
        if _reveals(stem, correct):
            raise QAGenerationError(f"the question reveals its answer {correct!r}.", code="qa.reveals_answer")
        lowered = stem.lower()
        if any(p in lowered for p in FORBIDDEN_PHRASES):
            raise QAGenerationError(f"the question refers to the annotation: {stem!r}.", code="qa.forbidden_phrase")
        return stem, [f"{x}. {text}" for x, text in options], f"{letter}. {correct}"

    def generate(self, source_id: str, record: UASRecord) -> dict[str, Any]:
        """One checked multiple-choice item for ``record``; raises `QAGenerationError` after ``max_attempts``."""
        if not isinstance(record, UASRecord):
            raise TypeError(f"`record` must be a UASRecord; got {type(record).__name__}.")
        source_id = str(source_id)
        prompt, name, n_options, letter = self.build_prompt(source_id, record)
        error: QAGenerationError | None = None
        for _ in range(self.max_attempts):
            completion = self.backend(prompt)
            if not isinstance(completion, str):
                raise TypeError(f"`backend` must return a str; got {type(completion).__name__}.")
            try:
                stem, options, answer = self.check(completion, n_options=n_options, letter=letter)
            except QAGenerationError as e:
                error = e
                continue
            text = stem + "\n" + "\n".join(options)
            return {
                "id": f"{source_id}:llmqa:0",
                "source_id": source_id,
                "type": "multiple_choice",
                "field": name,
                "question": stem,
                "options": options,
                "answer": answer,
                "messages": _messages(text, answer),
            }
        raise error  # set: the loop ran at least once (max_attempts >= 1 is checked in __init__)

    def __call__(
        self, records: Iterable[tuple[str, UASRecord]], *, on_error: str = "skip"
    ) -> Iterator[dict[str, Any]]:
        """Stream items; ``on_error="skip"`` logs and counts failures (``self.failures``), ``"raise"`` re-raises."""
        if on_error not in ("skip", "raise"):
            raise ValueError(f"`on_error` must be 'skip' or 'raise'; got {on_error!r}.")
        self.failures: dict[str, int] = {}
        for source_id, record in records:
            try:
                yield self.generate(source_id, record)
            except QAGenerationError as e:
                if on_error == "raise":
                    raise
                self.failures[e.code] = self.failures.get(e.code, 0) + 1
                logger.warning("LLM QA for %s skipped (%s): %s", source_id, e.code, e)
