"""The UAS-Audio demo Space (Analyze / Ask / Audit), importable and testable; `spaces/uas-audio-demo/app.py` launches it.

Gradio and matplotlib are imported only by `build_demo`/`launch_demo`, so `uas_hf.space.audit` stays light.
"""

from .audio import AudioRejected, Clip, UploadLimits, load_clip
from .audit import AUDIT_FIELDS, AuditStore, FieldAccuracy, sanitize_name, summarize, wilson_interval


def build_demo(*args, **kwargs):
    """See `uas_hf.space.app.build_demo`."""
    from .app import build_demo as _build_demo

    return _build_demo(*args, **kwargs)


def launch_demo(*args, **kwargs):
    """See `uas_hf.space.app.launch_demo`."""
    from .app import launch_demo as _launch_demo

    return _launch_demo(*args, **kwargs)


__all__ = [
    "AUDIT_FIELDS",
    "AudioRejected",
    "AuditStore",
    "Clip",
    "FieldAccuracy",
    "UploadLimits",
    "build_demo",
    "launch_demo",
    "load_clip",
    "sanitize_name",
    "summarize",
    "wilson_interval",
]
