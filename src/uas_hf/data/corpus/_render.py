"""Rendering one planned clip: synthesize, measure the dry speech, mix at the planned levels, write the WAV, and
return its metadata row with the ground-truth UAS record (runs in worker processes)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ._audio import (
    SAMPLE_RATE,
    active_level_db,
    fade,
    loop_to_length,
    median_f0,
    resample,
    rms_db,
    to_pcm16,
    trim,
)
from ._plan import CHILD_SPEEDUP
from ._sources import prepared_path
from ._voices import synthesize


MAX_EVENT_S = 2.5  # longer event recordings contribute a random 2.5-s window
EVENT_EDGE_S = 0.1  # events start and end at least this far from the clip edges
EVENT_GAP_S = 0.25  # minimum silence between two events, so their order is well defined
PEAK_LIMIT = 0.89  # -1 dBFS: a mix that would exceed it is scaled down as a whole (all levels shift together)

# Label thresholds on the constructed (measured) values. Speaking rate is words per minute of the active speech
# span (first to last voiced sound), which reads higher than conversational rates that include pauses.
RATE_THRESHOLDS_WPM = (160.0, 235.0)  # slow < 160 <= normal < 235 <= fast
PITCH_THRESHOLDS_HZ = {"Male": (90.0, 121.0), "Female": (180.0, 230.0)}  # low < a <= medium < b <= high
LOUDNESS_THRESHOLDS_DB = (-33.0, -23.5)  # quiet < -33 <= normal < -23.5 <= loud (active speech level, dBFS)


def classify(value: float | None, thresholds: tuple[float, float], names: tuple[str, str, str]) -> str | None:
    if value is None:
        return None
    return names[0] if value < thresholds[0] else names[1] if value < thresholds[1] else names[2]


def _level_word(level_db: float) -> str:
    return "loud" if level_db >= -20.0 else "moderate" if level_db >= -30.0 else "faint"


def _duration_word(seconds: float) -> str:
    return "Brief" if seconds < 0.5 else "Short" if seconds < 1.5 else "Sustained"


def _noise(color: str, n: int, seed: list[int]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(n)
    if color == "white":
        return white.astype(np.float32)
    spectrum = np.fft.rfft(white)
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    spectrum /= np.sqrt(f) if color == "pink" else f  # pink: 1/f power, brown: 1/f^2 power
    return np.fft.irfft(spectrum, n).astype(np.float32)


def _gain_to(x: np.ndarray, current_db: float, target_db: float) -> np.ndarray:
    return (x * np.float32(10 ** ((target_db - current_db) / 20))).astype(np.float32)


class Renderer:
    """Holds the worker's cache of prepared recordings; ``render(spec)`` writes one clip and returns its row."""

    def __init__(self, cache_dir: str, out_dir: str, tmp_dir: str):
        self._cache_path, self.out_dir, self.tmp_dir = Path(cache_dir), out_dir, tmp_dir

    def _recording(self, rec_id: str) -> np.ndarray:
        return np.load(prepared_path(self._cache_path, rec_id), mmap_mode="r")

    def _speech(self, s: dict) -> tuple[np.ndarray, dict]:
        params = dict(s["params"])
        if params["engine"] == "recorded":
            params["path"] = str(prepared_path(self._cache_path, params["recording"]))
        dry = synthesize(params, s["text"], self.tmp_dir)
        if s["child_proxy"]:
            dry = resample(dry, round(SAMPLE_RATE * CHILD_SPEEDUP), SAMPLE_RATE)  # shorter => higher pitch+formants
        speech = trim(np.asarray(dry, dtype=np.float32))
        seconds = len(speech) / SAMPLE_RATE
        n_words = len(s["text"].split())
        wpm = n_words / seconds * 60.0
        f0 = median_f0(speech)
        level = active_level_db(speech)
        speech = _gain_to(speech, level, s["level_db"])
        return speech, {"seconds": seconds, "wpm": wpm, "f0": f0}

    def render(self, spec: dict) -> dict:
        sr = SAMPLE_RATE
        s = spec.get("speech")
        speech_level = None
        if s is not None:
            speech, measured = self._speech(s)
            speech_level = s["level_db"]
            duration = s["pad_before"] + measured["seconds"] + s["pad_after"]
        else:
            duration = spec["duration"]

        # events: cut, level, and place in planned order with planned random spacing
        events = []
        for ev in spec["events"]:
            x = self._recording(ev["recording"])
            max_len = int(MAX_EVENT_S * sr)
            if len(x) > max_len:
                start = int(ev["u_window"] * (len(x) - max_len))
                x = fade(np.array(x[start : start + max_len]), sr, 0.03)
            else:
                x = fade(np.array(x), sr, 0.005)
            target = speech_level + ev["rel_db"] if speech_level is not None else ev["level_db"]
            events.append((ev, _gain_to(x, active_level_db(x), target), target))
        if events:
            needed = sum(len(x) for _, x, _ in events) / sr + EVENT_GAP_S * (len(events) - 1) + 2 * EVENT_EDGE_S
            duration = max(duration, needed)
        n = int(round(duration * sr))
        mix = np.zeros(n, dtype=np.float32)
        speech_onset = speech_offset = None
        if s is not None:
            start = int(round(s["pad_before"] * sr))
            speech_onset, speech_offset = start / sr, (start + len(speech)) / sr
            mix[start : start + len(speech)] += speech
        placed = []
        if events:
            free = n / sr - needed
            weights = np.asarray(spec["event_gaps"], dtype=np.float64) + 1e-3
            gaps = free * weights / weights.sum()
            t = EVENT_EDGE_S + gaps[0]
            for i, (ev, x, level) in enumerate(events):
                start = int(round(t * sr))
                end = min(n, start + len(x))
                mix[start:end] += x[: end - start]
                placed.append((ev, start / sr, end / sr, level))
                t = end / sr + EVENT_GAP_S + gaps[i + 1]

        bg = spec.get("background")
        bg_level = None
        if bg is not None:
            if bg["recording"].startswith("synthetic:"):
                x = _noise(bg["color"], n, spec["noise_seed"])
            else:
                src = self._recording(bg["recording"])
                start = int(bg["u_start"] * max(0, len(src) - n)) if len(src) > n else int(bg["u_start"] * len(src))
                x = loop_to_length(np.asarray(src), n, start, sr)
            x = fade(x, sr, 0.02)
            bg_level = speech_level - bg["snr_db"] if speech_level is not None else bg["level_db"]
            mix += _gain_to(x, rms_db(x), bg_level)

        # one gain for the whole mix if it would clip: SNRs and relative levels stay exact
        peak = float(np.max(np.abs(mix))) if n else 0.0
        shift_db = 0.0
        if peak > PEAK_LIMIT:
            shift_db = 20 * np.log10(PEAK_LIMIT / peak)
            mix *= np.float32(PEAK_LIMIT / peak)
        split_dir = os.path.join(self.out_dir, spec["split"])
        file_name = f"{spec['id']}.wav"
        import soundfile as sf

        sf.write(os.path.join(split_dir, file_name), to_pcm16(mix), sr, subtype="PCM_16")

        row = {"file_name": file_name, "id": spec["id"], "clip_type": spec["clip_type"], "duration": round(n / sr, 3)}
        if s is not None:
            loud_db = speech_level + shift_db
            gender = s["gender"]
            row.update(
                transcription=s["text"],
                sentence_id=s["sentence_id"],
                has_speech=True,
                voice=s["voice"],
                voice_engine=s["engine"],
                speaker=s["speaker"],
                gender=gender,
                age_group=s["age"],
                age_is_proxy=bool(s["age_proxy"]),
                age_source=s["age_source"],
                accent=s["accent"],
                accent_code=s["accent_code"],
                speaking_rate_wpm=round(measured["wpm"], 1),
                speaking_rate=classify(measured["wpm"], RATE_THRESHOLDS_WPM, ("slow", "normal", "fast")),
                pitch_hz=None if measured["f0"] is None else round(measured["f0"], 1),
                pitch=classify(measured["f0"], PITCH_THRESHOLDS_HZ[gender], ("low", "medium", "high")),
                loudness_db=round(loud_db, 1),
                loudness=classify(loud_db, LOUDNESS_THRESHOLDS_DB, ("quiet", "normal", "loud")),
                speech_onset=round(speech_onset, 3),
                speech_offset=round(speech_offset, 3),
            )
        else:
            row.update(
                transcription=None,
                sentence_id=None,
                has_speech=False,
                **dict.fromkeys(
                    [
                        "voice",
                        "voice_engine",
                        "speaker",
                        "gender",
                        "age_group",
                        "age_is_proxy",
                        "age_source",
                        "accent",
                        "accent_code",
                        "speaking_rate_wpm",
                        "speaking_rate",
                        "pitch_hz",
                        "pitch",
                        "loudness_db",
                        "loudness",
                        "speech_onset",
                        "speech_offset",
                    ]
                ),  # fmt: skip
            )
        row["events"] = [
            {
                "label": ev["label"],
                "event_class": ev["class"],
                "onset": round(on, 3),
                "offset": round(off, 3),
                "level_db": round(level + shift_db, 1),
                "source": ev["recording"],
            }
            for ev, on, off, level in placed
        ]
        row["event_labels"] = [e["label"] for e in row["events"]]
        row["event_sources"] = [e["source"] for e in row["events"]]
        row.update(
            background=bg["label"] if bg else None,
            background_class=bg["class"] if bg else None,
            background_source=bg["recording"] if bg else None,
            background_level_db=round(bg_level + shift_db, 1) if bg else None,
            snr_db=round(bg["snr_db"], 1) if bg and "snr_db" in bg else None,
            license=spec["license"],
        )
        row["uas"] = uas_json(row)
        return row


