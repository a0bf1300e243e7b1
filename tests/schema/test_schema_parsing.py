"""Lenient parsing of what LLMs actually return, the record types, vocabularies and renderings."""

import dataclasses
import json

import pytest

from uas_hf.schema import (
    AGE_VALUES,
    FIELDS,
    NO_SPEECH,
    NO_VOICE,
    NONE_ANSWER,
    Event,
    NonLinguisticEvents,
    Paralinguistics,
    UASParseError,
    UASRecord,
    load_json_object,
    normalize_closed,
    parse_uas,
    render_caption,
    render_targeted,
    to_canonical_json,
)
from uas_hf.schema.parsing import load_json_array
from uas_hf.schema.synthetic import synthetic_records


RECORD = UASRecord(
    "I don't think so.",
    Paralinguistics("Adult", "Female", "Happiness", "Scottish English", "Brisk, rising intonation", "Warm, bright"),
    NonLinguisticEvents(
        "A kitchen with some clatter.",
        (Event("Cup clink", "Light, high-pitched"),),
        (Event("Fan noise", "Whirring"),),
    ),
)
CANONICAL = to_canonical_json(RECORD)
PY = repr(RECORD.to_dict())

# (what the LLM did, raw output) -- each must parse to RECORD
REPAIRABLE = [
    ("canonical", CANONICAL),
    ("pretty printed", json.dumps(RECORD.to_dict(), indent=4)),
    ("json code fence", f"```json\n{CANONICAL}\n```"),
    ("bare code fence", f"```\n{CANONICAL}\n```"),
    ("unclosed code fence", f"```json\n{CANONICAL}"),
    ("prose around", f"Here is the UAS annotation for the clip:\n{CANONICAL}\nLet me know if you need more."),
    ("prose with braces before", f"Format: {{json}} follows.\n{CANONICAL}"),
    ("python repr", PY),
    ("trailing commas", CANONICAL.replace("}", ",}").replace("]", ",]")),
    ("missing commas between members", json.dumps(RECORD.to_dict(), indent=1).replace(",\n", "\n")),
    ("line comments", json.dumps(RECORD.to_dict(), indent=1).replace('"transcription"', '// speech\n"transcription"')),
    ("block comment", CANONICAL.replace('"paralinguistics"', '/* speaker */ "paralinguistics"')),
    ("unquoted keys", CANONICAL.replace('"age":', "age:").replace('"label":', "label:")),
    ("snake-case layer key", CANONICAL.replace("nonLinguisticEvents", "non_linguistic_events")),
    ("pascal-case layer key", CANONICAL.replace("nonLinguisticEvents", "NonLinguisticEvents")),
    ("spaced key", CANONICAL.replace("discreteEvents", "Discrete Events")),
    ("upper-case keys", CANONICAL.replace('"age"', '"Age"').replace('"gender"', '"GENDER"')),
    (
        "synonyms",
        CANONICAL.replace('"Adult"', '"middle-aged"').replace('"Female"', '"woman"').replace('"Happiness"', '"happy"'),
    ),
    ("case drift in values", CANONICAL.replace('"Adult"', '"ADULT"').replace('"Happiness"', '"happiness"')),
    ("single-element list value", CANONICAL.replace('"Happiness"', '["Happiness"]')),
    ("padded values", CANONICAL.replace('"Warm, bright"', '"  Warm, bright  "')),
    ("descriptor list", CANONICAL.replace('"Warm, bright"', '["Warm", "bright"]')),
    ("bom", "\ufeff" + CANONICAL),
    ("bytes", CANONICAL.encode("utf-8")),
    ("double encoded", json.dumps(CANONICAL)),
    ("one-record list", f"[{CANONICAL}]"),
    ("smart quotes", CANONICAL.replace('"Cup clink"', "“Cup clink”")),
    (
        "alias keys",
        CANONICAL.replace('"characteristic"', '"characteristics"').replace('"description"', '"summary"', 1),
    ),
]


@pytest.mark.parametrize("raw", [r for _, r in REPAIRABLE], ids=[k for k, _ in REPAIRABLE])
def test_lenient_repairs(raw):
    assert parse_uas(raw) == RECORD


