"""Malformed UAS input: every kind of bad record yields a typed error or a rejection with a stable code.

| #  | kind of malformed input                                   | expected code                           |
|----|-----------------------------------------------------------|-----------------------------------------|
| 1  | empty string                                              | parse.empty                             |
| 2  | whitespace only                                           | parse.empty                             |
| 3  | string larger than `max_input_chars`                      | parse.too_large                         |
| 4  | bytes that are not UTF-8                                  | parse.encoding                          |
| 5  | prose without any JSON                                    | parse.no_json                           |
| 6  | JSON truncated mid-string (max-token cut-off)             | parse.invalid_json                      |
| 7  | unrepairable garbage inside braces                        | parse.invalid_json                      |
| 8  | nesting deep enough to hit the recursion limit            | parse.invalid_json                      |
| 9  | a JSON string instead of an object                        | parse.not_object                        |
| 10 | a JSON list of numbers                                    | parse.not_object                        |
| 11 | a number where the record should be                       | parse.not_object                        |
| 12 | Python literals under strict (non-lenient) parsing        | parse.invalid_json                      |
| 13 | missing `transcription` layer                             | schema.missing_key                      |
| 14 | missing `paralinguistics` layer                           | schema.missing_key                      |
| 15 | missing `nonLinguisticEvents` layer                       | schema.missing_key                      |
| 16 | unknown top-level key                                     | schema.unknown_key                      |
| 17 | unknown key inside `paralinguistics`                      | schema.unknown_key                      |
| 18 | the same layer under two spellings                        | schema.duplicate_key                    |
| 19 | `transcription` is a number                               | schema.type                             |
| 20 | `paralinguistics` is a string                             | schema.type                             |
| 21 | `discreteEvents` is a number                              | schema.type                             |
| 22 | an event that is a number                                 | schema.type                             |
| 23 | `emotion` is a number                                     | schema.type                             |
| 24 | an event without `label`                                  | schema.missing_key                      |
| 25 | an event with a blank label                               | schema.blank                            |
| 26 | a lone surrogate in a text field                          | schema.encoding                         |
| 27 | surrounding whitespace under strict parsing               | schema.whitespace                       |
| 28 | a text field longer than `max_text_chars`                 | schema.too_long                         |
| 29 | more events than `max_events`                             | schema.too_many_events                  |
| 30 | `age` out of vocabulary ("teenager")                      | ontology.age                            |
| 31 | `gender` out of vocabulary ("robot")                      | ontology.gender                         |
| 32 | `emotion` out of vocabulary ("bored")                     | ontology.emotion                        |
| 33 | `emotion` synonym with `normalize_synonyms=False`         | ontology.emotion                        |
| 34 | transcription differs from the ground truth               | integrity.transcription_mismatch        |
| 35 | transcription null, ground truth has speech               | integrity.transcription_missing         |
| 36 | transcription given, ground truth has no speech           | integrity.unexpected_transcription      |
| 37 | no ground truth although `require_ground_truth`           | integrity.missing_ground_truth          |
| 38 | ground truth that is not a string                         | integrity.invalid_ground_truth          |
| 39 | no speech but paralinguistic fields set                   | logic.paralinguistics_without_speech    |
| 40 | speech but every paralinguistic field null                | logic.speech_without_paralinguistics    |
| 41 | speech without a field listed in `required_speech_fields` | logic.missing_paralinguistic_field      |
| 42 | two events with the same label (case/punctuation aside)   | logic.duplicate_event_label             |
| 43 | "Male" with a "high-pitched feminine" timbre              | logic.gender_timbre                     |
| 44 | "Child" with an "elderly, aged" timbre                    | logic.age_timbre                        |
| 45 | 30 words in one second                                    | duration.words_per_second               |
| 46 | 8 events in one second                                    | duration.events_per_second              |
| 47 | a 120-word scene description for one second of audio      | duration.description_complexity         |
| 48 | negative duration                                         | duration.invalid                        |
| 49 | NaN duration                                              | duration.invalid                        |
| 50 | duration given as a string                                | duration.invalid                        |
| 51 | no duration although `require_duration`                   | duration.missing                        |

The `uas-hf validate` input-file kinds (`input.*`: blank line, bad JSON line, non-object line, non-UTF-8 line,
missing/invalid/duplicate id, missing `uas`, over-long line) are tested in `tests/cli/test_validate_qa.py`.
"""

import copy
import json

import pytest

from uas_hf.schema import (
    EMOTION_VALUES,
    REJECTION_CODES,
    UASParseError,
    UASValidator,
    ValidationConfig,
    parse_uas,
)


VALID = {
    "transcription": "The wing has rounded edges.",
    "paralinguistics": {
        "age": "Adult",
        "gender": "Male",
        "emotion": "Neutral",
        "accent": "British English",
        "prosody": "Measured pace with falling intonation",
        "timbre": "Clear and resonant",
    },
    "nonLinguisticEvents": {
        "description": "A quiet lecture hall.",
        "discreteEvents": [{"label": "Cough", "characteristic": "Brief, distant"}],
        "continuousEvents": [{"label": "Background hiss", "characteristic": "Low-level and consistent"}],
    },
}
GT = VALID["transcription"]


