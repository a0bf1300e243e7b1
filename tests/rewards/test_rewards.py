"""Reward functions: one value per completion, `None` where a reward does not apply, benchmark-style letter parsing."""

import doctest
import re

import pytest

from uas_hf import rewards
from uas_hf.rewards import (
    REWARD_FUNCS,
    accuracy_rewards,
    extract_choice,
    format_reward,
    format_rewards,
    get_length_reward,
    length_reward,
    length_rewards,
    multiple_choice_accuracy_reward,
    uas_field_accuracy_reward,
    uas_json_validity_reward,
    uas_rewards,
)
from uas_hf.schema import parse_uas, to_canonical_json


RAIN = (
    '{"transcription": null, "paralinguistics": {"age": null, "gender": null, "emotion": null, "accent": null, '
    '"prosody": null, "timbre": null}, "nonLinguisticEvents": {"description": "rain on a roof", '
    '"discreteEvents": [], "continuousEvents": [{"label": "rain", "characteristic": "steady"}]}}'
)
SPEECH = to_canonical_json(
    parse_uas(
        '{"transcription": "hello there friend", "paralinguistics": {"age": "adult", "gender": "female", '
        '"emotion": "happy", "accent": "american", "prosody": "fast and rising", "timbre": "bright"}, '
        '"nonLinguisticEvents": {"description": "a dog barks outside", "discreteEvents": [{"label": "dog bark", '
        '"characteristic": "loud"}], "continuousEvents": []}}'
    )
)


@pytest.mark.parametrize("module", [rewards, accuracy_rewards, format_rewards, length_rewards, uas_rewards])
def test_docstring_examples(module):
    # TRL-style docstrings close the example with a ``` fence right after the output; doctest needs it removed
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    found = 0
    for name, obj in [(module.__name__, module), *vars(module).items()]:
        doc = getattr(obj, "__doc__", None)
        if not doc or (obj is not module and getattr(obj, "__module__", None) != module.__name__):
            continue
        doc = re.sub(r"^\s*```(python)?\s*$", "", doc, flags=re.MULTILINE)
        test = parser.get_doctest(doc, {}, name, module.__file__, 0)
        found += len(test.examples)
        runner.run(test)
    assert found > 0
    assert runner.failures == 0


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("B", None, "B"),
        ("B.", None, "B"),
        ("(C)", None, "C"),
        ("D. a dog barks", None, "D"),
        ("**B**", None, "B"),
        ("The answer is B.", None, "B"),
        ("Answer: (A)", None, "A"),
        ("I think the answer is (C).", None, "C"),
        ("The speaker is female.", ["A. male", "B. female"], "B"),
        ("not happy at all", ["A. happy", "B. not happy"], "B"),
        ("A dog barks.", None, None),
        ("I am not sure", None, None),
        ("A or B", None, None),
        ("The answer is A or maybe (B)", None, None),
        ("", None, None),
        (None, None, None),
        ("E", ["A. x", "B. y"], None),  # a letter that is not an option
    ],
)
def test_extract_choice(text, options, expected):
    assert extract_choice(text, options) == expected


def test_multiple_choice_accuracy_skips_other_question_types():
    completions = [[{"role": "assistant", "content": "B"}]] * 3
    out = multiple_choice_accuracy_reward(
        completions,
        answer=["B", "yes", "B. female"],
        options=[["A. male", "B. female"], None, ["A. male", "B. female"]],
        type=["multiple_choice", "yes_no", "multiple_choice"],
    )
    assert out == [1.0, None, 1.0]


def test_multiple_choice_gold_given_as_option_text():
    assert multiple_choice_accuracy_reward(["A"], answer=["male"], options=[["A. male", "B. female"]]) == [1.0]


@pytest.mark.parametrize(
    ("completion", "task", "expected"),
    [
        ("B", "multiple_choice", 1.0),
        ("(B)", "multiple_choice", 1.0),
        ("B. female", "multiple_choice", 1.0),
        ("I think B", "multiple_choice", 0.0),
        ("B\nbecause", "multiple_choice", 0.0),
        ("No.", "yes_no", 1.0),
        ("maybe", "yes_no", 0.0),
        ("A dog barks.", "direct", 1.0),
        ("", "direct", 0.0),
        (RAIN, "uas", 1.0),
        ("```json\n" + RAIN + "\n```", "uas", 0.0),
        ("[]", "uas", 0.0),
        ("anything", "essay", None),
    ],
)
def test_format_reward(completion, task, expected):
    assert format_reward([completion], type=[task]) == [expected]


def test_uas_json_validity_levels():
    fenced = "```json\n" + RAIN + "\n```"
    assert uas_json_validity_reward([RAIN, fenced, "{not json", '{"a": 1}']) == [1.0, 0.5, 0.0, 0.0]


def test_uas_field_accuracy_against_ground_truth():
    logged = {}
    perfect, unrelated, garbage = uas_field_accuracy_reward(
        [SPEECH, RAIN, "no json"], uas=[SPEECH, SPEECH, SPEECH], log_metric=lambda k, v: logged.__setitem__(k, v)
    )
    assert perfect == 1.0
    assert garbage == 0.0
    assert 0.0 <= unrelated < 0.2
    assert logged["uas_field/gender"] == 0.5  # one of the two parsed completions got it right
    assert uas_field_accuracy_reward([SPEECH], uas=[None]) == [None]


def test_uas_field_accuracy_partial_credit():
    record = parse_uas(SPEECH).to_dict()
    record["paralinguistics"]["gender"] = "Male"
    wrong_gender = to_canonical_json(parse_uas(record))
    (score,) = uas_field_accuracy_reward([wrong_gender], uas=[SPEECH])
    assert score == pytest.approx(9 / 10)


def test_length_reward_uses_token_counts_when_given():
    reward = get_length_reward(max_length=10, soft_margin=5)
    assert reward(["x"] * 3, completion_ids=[[0] * 3, [0] * 8, [0] * 12]) == [0.0, -0.6, -1.0]
    assert length_reward(["short answer"]) == [0.0]


@pytest.mark.parametrize(("max_length", "soft_margin"), [(0, 0), (10, 10), (10, -1), (2.5, 0)])
def test_length_reward_rejects_bad_settings(max_length, soft_margin):
    with pytest.raises(ValueError, match="max_length|soft_margin"):
        get_length_reward(max_length=max_length, soft_margin=soft_margin)


def test_column_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="`answer` has 1 values but there are 2 completions"):
        multiple_choice_accuracy_reward(["A", "B"], answer=["A"])


def test_registry_names_are_plain_functions_returning_one_value_per_completion():
    columns = {"answer": ["A", "B"], "options": [["A. x", "B. y"]] * 2, "type": ["multiple_choice"] * 2}
    columns["uas"] = [RAIN, RAIN]
    for name, func in REWARD_FUNCS.items():
        out = func(completions=["A", RAIN], completion_ids=[[1], [1, 2]], **columns)
        assert len(out) == 2, name
        assert all(v is None or isinstance(v, float) for v in out), name