def test_unescaped_inner_quotes_are_kept():
    raw = CANONICAL.replace('"A kitchen with some clatter."', '"A kitchen with "some" clatter."')
    assert parse_uas(raw).non_linguistic_events.description == 'A kitchen with "some" clatter.'


def test_null_spellings_and_no_speech_forms():
    raw = {
        "transcription": "",
        "paralinguistics": None,
        "nonLinguisticEvents": {"description": "N/A", "discreteEvents": None, "continuousEvents": "none"},
    }
    assert parse_uas(raw) == UASRecord()
    raw = {
        "transcription": None,
        "paralinguistics": {"age": "null", "gender": "unknown", "emotion": "Unclear", "accent": "None"},
        "nonLinguisticEvents": {"description": None, "discreteEvents": [], "continuousEvents": []},
    }
    assert parse_uas(raw) == UASRecord()


def test_event_shorthands():
    raw = {
        "transcription": None,
        "paralinguistics": None,
        "nonLinguisticEvents": {
            "description": "Street.",
            "discreteEvents": ["Car horn", {"name": "Dog bark", "details": "two barks"}],
            "continuousEvents": {"Traffic noise": "steady", "Wind": None},
        },
    }
    nle = parse_uas(raw).non_linguistic_events
    assert nle.discrete_events == (Event("Car horn"), Event("Dog bark", "two barks"))
    assert nle.continuous_events == (Event("Traffic noise", "steady"), Event("Wind"))


def test_transcription_is_kept_verbatim():
    record = parse_uas(
        {"transcription": "  Hello,   world \n", "paralinguistics": {"age": "Adult"}, "nonLinguisticEvents": {}}
    )
    assert record.transcription == "  Hello,   world \n"


def test_strict_mode_rejects_what_lenient_repairs():
    for raw in (f"```json\n{CANONICAL}\n```", PY, CANONICAL.replace('"Happiness"', '"happy"')):
        with pytest.raises(UASParseError):
            parse_uas(raw, lenient=False)
    drift = CANONICAL.replace("nonLinguisticEvents", "non_linguistic_events")
    with pytest.raises(UASParseError) as info:
        parse_uas(drift, lenient=False)
    assert {i.code for i in info.value.issues} == {"schema.unknown_key", "schema.missing_key"}


def test_unknown_keys_can_be_ignored():
    raw = json.loads(CANONICAL)
    raw["language"] = "en"
    raw["paralinguistics"]["pitch"] = "high"
    assert parse_uas(raw, unknown_keys="ignore") == RECORD
    with pytest.raises(ValueError, match="unknown_keys"):
        parse_uas(raw, unknown_keys="drop")


def test_load_json_helpers():
    assert load_json_object("noise {'a': None, 'b': [1, 2,],} noise") == {"a": None, "b": [1, 2]}
    assert load_json_array('Answer:\n```json\n[{"role": "user"}, {"role": "assistant",},]\n```') == [
        {"role": "user"},
        {"role": "assistant"},
    ]
    with pytest.raises(UASParseError) as info:
        load_json_object('{"a": 1', max_chars=10)
    assert info.value.code == "parse.invalid_json"
    with pytest.raises(UASParseError) as info:
        load_json_object("x" * 11, max_chars=10)
    assert info.value.code == "parse.too_large"


# -- types -----------------------------------------------------------------------------------------------------------
def test_records_are_frozen_and_hashable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RECORD.transcription = "x"
    assert hash(RECORD) == hash(parse_uas(CANONICAL))
    assert NonLinguisticEvents(discrete_events=[Event("A")]).discrete_events == (Event("A"),)


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda: Paralinguistics(emotion="happy"), "ontology.emotion"),
        (lambda: Paralinguistics(age="adult"), "ontology.age"),
        (lambda: Paralinguistics(accent=" US"), "schema.whitespace"),
        (lambda: Paralinguistics(accent="N/A"), "schema.blank"),
        (lambda: Paralinguistics(timbre=3), "schema.type"),
        (lambda: UASRecord(""), "schema.blank"),
        (lambda: UASRecord(paralinguistics={"age": "Adult"}), "schema.type"),
        (lambda: Event(""), "schema.blank"),
        (lambda: Event(None), "schema.missing_key"),
        (lambda: NonLinguisticEvents(discrete_events=[{"label": "x"}]), "schema.type"),
        (lambda: NonLinguisticEvents(description="\ud800"), "schema.encoding"),
    ],
)
def test_constructor_enforces_normal_form(build, code):
    with pytest.raises(UASParseError) as info:
        build()
    assert info.value.code == code