def edit(*changes):
    """A deep copy of VALID with ``(path, value)`` changes; value `...` deletes the key."""
    data = copy.deepcopy(VALID)
    for path, value in changes:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is ...:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


def speechless(**para):
    data = edit(("transcription", None))
    data["paralinguistics"] = dict.fromkeys(VALID["paralinguistics"]) | para
    return data


# (kind, raw input, validate kwargs, config kwargs, expected code, also raised by parse_uas)
CASES = [
    ("empty string", "", {}, {}, "parse.empty", True),
    ("whitespace only", " \n\t ", {}, {}, "parse.empty", True),
    ("too large", "{" + " " * 200_001 + "}", {}, {}, "parse.too_large", True),
    ("not utf-8", b'{"transcription": "caf\xe9"}', {}, {}, "parse.encoding", True),
    ("prose only", "Sorry, I cannot describe this audio.", {}, {}, "parse.no_json", True),
    ("truncated", json.dumps(VALID)[:60], {}, {}, "parse.invalid_json", True),
    ("garbage in braces", "{ <<>> ?? }", {}, {}, "parse.invalid_json", True),
    ("too deep", "[" * 100_000, {}, {}, "parse.invalid_json", True),
    ("json string", '"just a caption"', {}, {}, "parse.not_object", True),
    ("json list", "[1, 2, 3]", {}, {}, "parse.not_object", True),
    ("number record", 42, {}, {}, "parse.not_object", True),
    ("strict python literals", str(VALID), {}, {"lenient": False}, "parse.invalid_json", False),
    ("missing transcription", edit(("transcription", ...)), {}, {}, "schema.missing_key", True),
    ("missing paralinguistics", edit(("paralinguistics", ...)), {}, {}, "schema.missing_key", True),
    ("missing events layer", edit(("nonLinguisticEvents", ...)), {}, {}, "schema.missing_key", True),
    ("unknown top key", edit(("language", "English")), {}, {}, "schema.unknown_key", True),
    ("unknown para key", edit(("paralinguistics.pitch", "high")), {}, {}, "schema.unknown_key", True),
    (
        "layer under two spellings",
        edit(("non_linguistic_events", VALID["nonLinguisticEvents"])),
        {},
        {},
        "schema.duplicate_key",
        True,
    ),
    ("transcription number", edit(("transcription", 42)), {}, {}, "schema.type", True),
    ("paralinguistics string", edit(("paralinguistics", "adult male")), {}, {}, "schema.type", True),
    ("events number", edit(("nonLinguisticEvents.discreteEvents", 3)), {}, {}, "schema.type", True),
    ("event number", edit(("nonLinguisticEvents.discreteEvents.0", 7)), {}, {}, "schema.type", True),
    ("emotion number", edit(("paralinguistics.emotion", 5)), {}, {}, "schema.type", True),
    (
        "event without label",
        edit(("nonLinguisticEvents.discreteEvents.0.label", ...)),
        {},
        {},
        "schema.missing_key",
        True,
    ),
    ("blank label", edit(("nonLinguisticEvents.discreteEvents.0.label", "  ")), {}, {}, "schema.blank", True),
    ("lone surrogate", json.dumps(edit(("paralinguistics.timbre", "\ud800x"))), {}, {}, "schema.encoding", True),
    (
        "strict whitespace",
        edit(("paralinguistics.accent", " British ")),
        {},
        {"lenient": False},
        "schema.whitespace",
        False,
    ),
    ("field too long", edit(("nonLinguisticEvents.description", "x" * 20_001)), {}, {}, "schema.too_long", False),
    (
        "too many events",
        edit(
            (
                "nonLinguisticEvents.continuousEvents",
                [{"label": f"Hum {i}", "characteristic": None} for i in range(51)],
            )
        ),
        {},
        {},
        "schema.too_many_events",
        False,
    ),
    ("age out of vocabulary", edit(("paralinguistics.age", "teenager")), {}, {}, "ontology.age", True),
    ("gender out of vocabulary", edit(("paralinguistics.gender", "robot")), {}, {}, "ontology.gender", True),
    ("emotion out of vocabulary", edit(("paralinguistics.emotion", "bored")), {}, {}, "ontology.emotion", True),
    (
        "synonym without normalization",
        edit(("paralinguistics.emotion", "happy")),
        {},
        {"normalize_synonyms": False},
        "ontology.emotion",
        False,
    ),
    ("transcript mismatch", VALID, {"ground_truth": GT + " Indeed."}, {}, "integrity.transcription_mismatch", False),
    ("transcript missing", speechless(), {"ground_truth": GT}, {}, "integrity.transcription_missing", False),
    ("unexpected transcript", VALID, {"ground_truth": ""}, {}, "integrity.unexpected_transcription", False),
    ("no ground truth", VALID, {}, {"require_ground_truth": True}, "integrity.missing_ground_truth", False),
    ("ground truth not str", VALID, {"ground_truth": 12}, {}, "integrity.invalid_ground_truth", False),
    ("para without speech", speechless(gender="Female"), {}, {}, "logic.paralinguistics_without_speech", False),
    (
        "speech without para",
        edit(("paralinguistics", dict.fromkeys(VALID["paralinguistics"]))),
        {},
        {},
        "logic.speech_without_paralinguistics",
        False,
    ),
    (
        "required field missing",
        edit(("paralinguistics.emotion", None)),
        {},
        {"required_speech_fields": ("age", "gender", "emotion")},
        "logic.missing_paralinguistic_field",
        False,
    ),
    (
        "duplicate labels",
        edit(("nonLinguisticEvents.continuousEvents.0.label", "cough.")),
        {},
        {},
        "logic.duplicate_event_label",
        False,
    ),
    ("male feminine", edit(("paralinguistics.timbre", "High-pitched feminine")), {}, {}, "logic.gender_timbre", False),
    (
        "child elderly",
        edit(("paralinguistics.age", "Child"), ("paralinguistics.timbre", "elderly, aged voice")),
        {},
        {},
        "logic.age_timbre",
        False,
    ),
    (
        "words per second",
        edit(("transcription", "word " * 30)),
        {"duration": 1.0},
        {},
        "duration.words_per_second",
        False,
    ),
    (
        "events per second",
        edit(
            ("nonLinguisticEvents.discreteEvents", [{"label": f"Click {i}", "characteristic": None} for i in range(8)])
        ),
        {"duration": 1.0},
        {},
        "duration.events_per_second",
        False,
    ),
    (
        "description complexity",
        edit(("nonLinguisticEvents.description", "A very detailed scene. " * 30)),
        {"duration": 1.0},
        {},
        "duration.description_complexity",
        False,
    ),
    ("negative duration", VALID, {"duration": -2.0}, {}, "duration.invalid", False),
    ("nan duration", VALID, {"duration": float("nan")}, {}, "duration.invalid", False),
    ("string duration", VALID, {"duration": "3.5"}, {}, "duration.invalid", False),
    ("duration required", VALID, {}, {"require_duration": True}, "duration.missing", False),
]
assert len({case[0] for case in CASES}) == len(CASES) >= 25


