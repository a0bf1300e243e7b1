"""Wilson intervals against the paper's Table 4, the audit store's majority vote and its path confinement."""

import json

import pytest

from uas_hf.space.audit import AUDIT_FIELDS, AuditStore, sanitize_name, summarize, wilson_interval


# Paper App. A, Table 4 (N = 400): field -> (accuracy %, lower %, upper %).
TABLE_4 = {
    "Age": (98.50, 96.77, 99.31),
    "Gender": (95.25, 92.70, 96.94),
    "Emotion": (89.00, 85.55, 91.70),
    "Accent": (96.00, 93.60, 97.52),
    "Prosody": (96.50, 94.21, 97.90),
    "Timbre": (95.50, 93.00, 97.13),
    "Description": (96.50, 94.21, 97.90),
    "Discrete Events": (91.75, 88.64, 94.07),
}


@pytest.mark.parametrize(("field", "row"), TABLE_4.items())
def test_wilson_matches_paper_table_4(field, row):
    accuracy, lower, upper = row
    lo, hi = wilson_interval(round(accuracy * 4), 400)
    assert (round(100 * lo, 2), round(100 * hi, 2)) == (lower, upper)


def test_wilson_continuous_events_row_has_a_typo_in_the_paper():
    # Table 4 prints [92.91, 97.71] for 96.25 %; the upper bound matches, the lower bound is 93.91 (digit slip).
    lo, hi = wilson_interval(385, 400)
    assert (round(100 * lo, 2), round(100 * hi, 2)) == (93.91, 97.71)


def test_wilson_edges_and_errors():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and 0.0 < hi < 0.35
    lo, hi = wilson_interval(10, 10)
    assert 0.65 < lo < 1.0 and hi == 1.0
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)
    with pytest.raises(TypeError, match="integers"):
        wilson_interval(1.5, 10)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("/abs/path", "abs_path"),
        ("ann 1", "ann_1"),
        ("", "anonymous"),
        ("..", "anonymous"),
        ("a" * 200, "a" * 64),
        ("名前", "anonymous"),
    ],
)
def test_sanitize_name(name, expected):
    assert sanitize_name(name) == expected


def test_store_writes_only_inside_audit_dir(tmp_path):
    audit_dir = tmp_path / "audits"
    store = AuditStore(audit_dir)
    path = store.save("../../clip", {"age": ("Adult", "Correct")}, annotator="../../../evil", clip_name="../x.wav")
    assert path.parent == audit_dir.resolve()
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["evil.jsonl"]
    row = json.loads(path.read_text())
    assert row["clip_id"] == "clip" and row["annotator"] == "evil" and row["fields"]["age"]["judgement"] == "Correct"


def test_store_rejects_bad_judgements(tmp_path):
    store = AuditStore(tmp_path)
    with pytest.raises(ValueError, match="at least one field"):
        store.save("c", {"age": ("Adult", None)})
    with pytest.raises(ValueError, match="one of"):
        store.save("c", {"age": ("Adult", "Maybe")})
    with pytest.raises(ValueError, match="unknown field"):
        store.save("c", {"shoe_size": ("42", "Correct")})


def test_majority_vote_latest_judgement_and_unsure(tmp_path):
    store = AuditStore(tmp_path)
    store.save("c1", {"age": ("Adult", "Incorrect")}, annotator="a")
    store.save("c1", {"age": ("Adult", "Correct")}, annotator="a")  # a's later judgement wins
    store.save("c1", {"age": ("Adult", "Correct")}, annotator="b")
    store.save("c1", {"age": ("Adult", "Unsure")}, annotator="c")
    store.save("c2", {"age": ("Child", "Correct")}, annotator="a")
    store.save("c2", {"age": ("Child", "Unsure")}, annotator="b")  # 1 of 2: no majority -> not correct
    (tmp_path / "broken.jsonl").write_text("{not json\n")  # unreadable lines are skipped, not fatal
    age = {r.field: r for r in store.summary()}["age"]
    assert (age.correct, age.n) == (1, 2)
    row = age.to_row()
    assert row["Accuracy (%)"] == 50.0 and row["95% CI"] == "[9.45, 90.55]"


def test_summary_lists_every_field_even_when_unaudited():
    results = summarize([])
    assert [r.field for r in results] == list(AUDIT_FIELDS)
    assert all(r.n == 0 and r.to_row()["95% CI"] == "" for r in results)
