"""Stage-3 validation rules: what passes, what is configurable, what the config refuses."""

import copy

import pytest

from uas_hf.schema import REJECTION_CODES, UASRecord, UASValidator, ValidationConfig, parse_uas, to_canonical_json
from uas_hf.schema.synthetic import synthetic_records


BASE = {
    "transcription": "Good morning, everyone.",
    "paralinguistics": {
        "age": "Adult",
        "gender": "Female",
        "emotion": "Neutral",
        "accent": None,
        "prosody": None,
        "timbre": "Bright, feminine",
    },
    "nonLinguisticEvents": {"description": "A classroom.", "discreteEvents": [], "continuousEvents": []},
}


def variant(**para):
    data = copy.deepcopy(BASE)
    data["paralinguistics"].update(para)
    return data


def test_synthetic_records_are_accepted():
    validator = UASValidator()
    for _, record, duration in synthetic_records(500, seed=3):
        result = validator.validate(
            to_canonical_json(record), ground_truth=record.transcription or "", duration=duration
        )
        assert result.accepted, result.reasons
        assert result.record == record


def test_accepts_records_and_returns_normalized_values():
    raw = variant(gender="woman", emotion="calm", age="grown-up")
    result = UASValidator().validate(raw, ground_truth=BASE["transcription"], duration=3.0)
    assert result.accepted
    assert (result.record.paralinguistics.gender, result.record.paralinguistics.emotion) == ("Female", "Neutral")
    assert UASValidator().validate(result.record).accepted  # a UASRecord is valid input too


@pytest.mark.parametrize(
    ("steps", "ground_truth", "accepted"),
    [
        ((), "Good morning, everyone.", True),
        ((), "Good morning,  everyone.", False),
        (("whitespace",), "Good morning,  everyone. ", True),
        (("case",), "good morning, EVERYONE.", True),
        (("case",), "good morning everyone", False),
        (("case", "punctuation"), "good morning everyone", True),
        (("unicode",), "Ｇood morning, everyone.", True),
    ],
)
def test_transcription_normalization(steps, ground_truth, accepted):
    result = UASValidator(transcription_normalization=steps).validate(BASE, ground_truth=ground_truth)
    assert result.accepted is accepted, result.reasons


def test_integrity_can_be_switched_off():
    assert UASValidator(check_transcription=False).validate(BASE, ground_truth="Something else").accepted


@pytest.mark.parametrize(
    ("para", "code"),
    [
        ({"gender": "Male", "timbre": "Deep, masculine"}, None),
        ({"gender": "Female", "timbre": "Bright, feminine"}, None),  # "male" inside "female" is not a match
        ({"gender": "Male", "timbre": "Warm, not feminine at all"}, None),  # negated
        ({"gender": "Male", "timbre": "Smooth, non-feminine"}, None),
        ({"gender": "Male", "timbre": "High-pitched feminine"}, "logic.gender_timbre"),
        ({"gender": "Female", "timbre": "Gruff and manly"}, "logic.gender_timbre"),
        ({"age": "Child", "timbre": "Elderly, aged voice"}, "logic.age_timbre"),
        ({"age": "Elderly", "timbre": "Childlike and thin"}, "logic.age_timbre"),
        ({"age": "Adult", "timbre": "Childlike and thin"}, None),  # adults may sound child-like
        ({"age": "Child", "timbre": "Middle-aged"}, "logic.age_timbre"),
    ],
)
def test_timbre_contradictions(para, code):
    result = UASValidator().validate(variant(**para))
    assert result.codes == ([code] if code else []), result.reasons


def test_contradiction_rules_are_configurable():
    raw = variant(gender="Male", timbre="High-pitched feminine")
    assert UASValidator(check_gender_timbre=False).validate(raw).accepted
    assert not UASValidator(timbre_fields=("timbre", "prosody")).validate(raw).accepted
    custom = UASValidator(feminine_terms=("soprano",))
    assert custom.validate(raw).accepted
    assert not custom.validate(variant(gender="Male", timbre="A clear soprano")).accepted


def test_duration_rules_scale_with_duration_and_can_be_disabled():
    raw = copy.deepcopy(BASE)
    raw["transcription"] = " ".join(["word"] * 20)
    strict = UASValidator()
    assert strict.validate(raw, duration=2.0).codes == ["duration.words_per_second"]
    assert strict.validate(raw, duration=4.0).accepted
    assert UASValidator(max_words_per_second=None).validate(raw, duration=0.5).accepted
    assert strict.validate(raw).accepted  # no duration: rule 4 skipped


def test_cjk_words_are_counted_per_character():
    raw = copy.deepcopy(BASE)
    raw["transcription"] = "今天天气很好我们去公园散步吧" * 2  # 28 characters ~ 19 words
    assert UASValidator().validate(raw, duration=4.0).accepted
    assert not UASValidator().validate(raw, duration=1.0).accepted


def test_required_speech_fields_and_speech_consistency_switch():
    raw = variant(emotion=None)
    assert UASValidator().validate(raw).accepted
    assert UASValidator(required_speech_fields=["emotion"]).validate(raw).codes == [
        "logic.missing_paralinguistic_field"
    ]
    no_para = copy.deepcopy(BASE)
    no_para["paralinguistics"] = None
    assert not UASValidator().validate(no_para).accepted
    assert UASValidator(require_paralinguistics_for_speech=False).validate(no_para).accepted


def test_invalid_closed_value_still_counts_as_a_claimed_attribute():
    raw = {
        "transcription": None,
        "paralinguistics": {"emotion": "bored"},
        "nonLinguisticEvents": {"description": None, "discreteEvents": [], "continuousEvents": []},
    }
    assert UASValidator().validate(raw).codes == ["ontology.emotion", "logic.paralinguistics_without_speech"]


def test_unknown_keys_policy():
    raw = copy.deepcopy(BASE)
    raw["speaker_count"] = 1
    assert UASValidator().validate(raw).codes == ["schema.unknown_key"]
    assert UASValidator(unknown_keys="ignore").validate(raw).accepted


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unknown_keys": "drop"}, "unknown_keys"),
        ({"transcription_normalization": ("stemming",)}, "transcription_normalization"),
        ({"required_speech_fields": ("pitch",)}, "required_speech_fields"),
        ({"max_words_per_second": -1.0}, "max_words_per_second"),
        ({"max_events": 0}, "max_events"),
        ({"cjk_chars_per_word": 0}, "cjk_chars_per_word"),
        ({"words_slack": None}, "words_slack"),
    ],
)
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ValidationConfig(**kwargs)


def test_validator_arguments():
    with pytest.raises(ValueError, match="not both"):
        UASValidator(ValidationConfig(), lenient=False)
    with pytest.raises(TypeError, match="ValidationConfig"):
        UASValidator({"lenient": False})
    assert UASValidator(lenient=False).config.lenient is False


def test_rejection_codes_are_documented_and_namespaced():
    for code, meaning in REJECTION_CODES.items():
        assert code.split(".")[0] in {"parse", "schema", "ontology", "integrity", "logic", "duration", "input"}
        assert meaning


def test_ground_truth_empty_string_means_no_speech():
    silent = parse_uas(
        '{"transcription": null, "paralinguistics": null, '
        '"nonLinguisticEvents": {"description": "Rain.", "discreteEvents": [], "continuousEvents": []}}'
    )
    assert UASValidator().validate(silent, ground_truth="").accepted
    assert UASValidator().validate(UASRecord(), ground_truth="hello").codes == [
        "integrity.transcription_missing",
    ]
