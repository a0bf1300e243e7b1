"""The UAS-Audio demo Space: *Analyze* (holistic UAS), *Ask* (targeted mode, App. D), *Audit* (human verification,
App. A). `spaces/uas-audio-demo/app.py` only parses arguments and calls `build_demo` + `launch_demo`."""

import os
import threading
from pathlib import Path
from typing import Any

from ..utils import get_logger, require
from .audio import AudioRejected, Clip, UploadLimits, load_clip
from .audit import AUDIT_FIELDS, FIELD_LABELS, JUDGEMENTS, AuditStore
from .backends import FIELD_QUESTIONS, Analysis, load_backend
from .render import CSS, field_text, status_html, uas_html


logger = get_logger(__name__)

# Gradio's own upload cap, above our checked limit so that users see our message for moderately large files while
# huge uploads are still cut off before they fill the disk.
_HARD_UPLOAD_FACTOR = 4
ASK_FIELDS = tuple(FIELD_QUESTIONS)


def default_audit_dir() -> Path:
    """`$UAS_HF_AUDIT_DIR`, else `~/.cache/uas_hf/audits`."""
    return Path(os.environ.get("UAS_HF_AUDIT_DIR") or Path.home() / ".cache" / "uas_hf" / "audits")


def _table(store: AuditStore):
    import pandas as pd

    return pd.DataFrame([r.to_row() for r in store.summary()])


