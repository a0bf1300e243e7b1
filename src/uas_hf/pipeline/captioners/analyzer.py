"""The embedded offline Stage-1 default: measure what the signal shows, write it down, say what cannot be known.

Tools: silero-vad (voice activity, MIT, weights inside the wheel; an energy detector with a logged warning when it is
missing) and Praat through praat-parselmouth (GPL-3: F0, formants, harmonicity, jitter/shimmer, intensity). Speaking
rate comes from syllable nuclei (intensity peaks that are voiced, after De Jong & Wempe 2009) and, when the source has
a transcript, from words per second of speech. Outside speech the analyzer estimates the background level, SNR, a
steady background and onset-delimited discrete sound segments.

It never guesses emotion, accent, age or what made a sound: no model for those ships offline, and the caption says so.
"""

from __future__ import annotations

import math
import threading
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ...utils import get_logger, is_silero_vad_available, require
from ..audio import resample
from ..base import AudioSample, BackendError, Caption, Captioner


logger = get_logger(__name__)

# ---- Documented thresholds (each one is a measurement convention, not a fitted parameter) -------------------------
#: Median F0 below this is reported as typical of a male voice, at or above it of a female voice. Adult speaking F0
#: clusters around 85-155 Hz for men and 165-255 Hz for women (Titze 1994, *Principles of Voice Production*); the
#: threshold sits at the top of the male range so that low female voices (150-165 Hz, common in read speech) are not
#: read as male, at the cost of the rare male voices above 150 Hz. The embedded corpus builds its pitch classes on
#: the same boundary (male "high" <= 150 Hz <= female "low"). Children's voices are above it too, so this is a
#: sex-typical-pitch cue, not an identity.
GENDER_F0_THRESHOLD_HZ = 150.0
#: Speaking-rate classes in words per minute over the speech span (first onset to last offset, pauses included):
#: slow < 160 <= normal < 235 <= fast, the scale the embedded corpus labels with (read English runs ~150-200 wpm).
SLOW_WPM = 160.0
FAST_WPM = 235.0
#: The same classes in syllable nuclei per second when there is no transcript (about 1.4 syllables per English word).
SLOW_SYLLABLES_PER_S = SLOW_WPM / 60.0 * 1.4
FAST_SYLLABLES_PER_S = FAST_WPM / 60.0 * 1.4
#: Praat's autocorrelation tracker halves F0 in music or babble; subharmonic summation (SHS) errs differently. When the
#: two medians are further apart than this ratio (~0.7 octave), the higher one is kept (halving is the common error
#: with a 60-Hz floor); otherwise their geometric mean.
OCTAVE_DISAGREEMENT = 1.6
#: F0 spread (standard deviation, semitones around the median): below FLAT the intonation is flat, above LIVELY it is
#: lively.
FLAT_PITCH_ST = 1.5
LIVELY_PITCH_ST = 3.5
#: HNR (dB) bands for voice quality: <7 rough/breathy, 7-12 slightly breathy, >=12 clear (modal voices are ~12-20 dB).
ROUGH_HNR_DB = 7.0
CLEAR_HNR_DB = 12.0
#: Spectral tilt of speech = level(1-4 kHz) - level(0-1 kHz) in dB: above -14 sounds bright, below -26 dark/muffled.
BRIGHT_TILT_DB = -14.0
DARK_TILT_DB = -26.0
#: Levels are dBFS of 25 ms frames; a frame this far above the background floor outside speech is part of an event.
EVENT_RISE_DB = 10.0
#: Background quieter than this (dBFS) is reported as silence rather than a continuous sound, and a discrete segment
#: must peak above it (dither and codec tails in digital silence are not events).
SILENCE_DBFS = -65.0
#: Interquartile range (dB) of background frame levels under which the background counts as steady.
STEADY_IQR_DB = 6.0
#: At most this many discrete segments are reported (the loudest), so descriptions stay proportional to duration.
MAX_EVENTS = 6

_FRAME_S = 0.025
_HOP_S = 0.010
_SILERO_RATE = 16_000
_SILERO_WINDOW = 512  # samples per silero-vad decision at 16 kHz (32 ms)
_SPAN_MARGIN_S = 0.05  # analysed around the speech span so that pitch windows see whole onsets
_FORMANT_RATE = 11_000  # Burg formant analysis up to 5.5 kHz needs twice that; resampling here is cheaper than Praat's
_EPS = 1e-10


