"""Decode one input clip into analysis-ready audio, or say precisely why it cannot be used.

Every way an input can be unusable maps to an [`InputRejected`] with a stable ``code`` (``audio.*`` /
``transcript.*``); fixable oddities (unusual sampling rates, several channels) are fixed and noted instead.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np


#: Rate every Stage-1 backend receives (16 kHz is what silero-vad, Whisper-style encoders and Praat settings expect).
ANALYSIS_SAMPLING_RATE = 16_000


class InputRejected(Exception):
    """An input that cannot be annotated; the runner records ``code`` and ``message`` in `rejected.jsonl`."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):
        return (type(self), (self.code, self.message))


@dataclass
class AudioLoadConfig:
    """Limits applied while decoding inputs.

    Args:
        sampling_rate (`int`, *optional*, defaults to 16000):
            Rate the audio is resampled to before Stage 1.
        max_duration_s (`float`, *optional*, defaults to 60.0):
            Longer inputs are rejected (``audio.too_long``) before they are decoded.
        min_duration_s (`float`, *optional*, defaults to 0.05):
            Shorter inputs are rejected (``audio.too_short``): nothing can be measured in them.
        min_sampling_rate (`int`, *optional*, defaults to 4000):
            Inputs recorded below this rate are rejected (``audio.sampling_rate``): they carry no speech band.
    """

    sampling_rate: int = ANALYSIS_SAMPLING_RATE
    max_duration_s: float = 60.0
    min_duration_s: float = 0.05
    min_sampling_rate: int = 4_000

    def __post_init__(self):
        if self.sampling_rate < 8_000:
            raise ValueError(f"`sampling_rate` must be at least 8000 Hz, got {self.sampling_rate}.")
        if not self.max_duration_s > self.min_duration_s >= 0:
            raise ValueError(
                f"`max_duration_s` ({self.max_duration_s}) must be greater than `min_duration_s` "
                f"({self.min_duration_s}) and both non-negative."
            )


def _declared_wav_data_bytes(data: bytes) -> int | None:
    """Size of the ``data`` chunk a RIFF/WAVE header declares, or `None` if ``data`` is not a WAV file."""
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RIFX") or data[8:12] != b"WAVE":
        return None
    order = "<" if data[:4] == b"RIFF" else ">"
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack(order + "I", data[pos + 4 : pos + 8])
        if chunk_id == b"data":
            return size
        pos += 8 + size + (size & 1)  # chunks are word-aligned
    return None


def _wav_data_offset(data: bytes) -> int | None:
    pos = 12
    while pos + 8 <= len(data):
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        if data[pos : pos + 4] == b"data":
            return pos + 8
        pos += 8 + size + (size & 1)
    return None


def _decode_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Decode with libsndfile (wav/flac/ogg/mp3); fall back to torchcodec (FFmpeg) for other containers."""
    import soundfile as sf

    try:
        array, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        return array, int(sr)
    except sf.LibsndfileError as e:
        sf_error = e.error_string  # not str(e): that embeds the BytesIO's address and would vary between runs
        if data[:4] in (b"RIFF", b"RIFX"):  # a WAV that libsndfile cannot parse is broken; FFmpeg would not do better
            raise InputRejected("audio.decode_error", f"cannot decode WAV audio: {sf_error}") from None
        try:
            from torchcodec.decoders import AudioDecoder
        except Exception:  # torchcodec missing or its FFmpeg libraries absent
            raise InputRejected("audio.decode_error", f"cannot decode audio: {sf_error}") from None
        try:
            samples = AudioDecoder(data).get_all_samples()
        except Exception as e:
            raise InputRejected("audio.decode_error", f"cannot decode audio: {sf_error}; FFmpeg: {e}") from None
        return samples.data.numpy().T.astype(np.float32), int(samples.sample_rate)


def _header_duration(data: bytes) -> float | None:
    import soundfile as sf

    try:
        info = sf.info(io.BytesIO(data))
    except Exception:
        return None
    return info.frames / info.samplerate if info.samplerate else None


def resample(array: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Polyphase resampling (exact rational ratio), float32 in and out."""
    if orig_sr == target_sr:
        return array
    from scipy.signal import resample_poly

    g = math.gcd(orig_sr, target_sr)
    return resample_poly(array, target_sr // g, orig_sr // g, axis=0).astype(np.float32)


def load_audio(data: bytes | None, config: AudioLoadConfig) -> tuple[np.ndarray, dict[str, Any]]:
    """Decode ``data`` into mono float32 at ``config.sampling_rate``.

    Returns:
        `tuple[np.ndarray, dict]`: the samples and decoding facts (``original_sampling_rate``,
        ``original_num_channels``, ``original_duration``).

    Raises:
        [`InputRejected`]: with code ``audio.empty``, ``audio.decode_error``, ``audio.truncated``,
        ``audio.too_long``, ``audio.too_short``, ``audio.sampling_rate`` or ``audio.non_finite``.
    """
    if not data:
        raise InputRejected("audio.empty", "the audio file is empty (0 bytes)")
    header_duration = _header_duration(data)
    if header_duration is not None and header_duration > config.max_duration_s:
        raise InputRejected(
            "audio.too_long",
            f"audio lasts {header_duration:.1f} s, longer than the configured maximum of {config.max_duration_s} s",
        )
    declared = _declared_wav_data_bytes(data)
    if declared is not None:
        offset = _wav_data_offset(data)
        available = len(data) - offset if offset is not None else 0
        # 0xFFFFFFFF / 0 are the "unknown size" markers streaming writers leave; only a definite size can be short.
        if declared not in (0, 0xFFFFFFFF) and available < declared:
            raise InputRejected(
                "audio.truncated",
                f"WAV header declares {declared} bytes of samples but only {available} are present",
            )
    array, sr = _decode_bytes(data)
    n_frames, n_channels = array.shape
    if n_frames == 0:
        raise InputRejected("audio.empty", "the audio has zero samples")
    if sr < config.min_sampling_rate:
        raise InputRejected(
            "audio.sampling_rate",
            f"sampling rate {sr} Hz is below the minimum of {config.min_sampling_rate} Hz",
        )
    duration = n_frames / sr
    if duration > config.max_duration_s:
        raise InputRejected(
            "audio.too_long", f"audio lasts {duration:.1f} s, longer than the maximum of {config.max_duration_s} s"
        )
    if duration < config.min_duration_s:
        raise InputRejected(
            "audio.too_short",
            f"audio lasts {duration * 1000:.0f} ms, shorter than {config.min_duration_s * 1000:.0f} ms",
        )
    if not np.isfinite(array).all():
        bad = int((~np.isfinite(array)).sum())
        raise InputRejected("audio.non_finite", f"{bad} of {array.size} samples are NaN or infinite")
    mono = array.mean(axis=1) if n_channels > 1 else array[:, 0]
    mono = resample(np.ascontiguousarray(mono, dtype=np.float32), sr, config.sampling_rate)
    facts = {
        "original_sampling_rate": sr,
        "original_num_channels": int(n_channels),
        "original_duration": round(duration, 4),
    }
    return mono, facts


def encode_wav(array: np.ndarray, sampling_rate: int) -> bytes:
    """16-bit PCM WAV bytes (what OpenAI-compatible ``input_audio`` expects)."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(array, -1.0, 1.0), sampling_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()