@pytest.mark.parametrize(("raw", "kwargs", "config", "code"), [c[1:5] for c in CASES], ids=[c[0] for c in CASES])
def test_rejection_code(raw, kwargs, config, code):
    result = UASValidator(ValidationConfig(**config)).validate(raw, **kwargs)
    assert not result.accepted
    assert result.record is None
    assert code in result.codes, result.reasons
    assert code in REJECTION_CODES
    for reason in result.reasons:
        assert reason.code in REJECTION_CODES
        assert reason.message


@pytest.mark.parametrize(("raw", "code"), [(c[1], c[4]) for c in CASES if c[5]], ids=[c[0] for c in CASES if c[5]])
def test_parse_error_code(raw, code):
    with pytest.raises(UASParseError) as info:
        parse_uas(raw)
    assert code in [issue.code for issue in info.value.issues]
    assert isinstance(info.value, ValueError)


def test_valid_base_record_is_accepted():
    result = UASValidator().validate(VALID, ground_truth=GT, duration=4.0)
    assert result.accepted, result.reasons


def test_ontology_error_names_path_value_and_allowed_values():
    with pytest.raises(UASParseError) as info:
        parse_uas(edit(("paralinguistics.emotion", "bored")))
    error = info.value
    assert (error.code, error.path, error.value, error.allowed) == (
        "ontology.emotion",
        "paralinguistics.emotion",
        "bored",
        EMOTION_VALUES,
    )
    message = str(error)
    assert "paralinguistics.emotion" in message and "'bored'" in message and "Happiness" in message


def test_every_failed_rule_is_listed():
    raw = edit(
        ("paralinguistics.emotion", "bored"),
        ("paralinguistics.age", "Child"),
        ("paralinguistics.timbre", "deep, elderly and feminine"),
        ("nonLinguisticEvents.continuousEvents.0.label", "Cough"),
        ("surprise_key", 1),
    )
    result = UASValidator().validate(raw, ground_truth="Something else.", duration=0.1)
    assert set(result.codes) >= {
        "ontology.emotion",
        "schema.unknown_key",
        "integrity.transcription_mismatch",
        "logic.duplicate_event_label",
        "logic.gender_timbre",
        "logic.age_timbre",
        "duration.words_per_second",
    }
    paths = {r.path for r in result.reasons}
    assert "paralinguistics.emotion" in paths and "paralinguistics.timbre" in paths


def test_unparseable_input_still_reports_independent_rules():
    result = UASValidator(require_ground_truth=True).validate("", duration=0)
    assert result.codes == ["parse.empty", "integrity.missing_ground_truth", "duration.invalid"]


def test_parse_error_lists_all_issues():
    with pytest.raises(UASParseError) as info:
        parse_uas(edit(("paralinguistics.emotion", "bored"), ("paralinguistics.age", "teen"), ("extra", 1)))
    codes = sorted(issue.code for issue in info.value.issues)
    assert codes == ["ontology.age", "ontology.emotion", "schema.unknown_key"]
    assert "more problem" in str(info.value)