@dataclass
class AnalyzerConfig:
    """Settings of the offline acoustic analyzer.

    Args:
        vad (`str`, *optional*, defaults to `"auto"`):
            `"silero"`, `"energy"` or `"auto"` (silero-vad when installed, else the energy detector with a warning).
        vad_threshold (`float`, *optional*, defaults to 0.5):
            Speech probability above which a silero-vad window counts as speech.
        min_speech_s (`float`, *optional*, defaults to 0.25):
            Shorter speech islands are dropped (clicks and coughs fool VADs).
        min_silence_s (`float`, *optional*, defaults to 0.15):
            Shorter pauses are bridged.
        pitch_floor (`float`, *optional*, defaults to 60.0):
            Lowest F0 searched (Hz).
        pitch_ceiling (`float`, *optional*, defaults to 500.0):
            Highest F0 searched (Hz); covers children's voices.
        vad_batch_size (`int`, *optional*, defaults to 32):
            Clips run through silero-vad together (its per-window cost is mostly call overhead).
    """

    vad: str = "auto"
    vad_threshold: float = 0.5
    min_speech_s: float = 0.25
    min_silence_s: float = 0.15
    pitch_floor: float = 60.0
    pitch_ceiling: float = 500.0
    vad_batch_size: int = 32

    def __post_init__(self):
        if self.vad not in ("auto", "silero", "energy"):
            raise ValueError(f"`vad` must be one of 'auto', 'silero', 'energy'; got {self.vad!r}.")
        if not 0.0 < self.vad_threshold < 1.0:
            raise ValueError(f"`vad_threshold` must be in (0, 1), got {self.vad_threshold}.")
        if not 0 < self.pitch_floor < self.pitch_ceiling:
            raise ValueError(
                f"`pitch_floor` ({self.pitch_floor}) must be positive and below `pitch_ceiling` ({self.pitch_ceiling})."
            )


# ---- Small signal helpers ---------------------------------------------------------------------------------------


def frame_levels(x: np.ndarray, sr: int, frame_s: float = _FRAME_S, hop_s: float = _HOP_S) -> np.ndarray:
    """RMS level in dBFS of each ``frame_s`` frame every ``hop_s`` seconds (frame ``i`` is centred near ``i*hop``)."""
    frame, hop = int(frame_s * sr), int(hop_s * sr)
    if len(x) < frame:
        x = np.pad(x, (0, frame - len(x)))
    n = 1 + (len(x) - frame) // hop
    frames = np.lib.stride_tricks.as_strided(x, shape=(n, frame), strides=(x.strides[0] * hop, x.strides[0]))
    power = np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / frame
    return (10.0 * np.log10(power + _EPS)).astype(np.float32)