def build_demo(
    model_dir: str | os.PathLike | None = None,
    audit_dir: str | os.PathLike | None = None,
    limits: UploadLimits | None = None,
    backend=None,
    warm_up: bool = True,
):
    """Build the Space's `gr.Blocks`.

    Args:
        model_dir (`str` or `os.PathLike`, *optional*):
            a saved UAS-Audio folder; without one the offline analyzer pipeline produces the UAS.
        audit_dir (`str` or `os.PathLike`, *optional*, defaults to `default_audit_dir()`):
            the only folder the app writes to (one `<annotator>.jsonl` per annotator).
        limits (`UploadLimits`, *optional*): upload size / duration / type limits.
        backend (*optional*): an already-built backend (tests); overrides ``model_dir``.
        warm_up (`bool`, *optional*, defaults to `True`):
            load the analyzer's models in a background thread now, so the first upload is not the slow one.

    Returns:
        `gr.Blocks`: launch it with `launch_demo` (which adds the theme, CSS and upload cap).

    Example:

    >>> demo = build_demo(audit_dir="runs/audits")  # doctest: +SKIP
    >>> launch_demo(demo, port=7860)  # doctest: +SKIP
    """
    require("gradio", "The UAS demo Space")
    import gradio as gr

    from .plots import audit_figure, clip_figure

    limits = limits or UploadLimits()
    store = AuditStore(audit_dir or default_audit_dir())
    backend = backend or load_backend(model_dir)
    if warm_up and hasattr(backend, "warm_up"):
        threading.Thread(target=backend.warm_up, name="uas-space-warm-up", daemon=True).start()
    is_model = getattr(backend, "name", "") == "model"

    def analyze(audio_path, transcript, progress=gr.Progress()):
        radios_reset = [gr.Radio(value=None, info="—") for _ in AUDIT_FIELDS]
        empty = (None, None, "", None, None, *radios_reset, "No clip analyzed yet.")
        try:
            progress(0.1, desc="Checking the upload")
            clip = load_clip(audio_path, limits)
            progress(0.3, desc="Analyzing")
            analysis = backend.analyze(clip, transcript)
            progress(0.8, desc="Drawing")
            figure = clip_figure(clip.array, clip.sampling_rate, analysis.uas, analysis.measurements)
        except AudioRejected as e:
            gr.Warning(str(e))
            return (status_html(str(e), "error"), uas_html(None), *empty)
        except Exception as e:  # never let one clip take the app down; say what happened
            logger.exception("Analysis failed")
            message = f"Analysis failed: {type(e).__name__}: {e}"
            gr.Warning(message)
            return (status_html(message, "error"), uas_html(None), *empty)
        state = {"clip": clip, "analysis": analysis}
        radios = [gr.Radio(value=None, info=field_text(analysis.uas, f)) for f in AUDIT_FIELDS]
        notes = analysis.notes + (
            f"\n\nRaw model output:\n\n```\n{analysis.raw_text}\n```" if analysis.raw_text else ""
        )
        ok = f"Analyzed {clip.name} ({clip.duration:.1f} s)."
        unparsed = "No UAS to show: the output could not be parsed; the raw output is under Details."
        return (
            status_html(ok, "ok") if analysis.uas else status_html(analysis.notes, "error"),
            uas_html(analysis.uas, backend=backend.short_name, empty_message=unparsed),
            figure,
            analysis.uas,
            notes,
            state,
            clip.path,
            *radios,
            f"Auditing **{clip.name}** ({clip.duration:.1f} s). Listen, then judge each value.",
        )

    def ask(state, field_choice, question):
        if not state:
            message = "Analyze a clip first: upload or record audio and press Analyze."
            gr.Warning(message)
            return "", status_html(message, "error")
        question = (question or "").strip()
        fields = [] if question else [field_choice or "gender"]
        if fields and fields[0] not in ASK_FIELDS:
            message = f"Unknown field {fields[0]!r}; pick one of {', '.join(ASK_FIELDS)}."
            return "", status_html(message, "error")
        try:
            answer = backend.ask(state["clip"], state["analysis"], fields, question or None)
        except Exception as e:
            logger.exception("Targeted answer failed")
            return "", status_html(f"Could not answer: {type(e).__name__}: {e}", "error")
        asked = question or FIELD_QUESTIONS[fields[0]]
        return answer, status_html(f"Q: {asked}", "info")

    def save_audit(state, annotator, *judgements):
        if not state:
            message = "Analyze a clip first, then judge its fields."
            gr.Warning(message)
            return status_html(message, "error"), _table(store), audit_figure(store.summary())
        clip: Clip = state["clip"]
        analysis: Analysis = state["analysis"]
        marks = {f: (field_text(analysis.uas, f), j or None) for f, j in zip(AUDIT_FIELDS, judgements)}
        try:
            path = store.save(
                clip.clip_id, marks, annotator=annotator, clip_name=Path(clip.name).stem, source=backend.description
            )
        except ValueError as e:
            gr.Warning(str(e))
            return status_html(str(e), "error"), _table(store), audit_figure(store.summary())
        n = sum(j is not None for _, j in marks.values())
        message = f"Saved {n} judgement{'s' if n != 1 else ''} of {clip.name} to {path.name}."
        return status_html(message, "ok"), _table(store), audit_figure(store.summary())

    def audit_summary():
        return _table(store), audit_figure(store.summary())

    with gr.Blocks(title="UAS Audio Demo") as demo:
        gr.Markdown(
            "# Unified Audio Schema demo\n"
            "Describe a clip as **UAS** (transcription, paralinguistics, non-linguistic events), ask targeted "
            "questions about it, and audit the result as in the paper's human verification.",
            elem_id="uas-header",
        )
        gr.Markdown(f"**Backend:** {backend.description}")
        state = gr.State(None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                audio = gr.Audio(
                    sources=["upload", "microphone"], type="filepath", label="Audio clip", elem_id="uas-audio"
                )
                transcript = gr.Textbox(
                    label="Transcript (optional)",
                    placeholder="The offline analyzer has no speech recognizer: type what is said to include it.",
                    lines=2,
                    visible=not is_model,
                )
                analyze_btn = gr.Button("Analyze", variant="primary", elem_id="uas-analyze")
                gr.Markdown(limits.describe(), elem_classes=["uas-limits"])
            with gr.Column(scale=3, min_width=360):
                status = gr.HTML(elem_id="uas-status")
                card = gr.HTML(uas_html(None), elem_id="uas-card")
        with gr.Tabs():
            with gr.Tab("Analyze", id="analyze"):
                figure = gr.Plot(label="Spectrogram, pitch and events", show_label=False, elem_id="uas-figure")
                with gr.Accordion("Raw UAS JSON", open=False):
                    raw_json = gr.JSON(label="UAS", elem_id="uas-json")
                with gr.Accordion("Details: measurements or raw model output", open=False):
                    notes = gr.Markdown()
            with gr.Tab("Ask", id="ask"):
                gr.Markdown(
                    "Targeted mode (paper App. D): ask for one attribute and get a short answer instead of the "
                    "whole JSON. A typed question takes precedence over the field."
                )
                with gr.Row():
                    field_choice = gr.Dropdown(
                        choices=[(FIELD_LABELS[f], f) for f in ASK_FIELDS], value="gender", label="Field", scale=1
                    )
                    question = gr.Textbox(
                        label="…or type a question", placeholder="Identify the speaker's emotion and gender.", scale=3
                    )
                ask_btn = gr.Button("Ask", variant="primary")
                answer = gr.Textbox(label="Answer", interactive=False, elem_id="uas-answer")
                ask_status = gr.HTML()
            with gr.Tab("Audit", id="audit"):
                audit_clip = gr.Markdown("No clip analyzed yet.")
                player = gr.Audio(label="Listen", interactive=False, type="filepath", elem_id="uas-player")
                annotator = gr.Textbox(label="Annotator", value="annotator", max_lines=1)
                radios = []
                for start in range(0, len(AUDIT_FIELDS), 3):
                    with gr.Row():
                        for name in AUDIT_FIELDS[start : start + 3]:
                            radios.append(
                                gr.Radio(
                                    choices=list(JUDGEMENTS),
                                    label=FIELD_LABELS[name],
                                    info="—",
                                    elem_id=f"audit-{name}",
                                    elem_classes=["uas-audit"],
                                )
                            )
                save_btn = gr.Button("Save judgements", variant="primary", elem_id="uas-save-audit")
                audit_status = gr.HTML(elem_id="uas-audit-status")
                gr.Markdown(
                    "Per-field accuracy over all saved audits (majority vote per clip when several annotators "
                    "judged it; *Unsure* does not count as correct), with Wilson 95 % intervals."
                )
                table = gr.Dataframe(value=_table(store), interactive=False, elem_id="uas-audit-table")
                audit_plot = gr.Plot(
                    value=audit_figure(store.summary()), label="Accuracy with Wilson 95 % CI", show_label=False
                )

        gr.on(
            [analyze_btn.click, audio.upload, audio.stop_recording],
            analyze,
            inputs=[audio, transcript],
            outputs=[status, card, figure, raw_json, notes, state, player, *radios, audit_clip],
            api_name="analyze",
        )
        ask_inputs = [state, field_choice, question]
        gr.on([ask_btn.click, question.submit], ask, inputs=ask_inputs, outputs=[answer, ask_status], api_name="ask")
        save_btn.click(
            save_audit,
            inputs=[state, annotator, *radios],
            outputs=[audit_status, table, audit_plot],
            api_name="save_audit",
        )
        demo.load(audit_summary, outputs=[table, audit_plot], api_name="audit_summary")
    demo.uas_limits = limits  # read by launch_demo for the hard upload cap
    demo.uas_audit_dir = store.audit_dir
    return demo


def launch_demo(demo, *, host: str = "127.0.0.1", port: int | None = None, block: bool = True, **kwargs: Any):
    """Launch ``demo`` with the Space's theme, CSS, queue and upload cap; returns gradio's ``(app, url, share)``."""
    import gradio as gr

    limits: UploadLimits = getattr(demo, "uas_limits", UploadLimits())
    demo.queue(default_concurrency_limit=1)  # analyses are CPU-bound: one at a time keeps the page responsive
    return demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=not block,
        max_file_size=limits.max_bytes * _HARD_UPLOAD_FACTOR,
        theme=gr.themes.Soft(primary_hue="indigo", secondary_hue="amber"),
        css=CSS,
        footer_links=["api"],
        **kwargs,
    )