def uas_record_dict(row: dict) -> dict:
    """The construction truth of a row as a UAS dict with the paper's keys (emotion is never constructed: null)."""
    if row["has_speech"]:
        parts = [f"{row['speaking_rate'].capitalize()} pace (about {row['speaking_rate_wpm']:.0f} words per minute)"]
        if row["pitch"] is not None:
            # the class is relative to adult voices of the speaker's gender (see PITCH_THRESHOLDS_HZ)
            parts.append(f"{row['pitch']} pitch for a {row['gender'].lower()} voice (about {row['pitch_hz']:.0f} Hz)")
        parts.append(f"{row['loudness']} volume")
        prosody = ", ".join(parts) + "."
        timbre = _timbre(row)
        para = {
            "age": row["age_group"],
            "gender": row["gender"],
            "emotion": None,
            "accent": row["accent"],
            "prosody": prosody,
            "timbre": timbre,
        }
    else:
        para = dict.fromkeys(["age", "gender", "emotion", "accent", "prosody", "timbre"])
    discrete = [
        {
            "label": e["label"],
            "characteristic": f"{_duration_word(e['offset'] - e['onset'])}, {_level_word(e['level_db'])}",
        }
        for e in row["events"]
    ]
    continuous = []
    if row["background"] is not None:
        if row["snr_db"] is not None:
            snr = row["snr_db"]
            level = "faint" if snr >= 15 else "moderate" if snr >= 8 else "prominent"
        else:
            level = _level_word(row["background_level_db"])
        continuous.append({"label": row["background"], "characteristic": f"Steady, {level}"})
    return {
        "transcription": row["transcription"],
        "paralinguistics": para,
        "nonLinguisticEvents": {
            "description": _description(row),
            "discreteEvents": discrete,
            "continuousEvents": continuous,
        },
    }