def _db_mean(levels: np.ndarray) -> float:
    """Mean *power* of frames given in dB (averaging dB values would under-weight loud frames)."""
    return float(10.0 * np.log10(np.mean(10.0 ** (levels / 10.0)) + _EPS))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index runs ``[start, end)`` where ``mask`` is true."""
    if not mask.any():
        return []
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(padded)
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def _clean_segments(
    segments: list[tuple[float, float]], min_speech_s: float, min_silence_s: float
) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, end in segments:
        if merged and start - merged[-1][1] < min_silence_s:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(round(s, 3), round(e, 3)) for s, e in merged if e - s >= min_speech_s]


def _spectrum_stats(x: np.ndarray, sr: int) -> dict[str, float]:
    """Centroid, tilt and flatness of the long-term average spectrum of ``x`` (Hann frames of 512, no overlap)."""
    n = 512
    if len(x) < n:
        x = np.pad(x, (0, n - len(x)))
    frames = x[: len(x) // n * n].reshape(-1, n) * np.hanning(n).astype(np.float32)
    psd = (np.abs(np.fft.rfft(frames, axis=1)) ** 2).mean(axis=0) + _EPS
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    centroid = float((freqs * psd).sum() / psd.sum())
    low = psd[(freqs > 50) & (freqs <= 1000)].sum()
    high = psd[(freqs > 1000) & (freqs <= 4000)].sum()
    band = psd[freqs > 50]
    flatness = float(np.exp(np.mean(np.log(band))) / np.mean(band)) if band.size else 1.0
    return {
        "centroid_hz": round(centroid, 1),
        "tilt_db": round(float(10 * np.log10(high / low)), 2) if low > 0 and high > 0 else 0.0,
        "flatness": round(flatness, 4),
    }


def _reconcile_f0(ac: float, shs: float | None) -> float:
    """One median F0 from the autocorrelation and SHS trackers (see `OCTAVE_DISAGREEMENT`)."""
    if not shs:
        return ac
    if max(ac, shs) / min(ac, shs) > OCTAVE_DISAGREEMENT:
        return max(ac, shs)
    return math.sqrt(ac * shs)


def _r(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


# ---- Voice activity ---------------------------------------------------------------------------------------------


class _SileroVAD:
    """Batched silero-vad: all clips of a batch advance window by window together (one model call per window)."""

    _lock = threading.Lock()

    def __init__(self):
        import torch

        threads = torch.get_num_threads()
        from silero_vad import load_silero_vad

        torch.set_num_threads(threads)  # importing silero_vad pins torch to 1 thread process-wide; undo that
        self.torch = torch
        with warnings.catch_warnings():  # its loader uses deprecated importlib / torch.jit APIs; not ours to fix
            warnings.simplefilter("ignore", DeprecationWarning)
            self.model = load_silero_vad(onnx=False)

    def probabilities(self, arrays: list[np.ndarray], batch_size: int) -> list[np.ndarray]:
        out: list[np.ndarray | None] = [None] * len(arrays)
        order = sorted(range(len(arrays)), key=lambda i: len(arrays[i]))  # similar lengths pad little
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            longest = max(len(arrays[i]) for i in idx)
            batch = np.zeros((len(idx), longest), dtype=np.float32)
            for row, i in enumerate(idx):
                batch[row, : len(arrays[i])] = arrays[i]
            with self._lock, self.torch.inference_mode():
                probs = self.model.audio_forward(self.torch.from_numpy(batch), _SILERO_RATE).numpy()
            for row, i in enumerate(idx):
                out[i] = probs[row, : math.ceil(len(arrays[i]) / _SILERO_WINDOW)]
        return out  # type: ignore[return-value]


def _segments_from_probs(probs: np.ndarray, config: AnalyzerConfig) -> list[tuple[float, float]]:
    hop = _SILERO_WINDOW / _SILERO_RATE
    # Hysteresis as in silero's own post-processing: enter at the threshold, leave 0.15 below it.
    on, off = config.vad_threshold, max(config.vad_threshold - 0.15, 0.01)
    segments, start = [], None
    for i, p in enumerate(probs):
        if start is None and p >= on:
            start = i
        elif start is not None and p < off:
            segments.append((start * hop, i * hop))
            start = None
    if start is not None:
        segments.append((start * hop, len(probs) * hop))
    return _clean_segments(segments, config.min_speech_s, config.min_silence_s)


def _energy_segments(levels: np.ndarray, voiced: np.ndarray, config: AnalyzerConfig) -> list[tuple[float, float]]:
    """Fallback VAD: frames well above the floor *and* near voiced (periodic) frames; cruder than silero-vad."""
    floor = float(np.percentile(levels, 10))
    peak = float(np.percentile(levels, 95))
    threshold = floor + max(10.0, 0.35 * (peak - floor))
    active = levels > threshold
    n = min(len(active), len(voiced))
    # A speech island must contain voicing; impulsive events are loud but aperiodic.
    segments = []
    for s, e in _runs(active[:n]):
        if voiced[s:e].mean() > 0.3:
            segments.append((s * _HOP_S, e * _HOP_S + _FRAME_S))
    return _clean_segments(segments, config.min_speech_s, config.min_silence_s)


# ---- The analyzer -----------------------------------------------------------------------------------------------


class AcousticAnalyzer:
    """Measure speech and background properties of mono clips (see the module docstring for the tools).

    Args:
        config ([`AnalyzerConfig`], *optional*): Analyzer settings.

    Example:

    ```python
    >>> import numpy as np
    >>> analyzer = AcousticAnalyzer(AnalyzerConfig(vad="energy"))
    >>> tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
    >>> m = analyzer.analyze([tone], 16000)[0]
    >>> m["duration_s"]
    1.0

    ```
    """

    def __init__(self, config: AnalyzerConfig | None = None):
        require("parselmouth", "The offline acoustic analyzer")
        self.config = config or AnalyzerConfig()
        self._silero: _SileroVAD | None = None
        self.vad_backend = self._pick_vad()

    def _pick_vad(self) -> str:
        if self.config.vad == "energy":
            return "energy"
        if self.config.vad == "silero":
            require("silero_vad", "`vad='silero'`")
            return "silero-vad"
        if is_silero_vad_available():
            return "silero-vad"
        logger.warning(
            "silero-vad is not installed: the analyzer falls back to an energy voice-activity detector, which is "
            "cruder. Install it with `pip install 'uas_hf[audio]'`."
        )
        return "energy"

    def _vad_probs(self, arrays: list[np.ndarray], sr: int) -> list[np.ndarray | None]:
        if self.vad_backend != "silero-vad":
            return [None] * len(arrays)
        if self._silero is None:
            try:
                self._silero = _SileroVAD()
            except Exception as e:  # a broken install must not stop annotation
                logger.warning(f"silero-vad failed to load ({e}); falling back to the energy voice-activity detector.")
                self.vad_backend = "energy"
                return [None] * len(arrays)
        inputs = [resample(a, sr, _SILERO_RATE) for a in arrays]
        return self._silero.probabilities(inputs, self.config.vad_batch_size)

    def analyze(
        self, arrays: list[np.ndarray], sampling_rate: int, transcriptions: list[str | None] | None = None
    ) -> list[dict[str, Any]]:
        """Return one measurements dict per clip (JSON-serialisable; times in seconds, levels in dBFS)."""
        transcriptions = transcriptions or [None] * len(arrays)
        probs = self._vad_probs(arrays, sampling_rate)
        return [
            self._analyze_one(a, sampling_rate, p, t) for a, p, t in zip(arrays, probs, transcriptions, strict=True)
        ]

    # One clip ------------------------------------------------------------------------------------------------
    def _analyze_one(
        self, x: np.ndarray, sr: int, vad_probs: np.ndarray | None, transcription: str | None
    ) -> dict[str, Any]:
        import parselmouth

        cfg = self.config
        duration = len(x) / sr
        levels = frame_levels(x, sr)

        def track(start: float, end: float):
            # Praat analyses only [start, end): with silero-vad that is the speech span, not the whole clip.
            i0, i1 = int(start * sr), int(end * sr)
            sound = parselmouth.Sound(x[i0:i1].astype(np.float64), sampling_frequency=sr, start_time=i0 / sr)
            pitch = sound.to_pitch_ac(time_step=_HOP_S, pitch_floor=cfg.pitch_floor, pitch_ceiling=cfg.pitch_ceiling)
            return sound, pitch

        sound = pitch = None
        if vad_probs is not None:
            speech = _segments_from_probs(vad_probs, cfg)
        else:  # the energy detector needs voicing over the whole clip
            sound, pitch = track(0.0, duration)
            f0_all, times = pitch.selected_array["frequency"], pitch.xs()
            voiced_by_frame = np.zeros(len(levels), dtype=bool)
            frame_idx = np.clip(np.round((times - _FRAME_S / 2) / _HOP_S).astype(int), 0, len(levels) - 1)
            voiced_by_frame[frame_idx[f0_all > 0]] = True
            speech = _energy_segments(levels, voiced_by_frame, cfg)
        speech = [(s, min(e, duration)) for s, e in speech if s < duration]
        speech_time = float(sum(e - s for s, e in speech))
        if speech and sound is None:
            sound, pitch = track(
                max(0.0, speech[0][0] - _SPAN_MARGIN_S), min(duration, speech[-1][1] + _SPAN_MARGIN_S)
            )

        frame_t = np.arange(len(levels)) * _HOP_S + _FRAME_S / 2
        in_speech = np.zeros(len(levels), dtype=bool)
        for s, e in speech:
            in_speech |= (frame_t >= s) & (frame_t < e)
        # Frames right next to speech carry its onsets/offsets; keep them out of the background estimate.
        near_speech = np.zeros(len(levels), dtype=bool)
        for s, e in speech:
            near_speech |= (frame_t >= s - 0.1) & (frame_t < e + 0.1)

        m: dict[str, Any] = {
            "analyzer": "uas_hf.acoustic_analyzer/1",
            "vad": self.vad_backend,
            "duration_s": _r(duration, 3),
            "peak_dbfs": _r(20 * math.log10(float(np.max(np.abs(x))) + _EPS), 1),
            "speech_segments": [[s, e] for s, e in speech],
            "speech_duration_s": _r(speech_time, 3),
            "speech_ratio": _r(speech_time / duration if duration else 0.0, 3),
            "has_speech": bool(speech_time > 0),
        }
        background_mask = ~near_speech
        m.update(self._background_and_events(x, sr, levels, background_mask, frame_t, in_speech))
        if speech:
            f0_all, strength_all = pitch.selected_array["frequency"], pitch.selected_array["strength"]
            pitch_times = pitch.xs()
            m.update(self._voice(x, sr, sound, pitch, f0_all, strength_all, pitch_times, speech, levels, in_speech))
            m.update(self._rate(sound, pitch_times, f0_all, speech, transcription))
            bg = m.get("background_level_dbfs")
            m["snr_db"] = _r(m["speech_level_dbfs"] - bg, 1) if bg is not None else None
        return m

    def _voice(self, x, sr, sound, pitch, f0_all, strength_all, pitch_times, speech, levels, in_speech):
        from parselmouth.praat import call

        in_seg = np.zeros(len(pitch_times), dtype=bool)
        for s, e in speech:
            in_seg |= (pitch_times >= s) & (pitch_times < e)
        voiced = in_seg & (f0_all > 0)
        out: dict[str, Any] = {"speech_level_dbfs": _r(_db_mean(levels[in_speech]), 1) if in_speech.any() else None}
        n_seg = int(in_seg.sum())
        out["voiced_fraction"] = _r(voiced.sum() / n_seg if n_seg else 0.0, 3)
        if voiced.sum() < 5:  # fewer than 50 ms of voicing: no reliable pitch
            out.update({"f0_median_hz": None, "f0_p10_hz": None, "f0_p90_hz": None, "f0_std_semitones": None})
            out.update({"hnr_db": None, "jitter_local": None, "shimmer_local": None})
            out.update({"f1_hz": None, "f2_hz": None, "f3_hz": None, "spectral_tilt_db": None})
            out["spectral_centroid_hz"] = None
            return out
        f0 = f0_all[voiced]
        med = float(np.median(f0))
        semitones = 12.0 * np.log2(f0 / med)
        # An AC contour spanning more than OCTAVE_DISAGREEMENT between its 10th and 90th percentiles is the mark of
        # octave errors; only then is the (costlier) SHS tracker asked for a second opinion.
        spread = float(np.percentile(f0, 90) / np.percentile(f0, 10))
        shs = self._shs_median(sound, speech) if spread > OCTAVE_DISAGREEMENT else None
        out["f0_median_ac_hz"] = _r(med, 1)
        out["f0_median_shs_hz"] = _r(shs, 1) if shs else None
        out["f0_median_hz"] = _r(_reconcile_f0(med, shs), 1)
        out["f0_p10_hz"] = _r(float(np.percentile(f0, 10)), 1)
        out["f0_p90_hz"] = _r(float(np.percentile(f0, 90)), 1)
        out["f0_std_semitones"] = _r(float(np.std(semitones)), 2)
        # Praat's harmonicity is 10*log10(r/(1-r)) of the normalised autocorrelation peak r its pitch tracker reports.
        r = np.clip(strength_all[voiced], 1e-4, 0.999)
        out["hnr_db"] = _r(float(np.mean(10 * np.log10(r / (1 - r)))), 1)
        try:
            points = call([sound, pitch], "To PointProcess (cc)")
            # Praat's standard arguments: whole range, period 0.1-20 ms, max period factor 1.3, max amplitude 1.6.
            jitter = call(points, "Get jitter (local)", 0, 0, 0.0001, 0.02, 1.3)
            shimmer = call([sound, points], "Get shimmer (local)", 0, 0, 0.0001, 0.02, 1.3, 1.6)
        except Exception:  # Praat refuses clips with too few periods
            jitter = shimmer = float("nan")
        out["jitter_local"] = _r(jitter, 4)
        out["shimmer_local"] = _r(shimmer, 4)
        out.update(self._formants(sound, sr, pitch_times[voiced]))
        speech_samples = np.concatenate([x[int(s * sr) : int(e * sr)] for s, e in speech])
        spec = _spectrum_stats(speech_samples, sr)
        out["spectral_tilt_db"] = spec["tilt_db"]
        out["spectral_centroid_hz"] = spec["centroid_hz"]
        out["gender_f0_threshold_hz"] = GENDER_F0_THRESHOLD_HZ
        return out

    def _shs_median(self, sound, speech) -> float | None:
        from parselmouth.praat import call

        cfg = self.config
        # Praat's standard SHS settings (max frequency component 1250 Hz, 15 subharmonics, compression 0.84).
        pitch = call(sound, "To Pitch (shs)", _HOP_S, cfg.pitch_floor, 15, 1250.0, 15, 0.84, cfg.pitch_ceiling, 48)
        f0, t = pitch.selected_array["frequency"], pitch.xs()
        keep = np.zeros(len(t), dtype=bool)
        for s, e in speech:
            keep |= (t >= s) & (t < e)
        keep &= f0 > 0
        return float(np.median(f0[keep])) if keep.sum() >= 5 else None

    def _formants(self, sound, sr, voiced_times):
        import parselmouth

        y = resample(sound.values[0].astype(np.float32), sr, _FORMANT_RATE)
        formant = parselmouth.Sound(
            y.astype(np.float64), sampling_frequency=_FORMANT_RATE, start_time=sound.xmin
        ).to_formant_burg(time_step=0.02, max_number_of_formants=5, maximum_formant=_FORMANT_RATE / 2)
        out = {}
        times = voiced_times[:: max(1, len(voiced_times) // 60)]  # ~60 voiced frames give a stable median
        for k in (1, 2, 3):
            vals = np.array([formant.get_value_at_time(k, t) for t in times], dtype=np.float64)
            vals = vals[np.isfinite(vals)]
            out[f"f{k}_hz"] = _r(float(np.median(vals)), 0) if vals.size else None
        return out

    def _rate(self, sound, pitch_times, f0_all, speech, transcription):
        """Syllable nuclei: voiced intensity peaks ≥ 2 dB above the dips around them (De Jong & Wempe 2009)."""
        intensity = sound.to_intensity(minimum_pitch=100.0, time_step=_HOP_S)
        values = intensity.values[0]
        times = intensity.xs()
        in_seg = np.zeros(len(times), dtype=bool)
        for s, e in speech:
            in_seg |= (times >= s) & (times < e)
        nuclei = 0
        if in_seg.any():
            threshold = float(np.median(values[in_seg])) - 2.0  # nuclei sit in the louder half of speech
            voiced_t = pitch_times[f0_all > 0]
            peaks = [i for i in range(1, len(values) - 1) if values[i] >= values[i - 1] and values[i] > values[i + 1]]
            last_kept = None
            for i in peaks:
                if not in_seg[i] or values[i] < threshold:
                    continue
                if voiced_t.size == 0 or np.min(np.abs(voiced_t - times[i])) > _HOP_S * 1.5:
                    continue
                if last_kept is not None and values[i] - values[last_kept : i + 1].min() < 2.0:
                    if values[i] > values[last_kept]:
                        last_kept = i  # same syllable, keep the higher peak
                    continue
                nuclei += 1
                last_kept = i
        # Speaking rate counts pauses between words: time from the first speech onset to the last offset.
        span = speech[-1][1] - speech[0][0]
        out = {
            "speech_span_s": _r(span, 3),
            "syllable_nuclei": nuclei,
            "syllables_per_s": _r(nuclei / span if span else 0.0, 2),
        }
        words = len(transcription.split()) if transcription else 0
        out["words"] = words
        out["words_per_s"] = _r(words / span, 2) if words and span else None
        return out

    def _background_and_events(self, x, sr, levels, background_mask, frame_t, in_speech):
        out: dict[str, Any] = {}
        candidates = levels[background_mask]
        if candidates.size < 5:  # speech from edge to edge: the quietest frames are the best floor estimate
            candidates = levels
        floor = float(np.percentile(candidates, 20))
        out["noise_floor_dbfs"] = _r(floor, 1)
        # Discrete segments: runs of frames outside speech rising EVENT_RISE_DB above the floor.
        active = background_mask & (levels > max(floor + EVENT_RISE_DB, SILENCE_DBFS))
        runs = []
        for s, e in _runs(active):
            if runs and s - runs[-1][1] <= 5:  # bridge dips of up to 50 ms inside one sound
                runs[-1] = (runs[-1][0], e)
            else:
                runs.append((s, e))
        events = []
        for s, e in runs:
            onset, offset = s * _HOP_S, min((e - 1) * _HOP_S + _FRAME_S, len(x) / sr)
            if offset - onset < 0.03:
                continue
            seg = x[int(onset * sr) : int(offset * sr)]
            spec = _spectrum_stats(seg, sr) if len(seg) >= 64 else {"centroid_hz": None, "flatness": None}
            peak = float(levels[s:e].max())
            events.append(
                {
                    "onset_s": _r(onset, 3),
                    "offset_s": _r(offset, 3),
                    "duration_s": _r(offset - onset, 3),
                    "peak_dbfs": _r(peak, 1),
                    "rise_db": _r(peak - floor, 1),
                    "centroid_hz": spec["centroid_hz"],
                    "flatness": spec["flatness"],
                }
            )
        events.sort(key=lambda ev: -ev["peak_dbfs"])
        out["events_dropped"] = max(0, len(events) - MAX_EVENTS)
        out["events"] = sorted(events[:MAX_EVENTS], key=lambda ev: ev["onset_s"])
        event_frames = np.zeros(len(levels), dtype=bool)
        for s, e in runs:
            event_frames[s:e] = True
        bg = background_mask & ~event_frames
        if bg.sum() < 10:  # under 100 ms of background: judge it from the quietest frames instead
            bg = levels <= np.percentile(levels, 20)
        bg_levels = levels[bg]
        level = _db_mean(bg_levels)
        out["background_level_dbfs"] = _r(level, 1)
        if level <= SILENCE_DBFS:
            out["background"] = None
            return out
        idx = np.flatnonzero(bg)
        hop = int(_HOP_S * sr)
        bg_samples = np.concatenate([x[i * hop : i * hop + hop] for i in idx]) if idx.size else x
        spec = _spectrum_stats(bg_samples, sr)
        iqr = float(np.percentile(bg_levels, 75) - np.percentile(bg_levels, 25))
        out["background"] = {
            "level_dbfs": _r(level, 1),
            "iqr_db": _r(iqr, 1),
            "steady": bool(iqr < STEADY_IQR_DB),
            "centroid_hz": spec["centroid_hz"],
            "flatness": spec["flatness"],
            "coverage": _r(float(bg.mean()), 3),
        }
        return out


# ---- Caption writing --------------------------------------------------------------------------------------------


def rate_class(m: dict[str, Any]) -> str | None:
    """`"slow"`, `"normal"` or `"fast"` from words/min (when a transcript exists) or syllables/s; `None` if no speech."""
    if m.get("words_per_s"):
        v, slow, fast = 60.0 * m["words_per_s"], SLOW_WPM, FAST_WPM
    elif m.get("syllables_per_s"):
        v, slow, fast = m["syllables_per_s"], SLOW_SYLLABLES_PER_S, FAST_SYLLABLES_PER_S
    else:
        return None
    return "slow" if v < slow else "fast" if v >= fast else "normal"


def gender_from_f0(f0_median_hz: float | None) -> str | None:
    """`"Male"` below [`GENDER_F0_THRESHOLD_HZ`], `"Female"` at or above it, `None` without a pitch estimate."""
    if f0_median_hz is None:
        return None
    return "Male" if f0_median_hz < GENDER_F0_THRESHOLD_HZ else "Female"


def pitch_variability_class(m: dict[str, Any]) -> str | None:
    st = m.get("f0_std_semitones")
    if st is None:
        return None
    return "flat" if st < FLAT_PITCH_ST else "lively" if st > LIVELY_PITCH_ST else "moderately varied"


def voice_quality(m: dict[str, Any]) -> dict[str, str | None]:
    """Breathiness/roughness from HNR and jitter, brightness from spectral tilt (no pitch or gender words)."""
    hnr, tilt, jitter = m.get("hnr_db"), m.get("spectral_tilt_db"), m.get("jitter_local")
    if hnr is None:
        clarity = None
    elif hnr < ROUGH_HNR_DB or (jitter is not None and jitter > 0.02):
        clarity = "rough, breathy"
    elif hnr < CLEAR_HNR_DB:
        clarity = "slightly breathy"
    else:
        clarity = "clear"
    if tilt is None:
        color = None
    else:
        color = "bright" if tilt > BRIGHT_TILT_DB else "dark, muffled" if tilt < DARK_TILT_DB else "balanced"
    return {"clarity": clarity, "color": color}


def describe_event(ev: dict[str, Any]) -> dict[str, str]:
    """Acoustic-shape label and characteristic of one segment (the analyzer cannot name what made it)."""
    dur, centroid, flat = ev["duration_s"], ev.get("centroid_hz"), ev.get("flatness")
    kind = "Impulsive sound" if dur < 0.25 else "Short sound" if dur < 1.0 else "Sustained sound"
    if centroid is None:
        pitch_word = ""
    elif centroid < 500:
        pitch_word = "low-pitched"
    elif centroid > 3000:
        pitch_word = "high-pitched"
    else:
        pitch_word = "mid-range"
    texture = "tonal" if flat is not None and flat < 0.1 else "noisy" if flat is not None and flat > 0.4 else ""
    loud = "loud" if ev["rise_db"] > 25 else "moderate" if ev["rise_db"] > 15 else "faint"
    parts = [p for p in (loud, pitch_word, texture) if p]
    return {"label": f"{kind} at {ev['onset_s']:.1f} s", "characteristic": f"{', '.join(parts)}, {dur:.2f} s"}


def describe_background(bg: dict[str, Any]) -> dict[str, str]:
    centroid, flat = bg.get("centroid_hz") or 0.0, bg.get("flatness") or 1.0
    if flat < 0.1:
        label = "Low-frequency hum" if centroid < 500 else "Tonal background sound"
    elif centroid < 500:
        label = "Low-frequency rumble"
    elif centroid > 3000:
        label = "High-frequency hiss"
    else:
        label = "Broadband background noise"
    steadiness = "steady" if bg.get("steady") else "fluctuating"
    level = bg["level_dbfs"]
    loudness = "quiet" if level < -45 else "moderate" if level < -25 else "loud"
    return {"label": label, "characteristic": f"{steadiness}, {loudness} (about {level:.0f} dBFS)"}


def write_caption(m: dict[str, Any]) -> str:
    """A factual caption of the measurements, ending with what the analyzer cannot determine."""
    s = [f"Offline acoustic analysis of a {m['duration_s']:.1f}-second clip."]
    if m["has_speech"]:
        segs = m["speech_segments"]
        s.append(
            f"Speech detected ({m['vad']}) in {len(segs)} segment{'s' if len(segs) > 1 else ''} from "
            f"{segs[0][0]:.2f} s to {segs[-1][1]:.2f} s, {100 * m['speech_ratio']:.0f}% of the clip."
        )
        if m.get("f0_median_hz") is not None:
            g = gender_from_f0(m["f0_median_hz"])
            s.append(
                f"Median fundamental frequency {m['f0_median_hz']:.0f} Hz (10th-90th percentile "
                f"{m['f0_p10_hz']:.0f}-{m['f0_p90_hz']:.0f} Hz), a pitch typical of a {g.lower()} voice "
                f"(threshold {GENDER_F0_THRESHOLD_HZ:.0f} Hz)."
            )
            s.append(
                f"Pitch variability {m['f0_std_semitones']:.1f} semitones ({pitch_variability_class(m)} intonation)."
            )
            q = voice_quality(m)
            s.append(
                f"Harmonics-to-noise ratio {m['hnr_db']:.1f} dB ({q['clarity']} voice); spectral tilt "
                f"{m['spectral_tilt_db']:.1f} dB ({q['color']})"
                + (f"; formants F1 {m['f1_hz']:.0f} Hz, F2 {m['f2_hz']:.0f} Hz." if m.get("f2_hz") else ".")
            )
        else:
            s.append("Too little voicing to measure pitch or voice quality.")
        rc = rate_class(m)
        if m.get("words_per_s"):
            s.append(f"Speaking rate about {60 * m['words_per_s']:.0f} words per minute ({rc}).")
        elif rc:
            s.append(f"Speaking rate about {m['syllables_per_s']:.1f} syllables per second ({rc}).")
        if m.get("snr_db") is not None:
            s.append(f"Speech level {m['speech_level_dbfs']:.0f} dBFS, estimated SNR {m['snr_db']:.0f} dB.")
    else:
        s.append("No speech detected.")
    bg = m.get("background")
    if bg:
        d = describe_background(bg)
        s.append(f"Background: {d['label'].lower()}, {d['characteristic']}.")
    else:
        s.append("Background: near silence.")
    if m["events"]:
        parts = [f"{ev['onset_s']:.2f}-{ev['offset_s']:.2f} s (+{ev['rise_db']:.0f} dB)" for ev in m["events"]]
        s.append(f"Distinct non-speech sounds at {', '.join(parts)}.")
    else:
        s.append("No distinct non-speech sounds outside speech.")
    s.append(
        "Not determinable from these measurements: emotion, accent, age, speaker identity, and what produced "
        "each sound; sounds that overlap speech are not separated."
    )
    return " ".join(s)


class AcousticAnalyzerCaptioner(Captioner):
    """Stage-1 default: [`AcousticAnalyzer`] measurements + a factual caption, fully offline.

    Args:
        config ([`AnalyzerConfig`], *optional*): Analyzer settings.

    Example:

    ```python
    >>> import numpy as np
    >>> captioner = AcousticAnalyzerCaptioner(AnalyzerConfig(vad="energy"))
    >>> sample = AudioSample("x", np.zeros(16000, dtype=np.float32), 16000, None)
    >>> captioner.caption([sample])[0].measurements["has_speech"]
    False

    ```
    """

    name = "analyzer"
    provides_measurements = True

    def __init__(self, config: AnalyzerConfig | None = None, **kwargs):
        self.analyzer = AcousticAnalyzer(config or AnalyzerConfig(**kwargs))

    def caption(self, samples: list[AudioSample]) -> list[Caption | BackendError]:
        if not samples:
            return []
        rates = {s.sampling_rate for s in samples}
        by_index: dict[int, Caption | BackendError] = {}
        for sr in sorted(rates):  # the runner sends one rate; group anyway so direct callers may mix
            idx = [i for i, s in enumerate(samples) if s.sampling_rate == sr]
            try:
                ms = self.analyzer.analyze(
                    [samples[i].array for i in idx], sr, [samples[i].transcription for i in idx]
                )
            except Exception as e:  # e.g. Praat refusing a pathological clip: isolate it
                if len(idx) == 1:
                    by_index[idx[0]] = BackendError("analyzer.error", f"{type(e).__name__}: {e}")
                    continue
                for i in idx:
                    by_index[i] = self.caption([samples[i]])[0]
                continue
            for i, m in zip(idx, ms, strict=True):
                by_index[i] = Caption(text=write_caption(m), measurements=m)
        return [by_index[i] for i in range(len(samples))]

    def provenance(self) -> dict[str, Any]:
        import importlib.metadata as md

        def version(dist):
            try:
                return md.version(dist)
            except md.PackageNotFoundError:
                return None

        tools = [{"name": "praat-parselmouth", "version": version("praat-parselmouth"), "license": "GPL-3.0"}]
        if self.analyzer.vad_backend == "silero-vad":
            tools.append({"name": "silero-vad", "version": version("silero-vad"), "license": "MIT"})
        return {
            "stage": "caption",
            "backend": self.name,
            "description": "offline acoustic analyzer (measurements, no learned labels)",
            "vad": self.analyzer.vad_backend,
            "config": asdict(self.analyzer.config),
            "tools": tools,
            "gender_f0_threshold_hz": GENDER_F0_THRESHOLD_HZ,
        }
