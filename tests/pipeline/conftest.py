"""Fixtures of the pipeline tests: small labelled audiofolders made with espeak-ng, a bad-input folder, tiny models of
real transformers classes and a real OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pipeline_helpers import (
    BAD_INPUTS,
    HERE,
    SENTENCES,
    SR,
    _wav_header_only,
    espeak,
    free_port,
    make_speech_folder,
    scene,
    write_wav,
)


@pytest.fixture(scope="session")
def speech_folder(tmp_path_factory) -> Path:
    """train: 4 speech + 1 no-speech clip; test: the same (10 inputs)."""
    return make_speech_folder(tmp_path_factory.mktemp("speech_folder"))


@pytest.fixture(scope="session")
def bad_folder(tmp_path_factory) -> Path:
    """Every kind of bad input next to a few good ones (see `BAD_INPUTS`); run with `max_duration_s=8`."""
    root = tmp_path_factory.mktemp("bad_folder")
    d = root / "train"
    d.mkdir()
    text = SENTENCES[0]
    speech = scene(espeak(text, "m3"), seed=1)
    write_wav(d / "good.wav", speech)
    from uas_hf.pipeline.audio import resample

    stereo = resample(speech, SR, 48_000)
    write_wav(d / "stereo_48k.wav", np.stack([stereo, 0.5 * stereo], axis=1), 48_000)
    write_wav(d / "rate_11025.wav", resample(speech, SR, 11_025), 11_025)
    (d / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEthis is not audio at all" * 20)
    full = (d / "good.wav").read_bytes()
    (d / "truncated.wav").write_bytes(full[: len(full) // 3])
    (d / "empty.wav").write_bytes(b"")
    (d / "zero_length.wav").write_bytes(_wav_header_only())
    nan = speech.copy()
    nan[1000:1010] = np.nan
    write_wav(d / "nan.wav", nan, subtype="FLOAT")
    inf = speech.copy()
    inf[5] = np.inf
    write_wav(d / "inf.wav", inf, subtype="FLOAT")
    write_wav(d / "rate_2000.wav", resample(speech, SR, 2_000), 2_000)
    write_wav(d / "too_long.wav", np.tile(speech, 3))
    for name in ("no_transcript_key.wav", "latin1_transcript.wav", "number_transcript.wav"):
        shutil.copy(d / "good.wav", d / name)
    lines = []
    for name in BAD_INPUTS:
        if name == "no_transcript_key.wav":
            lines.append(json.dumps({"file_name": name}).encode())
        elif name == "latin1_transcript.wav":
            lines.append(f'{{"file_name": "{name}", "transcription": "Caf\u00e9 au lait."}}'.encode("latin-1"))
        elif name == "number_transcript.wav":
            lines.append(json.dumps({"file_name": name, "transcription": 42}).encode())
        else:
            lines.append(json.dumps({"file_name": name, "transcription": text}).encode())
    (d / "metadata.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return root


@pytest.fixture(scope="session")
def tiny_qwen2_audio(tmp_path_factory) -> Path:
    from tiny_models import build_tiny_qwen2_audio

    return build_tiny_qwen2_audio(tmp_path_factory.mktemp("tiny_qwen2_audio"))


@pytest.fixture(scope="session")
def tiny_text_lm(tmp_path_factory) -> Path:
    from tiny_models import build_tiny_text_lm

    return build_tiny_text_lm(tmp_path_factory.mktemp("tiny_text_lm"))


@pytest.fixture(scope="session")
def openai_server(tiny_qwen2_audio, tiny_text_lm):
    """A real OpenAI-compatible server on loopback serving `audio` (tiny Qwen2-Audio) and `text` (tiny Qwen2)."""
    import httpx

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "openai_server.py"),
            "--port",
            str(port),
            "--model",
            f"audio={tiny_qwen2_audio}",
            "--model",
            f"text={tiny_text_lm}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the test server exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.time() > deadline:
                raise RuntimeError("the test server did not start within 120 s")
            time.sleep(0.2)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
