"""Small shared helpers: logging, optional-dependency checks, JSONL I/O."""

from .import_utils import is_gradio_available, is_parselmouth_available, is_silero_vad_available, require
from .io import iter_jsonl, write_jsonl
from .logging import get_logger


__all__ = [
    "get_logger",
    "is_gradio_available",
    "is_parselmouth_available",
    "is_silero_vad_available",
    "iter_jsonl",
    "require",
    "write_jsonl",
]
