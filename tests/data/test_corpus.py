"""The embedded labelled corpus (`uas_hf.data.corpus`): disjoint splits, typed labels, valid ground-truth UAS, an
audiofolder that `datasets` loads, determinism, attribution, reuse, and clear errors."""

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from uas_hf.data.corpus import COLUMNS, SPLITS, CorpusBuildError, _sources, _voices, build_corpus, combine_licenses
from uas_hf.data.corpus._inventory import EVENT_CLASSES, FAMILIES, SOUND_CLASSES
from uas_hf.data.corpus._plan import assign_splits, load_sentences, plan_clips
from uas_hf.schema import AGE_VALUES, GENDER_VALUES, UASValidator, parse_uas, to_canonical_json


def _rows(corpus: Path) -> dict[str, list[dict]]:
    out = {}
    for split in SPLITS:
        with open(corpus / split / "metadata.jsonl", encoding="utf-8") as f:
            out[split] = [json.loads(line) for line in f]
    return out


@pytest.fixture(scope="module")
def rows(small_corpus):
    return _rows(small_corpus)


def _assert_disjoint(values: dict[str, set], what: str) -> None:
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1 :]:
            shared = values[a] & values[b]
            assert not shared, f"{a} and {b} share {what}: {sorted(shared)[:5]}"


# ----------------------------------------------------------------------------------------------- splits


def test_splits_share_no_voice_speaker_sentence_or_recording(rows):
    speech = {s: [r for r in rows[s] if r["has_speech"]] for s in SPLITS}
    _assert_disjoint({s: {r["voice"] for r in speech[s]} for s in SPLITS}, "voices")
    _assert_disjoint({s: {r["speaker"] for r in speech[s]} for s in SPLITS}, "speakers")
    _assert_disjoint({s: {r["sentence_id"] for r in speech[s]} for s in SPLITS}, "sentences")
    _assert_disjoint({s: {r["transcription"] for r in speech[s]} for s in SPLITS}, "sentence texts")
    recordings = {
        s: {src for r in rows[s] for src in r["event_sources"]}
        | {r["background_source"] for r in rows[s] if r["background_source"]}
        for s in SPLITS
    }
    _assert_disjoint(recordings, "recordings")  # generated noise has a per-clip id, so it is included too


def test_every_split_has_several_recordings_per_class_and_hundreds_of_sentences():
    sentences = load_sentences()
    assert len(sentences) >= 400 and len({t for _, t in sentences}) == len(sentences)
    assignment = assign_splits(sentences, {"prompt-a": "Please try again.", "prompt-b": "Goodbye for now."})
    for split in SPLITS:
        for cls in SOUND_CLASSES.values():
            if cls.synthetic:
                continue
            recs = assignment.recordings[split][cls.name]
            assert len({r.id for r in recs}) >= 2, f"{split} has {len(recs)} recordings of {cls.name}"
        assert len(assignment.sentences[split]) >= 80
        variants = {v for v, s in assignment.variants.items() if s == split}
        assert len(variants) >= 5, f"{split} has only espeak-ng variants {variants}"


def test_every_split_has_both_genders_speech_and_no_speech(rows):
    for split in SPLITS:
        speech = [r for r in rows[split] if r["has_speech"]]
        assert {r["gender"] for r in speech} == {"Male", "Female"}, split
        assert any(not r["has_speech"] for r in rows[split]), split
        assert any(r["clip_type"] == "speech_clean" for r in rows[split]), split
        assert len({r["accent"] for r in speech}) >= 3, split


# ----------------------------------------------------------------------------------------------- columns