def test_get_and_fields():
    assert [RECORD.get(f) is not None for f in FIELDS] == [True] * len(FIELDS)
    assert RECORD.get("emotion") == "Happiness"
    assert RECORD.has_speech and not UASRecord().has_speech
    with pytest.raises(ValueError, match="`field`"):
        RECORD.get("pitch")


def test_parse_error_pickles():
    import pickle

    try:
        parse_uas({"transcription": "x", "paralinguistics": {"age": "teen"}, "nonLinguisticEvents": {}})
    except UASParseError as e:
        clone = pickle.loads(pickle.dumps(e))
        assert (clone.code, clone.path, clone.value, clone.allowed) == (e.code, e.path, e.value, e.allowed)


# -- vocabularies ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("emotion", "happy", "Happiness"),
        ("emotion", "Slightly annoyed", "Anger"),
        ("emotion", "calm and neutral", "Neutral"),
        ("emotion", "scared", "Fear"),
        ("emotion", "contemptuous", "Disgust"),
        ("emotion", "shocked!", "Surprise"),
        ("emotion", "melancholic", "Sadness"),
        ("emotion", "happy but sad", None),
        ("emotion", "bored", None),
        ("gender", "man", "Male"),
        ("gender", "a female voice", "Female"),
        ("gender", "Girl", "Female"),
        ("gender", "M", "Male"),
        ("gender", "non-binary", None),
        ("age", "kid", "Child"),
        ("age", "Middle-aged", "Adult"),
        ("age", "senior citizen", "Elderly"),
        ("age", "in his 70s", "Elderly"),
        ("age", "around 35 years old", "Adult"),
        ("age", 8, "Child"),
        ("age", "15", None),
        ("age", "teenager", None),
        ("age", "Adult (30s)", "Adult"),
    ],
)
def test_synonyms(field, value, expected):
    assert normalize_closed(field, value) == expected


def test_canonical_values_map_to_themselves():
    for value in AGE_VALUES:
        assert normalize_closed("age", value) == value


# -- renderings ------------------------------------------------------------------------------------------------------
def test_targeted_answers():
    assert render_targeted(RECORD, "emotion") == "Happiness"
    assert render_targeted(RECORD, ["emotion", "gender"]) == "Happiness, Female"
    assert render_targeted(RECORD, "discreteEvents") == "Cup clink (Light, high-pitched)"
    empty = UASRecord()
    assert render_targeted(empty, "transcription") == NO_SPEECH
    assert render_targeted(empty, "age") == NO_VOICE
    assert render_targeted(empty, "continuousEvents") == NONE_ANSWER
    with pytest.raises(ValueError, match="`field`"):
        render_targeted(RECORD, "pitch")
    with pytest.raises(TypeError, match="`record`"):
        render_targeted(RECORD.to_dict(), "age")


def test_caption_carries_the_content_and_is_deterministic():
    for _, record, _ in synthetic_records(200, seed=5):
        caption = render_caption(record)
        assert caption == render_caption(record)
        assert "{" not in caption
        if record.transcription is not None:
            assert f'"{record.transcription}"' in caption
        else:
            assert "no speech" in caption
        for event in record.non_linguistic_events.events:
            assert event.label.lower() in caption.lower()
        for value in (record.paralinguistics.accent, record.non_linguistic_events.description):
            if value:
                assert value.rstrip(".").lower() in caption.lower()


def test_canonical_rejects_non_records():
    with pytest.raises(TypeError, match="parse_uas"):
        to_canonical_json({"transcription": None})
