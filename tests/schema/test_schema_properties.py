"""Property tests (hypothesis) for the canonical serialization, and a fuzz test of parser + validator."""

import contextlib
import json
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uas_hf.schema import (
    AGE_VALUES,
    EMOTION_VALUES,
    GENDER_VALUES,
    Event,
    NonLinguisticEvents,
    Paralinguistics,
    UASError,
    UASParseError,
    UASRecord,
    UASValidator,
    ValidationResult,
    parse_uas,
    to_canonical_json,
)
from uas_hf.schema.synthetic import synthetic_records
from uas_hf.schema.vocab import NULL_SENTINELS


# -- strategies for records in normal form -------------------------------------------------------------------------
open_text = (
    st.text(min_size=1, max_size=30).map(str.strip).filter(lambda s: s != "" and s.lower() not in NULL_SENTINELS)
)
verbatim = st.text(min_size=1, max_size=60).filter(lambda s: s.strip() != "")
events = st.lists(st.builds(Event, label=open_text, characteristic=st.none() | open_text), max_size=3)
records = st.builds(
    UASRecord,
    transcription=st.none() | verbatim,
    paralinguistics=st.builds(
        Paralinguistics,
        age=st.none() | st.sampled_from(AGE_VALUES),
        gender=st.none() | st.sampled_from(GENDER_VALUES),
        emotion=st.none() | st.sampled_from(EMOTION_VALUES),
        accent=st.none() | open_text,
        prosody=st.none() | open_text,
        timbre=st.none() | open_text,
    ),
    non_linguistic_events=st.builds(
        NonLinguisticEvents, description=st.none() | open_text, discrete_events=events, continuous_events=events
    ),
)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(records)
def test_canonical_round_trip_exact(record):
    text = to_canonical_json(record)
    assert parse_uas(text) == record
    assert parse_uas(text, lenient=False) == record
    assert parse_uas(text.encode("utf-8")) == record
    assert UASRecord.from_dict(record.to_dict()) == record


@PROPERTY_SETTINGS
@given(records)
def test_canonical_is_idempotent_and_deterministic(record):
    text = to_canonical_json(record)
    assert to_canonical_json(parse_uas(text)) == text
    assert to_canonical_json(UASRecord.from_dict(json.loads(text))) == text
    assert json.loads(text) == record.to_dict()
    assert list(json.loads(text)) == ["transcription", "paralinguistics", "nonLinguisticEvents"]


@PROPERTY_SETTINGS
@given(records)
def test_lenient_renderings_of_the_same_record_parse_to_it(record):
    data = record.to_dict()
    assert parse_uas(json.dumps(data, indent=2, ensure_ascii=True)) == record
    assert parse_uas(repr(data)) == record  # Python-literal output (single quotes, None)
    assert parse_uas(f"Here is the annotation:\n```json\n{json.dumps(data)}\n```\nDone.") == record


def test_canonical_is_compact_with_fixed_key_order():
    _, record, _ = next(synthetic_records(1))
    text = to_canonical_json(record)
    assert ", " not in text.split('"transcription":')[0]
    assert text.startswith('{"transcription":')
    para = json.loads(text)["paralinguistics"]
    assert list(para) == ["age", "gender", "emotion", "accent", "prosody", "timbre"]
    nle = json.loads(text)["nonLinguisticEvents"]
    assert list(nle) == ["description", "discreteEvents", "continuousEvents"]
    assert text == json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":"))


# -- fuzz ------------------------------------------------------------------------------------------------------------
_INSERTS = [
    "{", "}", "[", "]", ",", ":", '"', "'", "\\", "None", "True", "null", "\n", "```", "```json\n", "//", "/*", "#",
    "\ud800", "\x00", "é", "😀", "“", "NaN", "-", "1e999", " ", "\t", "{}", "[]", '"age":', "'x'",
]  # fmt: skip
_KEYS = [
    "transcription", "paralinguistics", "nonLinguisticEvents", "non_linguistic_events", "age", "gender", "emotion",
    "accent", "prosody", "timbre", "description", "discreteEvents", "continuousEvents", "label", "characteristic",
    "Emotion", "AGE", "events", "x",
]  # fmt: skip
_VALUES = [
    None,
    True,
    0,
    -1,
    3.5,
    float("inf"),
    "",
    " ",
    "happy",
    "Male",
    "kid",
    "N/A",
    "unknown",
    [],
    {},
    ["Neutral"],
]


