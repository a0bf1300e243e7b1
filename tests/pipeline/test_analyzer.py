"""The offline acoustic analyzer: measurements that match what was synthesized, and honest captions."""

import json
import logging

import numpy as np
import pytest
from pipeline_helpers import SENTENCES, espeak, scene

from uas_hf.pipeline import AudioSample
from uas_hf.pipeline.captioners.analyzer import (
    AcousticAnalyzerCaptioner,
    AnalyzerConfig,
    gender_from_f0,
    rate_class,
)


@pytest.fixture(scope="module")
def captioner():
    return AcousticAnalyzerCaptioner()


@pytest.fixture(scope="module")
def clips():
    male = scene(espeak(SENTENCES[0], "m3", 175), seed=0)
    female = scene(espeak(SENTENCES[1], "f2", 175), seed=1)
    silent = scene(None, seed=2, seconds=1.5)
    return {
        "male": AudioSample("male", male, 16_000, SENTENCES[0]),
        "female": AudioSample("female", female, 16_000, SENTENCES[1]),
        "silent": AudioSample("silent", silent, 16_000, None),
    }


def test_measures_speech_pitch_and_events(captioner, clips):
    male, female, silent = captioner.caption([clips["male"], clips["female"], clips["silent"]])
    m = male.measurements
    assert m["vad"] == "silero-vad" and m["has_speech"]
    assert 0.3 < m["speech_segments"][0][0] < 0.7  # speech starts after the 0.4-s lead-in
    assert gender_from_f0(m["f0_median_hz"]) == "Male" and m["f0_median_hz"] < 140
    assert gender_from_f0(female.measurements["f0_median_hz"]) == "Female"
    assert m["words"] == 8 and 1.5 < m["words_per_s"] < 5.0 and rate_class(m) in ("slow", "normal", "fast")
    assert m["snr_db"] > 20  # speech at -10 dBFS-ish over noise at ~-54 dBFS
    assert m["hnr_db"] is not None and m["f1_hz"] is not None and m["jitter_local"] is not None
    # The click 0.3 s after the speech is the only discrete event.
    assert len(m["events"]) == 1 and m["events"][0]["duration_s"] < 0.1
    click = clips["male"].duration - 0.8 + 0.3
    assert abs(m["events"][0]["onset_s"] - click) < 0.05
    assert not silent.measurements["has_speech"]
    assert len(silent.measurements["events"]) == 1
    json.dumps([male.measurements, female.measurements, silent.measurements])  # JSON-serialisable


def test_caption_states_what_it_cannot_know(captioner, clips):
    (cap,) = captioner.caption([clips["male"]])
    assert "typical of a male voice" in cap.text
    assert "Not determinable" in cap.text and "emotion" in cap.text and "accent" in cap.text
    for invented in ("happy", "angry", "sad", "American", "British", "elderly"):
        assert invented not in cap.text


def test_batch_results_do_not_depend_on_batching(captioner, clips):
    together = captioner.caption([clips["male"], clips["female"]])
    alone = captioner.caption([clips["female"]])
    assert together[1].measurements == alone[0].measurements


def test_energy_fallback_warns_when_silero_is_missing(monkeypatch, clips, caplog):
    import uas_hf.pipeline.captioners.analyzer as analyzer

    monkeypatch.setattr(analyzer, "is_silero_vad_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="uas_hf"):
        fallback = AcousticAnalyzerCaptioner()
    assert "falls back to an energy" in caplog.text
    (cap,) = fallback.caption([clips["female"]])
    assert cap.measurements["vad"] == "energy" and cap.measurements["has_speech"]
    assert gender_from_f0(cap.measurements["f0_median_hz"]) == "Female"


def test_pathological_clips_do_not_crash(captioner):
    rng = np.random.default_rng(0)
    clips = [
        AudioSample("silence", np.zeros(1600, np.float32), 16_000, None),
        AudioSample("noise", rng.normal(0, 0.3, 16_000).astype(np.float32), 16_000, "words"),
        AudioSample("dc", np.full(8000, 0.5, np.float32), 16_000, None),
        AudioSample("clipped", np.sign(rng.normal(size=16_000)).astype(np.float32), 16_000, None),
    ]
    out = captioner.caption(clips)
    assert len(out) == 4 and all(c.measurements is not None for c in out)


def test_config_errors_name_the_parameter():
    with pytest.raises(ValueError, match="`vad`"):
        AnalyzerConfig(vad="webrtc")
    with pytest.raises(ValueError, match="`pitch_floor`"):
        AnalyzerConfig(pitch_floor=600)
