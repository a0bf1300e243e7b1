"""Conformance: every row of the edge-case tables in benchmarks.md §1.6 (MMSU) and §2.7 (MMAU/MMAR).

The tables were produced upstream by running the real scoring functions; they are transcribed here verbatim
(one row per response; rows listing alternatives "x / y" are expanded).
"""

import pytest

from uas_hf.metrics.scoring import extract_answer, score_mmar, score_mmau, score_mmsu


# ---------------------------------------------------------------------------------------------------------------
# §1.6 MMSU, gold = choice_b = "cat". Cells are (correct, n) of that single record; "crash" = the 2025 script dies.
# Columns: official (old, 2025), official (new, 2026), TENC (no think), TENC (thinking=True).
MMSU_RECORD = {
    "id": "edge",
    "choice_a": "dog",
    "choice_b": "cat",
    "choice_c": "bird",
    "choice_d": "cow",
    "answer_gt": "cat",
    "task_name": "edge_task",
    "category": "Perception",
    "sub-category": "Paralinguistics",
    "sub-sub-category": "Speaking Style",
}
CRASH = "crash"
MMSU_TABLE = [
    ("B", (1, 1), (1, 1), (1, 1), (1, 1)),
    ("B.", (1, 1), (1, 1), (1, 1), (1, 1)),
    (" B\n", (1, 1), (1, 1), (1, 1), (1, 1)),
    ("b", (0, 0), (0, 0), (0, 1), (0, 1)),
    ("(B)", (1, 1), (1, 1), (1, 1), (1, 1)),
    ("B) cat", (1, 1), (1, 1), (1, 1), (1, 1)),
    ("The answer is (B) cat", (0, 0), (0, 0), (0, 1), (0, 1)),
    ("The answer is B.", (1, 1), (1, 1), (1, 1), (1, 1)),
    ("The answer is B", (0, 0), (0, 0), (0, 1), (0, 1)),
    ("Answer: B", (0, 1), (0, 1), (0, 1), (0, 1)),
    ("answer: B", (0, 0), (0, 0), (0, 1), (0, 1)),
    ("**B**", (0, 0), (0, 0), (0, 1), (0, 1)),
    ("cat", (0, 0), (0, 0), (0, 1), (0, 1)),
    ("Because it meows, B.", (1, 1), (1, 1), (1, 1), (1, 1)),
    ("Based on the audio, the answer is C.", (1, 1), (1, 1), (1, 1), (1, 1)),
    ("A cat is heard.", (0, 1), (0, 1), (0, 1), (0, 1)),
    ("Definitely B", (0, 1), (0, 1), (0, 1), (0, 1)),
    ("", CRASH, (0, 1), (0, 1), (0, 1)),
    ("None", CRASH, (0, 1), (0, 1), (0, 1)),
    ("<think>I hear meowing</think>B", (0, 0), (0, 0), (0, 1), (1, 1)),
    ("B<|im_end|>", (1, 1), (1, 1), (1, 1), (1, 1)),
    (None, (0, 0), (0, 0), (0, 1), (0, 1)),  # response = JSON null
]
# Sequences of records (same item repeated). The old script reuses the stale "B" for "" and "None".
MMSU_SEQUENCES = [
    (["B", "", "None"], (3, 3), (1, 3), (1, 3), (1, 3)),
    (["xyz", "B"], (1, 1), (1, 1), (1, 2), (1, 2)),
]
MMSU_COLUMNS = [
    pytest.param({"scoring": "official", "official_version": "2025"}, id="official-2025"),
    pytest.param({"scoring": "official"}, id="official-2026"),
    pytest.param({"scoring": "tencent"}, id="tencent"),
    pytest.param({"scoring": "tencent", "think": "split"}, id="tencent-thinking"),
]


def _mmsu_cases(rows):
    for row in rows:
        for column, expected in zip(MMSU_COLUMNS, row[1:]):
            yield pytest.param(row[0], column.values[0], expected, id=f"{column.id}-{row[0]!r}")


