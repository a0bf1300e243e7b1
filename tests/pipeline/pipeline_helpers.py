"""Helpers of the pipeline tests: espeak-ng speech, scenes with a click, WAV writing, the bad-input table, the CLI runner.

(A uniquely named module: `conftest` names clash between test folders.)"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np


HERE = Path(__file__).resolve().parent
SR = 16_000
SENTENCES = (
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
)
# espeak-ng voice variant -> gender of the voice; speed (words per minute) -> rate class label.
VOICES = {"m1": "Male", "m3": "Male", "m7": "Male", "f1": "Female", "f2": "Female", "f4": "Female"}
SPEEDS = {120: "slow", 175: "normal", 260: "fast"}


def espeak(text: str, voice: str, speed: int = 175) -> np.ndarray:
    """Synthesize ``text`` with espeak-ng and return 16 kHz mono float32."""
    import soundfile as sf

    from uas_hf.pipeline.audio import resample

    wav = subprocess.run(
        ["espeak-ng", "-v", f"en-us+{voice}", "-s", str(speed), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    import io

    array, sr = sf.read(io.BytesIO(wav), dtype="float32")
    return resample(array, sr, SR)


def scene(speech: np.ndarray | None, seed: int, seconds: float | None = None) -> np.ndarray:
    """Speech (or nothing) after 0.4 s of quiet noise, followed by a click 0.3 s after the speech ends."""
    rng = np.random.default_rng(seed)
    lead = int(0.4 * SR)
    body = speech if speech is not None else np.zeros(int((seconds or 2.0) * SR), dtype=np.float32)
    x = np.concatenate([np.zeros(lead, np.float32), 0.6 * body, np.zeros(int(0.8 * SR), np.float32)])
    x += rng.normal(0.0, 0.002, len(x)).astype(np.float32)
    click = lead + len(body) + int(0.3 * SR)
    x[click : click + 240] += rng.normal(0.0, 0.25, 240).astype(np.float32)
    return x


def write_wav(path: Path, array: np.ndarray, sr: int = SR, subtype: str = "PCM_16") -> None:
    import soundfile as sf

    sf.write(path, array, sr, subtype=subtype)


def make_speech_folder(root: Path, per_split: int = 4, seed: int = 0) -> Path:
    """An audiofolder with train/test splits of labelled espeak-ng clips and one no-speech clip per split."""
    rng = np.random.default_rng(seed)
    voices, speeds = list(VOICES), list(SPEEDS)
    k = 0
    for split in ("train", "test"):
        d = root / split
        d.mkdir(parents=True, exist_ok=True)
        rows = []
        for j in range(per_split):
            voice, speed = voices[k % len(voices)], speeds[(k // 2) % len(speeds)]
            text = SENTENCES[k % len(SENTENCES)]
            name = f"{split}_{j:03d}.wav"
            write_wav(d / name, scene(espeak(text, voice, speed), seed=int(rng.integers(1 << 30))))
            rows.append(
                {
                    "file_name": name,
                    "transcription": text,
                    "gender": VOICES[voice],
                    "speaking_rate": SPEEDS[speed],
                    "voice": voice,
                }
            )
            k += 1
        name = f"{split}_nospeech.wav"
        write_wav(d / name, scene(None, seed=int(rng.integers(1 << 30)), seconds=1.5))
        rows.append({"file_name": name, "transcription": None, "gender": None, "speaking_rate": None, "voice": None})
        with open(d / "metadata.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    return root


def _wav_header_only(sr: int = SR) -> bytes:
    """A valid RIFF/WAVE header declaring zero samples."""
    fmt = struct.pack("<HHIIHH", 1, 1, sr, sr * 2, 2, 16)
    return b"RIFF" + struct.pack("<I", 36) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + b"\0\0\0\0"


# file_name -> expected rejection code (None = accepted) in the bad-input folder.
BAD_INPUTS = {
    "good.wav": None,
    "stereo_48k.wav": None,
    "rate_11025.wav": None,
    "corrupt.wav": "audio.decode_error",
    "truncated.wav": "audio.truncated",
    "empty.wav": "audio.empty",
    "zero_length.wav": "audio.empty",
    "nan.wav": "audio.non_finite",
    "inf.wav": "audio.non_finite",
    "rate_2000.wav": "audio.sampling_rate",
    "too_long.wav": "audio.too_long",
    "missing_file.wav": "audio.missing_file",
    "no_transcript_key.wav": "transcript.missing",
    "latin1_transcript.wav": "transcript.encoding",
    "number_transcript.wav": "transcript.type",
}
BAD_MAX_DURATION = 8.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `uas-hf` in a fresh process (offline, one thread)."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "uas_hf", *args], capture_output=True, text=True, timeout=timeout, env=full_env
    )
