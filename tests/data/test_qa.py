"""UAS-QA generation: contract, distributions over >= 10,000 items, determinism, and the Fig. 7 LLM generator."""

import json
import random
import re
from collections import Counter

import pytest

from uas_hf.data.qa import (
    LETTERS,
    QA_TYPES,
    LLMQAGenerator,
    QAGenerationError,
    RecordRNG,
    UASQAGenerator,
    generate_qa,
)
from uas_hf.schema import FIELDS, Event, NonLinguisticEvents, Paralinguistics, UASRecord
from uas_hf.schema.synthetic import synthetic_records


N_RECORDS = 4000  # x 3 questions per record = 12,000 items
# chi-square critical values at p = 0.001 (df = options - 1): a deterministic seed, so no flakiness, but a real
# positional bias of a few percent over thousands of items would exceed them
CHI2_CRITICAL = {3: 13.816, 4: 16.266}
YES_NO_TOLERANCE = 0.03


@pytest.fixture(scope="module")
def records():
    return [(rid, record) for rid, record, _ in synthetic_records(N_RECORDS, seed=11)]


@pytest.fixture(scope="module")
def items(records):
    return list(generate_qa(records, seed=7))


def _content(answer: str) -> str:
    return answer[3:] if re.match(r"[A-D]\. ", answer) else answer


def test_at_least_10k_items_with_the_contract_shape(items):
    assert len(items) >= 10_000
    keys = ["id", "source_id", "type", "field", "question", "options", "answer", "messages"]
    for item in items:
        assert list(item) == keys
        assert item["type"] in QA_TYPES and item["field"] in FIELDS
        user, assistant = item["messages"]
        assert user["role"] == "user" and assistant["role"] == "assistant"
        assert user["content"][0] == {"type": "audio"}
        assert user["content"][1]["text"].startswith(item["question"])
        assert assistant["content"] == [{"type": "text", "text": item["answer"]}]
    assert len({item["id"] for item in items}) == len(items)
    json.dumps(items[:100])  # plain JSON data


def test_correct_option_position_is_uniform(items):
    by_n: dict[int, Counter] = {}
    for item in items:
        if item["type"] == "multiple_choice":
            by_n.setdefault(len(item["options"]), Counter())[item["answer"][0]] += 1
    assert set(by_n) == {3, 4}
    for n, counts in by_n.items():
        total = sum(counts.values())
        assert total > 1000
        expected = total / n
        chi2 = sum((counts[letter] - expected) ** 2 / expected for letter in LETTERS[:n])
        assert chi2 < CHI2_CRITICAL[n], (n, counts)


def test_yes_no_is_balanced(items):
    answers = Counter(item["answer"] for item in items if item["type"] == "yes_no")
    assert set(answers) == {"Yes", "No"}
    total = sum(answers.values())
    assert total > 3000
    assert abs(answers["Yes"] / total - 0.5) < YES_NO_TOLERANCE, answers


def test_no_question_contains_its_answer(items):
    for item in items:
        question, answer = item["question"], _content(item["answer"])
        if item["type"] == "yes_no":
            assert not re.search(rf"\b{answer}\b", question, re.I), item
        else:
            assert answer.casefold() not in question.casefold(), item


def test_multiple_choice_options_are_well_formed(items):
    for item in (i for i in items if i["type"] == "multiple_choice"):
        options = item["options"]
        assert 3 <= len(options) <= 4
        assert [o[:3] for o in options] == [f"{letter}. " for letter in LETTERS[: len(options)]]
        contents = [o[3:].casefold() for o in options]
        assert len(set(contents)) == len(contents), item
        assert item["answer"] in options
        assert item["messages"][0]["content"][1]["text"] == item["question"] + "\n" + "\n".join(options)