def _check_mmsu(responses, kwargs, expected):
    records = [dict(MMSU_RECORD, id=f"edge{i}") for i in range(len(responses))]
    if expected == CRASH:
        with pytest.raises(ValueError, match="2025 official MMSU script crashes"):
            score_mmsu(records, responses, **kwargs)
        return
    result = score_mmsu(records, responses, **kwargs)
    assert (result["correct"], result["n"]) == expected


@pytest.mark.parametrize(("response", "kwargs", "expected"), list(_mmsu_cases(MMSU_TABLE)))
def test_mmsu_edge_table(response, kwargs, expected):
    _check_mmsu([response], kwargs, expected)


@pytest.mark.parametrize(("responses", "kwargs", "expected"), list(_mmsu_cases(MMSU_SEQUENCES)))
def test_mmsu_edge_sequences(responses, kwargs, expected):
    _check_mmsu(responses, kwargs, expected)


def test_mmsu_uas_wrapper_think_tags():
    # §1.6 note: Tencent's UAS wrapper turns "<think>I hear meowing</think>B" into "I hear meowingB".
    for scoring, expected in (("official", (0, 0)), ("tencent", (0, 1))):
        result = score_mmsu([MMSU_RECORD], ["<think>I hear meowing</think>B"], scoring=scoring, think="remove_tags")
        assert (result["correct"], result["n"]) == expected
        assert result["unparseable"] == 1


def test_mmsu_missing_response_is_wrong_in_both_modes():
    # §4 row 4: a record without a response is wrong (2026 official and Tencent), not dropped.
    for scoring in ("official", "tencent"):
        result = score_mmsu([MMSU_RECORD], {}, scoring=scoring)
        assert (result["correct"], result["n"], result["missing"]) == (0, 1, 1)


def test_mmsu_null_option_tencent_str_coercion():
    # §1.5: Tencent applies str() to options, so a null padding option equals a real "None" answer.
    record = dict(MMSU_RECORD, choice_c="None", choice_d=None, answer_gt="None")
    assert score_mmsu([record], ["D"], scoring="tencent")["correct"] == 1
    assert score_mmsu([record], ["D"], scoring="official")["correct"] == 0
    assert score_mmsu([record], ["C"], scoring="official")["correct"] == 1


