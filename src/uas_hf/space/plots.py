"""Matplotlib figures of the Space (Agg backend, no display): the clip's spectrogram with pitch and an event
timeline, and the audit's per-field accuracy with Wilson intervals."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib


matplotlib.use("Agg")  # the Space renders figures on a server without a display

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure

from .audit import FIELD_LABELS, FieldAccuracy


# Spectrogram analysis: 25 ms windows, 10 ms hop (the usual speech-analysis frame).
_WIN_S, _HOP_S = 0.025, 0.010
_DB_RANGE = 80.0  # dynamic range shown below the clip's loudest bin
_PITCH_FLOOR_HZ, _PITCH_CEILING_HZ = 60.0, 500.0
_MAX_FREQ_HZ = 8000.0
_TIME_IN_LABEL = re.compile(r"\bat\s+(\d+(?:\.\d+)?)\s*s\b")
COLORS = {"speech": "#6366f1", "discrete": "#f59e0b", "continuous": "#10b981"}
PITCH_COLOR, PITCH_TEXT_COLOR = "#22d3ee", "#0e7490"
_MIN_BAR_FRACTION = 0.012  # very short events still get a visible bar (1.2 % of the clip)


@dataclass(frozen=True)
class Span:
    """One row of the timeline: ``kind`` is ``speech`` | ``discrete`` | ``continuous``; times in seconds."""

    kind: str
    label: str
    start: float
    end: float
    timed: bool = True


def pitch_track(array: np.ndarray, sampling_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """F0 in Hz per 10 ms frame (NaN where unvoiced) via Praat's autocorrelation tracker, if parselmouth exists."""
    try:
        import parselmouth
    except ImportError:
        return np.zeros(0), np.zeros(0)
    sound = parselmouth.Sound(array.astype(np.float64), sampling_frequency=sampling_rate)
    # Costlier octave jumps and a stricter voicing threshold than Praat's defaults: fewer spurious octave errors in
    # the drawn contour when speech sits over a background.
    pitch = sound.to_pitch_ac(
        time_step=_HOP_S,
        pitch_floor=_PITCH_FLOOR_HZ,
        pitch_ceiling=_PITCH_CEILING_HZ,
        voicing_threshold=0.5,
        octave_jump_cost=0.6,
    )
    f0 = pitch.selected_array["frequency"].astype(float)
    f0[f0 <= 0] = np.nan
    return pitch.xs(), f0


def timeline_spans(
    uas: Mapping[str, Any] | None, measurements: Mapping[str, Any] | None, duration: float
) -> list[Span]:
    """Place the UAS content on a time axis.

    Speech and discrete events take their times from the analyzer's measurements (``speech_segments``,
    ``events[].onset_s/offset_s``) or from an "at N s" in the event label; continuous events span the clip. An
    event whose time is unknown (a model's output carries none) is drawn as an untimed, hatched full-width bar.
    """
    spans: list[Span] = []
    measurements = measurements or {}
    for segment in measurements.get("speech_segments") or []:
        spans.append(Span("speech", "Speech", float(segment[0]), float(segment[1])))
    if not spans and uas and uas.get("transcription"):
        spans.append(Span("speech", "Speech", 0.0, duration, timed=False))
    events = (uas or {}).get("nonLinguisticEvents") or {}
    measured = [e for e in measurements.get("events") or [] if "onset_s" in e]
    for event in events.get("discreteEvents") or []:
        label = str(event.get("label", "event"))
        match = _TIME_IN_LABEL.search(label)
        if match:
            onset = float(match.group(1))
            # The analyzer rounds onsets in labels to 0.1 s: recover the segment's offset from its measurements.
            near = min(measured, key=lambda e: abs(e["onset_s"] - onset), default=None)
            if near is not None and abs(near["onset_s"] - onset) <= 0.06:
                spans.append(Span("discrete", label, float(near["onset_s"]), float(near["offset_s"])))
            else:
                spans.append(Span("discrete", label, onset, min(duration, onset + 0.2)))
        else:
            spans.append(Span("discrete", label, 0.0, duration, timed=False))
    for event in events.get("continuousEvents") or []:
        spans.append(Span("continuous", str(event.get("label", "background")), 0.0, duration))
    return spans