def _random_json(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 3 or roll < 0.45:
        return rng.choice(_VALUES + [rng.choice(_KEYS)])
    if roll < 0.75:
        return {rng.choice(_KEYS): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def _mutate(rng: random.Random, text: str) -> str | bytes:
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        i = rng.randrange(len(text) + 1)
        if op == 0:
            text = text[:i] + rng.choice(_INSERTS) + text[i:]
        elif op == 1:
            text = text[:i] + text[i + rng.randint(1, 20) :]
        elif op == 2:
            text = text[:i]  # truncation
        elif op == 3:
            text = text.replace('"', "'", rng.randint(1, 8))
        elif op == 4:
            text = (
                rng.choice(["Sure! ", "```json\n", "Output: ", ""])
                + text
                + rng.choice(["", "\n```", " Hope it helps."])
            )
        elif op == 5:
            text = text.replace("null", rng.choice(["None", "'null'", "N/A", '""']))
        elif op == 6:
            text = text.replace(rng.choice(_KEYS), rng.choice(_KEYS), 1)
        else:
            text = text[:i] + text[i : i + 40] * rng.randint(1, 3) + text[i:]
    if rng.random() < 0.05:
        data = text.encode("utf-8", "surrogatepass")
        j = rng.randrange(len(data) + 1)
        return data[:j] + bytes([rng.randrange(128, 256)]) + data[j:]
    return text


def _fuzz_inputs(n: int, seed: int):
    rng = random.Random(seed)
    bases = [to_canonical_json(r) for _, r, _ in synthetic_records(64, seed=seed)]
    for i in range(n):
        kind = i % 4
        if kind == 3:
            yield _random_json(rng)
        else:
            yield _mutate(rng, rng.choice(bases))


def _check_one(validator: UASValidator, raw, rng: random.Random) -> bool:
    """Parse and validate ``raw``; only typed errors are allowed. Returns whether it parsed."""
    parsed = None
    try:
        parsed = parse_uas(raw)
    except UASParseError as e:
        assert e.code and isinstance(e.issues, list) and e.issues
    if parsed is not None:
        assert parse_uas(to_canonical_json(parsed)) == parsed  # whatever parses, round-trips
    ground_truth = rng.choice([None, "", "The wing has rounded edges.", parsed.transcription if parsed else None])
    duration = rng.choice([None, 0.5, 5.0, -1.0, math.nan, "x"])
    result = validator.validate(raw, ground_truth=ground_truth, duration=duration)
    assert isinstance(result, ValidationResult)
    assert result.accepted == (not result.reasons) == (result.record is not None)
    if result.accepted:
        assert parsed is not None and result.record == parsed
    return parsed is not None


def _run_fuzz(n: int, seed: int) -> int:
    validator = UASValidator()
    rng = random.Random(seed + 1)
    parsed = 0
    for raw in _fuzz_inputs(n, seed):
        try:
            parsed += _check_one(validator, raw, rng)
        except UASError:
            raise
        except AssertionError:
            raise
        except Exception as e:  # anything untyped is a bug: report the input that caused it
            raise AssertionError(f"untyped {type(e).__name__}: {e} for input {raw!r:.300}") from e
    return parsed


FUZZ_DEFAULT = 10_000


def test_fuzz_parser_and_validator():
    parsed = _run_fuzz(FUZZ_DEFAULT, seed=0)
    # the mutator must exercise both outcomes, or the test proves little
    assert 0.05 * FUZZ_DEFAULT < parsed < 0.95 * FUZZ_DEFAULT


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 11))
def test_fuzz_parser_and_validator_long(seed):
    _run_fuzz(50_000, seed=seed)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), kids, max_size=4),
                    max_leaves=20))  # fmt: skip
def test_validator_never_raises_on_arbitrary_json(data):
    result = UASValidator().validate(data if isinstance(data, dict) else json.dumps(data))
    assert isinstance(result, ValidationResult)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_parser_only_raises_typed_errors_on_arbitrary_text(raw):
    with contextlib.suppress(UASParseError):
        parse_uas(raw)