def _timbre(row: dict) -> str:
    from ._inventory import ESPEAK_VARIANTS, FIXED_VOICES

    if row["voice_engine"] == "espeak-ng":
        variant = row["voice"].rsplit(":", 1)[1]
        base = next(v.timbre for v in ESPEAK_VARIANTS if v.name == variant)
    else:
        base = next(v.timbre for v in FIXED_VOICES if v.voice == row["voice"])
    if row["age_group"] == "Child" and row["age_is_proxy"]:
        return base + "; thin and bright, child-like (pitch and formants raised)"
    return base


def _description(row: dict) -> str:
    labels = [e["label"].lower() for e in sorted(row["events"], key=lambda e: e["onset"])]
    events = " followed by ".join(labels)
    bg = row["background"].lower() if row["background"] else None
    if row["has_speech"]:
        text = f"One {row['gender'].lower()} speaker"
        text += f" over {bg}" if bg else " with no background sound"
        if events:
            text += f", with {events}"
        return text + "."
    if bg:
        return f"No speech: {bg} throughout" + (f", with {events}." if events else ".")
    return f"No speech: {events} in an otherwise silent recording."


def uas_json(row: dict) -> str:
    """Canonical JSON of the row's ground-truth UAS record (checked by the schema's strict constructor)."""
    from ...schema import UASRecord, to_canonical_json

    return to_canonical_json(UASRecord.from_dict(uas_record_dict(row)))


_RENDERER: Renderer | None = None


def init_worker(cache_dir: str, out_dir: str, tmp_dir: str) -> None:
    global _RENDERER
    _RENDERER = Renderer(cache_dir, out_dir, tmp_dir)


def render_in_worker(spec: dict) -> dict:
    return _RENDERER.render(spec)
