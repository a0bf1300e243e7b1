"""Shared Space fixtures: real test audio made with espeak-ng, bad uploads, and one launched app on 127.0.0.1."""

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SPEECH_TEXT = "Hello there. The weather is lovely today."
SAMPLING_RATE = 16_000
# Small limits for the test server, so that oversize / over-long files stay small and fast to upload.
TEST_MAX_BYTES = 1_000_000
TEST_MAX_DURATION_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_speech_clip(path: Path) -> Path:
    """espeak-ng speech, then two knocks over a quiet hum: speech, discrete and continuous events in 5 s."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "155", "-w", str(raw), SPEECH_TEXT], check=True)
    speech, sr = sf.read(raw, dtype="float32")
    from scipy.signal import resample_poly

    g = np.gcd(sr, SAMPLING_RATE)
    speech = resample_poly(speech, SAMPLING_RATE // g, sr // g).astype(np.float32)
    speech *= 0.5 / np.abs(speech).max()
    clip = np.concatenate([np.zeros(int(0.4 * SAMPLING_RATE)), speech, np.zeros(int(1.6 * SAMPLING_RATE))])
    t = np.arange(len(clip)) / SAMPLING_RATE
    clip += 0.01 * np.sin(2 * np.pi * 120 * t)  # steady mains-like hum under everything
    rng = np.random.default_rng(0)
    for onset_s in (t[-1] - 1.2, t[-1] - 0.7):  # two knocks after the speech: decaying noise bursts
        i, n = int(onset_s * SAMPLING_RATE), int(0.08 * SAMPLING_RATE)
        clip[i : i + n] += rng.standard_normal(n) * np.exp(-np.arange(n) / (0.015 * SAMPLING_RATE)) * 0.6
    sf.write(path, clip.astype(np.float32), SAMPLING_RATE)
    return path


@pytest.fixture(scope="session")
def speech_text() -> str:
    return SPEECH_TEXT


@pytest.fixture(scope="session")
def port_factory():
    return free_port


@pytest.fixture(scope="session")
def speech_clip(tmp_path_factory) -> Path:
    return make_speech_clip(tmp_path_factory.mktemp("clips") / "hello_knocks.wav")


@dataclass
class CorpusClip:
    path: Path
    transcription: str
    event_labels: list[str]
    background: str | None


@pytest.fixture(scope="session")
def corpus_clip(small_corpus) -> CorpusClip:
    """A real clip of the embedded corpus (`small_corpus`, tests/conftest.py): speech over a background with events."""
    import json

    for line in (small_corpus / "test" / "metadata.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("transcription") and row.get("event_labels") and row.get("background"):
            path = small_corpus / "test" / row["file_name"]
            return CorpusClip(path, row["transcription"], row["event_labels"], row["background"])
    pytest.fail("the small corpus has no test clip with speech, events and a background")


@pytest.fixture(scope="session")
def bad_uploads(tmp_path_factory) -> dict[str, Path]:
    """Files the Space must refuse with a message: not audio, wrong type, empty, silent, oversize, over-long."""
    root = tmp_path_factory.mktemp("bad")
    files = {}
    files["not_audio"] = root / "notes.wav"
    files["not_audio"].write_text("this is a text file pretending to be audio\n")
    files["wrong_type"] = root / "script.sh"
    files["wrong_type"].write_text("#!/bin/sh\necho hi\n")
    files["empty"] = root / "empty.wav"
    files["empty"].write_bytes(b"")
    files["silent"] = root / "silent.wav"
    sf.write(files["silent"], np.zeros(SAMPLING_RATE, np.float32), SAMPLING_RATE)
    files["no_samples"] = root / "no_samples.wav"
    sf.write(files["no_samples"], np.zeros(0, np.float32), SAMPLING_RATE)
    rng = np.random.default_rng(1)
    # Over the byte limit but under the duration limit: 44.1 kHz 16-bit, 15 s = 1.3 MB.
    files["oversize"] = root / "oversize.wav"
    sf.write(files["oversize"], 0.1 * rng.standard_normal(44_100 * 15), 44_100, subtype="PCM_16")
    # Over the duration limit but small: 8 kHz 8-bit, 25 s = 200 kB.
    files["too_long"] = root / "too_long.wav"
    sf.write(files["too_long"], 0.1 * rng.standard_normal(8_000 * 25), 8_000, subtype="PCM_U8")
    return files


@dataclass
class RunningSpace:
    url: str
    audit_dir: Path
    demo: object


@pytest.fixture(scope="session")
def space(tmp_path_factory):
    """The Space (offline analyzer backend) launched in-process on 127.0.0.1; closed after the session."""
    pytest.importorskip("gradio")
    from uas_hf.space import UploadLimits, build_demo, launch_demo

    audit_dir = tmp_path_factory.mktemp("audits")
    limits = UploadLimits(max_bytes=TEST_MAX_BYTES, max_duration_s=TEST_MAX_DURATION_S)
    demo = build_demo(audit_dir=audit_dir, limits=limits)
    _, url, _ = launch_demo(demo, port=free_port(), block=False, quiet=True)
    try:
        yield RunningSpace(url=url, audit_dir=audit_dir, demo=demo)
    finally:
        demo.close()
