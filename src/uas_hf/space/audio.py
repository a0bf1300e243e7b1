"""Checked loading of user uploads: type, size, duration and content limits, each with a message a person can act on."""

import hashlib
import math
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


# Formats libsndfile decodes itself; the others need the ffmpeg binary (browser recordings may be webm/m4a).
SNDFILE_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")
FFMPEG_SUFFIXES = (".m4a", ".webm", ".opus", ".aac")
TARGET_SAMPLING_RATE = 16_000  # what the analyzer and the Whisper-style feature extractor expect
_FFMPEG_TIMEOUT_S = 60
# Below this peak amplitude (about -90 dBFS) a clip is digital silence; nothing can be analyzed.
_SILENCE_PEAK = 3e-5


class AudioRejected(ValueError):
    """An upload the Space refuses; ``str(error)`` is the message shown to the user."""


@dataclass(frozen=True)
class UploadLimits:
    """Limits on uploaded clips.

    Args:
        max_bytes (`int`, *optional*, defaults to 10 MB): largest accepted file.
        max_duration_s (`float`, *optional*, defaults to 30): longest accepted clip, in seconds.
        min_duration_s (`float`, *optional*, defaults to 0.1): shortest accepted clip, in seconds.
        suffixes (`tuple[str, ...]`, *optional*): accepted file extensions (lower case, with the dot).
    """

    max_bytes: int = 10 * 1024 * 1024
    max_duration_s: float = 30.0
    min_duration_s: float = 0.1
    suffixes: tuple[str, ...] = field(default=SNDFILE_SUFFIXES + FFMPEG_SUFFIXES)

    def __post_init__(self):
        if self.max_bytes <= 0 or self.max_duration_s <= 0 or not 0 <= self.min_duration_s < self.max_duration_s:
            raise ValueError(
                f"`UploadLimits` needs max_bytes > 0 and 0 <= min_duration_s < max_duration_s; got {self!r}."
            )

    def describe(self) -> str:
        kinds = ", ".join(s.lstrip(".") for s in self.suffixes)
        return (
            f"Up to {self.max_bytes / 1e6:.0f} MB and {self.max_duration_s:g} s of audio ({kinds}); "
            "clips are analyzed as 16 kHz mono."
        )


@dataclass(frozen=True)
class Clip:
    """A decoded, checked clip: 16 kHz mono float32 samples plus where it came from."""

    array: np.ndarray
    sampling_rate: int
    name: str
    clip_id: str
    path: str

    @property
    def duration(self) -> float:
        return len(self.array) / self.sampling_rate


def load_clip(path: str | os.PathLike | None, limits: UploadLimits = UploadLimits()) -> Clip:
    """Check and decode an uploaded file; raise `AudioRejected` with a user-facing message for anything refused.

    Example:

    >>> load_clip(None)
    Traceback (most recent call last):
    ...
    uas_hf.space.audio.AudioRejected: No audio: upload a file or record a clip first.
    """
    if path is None or str(path) == "":
        raise AudioRejected("No audio: upload a file or record a clip first.")
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise AudioRejected(f"The upload {name!r} could not be read; please upload it again.")
    suffix = path.suffix.lower()
    if suffix not in limits.suffixes:
        allowed = ", ".join(s.lstrip(".") for s in limits.suffixes)
        raise AudioRejected(f"{name!r} is not an accepted audio type ({suffix or 'no extension'}); use {allowed}.")
    size = path.stat().st_size
    if size == 0:
        raise AudioRejected(f"{name!r} is empty (0 bytes).")
    if size > limits.max_bytes:
        raise AudioRejected(
            f"{name!r} is {size / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.0f} MB. Trim or compress it."
        )
    array, sampling_rate = _decode(path, suffix, limits)
    duration = len(array) / sampling_rate if sampling_rate else 0.0
    if duration > limits.max_duration_s:
        raise AudioRejected(
            f"{name!r} is {duration:.1f} s long; the limit is {limits.max_duration_s:g} s. Trim it and upload again."
        )
    if duration < limits.min_duration_s:
        raise AudioRejected(f"{name!r} holds no audio to analyze ({duration:.2f} s of samples).")
    if not np.all(np.isfinite(array)):
        raise AudioRejected(f"{name!r} contains invalid (NaN or infinite) samples.")
    if float(np.max(np.abs(array))) < _SILENCE_PEAK:
        raise AudioRejected(f"{name!r} is silent: every sample is (near) zero.")
    array = _resample(array, sampling_rate, TARGET_SAMPLING_RATE)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return Clip(array=array, sampling_rate=TARGET_SAMPLING_RATE, name=name, clip_id=digest, path=str(path))


def _decode(path: Path, suffix: str, limits: UploadLimits) -> tuple[np.ndarray, int]:
    if suffix in SNDFILE_SUFFIXES:
        import soundfile as sf

        try:
            info = sf.info(str(path))
            # Refuse over-long clips from the header, before decoding them into memory.
            if info.samplerate and info.frames / info.samplerate > limits.max_duration_s:
                raise AudioRejected(
                    f"{path.name!r} is {info.frames / info.samplerate:.1f} s long; the limit is "
                    f"{limits.max_duration_s:g} s. Trim it and upload again."
                )
            data, sampling_rate = sf.read(str(path), dtype="float32", always_2d=True)
        except AudioRejected:
            raise
        except Exception as e:  # libsndfile raises several types for malformed files
            raise AudioRejected(
                f"{path.name!r} could not be decoded as audio: the file is damaged or is not really {suffix[1:]}."
            ) from e
        return data.mean(axis=1).astype(np.float32), int(sampling_rate)
    return _decode_ffmpeg(path, limits)


def _decode_ffmpeg(path: Path, limits: UploadLimits) -> tuple[np.ndarray, int]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise AudioRejected(f"{path.suffix} files need ffmpeg, which this server lacks; upload a wav or flac file.")
    # Decode one second past the limit: enough to tell an over-long clip without decoding all of it.
    cmd = [ffmpeg, "-nostdin", "-v", "error", "-t", str(limits.max_duration_s + 1), "-i", str(path)]
    cmd += ["-f", "f32le", "-ac", "1", "-ar", str(TARGET_SAMPLING_RATE), "-"]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=_FFMPEG_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as e:
        raise AudioRejected(f"{path.name!r} took too long to decode.") from e
    if out.returncode != 0 or not out.stdout:
        raise AudioRejected(f"{path.name!r} could not be decoded as audio.")
    return np.frombuffer(out.stdout, dtype=np.float32).copy(), TARGET_SAMPLING_RATE


def _resample(array: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    if orig_sr == target_sr:
        return array.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = math.gcd(orig_sr, target_sr)
    return resample_poly(array, target_sr // g, orig_sr // g).astype(np.float32)
