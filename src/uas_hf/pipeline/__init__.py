"""The UAS generation pipeline (paper §2.2): Stage-1 captioners, Stage-2 synthesizers, the resumable runner.

Stage 3 is `uas_hf.schema.UASValidator`. See docs/architecture.md for the contracts.
"""

from .base import AudioSample, BackendError, Caption, Captioner, Synthesizer
from .captioners import CAPTIONERS, build_captioner
from .synthesizers import SYNTHESIZERS, build_synthesizer


__all__ = [
    "CAPTIONERS",
    "SYNTHESIZERS",
    "AudioSample",
    "BackendError",
    "Caption",
    "Captioner",
    "Synthesizer",
    "build_captioner",
    "build_synthesizer",
]