def test_label_columns_present_and_typed(rows):
    for split in SPLITS:
        for r in rows[split]:
            assert set(r) == set(COLUMNS), set(r) ^ set(COLUMNS)
            assert "emotion" not in r  # never constructed, never guessed
            assert r["file_name"] == f"{r['id']}.wav" and r["id"].startswith(split)
            assert isinstance(r["duration"], float) and 0.5 < r["duration"] <= 10.0
            if r["has_speech"]:
                assert isinstance(r["transcription"], str) and r["transcription"].strip()
                assert r["gender"] in GENDER_VALUES and r["age_group"] in AGE_VALUES
                assert isinstance(r["age_is_proxy"], bool)
                assert r["age_is_proxy"] == (r["age_group"] != "Adult")
                assert isinstance(r["accent"], str) and r["accent"]
                assert r["speaking_rate"] in ("slow", "normal", "fast")
                assert 60 < r["speaking_rate_wpm"] < 450
                assert r["pitch"] in ("low", "medium", "high") and 50 < r["pitch_hz"] < 500
                assert r["loudness"] in ("quiet", "normal", "loud") and -60 < r["loudness_db"] < 0
                assert 0 <= r["speech_onset"] < r["speech_offset"] <= r["duration"] + 1e-3
            else:
                assert r["transcription"] is None
                for col in ("voice", "speaker", "gender", "age_group", "accent", "speaking_rate", "pitch"):
                    assert r[col] is None, col
            onsets = [e["onset"] for e in r["events"]]
            assert onsets == sorted(onsets)
            for e in r["events"]:
                assert 0 <= e["onset"] < e["offset"] <= r["duration"] + 1e-3
                assert SOUND_CLASSES[e["event_class"]].kind == "event"
                assert SOUND_CLASSES[e["event_class"]].label == e["label"]
            assert r["event_labels"] == [e["label"] for e in r["events"]]
            assert r["event_sources"] == [e["source"] for e in r["events"]]
            assert len(set(r["event_labels"])) == len(r["event_labels"])
            if r["background"] is None:
                assert r["snr_db"] is None and r["background_source"] is None
            else:
                assert SOUND_CLASSES[r["background_class"]].label == r["background"]
                assert (r["snr_db"] is not None) == r["has_speech"]


def test_vocal_events_only_with_speech_and_clip_licence_matches_sources(rows):
    vocal = {c.name for c in EVENT_CLASSES if c.vocal}
    family_license = {f.package + ":" + f.root: f.license for f in FAMILIES.values()}
    for r in (r for split in SPLITS for r in rows[split]):
        if not r["has_speech"]:
            assert not vocal & {e["event_class"] for e in r["events"]}
        sources = [*r["event_sources"], r["background_source"]]
        if r["voice_engine"] == "recorded":
            sources.append(FAMILIES["allison"].package + ":" + FAMILIES["allison"].root + "/x.wav")
        licenses = {
            next(lic for prefix, lic in family_license.items() if src.startswith(prefix + "/"))
            for src in sources
            if src and not src.startswith("synthetic:")
        }
        assert combine_licenses(licenses) == r["license"], (r["id"], licenses)


def test_combine_licenses():
    assert combine_licenses(set()) == "synthetic"
    assert combine_licenses({"CC-BY-SA-3.0"}) == "CC-BY-SA-3.0"
    assert combine_licenses({"GPL-2.0-or-later", "GPL-2.0-only"}) == "GPL-2.0-only"
    assert combine_licenses({"GPL-2.0-only", "GPL-3.0-or-later"}) is None
    assert combine_licenses({"CC-BY-SA-3.0", "GPL-3.0-or-later"}) is None


# ----------------------------------------------------------------------------------------------- UAS truth


def test_ground_truth_uas_parses_and_passes_validation(rows):
    validator = UASValidator()
    for r in (r for split in SPLITS for r in rows[split]):
        record = parse_uas(r["uas"], lenient=False)
        assert to_canonical_json(record) == r["uas"]
        result = validator.validate(r["uas"], ground_truth=r["transcription"], duration=r["duration"])
        assert result.accepted, (r["id"], [x.code for x in result.reasons])
        para = record.paralinguistics
        assert para.emotion is None
        assert record.transcription == r["transcription"]
        if r["has_speech"]:
            assert (para.gender, para.age, para.accent) == (r["gender"], r["age_group"], r["accent"])
        else:
            assert para.is_empty
        nle = record.non_linguistic_events
        assert [e.label for e in nle.discrete_events] == r["event_labels"]
        assert [e.label for e in nle.continuous_events] == ([r["background"]] if r["background"] else [])


# ----------------------------------------------------------------------------------------------- audio


def test_wav_files_are_16k_mono_pcm16_of_the_stated_duration(small_corpus, rows):
    import soundfile as sf

    for split in SPLITS:
        for r in rows[split]:
            info = sf.info(str(small_corpus / split / r["file_name"]))
            assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
            assert abs(info.frames / 16000 - r["duration"]) < 2e-3


def test_audiofolder_loads_with_datasets_and_decodes(small_corpus, rows, tmp_path):
    import datasets

    ds = datasets.load_dataset("audiofolder", data_dir=str(small_corpus), cache_dir=str(tmp_path))
    assert set(ds) == set(SPLITS)
    for split in SPLITS:
        assert ds[split].num_rows == len(rows[split])
    features = ds["train"].features
    assert features["gender"].dtype == "string" and features["pitch_hz"].dtype == "float64"
    example = ds["test"][0]
    assert example["id"] == rows["test"][0]["id"]
    audio = example["audio"]
    samples = audio.get_all_samples() if hasattr(audio, "get_all_samples") else None
    array = samples.data.numpy()[0] if samples is not None else audio["array"]
    rate = samples.sample_rate if samples is not None else audio["sampling_rate"]
    assert rate == 16000 and abs(len(array) / rate - example["duration"]) < 2e-3
    assert float(abs(array).max()) > 0.001


