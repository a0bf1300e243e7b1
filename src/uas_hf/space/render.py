"""HTML views of a UAS for people: labelled values, event lists, status boxes. Every value is HTML-escaped."""

import html
from collections.abc import Mapping
from typing import Any

from .audit import FIELD_LABELS


PARALINGUISTIC_FIELDS = ("age", "gender", "emotion", "accent", "prosody", "timbre")
_EMPTY = '<span class="uas-null" title="not determined">—</span>'


def field_value(uas: Mapping[str, Any] | None, name: str) -> Any:
    """The value of a UAS field by its targeted name (``"age"``, ``"discreteEvents"``, ...)."""
    uas = uas or {}
    if name == "transcription":
        return uas.get("transcription")
    if name in PARALINGUISTIC_FIELDS:
        return (uas.get("paralinguistics") or {}).get(name)
    return (uas.get("nonLinguisticEvents") or {}).get(name)


def field_text(uas: Mapping[str, Any] | None, name: str) -> str:
    """A field as one line of plain text (events as ``label (characteristic); ...``; empty as ``—``)."""
    value = field_value(uas, name)
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list):
        return "; ".join(
            f"{e.get('label', '?')} ({e.get('characteristic', '')})" if isinstance(e, Mapping) else str(e)
            for e in value
        )
    return str(value)


def _value_html(value: Any) -> str:
    return _EMPTY if value is None or value == "" else html.escape(str(value))


def _events_html(events: Any, kind: str) -> str:
    if not events:
        return f'<li class="uas-none">no {kind} events</li>'
    items = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        label = html.escape(str(event.get("label", "")))
        characteristic = html.escape(str(event.get("characteristic", "")))
        items.append(f'<li class="uas-ev uas-{kind}"><b>{label}</b><span>{characteristic}</span></li>')
    return "".join(items)


def uas_html(uas: Mapping[str, Any] | None, *, backend: str = "", empty_message: str | None = None) -> str:
    """The holistic UAS as a card: transcription, a grid of paralinguistic values, then the events."""
    if not uas:
        text = html.escape(empty_message) if empty_message else "Upload or record a clip, then press <b>Analyze</b>."
        return f'<div class="uas-card uas-empty">{text}</div>'
    para = uas.get("paralinguistics") or {}
    events = uas.get("nonLinguisticEvents") or {}
    transcription = uas.get("transcription")
    cells = "".join(
        f'<div class="uas-cell"><div class="uas-key">{FIELD_LABELS[name]}</div>'
        f'<div class="uas-val">{_value_html(para.get(name))}</div></div>'
        for name in PARALINGUISTIC_FIELDS
    )
    speech = (
        f'<blockquote class="uas-transcript">{html.escape(str(transcription))}</blockquote>'
        if transcription is not None
        else '<p class="uas-none">No speech: transcription and paralinguistics are null.</p>'
    )
    source = f'<div class="uas-source">{html.escape(backend)}</div>' if backend else ""
    return (
        '<div class="uas-card">'
        f"{source}"
        "<h3>Transcription</h3>"
        f"{speech}"
        "<h3>Paralinguistics</h3>"
        f'<div class="uas-grid">{cells}</div>'
        "<h3>Non-linguistic events</h3>"
        f'<p class="uas-desc">{_value_html(events.get("description"))}</p>'
        '<div class="uas-evcols">'
        f'<div><div class="uas-key">Discrete events</div><ul>{_events_html(events.get("discreteEvents"), "discrete")}</ul></div>'
        f'<div><div class="uas-key">Continuous events</div><ul>{_events_html(events.get("continuousEvents"), "continuous")}</ul></div>'
        "</div></div>"
    )


def status_html(message: str = "", kind: str = "info") -> str:
    """A status line; ``kind`` is ``info`` | ``ok`` | ``error`` (errors are the visible message for bad uploads)."""
    if not message:
        return ""
    role = ' role="alert"' if kind == "error" else ""
    return f'<div class="uas-status uas-status-{kind}"{role}>{html.escape(message)}</div>'


CSS = """
.uas-card {border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 14px 18px;
  background: var(--background-fill-primary);}
.uas-card h3 {margin: 10px 0 6px; font-size: 0.8rem; text-transform: uppercase; letter-spacing: .06em;
  color: var(--body-text-color-subdued);}
.uas-card h3:first-of-type {margin-top: 0;}
.uas-empty {color: var(--body-text-color-subdued); text-align: center; padding: 36px 12px;}
.uas-source {float: right; font-size: .75rem; color: var(--body-text-color-subdued); max-width: 55%;
  text-align: right;}
.uas-transcript {margin: 0; padding: 8px 12px; border-left: 4px solid #6366f1; background: rgba(99,102,241,.08);
  border-radius: 4px; font-size: 1.02rem;}
.uas-grid {display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px;}
.uas-cell {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px 10px;}
.uas-key {font-size: .72rem; text-transform: uppercase; letter-spacing: .05em; color: var(--body-text-color-subdued);}
.uas-val {font-weight: 600; font-size: .95rem;}
.uas-null {color: var(--body-text-color-subdued); font-weight: 400;}
.uas-none {color: var(--body-text-color-subdued); font-style: italic;}
.uas-desc {margin: 0 0 6px;}
.uas-evcols {display: grid; grid-template-columns: 1fr 1fr; gap: 12px;}
.uas-evcols ul {margin: 4px 0 0; padding-left: 0; list-style: none;}
.uas-ev {margin: 3px 0; padding: 4px 8px; border-radius: 6px; display: flex; flex-direction: column;}
.uas-ev span {font-size: .82rem; color: var(--body-text-color-subdued);}
.uas-discrete {border-left: 4px solid #f59e0b; background: rgba(245,158,11,.08);}
.uas-continuous {border-left: 4px solid #10b981; background: rgba(16,185,129,.08);}
.uas-status {padding: 8px 12px; border-radius: 8px; font-size: .92rem;}
.uas-status-error {background: #fef2f2; border: 1px solid #fca5a5; color: #991b1b;}
.uas-status-ok {background: #f0fdf4; border: 1px solid #86efac; color: #166534;}
.uas-status-info {background: #eff6ff; border: 1px solid #93c5fd; color: #1e3a8a;}
.uas-audit .info-text {font-size: .95rem; font-weight: 600; color: var(--body-text-color); margin-bottom: 4px;}
#uas-header h1 {margin-bottom: 0;}
"""