# ---------------------------------------------------------------------------------------------------------------
# §2.7 MMAU/MMAR, choices ["dog", "cat", "bird", "cow"], gold "cat". True = ✓.
# Columns: official MMAU, official MMAR, TENC-MMAU, TENC-MMAR, TENC think MMAU, TENC think MMAR.
CHOICES = ["dog", "cat", "bird", "cow"]
CHOICE_TABLE = [
    ("B", False, False, True, False, True, False),
    ("B.", False, False, True, False, True, False),
    ("b", False, False, True, False, True, False),
    ("(B)", False, False, False, False, False, False),
    ("B) cat", True, True, True, True, True, True),
    ("B. cat", True, True, True, True, True, True),
    ("D. cat", True, True, True, True, True, True),
    ("The answer is (B) cat", True, True, True, True, True, True),
    ("The answer is B.", False, False, False, False, False, False),
    ("cat", True, True, True, True, True, True),
    ("Cat.", True, True, True, True, True, True),
    ("A cat", True, True, True, True, True, True),
    ("The cat", True, True, True, True, True, True),
    ("The sound is a cat.", True, True, True, True, True, True),
    ("cats", False, False, False, False, False, False),
    ("", False, False, False, False, False, False),
    ("**cat**", True, True, True, True, True, True),
    ("Answer: B", False, False, True, False, True, False),
    ("Answer: cat", True, True, True, True, True, True),
    ("The correct answer is: B. cat", True, True, True, True, True, True),
    ("It's not a dog, it's a cat", False, False, False, False, False, False),
    ("cat\nExplanation: it is not a dog", False, False, True, True, True, True),
    ("I think it is a cat or a dog", False, False, False, False, False, False),
    ("cat, dog", False, False, False, False, False, False),
    ("<think>It could be a dog or a cat.</think>B", False, False, False, False, True, False),
    ("<think>It could be a dog or a cat.</think>\ncat", False, False, False, False, True, True),
    ("None", False, False, False, False, False, False),
    ("C", False, False, False, False, False, False),
]
# What TENC's extract_answer returns, where the table states it ("ext").
EXTRACTED = [
    ("B", "B"),
    ("B.", "B"),
    ("(B)", "(B)"),
    ("Answer: B", "B"),
    ("cat\nExplanation: it is not a dog", "cat"),
    ("The correct answer is:\n\n**cat** because", "**cat** because"),  # §2.6: the \s* after "is:" crosses newlines
    ("Final Answer: X", "Final Answer: X"),  # §2.6: not an "answer" line -> first line
    ("The answer: X", "The answer: X"),
    ("Answer: dog\nThe correct answer is cat", "dog"),  # §2.6: all M1 matches first, then M2: "Answer:" wins
]
# "More TENC cases": (choices, gold, response, official, TENC-MMAU, TENC-MMAR); official is MMAU and MMAR alike.
WOMAN = ["A child", "A woman", "An adult man", "A teenager"]
METER = ["4/4", "3/4", "5/4", "6/8"]
MORE_CASES = [
    (WOMAN, "A woman", "B", False, True, False),
    (WOMAN, "A woman", "woman", False, False, False),
    (WOMAN, "A woman", "The speaker is a woman.", True, True, True),
    (METER, "4/4", "4", True, True, True),
    (METER, "4/4", "A", False, True, False),
    (METER, "4/4", "3/4 or 4/4", False, False, False),
]
CHOICE_COLUMNS = [
    ("mmau", {"scoring": "official"}),
    ("mmar", {"scoring": "official"}),
    ("mmau", {"scoring": "tencent"}),
    ("mmar", {"scoring": "tencent"}),
    ("mmau", {"scoring": "tencent", "think": "split"}),
    ("mmar", {"scoring": "tencent", "think": "split"}),
]
_SCORE = {"mmau": score_mmau, "mmar": score_mmar}


def _single(benchmark, kwargs, response, choices=CHOICES, answer="cat"):
    record = {"id": "q", "choices": choices, "answer": answer, "task": "sound", "modality": "sound"}
    result = _SCORE[benchmark]([record], [response], **kwargs)
    assert result["n"] == 1
    return result["correct"] == 1


def _choice_cases():
    for response, *cells in CHOICE_TABLE:
        for (benchmark, kwargs), expected in zip(CHOICE_COLUMNS, cells):
            label = f"{benchmark}-{kwargs['scoring']}{'-think' if 'think' in kwargs else ''}"
            yield pytest.param(benchmark, kwargs, response, expected, id=f"{label}-{response!r}")


@pytest.mark.parametrize(("benchmark", "kwargs", "response", "expected"), list(_choice_cases()))
def test_choice_edge_table(benchmark, kwargs, response, expected):
    assert _single(benchmark, kwargs, response) is expected


@pytest.mark.parametrize(("response", "expected"), EXTRACTED)
def test_extract_answer_table(response, expected):
    assert extract_answer(response) == expected


@pytest.mark.parametrize(("choices", "answer", "response", "official", "t_mmau", "t_mmar"), MORE_CASES)
def test_more_tencent_cases(choices, answer, response, official, t_mmau, t_mmar):
    assert _single("mmau", {"scoring": "official"}, response, choices, answer) is official
    assert _single("mmar", {"scoring": "official"}, response, choices, answer) is official
    assert _single("mmau", {"scoring": "tencent"}, response, choices, answer) is t_mmau
    assert _single("mmar", {"scoring": "tencent"}, response, choices, answer) is t_mmar


def test_answer_line_inside_think_is_used_without_thinking():
    # §2.6 last note: without thinking mode an "answer: dog" line inside <think> is picked up.
    response = "<think>\nanswer: cat\n</think>\ndog"
    assert _single("mmau", {"scoring": "tencent"}, response) is True
    assert _single("mmau", {"scoring": "tencent", "think": "split"}, response) is False
