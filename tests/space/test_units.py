"""Upload checks, question-to-field matching, timeline placement and HTML escaping, without a server."""

import numpy as np
import pytest
import soundfile as sf

from uas_hf.space.audio import AudioRejected, UploadLimits, load_clip
from uas_hf.space.backends import match_fields
from uas_hf.space.plots import timeline_spans
from uas_hf.space.render import field_text, uas_html


def test_load_clip_resamples_and_mixes_down(tmp_path):
    path = tmp_path / "stereo.flac"
    t = np.arange(22_050) / 22_050
    sf.write(path, np.stack([np.sin(2 * np.pi * 220 * t)] * 2, axis=1) * 0.3, 22_050)
    clip = load_clip(path)
    assert clip.sampling_rate == 16_000 and clip.array.ndim == 1 and abs(clip.duration - 1.0) < 1e-3
    assert clip.name == "stereo.flac" and len(clip.clip_id) == 16


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("not_audio", "could not be decoded"),
        ("wrong_type", "not an accepted audio type"),
        ("empty", "is empty"),
        ("silent", "is silent"),
        ("no_samples", "holds no audio"),
        ("oversize", "the limit is 1 MB"),
        ("too_long", "the limit is 20 s"),
    ],
)
def test_load_clip_rejects_bad_files(bad_uploads, kind, message):
    with pytest.raises(AudioRejected, match=message):
        load_clip(bad_uploads[kind], UploadLimits(max_bytes=1_000_000, max_duration_s=20))


def test_load_clip_rejects_missing_and_nan(tmp_path):
    with pytest.raises(AudioRejected, match="No audio"):
        load_clip("")
    with pytest.raises(AudioRejected, match="could not be read"):
        load_clip(tmp_path / "gone.wav")
    path = tmp_path / "nan.wav"
    sf.write(path, np.full(1600, np.nan, np.float32), 16_000, subtype="FLOAT")
    with pytest.raises(AudioRejected, match="NaN"):
        load_clip(path)
    with pytest.raises(ValueError, match="UploadLimits"):
        UploadLimits(max_duration_s=0)


@pytest.mark.parametrize(
    ("question", "fields"),
    [
        ("Identify the speaker's emotion and gender in a concise format.", ["emotion", "gender"]),
        ("What does the speaker say?", ["transcription"]),
        ("Is there background noise?", ["continuousEvents"]),
        ("How old is the speaker?", ["age"]),
        ("What is the capital of France?", []),
    ],
)
def test_match_fields(question, fields):
    assert match_fields(question) == fields


def test_timeline_uses_measured_times_and_marks_untimed_events():
    uas = {
        "transcription": "Hi.",
        "nonLinguisticEvents": {
            "discreteEvents": [
                {"label": "Impulsive sound at 3.9 s", "characteristic": "loud"},
                {"label": "Door slam", "characteristic": "loud"},
            ],
            "continuousEvents": [{"label": "Hum", "characteristic": "steady"}],
        },
    }
    measurements = {"speech_segments": [[0.4, 1.3]], "events": [{"onset_s": 3.88, "offset_s": 3.955}]}
    spans = {s.label: s for s in timeline_spans(uas, measurements, duration=5.0)}
    assert (spans["Speech"].start, spans["Speech"].end) == (0.4, 1.3)
    assert (spans["Impulsive sound at 3.9 s"].start, spans["Impulsive sound at 3.9 s"].end) == (3.88, 3.955)
    assert not spans["Door slam"].timed and (spans["Hum"].start, spans["Hum"].end) == (0.0, 5.0)


def test_uas_html_escapes_model_output():
    uas = {
        "transcription": "<script>alert(1)</script>",
        "paralinguistics": {"gender": "<b>x</b>"},
        "nonLinguisticEvents": {
            "description": None,
            "discreteEvents": [{"label": "<img src=x>", "characteristic": "&"}],
        },
    }
    page = uas_html(uas)
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert field_text(uas, "discreteEvents") == "<img src=x> (&)" and field_text(uas, "age") == "—"
