"""Stage 3 of the UAS pipeline (paper §2.2): configurable validation rules with stable rejection codes.

Rules, in the paper's order:

1. **Ontology** - closed-set fields are normalized through the synonym maps or rejected (``ontology.*``).
2. **Transcription integrity** - the transcription equals the ground truth (exact by default) (``integrity.*``).
3. **Logical consistency** - no speech <=> null paralinguistics, unique event labels, no gender/age vs timbre
   contradictions (``logic.*``).
4. **Duration-content alignment** - words, events and description length plausible for the duration
   (``duration.*``).

Before them, the input must parse (``parse.*``) and have the schema's shape (``schema.*``). A rejection lists
*every* failed rule, not just the first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import UASParseError, shorten
from .parsing import MAX_INPUT_CHARS, Normalized, load_json_object, normalize_mapping
from .types import PARALINGUISTIC_KEYS, UASRecord
from .vocab import normalize_key_text


REJECTION_CODES: dict[str, str] = {
    # input syntax
    "parse.empty": "the UAS input is empty",
    "parse.too_large": "the UAS input exceeds the size limit",
    "parse.encoding": "the UAS input is not valid UTF-8",
    "parse.no_json": "no JSON object found in the UAS input",
    "parse.invalid_json": "the JSON could not be parsed or repaired",
    "parse.not_object": "the UAS input is not a JSON object",
    # shape
    "schema.type": "a field has the wrong type",
    "schema.missing_key": "a required key is missing",
    "schema.unknown_key": "a key is not part of the schema",
    "schema.duplicate_key": "a key is given twice (e.g. under two spellings)",
    "schema.blank": "a value that must be text is blank or a spelled-out null",
    "schema.whitespace": "a value has surrounding whitespace (strict parsing)",
    "schema.encoding": "a value holds a lone surrogate (not writable as UTF-8)",
    "schema.too_long": "a text field exceeds `max_text_chars`",
    "schema.too_many_events": "an event list exceeds `max_events`",
    # rule 1
    "ontology.age": "`age` is not Child/Adult/Elderly nor a known synonym",
    "ontology.gender": "`gender` is not Male/Female nor a known synonym",
    "ontology.emotion": "`emotion` is not one of the seven categories nor a known synonym",
    # rule 2
    "integrity.transcription_mismatch": "the transcription differs from the ground truth",
    "integrity.transcription_missing": "the ground truth has speech but the transcription is null",
    "integrity.unexpected_transcription": "the ground truth has no speech but a transcription is given",
    "integrity.missing_ground_truth": "integrity is required but no ground truth was given",
    "integrity.invalid_ground_truth": "the ground truth is not a string",
    # rule 3
    "logic.paralinguistics_without_speech": "no transcription but paralinguistic fields are set",
    "logic.speech_without_paralinguistics": "a transcription but every paralinguistic field is null",
    "logic.missing_paralinguistic_field": "a field listed in `required_speech_fields` is null for speech",
    "logic.duplicate_event_label": "two events share a label",
    "logic.gender_timbre": "the timbre contradicts the gender",
    "logic.age_timbre": "the timbre contradicts the age group",
    # rule 4
    "duration.missing": "`require_duration` is set but no duration was given",
    "duration.invalid": "the duration is not a positive finite number of seconds",
    "duration.words_per_second": "more words than the duration allows",
    "duration.events_per_second": "more events than the duration allows",
    "duration.description_complexity": "the scene description is too long for the duration",
    # the `uas-hf validate` input file
    "input.empty_line": "the input line is blank",
    "input.line_too_long": "the input line exceeds the size limit",
    "input.encoding": "the input line is not valid UTF-8",
    "input.invalid_json": "the input line is not valid JSON",
    "input.not_object": "the input line is not a JSON object",
    "input.missing_id": "the input line has no `id`",
    "input.invalid_id": "the `id` is not a non-empty string or an integer",
    "input.duplicate_id": "the `id` was seen on an earlier line",
    "input.missing_uas": "the input line has no `uas`",
}
"""Every rejection code `UASValidator` and `uas-hf validate` can produce, with a one-line meaning."""

TRANSCRIPTION_NORMALIZATIONS = ("unicode", "whitespace", "case", "punctuation")

DEFAULT_FEMININE_TERMS = (
    "feminine", "female", "woman", "woman's", "womanly", "ladylike", "lady-like", "girlish", "girl", "girl's",
)  # fmt: skip
DEFAULT_MASCULINE_TERMS = ("masculine", "male", "man's", "manly", "mannish", "gentleman's")
DEFAULT_ELDERLY_TERMS = (
    "elderly", "aged", "aging", "ageing", "senior", "geriatric", "senile", "old-age", "old man's", "old woman's",
    "grandfatherly", "grandmotherly",
)  # fmt: skip
DEFAULT_CHILD_TERMS = (
    "child", "child's", "childlike", "child-like", "childish", "kid", "kid's", "kid-like", "infant", "toddler",
    "prepubescent", "pre-pubescent",
)  # fmt: skip
_NEGATION = re.compile(r"\b(?:not|no|non|never|without|hardly|than|nor|rather)\W+(?:\w+\W+)?$", re.I)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _strip_punctuation(text: str) -> str:
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))


@dataclass
class ValidationConfig:
    """Rules of Stage-3 validation. Every rule can be switched or tuned; defaults follow the paper.

    Args:
        lenient (`bool`, *optional*, defaults to `True`):
            Repair LLM formatting (code fences, prose, single quotes, trailing commas, key-case drift, "N/A" for
            null). *Why:* these defects change no content; rejecting them would throw away good annotations.
        normalize_synonyms (`bool`, *optional*, defaults to `True`):
            Rule 1. Map synonyms of closed values ("happy" -> "Happiness", "man" -> "Male") before checking the
            vocabulary; unknown values are rejected (``ontology.<field>``). *Why:* the mapping is unambiguous for the
            listed synonyms. Set `False` for the paper's literal behaviour, which discards synonyms.
        unknown_keys (`str`, *optional*, defaults to `"reject"`):
            ``"reject"`` or ``"ignore"`` keys outside the schema. *Why:* an extra key usually means the LLM drifted
            from the prompt; the record may hide content in the wrong place.
        max_input_chars (`int`, *optional*, defaults to `MAX_INPUT_CHARS`):
            Size limit of a raw string. *Why:* bounds the work per record; runaway generations are rejects anyway.
        max_text_chars (`int`, *optional*, defaults to `20000`):
            Size limit of any single text field (``schema.too_long``). *Why:* degenerate repetition loops.
        max_events (`int`, *optional*, defaults to `50`):
            Size limit of each event list (``schema.too_many_events``). *Why:* same.
        check_transcription (`bool`, *optional*, defaults to `True`):
            Rule 2. When a ground truth is given, the transcription must equal it. *Why:* the paper requires 100%
            linguistic fidelity ("zero semantic loss"); the LLM must copy, not paraphrase.
        transcription_normalization (`tuple[str, ...]`, *optional*, defaults to `()`):
            What to ignore when comparing with the ground truth: any of ``"unicode"`` (NFKC), ``"whitespace"``
            (runs and ends), ``"case"``, ``"punctuation"``. Empty means exact, as in the paper. *Why:* corpora whose
            ground truth is normalized differently from what the LLM echoes.
        require_ground_truth (`bool`, *optional*, defaults to `False`):
            Reject when no ground truth is given (``integrity.missing_ground_truth``). *Why:* in the paper's
            pipeline every sample comes from an ASR corpus, so a missing transcript is a data error.
        require_paralinguistics_for_speech (`bool`, *optional*, defaults to `True`):
            Rule 3. Speech needs at least one paralinguistic value, and no speech needs all of them null. *Why:*
            the paper maps empty transcriptions to null paralinguistics; the converse catches dropped layers.
        required_speech_fields (`tuple[str, ...]`, *optional*, defaults to `()`):
            Paralinguistic fields that must be non-null when there is speech, e.g. ``("age", "gender",
            "emotion")`` for the paper's "forced completeness". *Why:* off by default because "cannot tell" is a
            legitimate, honest null.
        check_unique_event_labels (`bool`, *optional*, defaults to `True`):
            Rule 3. Event labels must not repeat (case-insensitively, across both lists). *Why:* the synthesis
            prompt requires unique labels; repeats are a typical LLM loop.
        check_gender_timbre (`bool`, *optional*, defaults to `True`):
            Rule 3. Reject "Male" with a feminine timbre and "Female" with a masculine one (negated mentions such
            as "not feminine" are ignored). *Why:* the paper's example of an inter-field conflict.
        check_age_timbre (`bool`, *optional*, defaults to `True`):
            Rule 3. Reject "Child" with an elderly timbre and "Elderly" with a child-like one. *Why:* same.
        timbre_fields (`tuple[str, ...]`, *optional*, defaults to `("timbre",)`):
            The paralinguistic text fields scanned for the contradictions above.
        feminine_terms, masculine_terms, elderly_terms, child_terms (`tuple[str, ...]`):
            The words that signal each contradiction (whole words, case-insensitive).
        require_duration (`bool`, *optional*, defaults to `False`):
            Reject when no duration is given (``duration.missing``); otherwise rule 4 is skipped without one.
        max_words_per_second (`float`, *optional*, defaults to `6.0`):
            Rule 4. More transcribed words than ``max_words_per_second * duration + words_slack`` is rejected.
            *Why:* fast read speech is ~4-5 words/s; more is a hallucinated or misaligned transcript. `None`
            disables.
        words_slack (`float`, *optional*, defaults to `2.0`):
            Words allowed on top, so very short clips with one or two words pass.
        cjk_chars_per_word (`float`, *optional*, defaults to `1.5`):
            How many CJK characters count as one word (CJK text has no spaces; ~1.5 characters per word in Mandarin).
        max_events_per_second (`float`, *optional*, defaults to `1.0`):
            Rule 4. More events (discrete + continuous) than ``max_events_per_second * duration + events_slack``
            is rejected. *Why:* distinct sound sources need time to be audible. `None` disables.
        events_slack (`float`, *optional*, defaults to `2.0`):
            Events allowed on top.
        max_description_words (`float`, *optional*, defaults to `40.0`):
            Rule 4. The scene text (description, event labels and characteristics) may have at most
            ``max_description_words + max_description_words_per_second * duration`` words. *Why:* the paper
            discards descriptions whose complexity disproportionately exceeds the duration (hallucination risk).
            `None` disables.
        max_description_words_per_second (`float`, *optional*, defaults to `10.0`):
            Words of scene text allowed per second of audio.

    Example:

    ```python
    >>> config = ValidationConfig(transcription_normalization=("whitespace", "case"), max_words_per_second=5.0)
    >>> config.unknown_keys
    'reject'

    ```
    """

    lenient: bool = field(default=True, metadata={"help": "Repair LLM formatting defects."})
    normalize_synonyms: bool = field(default=True, metadata={"help": "Map synonyms of closed-set values."})
    unknown_keys: str = field(default="reject", metadata={"help": "'reject' or 'ignore' keys outside the schema."})
    max_input_chars: int = field(default=MAX_INPUT_CHARS, metadata={"help": "Size limit of a raw input string."})
    max_text_chars: int = field(default=20_000, metadata={"help": "Size limit of any text field."})
    max_events: int = field(default=50, metadata={"help": "Size limit of each event list."})
    check_transcription: bool = field(default=True, metadata={"help": "Compare with the ground truth if given."})
    transcription_normalization: tuple[str, ...] = field(
        default=(), metadata={"help": f"Subset of {TRANSCRIPTION_NORMALIZATIONS}; empty = exact match."}
    )
    require_ground_truth: bool = field(default=False, metadata={"help": "Reject records without ground truth."})
    require_paralinguistics_for_speech: bool = field(
        default=True, metadata={"help": "No speech <=> all paralinguistics null."}
    )
    required_speech_fields: tuple[str, ...] = field(
        default=(), metadata={"help": "Paralinguistic fields that must be set when there is speech."}
    )
    check_unique_event_labels: bool = field(default=True, metadata={"help": "Event labels must not repeat."})
    check_gender_timbre: bool = field(default=True, metadata={"help": "Reject gender vs timbre contradictions."})
    check_age_timbre: bool = field(default=True, metadata={"help": "Reject age vs timbre contradictions."})
    timbre_fields: tuple[str, ...] = field(
        default=("timbre",), metadata={"help": "Fields scanned for contradictions."}
    )
    feminine_terms: tuple[str, ...] = field(default=DEFAULT_FEMININE_TERMS, metadata={"help": "Contradict Male."})
    masculine_terms: tuple[str, ...] = field(default=DEFAULT_MASCULINE_TERMS, metadata={"help": "Contradict Female."})
    elderly_terms: tuple[str, ...] = field(default=DEFAULT_ELDERLY_TERMS, metadata={"help": "Contradict Child."})
    child_terms: tuple[str, ...] = field(default=DEFAULT_CHILD_TERMS, metadata={"help": "Contradict Elderly."})
    require_duration: bool = field(default=False, metadata={"help": "Reject records without a duration."})
    max_words_per_second: float | None = field(default=6.0, metadata={"help": "Transcript words per second."})
    words_slack: float = field(default=2.0, metadata={"help": "Extra words allowed on top."})
    cjk_chars_per_word: float = field(default=1.5, metadata={"help": "CJK characters per counted word."})
    max_events_per_second: float | None = field(default=1.0, metadata={"help": "Events per second."})
    events_slack: float = field(default=2.0, metadata={"help": "Extra events allowed on top."})
    max_description_words: float | None = field(default=40.0, metadata={"help": "Scene words at zero duration."})
    max_description_words_per_second: float = field(default=10.0, metadata={"help": "Scene words per second."})

    def __post_init__(self) -> None:
        if self.unknown_keys not in ("reject", "ignore"):
            raise ValueError(f"`unknown_keys` must be 'reject' or 'ignore'; got {self.unknown_keys!r}.")
        self.transcription_normalization = tuple(self.transcription_normalization)
        bad = [n for n in self.transcription_normalization if n not in TRANSCRIPTION_NORMALIZATIONS]
        if bad:
            raise ValueError(
                f"`transcription_normalization` must be a subset of {list(TRANSCRIPTION_NORMALIZATIONS)}; got {bad}."
            )
        for name in ("required_speech_fields", "timbre_fields"):
            values = tuple(getattr(self, name))
            setattr(self, name, values)
            bad = [v for v in values if v not in PARALINGUISTIC_KEYS]
            if bad:
                raise ValueError(f"`{name}` must be a subset of {list(PARALINGUISTIC_KEYS)}; got {bad}.")
        for name in ("max_input_chars", "max_text_chars", "max_events"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"`{name}` must be a positive integer; got {value!r}.")
        for name in (
            "max_words_per_second",
            "words_slack",
            "cjk_chars_per_word",
            "max_events_per_second",
            "events_slack",
            "max_description_words",
            "max_description_words_per_second",
        ):
            value = getattr(self, name)
            optional = name in ("max_words_per_second", "max_events_per_second", "max_description_words")
            if value is None and optional:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(
                    f"`{name}` must be a finite number >= 0{' or None (disabled)' if optional else ''}; got {value!r}."
                )
        if self.cjk_chars_per_word <= 0:
            raise ValueError(f"`cjk_chars_per_word` must be > 0; got {self.cjk_chars_per_word!r}.")
        for name in ("feminine_terms", "masculine_terms", "elderly_terms", "child_terms"):
            setattr(self, name, tuple(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Rejection:
    """One failed rule: a stable ``code`` (see `REJECTION_CODES`), a human ``message`` and the field ``path``."""

    code: str
    message: str
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "path": self.path}


@dataclass
class ValidationResult:
    """The outcome of `UASValidator.validate`.

    Attributes:
        accepted (`bool`): whether every rule passed.
        record (`UASRecord` or `None`): the normalized record when accepted.
        reasons (`list[Rejection]`): every failed rule (empty when accepted).
    """

    accepted: bool
    record: UASRecord | None
    reasons: list[Rejection]

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


def _fold_label(label: str) -> str:
    """Compare labels without case, punctuation or spacing differences ("Dog bark" == "dog-bark.")."""
    if label.replace(" ", "").isalnum():
        return " ".join(label.lower().split())  # the common case, without a regex
    return normalize_key_text(label)


def _terms_regex(terms: tuple[str, ...]) -> re.Pattern | None:
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I)


def _first_unnegated(pattern: re.Pattern | None, text: str) -> str | None:
    if pattern is None or pattern.search(text) is None:
        return None  # the common case: no contradiction term at all
    for m in pattern.finditer(text):
        if not _NEGATION.search(text, max(0, m.start() - 40), m.start()):
            return m.group()
    return None


def _make_normalizer(steps: tuple[str, ...]):
    if not steps:
        return None

    def normalize(text: str) -> str:
        if "unicode" in steps:
            text = unicodedata.normalize("NFKC", text)
        if "punctuation" in steps:
            text = _strip_punctuation(text)
        if "case" in steps:
            text = text.casefold()
        if "whitespace" in steps or "punctuation" in steps:
            text = " ".join(text.split())
        return text

    return normalize


class UASValidator:
    """Stage-3 validation of raw UAS records (paper §2.2).

    Args:
        config (`ValidationConfig`, *optional*):
            The rules; keyword arguments build one when omitted (``UASValidator(max_words_per_second=5)``).

    `validate` never raises for bad *data*: every problem becomes a `Rejection` with a stable code. It raises only
    for programming errors (an unknown config option).

    Example:

    ```python
    >>> validator = UASValidator()
    >>> raw = '{"transcription": "hi", "paralinguistics": {"gender": "man", "timbre": "high-pitched feminine"},'
    >>> raw += ' "nonLinguisticEvents": {"description": null, "discreteEvents": [], "continuousEvents": []}}'
    >>> result = validator.validate(raw, ground_truth="hi", duration=1.0)
    >>> result.accepted, result.codes
    (False, ['logic.gender_timbre'])

    ```
    """

    def __init__(self, config: ValidationConfig | None = None, **kwargs: Any) -> None:
        if config is not None and kwargs:
            raise ValueError("Pass either `config` or keyword options to UASValidator, not both.")
        if config is None:
            config = ValidationConfig(**kwargs)
        if not isinstance(config, ValidationConfig):
            raise TypeError(f"`config` must be a ValidationConfig; got {type(config).__name__}.")
        self.config = config
        self._unknown = "ignore" if config.unknown_keys == "ignore" else "error"
        self._normalize_gt = _make_normalizer(config.transcription_normalization)
        self._feminine = _terms_regex(config.feminine_terms) if config.check_gender_timbre else None
        self._masculine = _terms_regex(config.masculine_terms) if config.check_gender_timbre else None
        self._elderly = _terms_regex(config.elderly_terms) if config.check_age_timbre else None
        self._child = _terms_regex(config.child_terms) if config.check_age_timbre else None
        self._timbre_index = tuple(PARALINGUISTIC_KEYS.index(f) for f in config.timbre_fields)
        self._required_index = tuple(PARALINGUISTIC_KEYS.index(f) for f in config.required_speech_fields)

    def __call__(self, raw: Any, *, ground_truth: str | None = None, duration: float | None = None):
        return self.validate(raw, ground_truth=ground_truth, duration=duration)

    def validate(
        self, raw: Any, *, ground_truth: str | None = None, duration: float | None = None
    ) -> ValidationResult:
        """Validate one raw record.

        Args:
            raw (`str`, `bytes`, `Mapping` or `UASRecord`):
                What the Stage-2 synthesizer returned (raw LLM text is fine when ``config.lenient``).
            ground_truth (`str`, *optional*):
                The corpus transcript for rule 2. ``""`` means the ground truth has no speech; `None` means unknown.
            duration (`float`, *optional*):
                The audio duration in seconds, for rule 4 (skipped when `None` unless ``require_duration``).

        Returns:
            `ValidationResult`
        """
        cfg = self.config
        reasons: list[Rejection] = []
        if type(raw) is dict:
            data: Any = raw
        elif isinstance(raw, UASRecord):
            data = raw.to_dict()
        elif isinstance(raw, Mapping):
            data = raw
        else:
            try:
                data = load_json_object(raw, lenient=cfg.lenient, max_chars=cfg.max_input_chars)
            except UASParseError as e:
                reasons.append(Rejection(e.code, e.message, e.path))
                data = None
        norm: Normalized | None = None
        if data is not None:
            norm = normalize_mapping(
                data, lenient=cfg.lenient, normalize_synonyms=cfg.normalize_synonyms, unknown_keys=self._unknown
            )
            for issue in norm.issues:
                reasons.append(Rejection(issue.code, issue.message, issue.path))
            self._check_limits(norm, reasons)
        self._check_integrity(norm, ground_truth, reasons)
        if norm is not None:
            self._check_logic(norm, reasons)
        seconds = self._check_duration_value(duration, reasons)
        if norm is not None and seconds is not None:
            self._check_duration(norm, seconds, reasons)
        if reasons:
            return ValidationResult(False, None, reasons)
        return ValidationResult(True, norm.record(), reasons)

    # -- limits ------------------------------------------------------------------------------------------------
    def _check_limits(self, norm: Normalized, reasons: list[Rejection]) -> None:
        cfg = self.config
        limit = cfg.max_text_chars
        too_long = []
        for key, text in (
            ("transcription", norm.transcription),
            ("nonLinguisticEvents.description", norm.description),
        ):
            if text is not None and len(text) > limit:
                too_long.append((key, text))
        for key, text in zip(PARALINGUISTIC_KEYS[3:], norm.para[3:]):
            if text is not None and len(text) > limit:
                too_long.append((f"paralinguistics.{key}", text))
        for key, events in (("discreteEvents", norm.discrete), ("continuousEvents", norm.continuous)):
            if len(events) > cfg.max_events:
                reasons.append(
                    Rejection(
                        "schema.too_many_events",
                        f"`nonLinguisticEvents.{key}` has {len(events)} events; the limit is {cfg.max_events}.",
                        f"nonLinguisticEvents.{key}",
                    )
                )
            for i, (label, characteristic) in enumerate(events):
                if len(label) > limit:
                    too_long.append((f"nonLinguisticEvents.{key}[{i}].label", label))
                if characteristic is not None and len(characteristic) > limit:
                    too_long.append((f"nonLinguisticEvents.{key}[{i}].characteristic", characteristic))
        for path, text in too_long:
            reasons.append(
                Rejection(
                    "schema.too_long",
                    f"`{path}` has {len(text)} characters; the limit is {limit} (`max_text_chars`).",
                    path,
                )
            )

    # -- rule 2 ------------------------------------------------------------------------------------------------
    def _check_integrity(self, norm: Normalized | None, ground_truth: Any, reasons: list[Rejection]) -> None:
        cfg = self.config
        if ground_truth is None:
            if cfg.require_ground_truth:
                reasons.append(
                    Rejection(
                        "integrity.missing_ground_truth",
                        "no ground-truth transcription was given but `require_ground_truth` is set; provide one "
                        '("" for audio without speech) or disable the rule.',
                        "transcription",
                    )
                )
            return
        if type(ground_truth) is not str:
            reasons.append(
                Rejection(
                    "integrity.invalid_ground_truth",
                    f"the ground truth must be a string ('' for no speech); got {type(ground_truth).__name__} "
                    f"{shorten(ground_truth)}.",
                    "transcription",
                )
            )
            return
        if not cfg.check_transcription or norm is None or not norm.transcription_ok:
            return
        got = norm.transcription
        if not ground_truth.strip():
            if got is not None:
                reasons.append(
                    Rejection(
                        "integrity.unexpected_transcription",
                        f"the ground truth has no speech but `transcription` is {shorten(got)}.",
                        "transcription",
                    )
                )
            return
        if got is None:
            reasons.append(
                Rejection(
                    "integrity.transcription_missing",
                    f"`transcription` is null but the ground truth is {shorten(ground_truth)}; copy it verbatim.",
                    "transcription",
                )
            )
            return
        if got == ground_truth:
            return
        normalize = self._normalize_gt
        if normalize is not None and normalize(got) == normalize(ground_truth):
            return
        how = "exactly" if normalize is None else f"after normalizing {list(cfg.transcription_normalization)}"
        reasons.append(
            Rejection(
                "integrity.transcription_mismatch",
                f"`transcription` {shorten(got)} does not match the ground truth {shorten(ground_truth)} {how}.",
                "transcription",
            )
        )

    # -- rule 3 ------------------------------------------------------------------------------------------------
    def _check_logic(self, norm: Normalized, reasons: list[Rejection]) -> None:
        cfg = self.config
        if norm.transcription_ok and norm.para_ok and cfg.require_paralinguistics_for_speech:
            present = norm.para_present
            if norm.transcription is None and any(present):
                names = [k for k, p in zip(PARALINGUISTIC_KEYS, present) if p]
                reasons.append(
                    Rejection(
                        "logic.paralinguistics_without_speech",
                        f"`transcription` is null (no speech) but paralinguistic fields {names} are set; set them to "
                        "null for audio without speech.",
                        "paralinguistics",
                    )
                )
            elif norm.transcription is not None and not any(present):
                reasons.append(
                    Rejection(
                        "logic.speech_without_paralinguistics",
                        "there is a transcription but every paralinguistic field is null; describe the speaker.",
                        "paralinguistics",
                    )
                )
        if norm.transcription is not None and norm.para_ok:
            for i in self._required_index:
                if not norm.para_present[i]:
                    key = PARALINGUISTIC_KEYS[i]
                    reasons.append(
                        Rejection(
                            "logic.missing_paralinguistic_field",
                            f"`paralinguistics.{key}` is null but `required_speech_fields` requires it for speech.",
                            f"paralinguistics.{key}",
                        )
                    )
        if cfg.check_unique_event_labels and (len(norm.discrete) + len(norm.continuous)) > 1:
            seen: dict[str, str] = {}
            for key, events in (("discreteEvents", norm.discrete), ("continuousEvents", norm.continuous)):
                for i, (label, _) in enumerate(events):
                    folded = _fold_label(label)
                    path = f"nonLinguisticEvents.{key}[{i}].label"
                    if folded in seen:
                        reasons.append(
                            Rejection(
                                "logic.duplicate_event_label",
                                f"`{path}` {label!r} repeats the label at `{seen[folded]}`; event labels must be unique.",
                                path,
                            )
                        )
                    else:
                        seen[folded] = path
        para = norm.para
        gender, age = para[1], para[0]
        check_gender = cfg.check_gender_timbre and gender is not None
        check_age = cfg.check_age_timbre and age in ("Child", "Elderly")
        if check_gender or check_age:
            for i in self._timbre_index:
                text = para[i]
                if text is None:
                    continue
                key = PARALINGUISTIC_KEYS[i]
                if check_gender:
                    term = _first_unnegated(self._feminine if gender == "Male" else self._masculine, text)
                    if term is not None:
                        reasons.append(
                            Rejection(
                                "logic.gender_timbre",
                                f"`paralinguistics.gender` is {gender!r} but `paralinguistics.{key}` says {term!r} "
                                f"({shorten(text)}).",
                                f"paralinguistics.{key}",
                            )
                        )
                if check_age:
                    term = _first_unnegated(self._elderly if age == "Child" else self._child, text)
                    if term is not None:
                        reasons.append(
                            Rejection(
                                "logic.age_timbre",
                                f"`paralinguistics.age` is {age!r} but `paralinguistics.{key}` says {term!r} "
                                f"({shorten(text)}).",
                                f"paralinguistics.{key}",
                            )
                        )

    # -- rule 4 ------------------------------------------------------------------------------------------------
    def _check_duration_value(self, duration: Any, reasons: list[Rejection]) -> float | None:
        if duration is None:
            if self.config.require_duration:
                reasons.append(
                    Rejection(
                        "duration.missing",
                        "no duration was given but `require_duration` is set; pass the audio length in seconds.",
                        None,
                    )
                )
            return None
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not math.isfinite(duration):
            valid = False
        else:
            valid = duration > 0
        if not valid:
            reasons.append(
                Rejection(
                    "duration.invalid",
                    f"the duration must be a positive finite number of seconds; got {shorten(duration)}.",
                    None,
                )
            )
            return None
        return float(duration)

    def _count_words(self, text: str) -> float:
        if text.isascii():
            return len(text.split())
        cjk = len(_CJK.findall(text))
        if not cjk:
            return len(text.split())
        return len(_CJK.sub(" ", text).split()) + cjk / self.config.cjk_chars_per_word

    def _check_duration(self, norm: Normalized, seconds: float, reasons: list[Rejection]) -> None:
        cfg = self.config
        if cfg.max_words_per_second is not None and norm.transcription is not None:
            words = self._count_words(norm.transcription)
            limit = cfg.max_words_per_second * seconds + cfg.words_slack
            if words > limit:
                reasons.append(
                    Rejection(
                        "duration.words_per_second",
                        f"{words:g} words in {seconds:g} s ({words / seconds:.1f} words/s) exceed "
                        f"`max_words_per_second`={cfg.max_words_per_second:g} (+{cfg.words_slack:g} words).",
                        "transcription",
                    )
                )
        n_events = len(norm.discrete) + len(norm.continuous)
        if cfg.max_events_per_second is not None and n_events:
            limit = cfg.max_events_per_second * seconds + cfg.events_slack
            if n_events > limit:
                reasons.append(
                    Rejection(
                        "duration.events_per_second",
                        f"{n_events} events in {seconds:g} s exceed `max_events_per_second`="
                        f"{cfg.max_events_per_second:g} (+{cfg.events_slack:g} events).",
                        "nonLinguisticEvents",
                    )
                )
        if cfg.max_description_words is not None:
            scene = [norm.description or ""]
            for events in (norm.discrete, norm.continuous):
                for label, characteristic in events:
                    scene.append(label)
                    if characteristic is not None:
                        scene.append(characteristic)
            words = self._count_words(" ".join(scene))
            limit = cfg.max_description_words + cfg.max_description_words_per_second * seconds
            if words > limit:
                reasons.append(
                    Rejection(
                        "duration.description_complexity",
                        f"the scene description has {words:g} words for {seconds:g} s of audio; at most {limit:g} "
                        "are plausible (`max_description_words` + `max_description_words_per_second` * duration).",
                        "nonLinguisticEvents",
                    )
                )