def test_every_field_and_type_is_covered(items):
    pairs = Counter((item["field"], item["type"]) for item in items)
    for field in FIELDS:
        for qa_type in QA_TYPES:
            if (field, qa_type) == ("gender", "multiple_choice"):
                assert pairs[(field, qa_type)] == 0  # two values cannot make 3-4 options
            else:
                assert pairs[(field, qa_type)] > 50, (field, qa_type)
    questions = {item["question"] for item in items}
    assert "Are there discrete sound events in this audio?" in questions
    answers = {(i["question"], i["answer"]) for i in items}
    assert ("Are there discrete sound events in this audio?", "No") in answers
    assert ("Are there discrete sound events in this audio?", "Yes") in answers


def test_answers_are_true_to_the_record(records, items):
    by_id = dict(records)
    for item in items:
        record = by_id[item["source_id"]]
        answer = _content(item["answer"])
        if item["type"] == "multiple_choice" and item["field"] in ("age", "emotion", "accent", "prosody", "timbre"):
            assert answer == getattr(record.paralinguistics, item["field"])
        if item["type"] == "multiple_choice" and item["field"] == "discreteEvents":
            assert answer in {e.label for e in record.non_linguistic_events.discrete_events}
            others = {o[3:] for o in item["options"]} - {answer}
            assert not others & {e.label for e in record.non_linguistic_events.events}
        if item["field"] in ("age", "gender", "emotion", "accent", "prosody", "timbre"):
            assert record.transcription is not None  # no speaker questions about speechless audio


def test_open_field_distractors_come_from_other_records(records, items):
    accents = Counter(r.paralinguistics.accent for _, r in records if r.paralinguistics.accent)
    by_id = dict(records)
    for item in items:
        if item["type"] == "multiple_choice" and item["field"] == "accent":
            own = by_id[item["source_id"]].paralinguistics.accent
            for option in item["options"]:
                assert option[3:] in accents
                if option != item["answer"]:
                    assert option[3:] != own


def test_deterministic_for_a_seed(records):
    subset = records[:300]
    first = list(generate_qa(subset, seed=1))
    assert first == list(generate_qa(subset, seed=1))
    assert first != list(generate_qa(subset, seed=2))


def test_order_stable_where_no_pool_is_involved(records):
    subset = records[:300]
    shuffled = subset[:]
    random.Random(0).shuffle(shuffled)
    for kwargs in ({"types": ["direct"]}, {"fields": ["age", "gender", "emotion"]}):
        a = sorted(json.dumps(i, sort_keys=True) for i in generate_qa(subset, seed=5, **kwargs))
        b = sorted(json.dumps(i, sort_keys=True) for i in generate_qa(shuffled, seed=5, **kwargs))
        assert a == b


def test_per_record_all_and_type_filters():
    record = UASRecord(
        "Hello there.",
        Paralinguistics("Adult", "Male", "Neutral", "Irish English", "Slow", "Warm"),
        NonLinguisticEvents("A hall.", (Event("Knock", "Firm"),), (Event("Rain", "Steady"),)),
    )
    items = UASQAGenerator(seed=0, per_record=None, types=["direct"]).generate("x", record)
    assert sorted(i["field"] for i in items) == sorted(FIELDS)
    silent = UASRecord(non_linguistic_events=NonLinguisticEvents("Wind.", (), (Event("Wind", "Gusty"),)))
    items = UASQAGenerator(seed=0, per_record=None).generate("y", silent)
    assert {i["field"] for i in items} == {"transcription", "description", "discreteEvents", "continuousEvents"}


def test_pools_stay_bounded():
    generator = UASQAGenerator(seed=0, pool_size=16)
    for rid, record, _ in synthetic_records(2000, seed=2):
        generator.generate(rid, record)
    assert len(generator._recent) == 16


def test_argument_errors():
    with pytest.raises(ValueError, match="per_record"):
        UASQAGenerator(per_record=0)
    with pytest.raises(ValueError, match="types"):
        UASQAGenerator(types=["essay"])
    with pytest.raises(ValueError, match="fields"):
        UASQAGenerator(fields=["pitch"])
    with pytest.raises(TypeError, match="seed"):
        UASQAGenerator(seed="1")
    with pytest.raises(TypeError, match="parse_uas"):
        UASQAGenerator().generate("x", {"transcription": None})


