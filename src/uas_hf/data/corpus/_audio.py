"""Small, dependency-light signal helpers used to construct clips (numpy + scipy + soundfile only)."""

from __future__ import annotations

from math import gcd

import numpy as np


SAMPLE_RATE = 16_000
FRAME_S = 0.02  # frame length for level / activity measurements
ACTIVE_RANGE_DB = 35.0  # a frame is "active" when within this many dB of the loudest frame
_EPS = 1e-12


def load_audio(path: str, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Read any file libsndfile decodes (wav, ogg, mp3, flac), downmix to mono, resample to ``sr``, float32."""
    import soundfile as sf

    x, file_sr = sf.read(path, dtype="float32", always_2d=True)
    return resample(x.mean(axis=1), file_sr, sr)


def _fast_len(n: int) -> int:
    """Smallest 2^a * 3^b * 5^c >= n (FFT sizes that pocketfft handles fast)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


def resample(x: np.ndarray, sr_in: int, sr_out: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling by zero-padding / truncating the spectrum (numpy only; exact for our rates)."""
    x = np.asarray(x, dtype=np.float32)
    if sr_in == sr_out or len(x) == 0:
        return np.ascontiguousarray(x)
    n_out = int(round(len(x) * sr_out / sr_in))
    g = gcd(int(sr_in), int(sr_out))
    q = int(sr_in) // g  # FFT length must be a multiple of q so that the output length is exact
    m = q * _fast_len(-(-(len(x) + 64) // q))  # some zero padding keeps the circular wrap-around off the signal
    m_out = m // q * (int(sr_out) // g)
    spectrum = np.fft.rfft(x.astype(np.float64), m)
    out = np.zeros(m_out // 2 + 1, dtype=np.complex128)
    k = min(len(spectrum), len(out))
    out[:k] = spectrum[:k]
    if m_out < m:
        out[-1] = out[-1].real  # Nyquist bin of the shorter signal must be real
    return (np.fft.irfft(out, m_out)[:n_out] * (m_out / m)).astype(np.float32)


def frame_db(x: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Level of consecutive non-overlapping frames, in dB re full scale (a full-scale sine is -3 dB)."""
    n = int(FRAME_S * sr)
    m = len(x) // n
    if m == 0:
        return np.array([10 * np.log10(float(np.mean(np.square(x, dtype=np.float64))) + _EPS)])
    power = np.mean(np.square(x[: m * n].reshape(m, n), dtype=np.float64), axis=1)
    return 10 * np.log10(power + _EPS)


def active_level_db(x: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """RMS level (dBFS) over the active frames only: the level of speech or of an event, not of its pauses."""
    db = frame_db(x, sr)
    active = db > db.max() - ACTIVE_RANGE_DB
    return float(10 * np.log10(np.mean(10 ** (db[active] / 10)) + _EPS))


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + _EPS))


def trim(x: np.ndarray, sr: int = SAMPLE_RATE, margin_s: float = 0.01) -> np.ndarray:
    """Cut leading and trailing frames that are more than ``ACTIVE_RANGE_DB`` below the loudest frame."""
    db = frame_db(x, sr)
    idx = np.flatnonzero(db > db.max() - ACTIVE_RANGE_DB)
    if idx.size == 0:
        return x
    n = int(FRAME_S * sr)
    m = int(margin_s * sr)
    start = max(0, idx[0] * n - m)
    stop = min(len(x), (idx[-1] + 1) * n + m)
    return x[start:stop]


def fade(x: np.ndarray, sr: int = SAMPLE_RATE, seconds: float = 0.02) -> np.ndarray:
    """Raised-cosine fade-in and fade-out, so that cut recordings do not click."""
    n = min(int(seconds * sr), len(x) // 2)
    if n < 2:
        return x
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n))).astype(np.float32)
    y = x.copy()
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    return y


def loop_to_length(x: np.ndarray, length: int, start: int, sr: int = SAMPLE_RATE, xfade_s: float = 0.05) -> np.ndarray:
    """``length`` samples of ``x`` from ``start`` on, looping ``x`` with short cross-fades when it is too short."""
    if len(x) >= start + length:
        return x[start : start + length].copy()
    x = np.asarray(x, dtype=np.float32)
    xf = min(int(xfade_s * sr), len(x) // 4)
    if len(x) - start < 2 * xf:
        start = 0
    out = np.zeros(length + 2 * len(x), dtype=np.float32)
    seg = x[start:]
    out[: len(seg)] = seg
    pos = len(seg)  # end of the written signal
    ramp = np.linspace(0, 1, xf, dtype=np.float32) if xf else None
    while pos < length:
        if xf:
            out[pos - xf : pos] = out[pos - xf : pos] * (1 - ramp) + x[:xf] * ramp
            out[pos : pos + len(x) - xf] = x[xf:]
            pos += len(x) - xf
        else:
            out[pos : pos + len(x)] = x
            pos += len(x)
    return out[:length]


def median_f0(x: np.ndarray, sr: int = SAMPLE_RATE, fmin: float = 60.0, fmax: float = 500.0) -> float | None:
    """Median fundamental frequency (Hz) of the voiced frames of a *clean, isolated* speech track (YIN).

    Used on the dry synthesized or recorded speech before anything is mixed in, so that the pitch in the ground
    truth is a property of the constructed voice, not the output of an analyzer on the mixture. Returns `None`
    when fewer than 5 frames are voiced.
    """
    threshold = 0.15  # YIN's absolute threshold on the cumulative-mean-normalized difference
    analysis_sr = 8000  # F0 <= 500 Hz needs no more; halves the cost of the frame FFTs
    if sr != analysis_sr:
        x, sr = resample(x, sr, analysis_sr), analysis_sr
    frame = int(0.04 * sr)
    hop = int(0.01 * sr)
    tau_min, tau_max = int(sr / fmax), int(sr / fmin)
    w = frame - tau_max
    if len(x) < frame + hop:
        return None
    frames = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), frame)[::hop]
    energy = np.sqrt(np.mean(frames**2, axis=1))
    frames = frames[energy > energy.max() * 10 ** (-30 / 20)]
    n_fft = 1 << int(np.ceil(np.log2(frame + w)))
    a = np.fft.rfft(frames[:, :w], n_fft)
    b = np.fft.rfft(frames, n_fft)
    corr = np.fft.irfft(np.conj(a) * b, n_fft)[:, : tau_max + 1]
    sq = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
    e0 = sq[:, w][:, None]
    taus = np.arange(tau_max + 1)
    e_tau = sq[:, taus + w] - sq[:, taus]
    d = e0 + e_tau - 2 * corr
    d[:, 0] = 0
    cum = np.cumsum(d[:, 1:], axis=1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] * taus[1:] / np.maximum(cum, _EPS)
    f0s = []
    for row in cmnd:
        below = np.flatnonzero(row[tau_min:] < threshold)
        if below.size == 0:
            continue
        t = tau_min + below[0]
        if t == tau_min:
            continue  # a dip at the search boundary is a harmonic or noise, not a period
        while t + 1 <= tau_max and row[t + 1] < row[t]:
            t += 1
        if 0 < t < tau_max:  # parabolic interpolation of the dip
            s0, s1, s2 = row[t - 1], row[t], row[t + 1]
            den = s0 - 2 * s1 + s2
            t = t + (0.5 * (s0 - s2) / den if den else 0.0)
        f0s.append(sr / t)
    if len(f0s) < 5:
        return None
    return float(np.median(f0s))


def to_pcm16(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)
