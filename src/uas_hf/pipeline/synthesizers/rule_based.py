"""Stage-2 default: map the offline analyzer's measurements to UAS fields with fixed, documented rules.

What the measurements support, and only that:

| UAS field | rule |
|---|---|
| `transcription` | the source transcript, verbatim (`None` when the source says there is no speech) |
| `gender` | median F0 against `GENDER_F0_THRESHOLD_HZ` (165 Hz); `None` without a pitch estimate |
| `age`, `emotion`, `accent` | `None`: no offline measurement supports them, and a default such as `"Neutral"` or `"Adult"` would be indistinguishable from a judgement |
| `prosody` | speaking-rate class (words/s or syllables/s) + F0 variability class + pause count |
| `timbre` | clarity from HNR / jitter + brightness from spectral tilt (never pitch or gender words, so Stage 3's gender-timbre check sees no contradiction by construction) |
| `description` | speech / background / discrete-sound summary |
| `discreteEvents` | one per onset-delimited segment outside speech (the loudest `EVENTS_BASE` + 1 per second), labelled by acoustic shape with its onset time (unique) |
| `continuousEvents` | the background, when one is above `SILENCE_DBFS` |
"""

from __future__ import annotations

from typing import Any

from ..base import AudioSample, BackendError, Caption, Synthesizer
from ..captioners.analyzer import (
    describe_background,
    describe_event,
    gender_from_f0,
    pitch_variability_class,
    rate_class,
    voice_quality,
)


#: Discrete events reported: at most this many plus one per second of audio (the loudest, in time order).
EVENTS_BASE = 1
_RATE_WORDS = {"slow": "Slow", "normal": "Moderate", "fast": "Fast"}


def _prosody(m: dict[str, Any]) -> str | None:
    parts = []
    rc = rate_class(m)
    if rc:
        if m.get("words_per_s"):
            parts.append(f"{_RATE_WORDS[rc]} pace (about {60 * m['words_per_s']:.0f} words per minute)")
        else:
            parts.append(f"{_RATE_WORDS[rc]} pace (about {m['syllables_per_s']:.1f} syllables per second)")
    pv = pitch_variability_class(m)
    if pv:
        parts.append(f"{pv} intonation")
    pauses = max(0, len(m.get("speech_segments") or []) - 1)
    if m.get("has_speech"):
        parts.append("continuous delivery" if pauses == 0 else f"{pauses} pause{'s' if pauses > 1 else ''}")
    if not parts:
        return None
    text = ", ".join(parts)
    return text[0].upper() + text[1:]


def _timbre(m: dict[str, Any]) -> str | None:
    q = voice_quality(m)
    parts = [p for p in (q["clarity"], q["color"]) if p]
    if not parts:
        return None
    text = " and ".join(parts)
    return text[0].upper() + text[1:]


def _description(m: dict[str, Any], has_speech: bool, discrete: list, continuous: list) -> str:
    if has_speech:
        head = "Speech"
        if m.get("snr_db") is not None and continuous:
            head += f" over {continuous[0]['label'].lower()} (SNR about {m['snr_db']:.0f} dB)"
        elif continuous:
            head += f" over {continuous[0]['label'].lower()}"
        else:
            head += " in a quiet setting"
    elif continuous:
        head = f"No speech; {continuous[0]['label'].lower()}"
    else:
        head = "No speech; near silence"
    if discrete:
        head += f", with {len(discrete)} distinct non-speech sound{'s' if len(discrete) > 1 else ''}"
    return head + "."


def measurements_to_uas(transcription: str | None, m: dict[str, Any]) -> dict[str, Any]:
    """Build a raw UAS dict (paper keys) from one analyzer measurements dict and the source transcript.

    Example:

    ```python
    >>> m = {"has_speech": False, "events": [], "background": None, "speech_segments": []}
    >>> measurements_to_uas(None, m)["nonLinguisticEvents"]["description"]
    'No speech; near silence.'

    ```
    """
    has_speech = transcription is not None
    events = m.get("events") or []
    budget = int(m.get("duration_s") or 0) + EVENTS_BASE
    if len(events) > budget:  # keep the loudest, in time order: distinct sounds need time to be audible
        events = sorted(sorted(events, key=lambda ev: -ev["peak_dbfs"])[:budget], key=lambda ev: ev["onset_s"])
    discrete = [describe_event(ev) for ev in events]
    continuous = [describe_background(m["background"])] if m.get("background") else []
    if has_speech:
        para = {
            "age": None,
            "gender": gender_from_f0(m.get("f0_median_hz")),
            "emotion": None,
            "accent": None,
            "prosody": _prosody(m),
            "timbre": _timbre(m),
        }
    else:
        para = dict.fromkeys(("age", "gender", "emotion", "accent", "prosody", "timbre"))
    return {
        "transcription": transcription,
        "paralinguistics": para,
        "nonLinguisticEvents": {
            "description": _description(m, has_speech, discrete, continuous),
            "discreteEvents": discrete,
            "continuousEvents": continuous,
        },
    }


class RuleBasedSynthesizer(Synthesizer):
    """Deterministic Stage-2 synthesizer over [`AcousticAnalyzerCaptioner`] measurements (see the module table).

    Example:

    ```python
    >>> import numpy as np
    >>> from uas_hf.pipeline import AudioSample, Caption
    >>> m = {"has_speech": False, "events": [], "background": None, "speech_segments": []}
    >>> s = AudioSample("x", np.zeros(160, dtype=np.float32), 16000, None)
    >>> RuleBasedSynthesizer().synthesize([s], [Caption("...", m)])[0]["transcription"] is None
    True

    ```
    """

    name = "rules"
    requires_measurements = True

    def synthesize(self, samples: list[AudioSample], captions: list[Caption]) -> list[dict | BackendError]:
        out: list[dict | BackendError] = []
        for sample, caption in zip(samples, captions, strict=True):
            if not caption.measurements:
                out.append(
                    BackendError(
                        "synthesis.no_measurements",
                        "the rules synthesizer needs the offline analyzer's measurements; this caption has none",
                    )
                )
                continue
            out.append(measurements_to_uas(sample.transcription, caption.measurements))
        return out

    def provenance(self) -> dict[str, Any]:
        from ..captioners.analyzer import GENDER_F0_THRESHOLD_HZ

        return {
            "stage": "synthesis",
            "backend": self.name,
            "description": "deterministic rules from analyzer measurements; age, emotion and accent left null",
            "gender_f0_threshold_hz": GENDER_F0_THRESHOLD_HZ,
        }
