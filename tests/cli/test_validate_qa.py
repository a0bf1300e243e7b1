"""`uas-hf validate` and `uas-hf qa` through `uas_hf.cli.main.main([...])`: contracts, accounting, exit codes."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uas_hf.cli.main import main
from uas_hf.cli.validate import _decode_line_stdlib, decode_line
from uas_hf.schema import parse_uas, to_canonical_json
from uas_hf.schema.synthetic import synthetic_records


def _line(rid, record, duration, **extra):
    return json.dumps(
        {"id": rid, "uas": record.to_dict(), "transcription": record.transcription, "duration": duration} | extra
    )


GOOD = [_line(rid, r, d) for rid, r, d in synthetic_records(40, seed=4)]
LLM_STRING = json.dumps(
    {
        "id": "llm-1",
        "uas": "Sure!\n```json\n{'transcription': None, 'paralinguistics': None, "
        "'non_linguistic_events': {'description': 'Rain on a roof.', 'discreteEvents': [], "
        "'continuousEvents': [{'label': 'Rain', 'characteristic': 'steady'},]}}\n```",
        "transcription": None,
        "duration": 5.0,
        "audio": "clips/llm-1.wav",
    }
)
# (line bytes, expected code) for the input-file kinds of malformed input
BAD_LINES = [
    (b"", "input.empty_line"),
    (b"   \t", "input.empty_line"),
    (b"{not json", "input.invalid_json"),
    (b"[1, 2]", "input.not_object"),
    (b'{"id": "caf\xe9", "uas": {}}', "input.encoding"),
    (b'{"uas": {}}', "input.missing_id"),
    (b'{"id": "", "uas": {}}', "input.invalid_id"),
    (b'{"id": ["x"], "uas": {}}', "input.invalid_id"),
    (GOOD[0].encode(), "input.duplicate_id"),
    (b'{"id": "no-uas"}', "input.missing_uas"),
    (b'{"id": "null-uas", "uas": null}', "parse.not_object"),
    (b'{"id": "bad-duration", "uas": {}, "duration": "long"}', "duration.invalid"),
    (b'{"id": "bad-gt", "uas": {}, "transcription": 7}', "integrity.invalid_ground_truth"),
]


def _write(path, lines):
    with open(path, "wb") as f:
        for line in lines:
            f.write((line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n")


def _read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture
def mixed(tmp_path):
    path = tmp_path / "in.jsonl"
    _write(path, [*GOOD, LLM_STRING, *(line for line, _ in BAD_LINES)])
    return path


def test_validate_contract_and_accounting(mixed, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["validate", str(mixed), "--out-dir", str(out)]) == 0
    accepted = _read_jsonl(out / "accepted.jsonl")
    rejected = _read_jsonl(out / "rejected.jsonl")
    summary = json.loads((out / "summary.json").read_text())
    n_lines = len(GOOD) + 1 + len(BAD_LINES)
    assert len(accepted) + len(rejected) == n_lines == summary["lines"]
    assert (
        (summary["accepted"], summary["rejected"]) == (len(accepted), len(rejected)) == (len(GOOD) + 1, len(BAD_LINES))
    )
    # every rejected line carries its expected code, in input order
    for row, (raw, code) in zip(rejected, BAD_LINES):
        assert code in [r["code"] for r in row["reasons"]], row
        assert set(row) >= {"id", "line", "reasons", "raw"}
        assert all(set(r) >= {"code", "message"} for r in row["reasons"])
        assert row["raw"] == raw.decode("utf-8", "backslashreplace").rstrip("\r\n")
    assert rejected[0]["id"] == f"line:{len(GOOD) + 2}"  # synthetic id for a line without one
    assert sum(summary["reasons"].values()) >= len(BAD_LINES)
    # accepted lines: id + canonical record + the other input columns
    for row, source in zip(accepted, [*GOOD, LLM_STRING]):
        source = json.loads(source)
        assert row["id"] == source["id"]
        record = parse_uas(row["uas"], lenient=False)
        assert json.dumps(row["uas"], ensure_ascii=False, separators=(",", ":")) == to_canonical_json(record)
    assert accepted[-1]["audio"] == "clips/llm-1.wav"
    assert accepted[-1]["uas"]["nonLinguisticEvents"]["continuousEvents"] == [
        {"label": "Rain", "characteristic": "steady"}
    ]
    screen = capsys.readouterr().out
    assert f"{n_lines} lines" in screen and "input.duplicate_id" in screen
    assert len(screen.splitlines()) < 25


def test_accepted_lines_are_byte_identical_canonical(tmp_path):
    path = tmp_path / "in.jsonl"
    _write(path, GOOD[:5])
    main(["validate", str(path), "--out-dir", str(tmp_path / "o")])
    for line, (_, record, _) in zip(
        (tmp_path / "o" / "accepted.jsonl").read_text().splitlines(), synthetic_records(5, seed=4)
    ):
        assert to_canonical_json(record) in line


def test_validate_config_options(tmp_path):
    path = tmp_path / "in.jsonl"
    record = json.loads(GOOD[1])
    record["uas"]["paralinguistics"]["emotion"] = "happy"
    _write(path, [json.dumps(record)])
    out = tmp_path / "o"
    main(["validate", str(path), "--out-dir", str(out)])
    assert _read_jsonl(out / "accepted.jsonl")[0]["uas"]["paralinguistics"]["emotion"] == "Happiness"
    main(["validate", str(path), "--out-dir", str(out), "--no-normalize-synonyms"])
    assert _read_jsonl(out / "rejected.jsonl")[0]["reasons"][0]["code"] == "ontology.emotion"
    config = tmp_path / "rules.yaml"
    config.write_text("normalize_synonyms: false\nrequired_speech_fields: [age]\n")
    main(["validate", str(path), "--out-dir", str(out), "--config", str(config), "--normalize-synonyms"])
    assert len(_read_jsonl(out / "accepted.jsonl")) == 1  # the command line overrides the file
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["required_speech_fields"] == ["age"]


def test_ground_truth_null_means_no_speech(tmp_path):
    speech = json.loads(GOOD[1])
    speech["transcription"] = None
    no_gt = json.loads(GOOD[1])
    del no_gt["transcription"]
    no_gt["id"] = "no-gt"
    path = tmp_path / "in.jsonl"
    _write(path, [json.dumps(speech), json.dumps(no_gt)])
    main(["validate", str(path), "--out-dir", str(tmp_path / "o")])
    rejected = _read_jsonl(tmp_path / "o" / "rejected.jsonl")
    assert [r["reasons"][0]["code"] for r in rejected] == ["integrity.unexpected_transcription"]
    main(["validate", str(path), "--out-dir", str(tmp_path / "p"), "--require-ground-truth"])
    codes = [r["reasons"][0]["code"] for r in _read_jsonl(tmp_path / "p" / "rejected.jsonl")]
    assert codes == ["integrity.unexpected_transcription", "integrity.missing_ground_truth"]


def test_over_long_lines_are_rejected_without_loading_them(tmp_path):
    path = tmp_path / "in.jsonl"
    _write(path, [GOOD[0], json.dumps({"id": "big", "uas": "x" * 5000}), GOOD[1]])
    out = tmp_path / "o"
    assert main(["validate", str(path), "--out-dir", str(out), "--max-line-bytes", "2048"]) == 0
    rejected = _read_jsonl(out / "rejected.jsonl")
    assert [r["reasons"][0]["code"] for r in rejected] == ["input.line_too_long"]
    assert rejected[0]["raw_truncated"] is True and rejected[0]["line"] == 2
    assert len(_read_jsonl(out / "accepted.jsonl")) == 2


def test_last_line_without_newline_and_crlf(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(GOOD[0].encode() + b"\r\n" + GOOD[1].encode())
    main(["validate", str(path), "--out-dir", str(tmp_path / "o")])
    assert len(_read_jsonl(tmp_path / "o" / "accepted.jsonl")) == 2


_FRAGMENTS = [GOOD[2], GOOD[3], GOOD[2], LLM_STRING, '{"id": 5, "uas": "{}"}', "", "{", '"x"', '{"id": 5, "uas": {}}']


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(_FRAGMENTS) | st.text(max_size=30).filter(lambda s: "\n" not in s and "\r" not in s),
        max_size=12,
    )
)
def test_accounting_invariant_holds_for_any_file(tmp_path_factory, lines):
    tmp = tmp_path_factory.mktemp("acc")
    path = tmp / "in.jsonl"
    _write(path, lines)
    assert main(["validate", str(path), "--out-dir", str(tmp / "o")]) == 0
    accepted = _read_jsonl(tmp / "o" / "accepted.jsonl")
    rejected = _read_jsonl(tmp / "o" / "rejected.jsonl")
    n_lines = len(path.read_bytes().splitlines())
    assert len(accepted) + len(rejected) == n_lines
    assert sorted([r["line"] for r in rejected]) == [r["line"] for r in rejected]
    ids = [a["id"] for a in accepted]
    assert len(ids) == len(set(ids))


def test_usage_errors_exit_2(tmp_path, capsys):
    missing = str(tmp_path / "nope.jsonl")
    assert main(["validate", missing, "--out-dir", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    path = tmp_path / "in.jsonl"
    _write(path, GOOD[:1])
    assert main(["validate", str(path), "--out-dir", str(tmp_path / "o"), "--max-words-per-second", "-3"]) == 2
    assert "max_words_per_second" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["validate", str(path), "--out-dir", str(afile)]) == 2
    with pytest.raises(SystemExit) as info:
        main(["validate", str(path)])  # --out-dir is required
    assert info.value.code == 2
    assert main(["qa", missing, "--out", str(tmp_path / "qa.jsonl")]) == 2
    with pytest.raises(SystemExit) as info:
        main(["qa", str(path), "--out", str(tmp_path / "qa.jsonl"), "--per-record", "0"])
    assert info.value.code == 2


def test_qa_from_accepted(mixed, tmp_path, capsys):
    out = tmp_path / "out"
    main(["validate", str(mixed), "--out-dir", str(out)])
    qa_path = tmp_path / "qa.jsonl"
    assert main(["qa", str(out / "accepted.jsonl"), "--out", str(qa_path), "--seed", "3"]) == 0
    items = _read_jsonl(qa_path)
    assert len(items) == 3 * (len(GOOD) + 1)
    for item in items:
        assert list(item) == ["id", "source_id", "type", "field", "question", "options", "answer", "messages"]
    assert "QA items" in capsys.readouterr().out
    again = tmp_path / "qa2.jsonl"
    main(["qa", str(out / "accepted.jsonl"), "--out", str(again), "--seed", "3"])
    assert again.read_bytes() == qa_path.read_bytes()
    main(["qa", str(out / "accepted.jsonl"), "--out", str(again), "--seed", "4"])
    assert again.read_bytes() != qa_path.read_bytes()


def test_qa_skips_and_reports_unusable_lines(tmp_path, capsys):
    path = tmp_path / "in.jsonl"
    _write(path, [GOOD[0], b"{bad", b'{"uas": {}}', b'{"id": "x", "uas": {"transcription": 1}}', GOOD[1]])
    skipped = tmp_path / "skipped.jsonl"
    out = tmp_path / "qa.jsonl"
    assert main(["qa", str(path), "--out", str(out), "--per-record", "all", "--skipped", str(skipped)]) == 0
    assert {i["source_id"] for i in _read_jsonl(out)} == {json.loads(GOOD[0])["id"], json.loads(GOOD[1])["id"]}
    assert [s["code"] for s in _read_jsonl(skipped)] == ["input.invalid_json", "input.missing_id", "schema.type"]
    assert "3 lines skipped" in capsys.readouterr().out


# -- decode_line: the orjson fast path must give exactly what the stdlib reference gives --------------------------
_EDGE_LINES = [
    b'{"id": 1, "uas": {}}\n',
    b'{"id": 1, "uas": {}}\r\n',
    b'{"id": "a", "duration": NaN, "uas": {}}',  # valid for json.loads, refused by orjson
    b'{"id": "a", "duration": -Infinity}',
    b'{"id": 123456789012345678901234567890, "uas": {}}',  # beyond 64 bits: orjson would make it a float
    b'{"id": -9223372036854775809, "uas": {}}',
    b'{"id": 18446744073709551615, "uas": {}}',  # still exact in orjson (u64)
    b'{"id": "a", "meta": {"n": [1, 2, 99999999999999999999999]}, "uas": {}}',  # nested passthrough column
    b'{"id": "a", "meta": 1e300, "uas": {}}',  # a real float that large re-reads the same
    b'{"id": "a", "text": "\\ud800"}',  # lone surrogate escape: json.loads keeps it, orjson refuses
    b'\xef\xbb\xbf{"id": "a"}',  # UTF-8 BOM
    b'{"id": "a", "id": "b"}',  # duplicate keys: the last one wins in both
    b'{"id": "caf\xc3\xa9", "uas": {"transcription": "\xe2\x80\x9cquoted\xe2\x80\x9d"}}',
    b"\xe3\x80\x80",  # only a Unicode space
    b"[" * 3000 + b"]" * 3000,  # nested too deeply
    b'"just a string"',
    b"null",
]


@pytest.mark.parametrize(
    "raw", _EDGE_LINES + [(line + "\n").encode() for line in GOOD[:5]] + [b for b, _ in BAD_LINES]
)
def test_decode_line_fast_path_equals_stdlib_reference(raw):
    fast, reference = decode_line(7, raw), _decode_line_stdlib(7, raw)
    assert repr(fast) == repr(reference)  # repr: NaN != NaN, and int 1 == float 1.0 must not pass
    if fast[0] is not None:
        assert json.dumps(fast[0]) == json.dumps(reference[0])


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
        max_leaves=12,
    )
)
def test_decode_line_equals_stdlib_for_any_json_value(value):
    for obj in ({"id": "x", "col": value}, {"id": "x", "uas": value}, value):
        raw = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
        fast, reference = decode_line(1, raw), _decode_line_stdlib(1, raw)
        if "uas" in (obj if isinstance(obj, dict) else {}):
            # inside `uas` an integer beyond 64 bits may read as a float (a schema error either way): compare kinds
            assert (fast[0] is None) == (reference[0] is None) and fast[1] == reference[1]
        else:
            assert repr(fast) == repr(reference)