def test_record_rng_is_uniform_and_keyed():
    rng = RecordRNG(0, "a")
    values = [rng.random() for _ in range(5000)]
    assert min(values) >= 0.0 and max(values) < 1.0
    assert abs(sum(values) / len(values) - 0.5) < 0.02
    assert RecordRNG(0, "a").random() == values[0] != RecordRNG(0, "b").random()
    assert sorted(RecordRNG(1, "c").sample(range(7), 7)) == list(range(7))


# -- LLM generator (Fig. 7) ------------------------------------------------------------------------------------------
RECORD = UASRecord(
    "We will meet at the station.",
    Paralinguistics("Adult", "Female", "Happiness", "Scottish English", "Brisk", "Bright"),
    NonLinguisticEvents("A platform.", (Event("Whistle", "Sharp"),), ()),
)


def _completion(prompt: str, *, letter=None, stem="What emotion does the speaker convey?", options=None, fence=True):
    want = prompt.split("must be option ")[1][0]
    n = 3 if "exactly 3" in prompt else 4
    options = options or ["Anger", "Sadness", "Fear", "Disgust"][: n - 1]
    options = list(options)
    options.insert("ABCD".index(want), "Happiness")
    text = stem + "\n" + "\n".join(f"{x}. {o}" for x, o in zip("ABCD", options))
    messages = [
        {"role": "user", "content": [{"type": "text", "text": text}]},
        {"role": "assistant", "content": f"{letter or want}. {options['ABCD'.index(letter or want)]}"},
    ]
    body = json.dumps(messages)
    return f"```json\n{body}\n```" if fence else body


def test_llm_generator_accepts_a_good_completion():
    prompts = []

    def backend(prompt):
        prompts.append(prompt)
        return _completion(prompt)

    generator = LLMQAGenerator(backend, seed=3, fields=["emotion"])
    item = generator.generate("utt", RECORD)
    assert item["answer"].endswith("Happiness") and item["type"] == "multiple_choice" and item["field"] == "emotion"
    assert '"transcription":"We will meet at the station."' in prompts[0]  # the canonical UAS is in the prompt
    assert "must not directly reveal" in prompts[0]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: "I cannot help with that.", "qa.unparseable"),
        (lambda p: '[{"role": "user", "content": "Q?"}]', "qa.unparseable"),
        (lambda p: _completion(p, letter="A" if "option A" not in p else "B"), "qa.wrong_answer_letter"),
        (lambda p: _completion(p, stem="Is the speaker's Happiness obvious?"), "qa.reveals_answer"),
        (lambda p: _completion(p, stem="According to the JSON, what is the emotion?"), "qa.forbidden_phrase"),
        (lambda p: _completion(p, options=["Anger", "anger", "Fear"]), "qa.duplicate_options"),
        (
            lambda p: _completion(
                p.replace("exactly 3", "exactly 4"), options=["Anger", "Sadness", "Fear", "Disgust"]
            ),
            "qa.option_count",
        ),
    ],
)
def test_llm_generator_rejects_bad_completions(make, code):
    generator = LLMQAGenerator(make, seed=0, fields=["emotion"], max_attempts=1)
    with pytest.raises(QAGenerationError) as info:
        for seed in range(20):  # some failure modes depend on the drawn option count
            generator.seed = seed
            generator.generate("utt", RECORD)
    assert info.value.code == code


def test_llm_generator_retries_and_skips():
    calls = []

    def flaky(prompt):
        calls.append(prompt)
        return "garbage" if len(calls) % 2 else _completion(prompt)

    generator = LLMQAGenerator(flaky, seed=0, fields=["emotion"], max_attempts=2)
    assert generator.generate("utt", RECORD)["field"] == "emotion"
    always_bad = LLMQAGenerator(lambda p: "nope", seed=0)
    out = list(always_bad([("a", RECORD), ("b", RECORD)]))
    assert out == [] and always_bad.failures == {"qa.unparseable": 2}
    with pytest.raises(QAGenerationError):
        list(always_bad([("a", RECORD)], on_error="raise"))
    with pytest.raises(TypeError, match="backend"):
        LLMQAGenerator("not callable")