# ----------------------------------------------------------------------------------------------- attribution


def test_attribution_lists_every_source_and_licence(small_corpus, rows):
    text = (small_corpus / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for r in (r for split in SPLITS for r in rows[split]):
        for src in [*r["event_sources"], r["background_source"]]:
            if src and not src.startswith("synthetic:"):
                assert f"`{src}`" in text, src
        if r["voice_engine"] == "recorded":
            assert r["sentence_id"].split(":", 1)[1] + ".wav" in text
    for family in FAMILIES.values():
        assert family.package in text and family.license in text
    for engine in ("espeak-ng", "flite", "festival"):
        assert engine in text
    info = json.loads((small_corpus / "corpus_info.json").read_text())
    assert info["size"] == "small" and info["seed"] == 0
    assert sum(s["clips"] for s in info["splits"].values()) == sum(len(v) for v in rows.values())


# ----------------------------------------------------------------------------------------------- determinism, reuse


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".wav", ".jsonl"):
            h.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def test_build_is_deterministic_for_a_seed_and_independent_of_workers(tmp_path):
    sentences = load_sentences()
    prompts = {"prompt-a": "Please try again."}
    assert plan_clips(3, 40, assign_splits(sentences, prompts)) == plan_clips(3, 40, assign_splits(sentences, prompts))
    assert plan_clips(3, 40, assign_splits(sentences, prompts)) != plan_clips(4, 40, assign_splits(sentences, prompts))
    build_corpus(tmp_path / "a", "small", seed=7, n_clips=15, num_workers=1, progress=False)
    build_corpus(tmp_path / "b", "small", seed=7, n_clips=15, num_workers=2, progress=False)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_complete_dir_is_reused_partial_dir_rebuilt_foreign_dir_refused(tmp_path):
    out = tmp_path / "corpus"
    build_corpus(out, "small", seed=1, n_clips=15, num_workers=1, progress=False)
    first = _digest(out)
    wav = next((out / "test").glob("*.wav"))
    mtime = wav.stat().st_mtime_ns
    build_corpus(out, "small", seed=1, n_clips=15, num_workers=1, progress=False)
    assert wav.stat().st_mtime_ns == mtime  # reused, not rewritten

    (out / ".uas_hf_corpus.json").unlink()  # an interrupted build leaves no stamp
    wav.unlink()
    build_corpus(out, "small", seed=1, n_clips=15, num_workers=1, progress=False)
    assert _digest(out) == first

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="`out_dir`"):
        build_corpus(foreign, "small", n_clips=15, progress=False)
    assert (foreign / "notes.txt").read_text() == "keep me"


# ----------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": "huge"}, "`size`"),
        ({"seed": -1}, "`seed`"),
        ({"n_clips": 3}, "`n_clips`"),
        ({"num_workers": 0}, "`num_workers`"),
    ],
)
def test_bad_arguments_are_value_errors(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_corpus(tmp_path / "x", **kwargs)


def test_missing_tools_name_setup_script(monkeypatch):
    real = _voices.shutil.which
    monkeypatch.setattr(_voices.shutil, "which", lambda tool: None if tool == "espeak-ng" else real(tool))
    with pytest.raises(CorpusBuildError, match=r"espeak-ng.*scripts/setup\.sh"):
        _voices.check_tools()


def test_offline_download_names_the_package(tmp_path, monkeypatch):
    def offline(args, cwd):
        return subprocess.CompletedProcess(["apt-get", *args], 100, "", "E: Failed to fetch http://deb.debian.org/")

    monkeypatch.setattr(_sources, "_apt_get", offline)
    with pytest.raises(CorpusBuildError, match=r"`scratch`.*apt-get download scratch"):
        _sources.ensure_package("scratch", tmp_path)


def test_cli_reuses_the_built_corpus(small_corpus, capsys):
    from uas_hf.cli.main import main

    assert main(["corpus", "build", "--out", str(small_corpus), "--size", "small", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "test:" in out and "load_dataset" in out
    with pytest.raises(SystemExit) as exc:  # argparse rejects an unknown size: usage error
        main(["corpus", "build", "--out", str(small_corpus), "--size", "tiny"])
    assert exc.value.code == 2