def clip_figure(
    array: np.ndarray,
    sampling_rate: int,
    uas: Mapping[str, Any] | None = None,
    measurements: Mapping[str, Any] | None = None,
) -> Figure:
    """Spectrogram with the pitch contour (top) and the UAS events on a timeline (bottom), sharing the time axis."""
    duration = len(array) / sampling_rate
    spans = timeline_spans(uas, measurements, duration)
    rows = list(dict.fromkeys((s.kind, s.label) for s in spans))
    fig = plt.figure(figsize=(10, 3.2 + 0.32 * max(1, len(rows))), dpi=100, layout="constrained")
    grid = fig.add_gridspec(2, 1, height_ratios=[3.0, 0.55 + 0.32 * max(1, len(rows))])
    ax = fig.add_subplot(grid[0])
    _draw_spectrogram(ax, array, sampling_rate)
    times, f0 = pitch_track(array, sampling_rate)
    if np.isfinite(f0).any():
        pitch_ax = ax.twinx()
        outline = [patheffects.withStroke(linewidth=4, foreground="#0f172a")]  # readable over bright and dark bins
        pitch_ax.plot(times, f0, color=PITCH_COLOR, lw=2.2, label="Pitch (F0)", path_effects=outline)
        pitch_ax.set_ylim(0, _PITCH_CEILING_HZ)
        pitch_ax.set_ylabel("F0 (Hz)", color=PITCH_TEXT_COLOR)
        pitch_ax.tick_params(axis="y", colors=PITCH_TEXT_COLOR)
        pitch_ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    ax.set_xlim(0, duration)
    ax.set_title("Spectrogram, pitch contour and UAS events", fontsize=11, loc="left")
    ax.tick_params(labelbottom=False)

    tl = fig.add_subplot(grid[1], sharex=ax)
    _draw_timeline(tl, spans, rows, duration)
    return fig


def _draw_spectrogram(ax, array: np.ndarray, sampling_rate: int) -> None:
    from scipy.signal import spectrogram

    nperseg = max(16, int(_WIN_S * sampling_rate))
    hop = max(1, int(_HOP_S * sampling_rate))
    freqs, times, power = spectrogram(
        array, fs=sampling_rate, nperseg=nperseg, noverlap=nperseg - hop, window="hann", mode="psd"
    )
    db = 10 * np.log10(power + 1e-12)
    vmax = float(db.max()) if db.size else 0.0
    top = min(_MAX_FREQ_HZ, sampling_rate / 2)
    keep = freqs <= top
    ax.pcolormesh(times, freqs[keep], db[keep], shading="auto", cmap="magma", vmin=vmax - _DB_RANGE, vmax=vmax)
    ax.set_ylabel("Frequency (Hz)")
    ax.set_ylim(0, top)


def _draw_timeline(ax, spans: Sequence[Span], rows: list[tuple[str, str]], duration: float) -> None:
    ax.set_ylim(-0.5, max(1, len(rows)) - 0.5)
    ax.invert_yaxis()
    ax.set_xlim(0, duration)
    ax.set_xlabel("Time (s)")
    ax.grid(axis="x", color="#cbd5e1", lw=0.6)
    ax.set_axisbelow(True)
    if not rows:
        ax.set_yticks([])
        ax.text(duration / 2, 0, "no speech or events found", ha="center", va="center", color="#64748b")
        return
    for span in spans:
        y = rows.index((span.kind, span.label))
        width = max(span.end - span.start, _MIN_BAR_FRACTION * duration)
        ax.barh(
            y,
            width,
            left=span.start,
            height=0.62,
            color=COLORS[span.kind],
            alpha=0.9 if span.timed else 0.25,
            hatch=None if span.timed else "//",
            edgecolor=COLORS[span.kind],
        )
    labels = [label if len(label) <= 32 else label[:31] + "…" for _, label in rows]
    ax.set_yticks(range(len(rows)), labels, fontsize=8.5)
    for tick, (kind, _) in zip(ax.get_yticklabels(), rows):
        tick.set_color(COLORS[kind] if kind != "speech" else "#4338ca")


def audit_figure(results: Sequence[FieldAccuracy]) -> Figure:
    """Per-field accuracy (%) with Wilson 95 % intervals as error bars, the paper's Table 4 as a plot."""
    shown = [r for r in results if r.n]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(4, len(results)) + 1.0), dpi=100, layout="constrained")
    names = [FIELD_LABELS.get(r.field, r.field) for r in results]
    if not shown:
        ax.text(50, (len(results) - 1) / 2, "no audited clips yet", ha="center", va="center", color="#64748b")
    for i, r in enumerate(results):
        if not r.n:
            continue
        lo, hi = r.ci
        acc = 100 * r.accuracy
        ax.barh(i, acc, color="#818cf8", height=0.6)
        ax.errorbar(acc, i, xerr=[[acc - 100 * lo], [100 * hi - acc]], fmt="none", ecolor="#1e1b4b", capsize=4)
        ax.text(100 * hi + 1.5, i, f"{acc:.1f}% (n={r.n})", va="center", fontsize=8.5)  # right of the CI
    ax.set_yticks(range(len(results)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 122)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("Accuracy (%) with Wilson 95 % CI")
    ax.set_title("Human verification (paper App. A)", fontsize=11, loc="left")
    ax.grid(axis="x", color="#e2e8f0")
    ax.set_axisbelow(True)
    return fig
