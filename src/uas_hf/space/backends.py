"""What produces the UAS in the Space: a saved UAS-Audio model, or the offline analyzer pipeline without one.

Both backends answer the same two calls: `analyze` (holistic UAS of a clip) and `ask` (targeted mode, paper App. D).
"""

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..utils import get_logger
from .audio import Clip


logger = get_logger(__name__)

# Placeholder transcription when the analyzer hears speech but nobody typed a transcript (it has no recognizer).
UNTRANSCRIBED = "[speech detected; not transcribed: the offline analyzer has no speech recognizer]"

# Questions the targeted mode asks for each field (phrased like UAS-QA direct questions).
FIELD_QUESTIONS: dict[str, str] = {
    "transcription": "What does the speaker say? Give the transcription only.",
    "age": "What is the speaker's age group?",
    "gender": "What is the speaker's gender?",
    "emotion": "What emotion does the speaker express?",
    "accent": "What accent does the speaker have?",
    "prosody": "Describe the speaker's prosody in a few words.",
    "timbre": "Describe the speaker's timbre in a few words.",
    "description": "Describe the non-speech sounds and acoustic setting in one sentence.",
    "discreteEvents": "Which discrete sound events occur?",
    "continuousEvents": "Which continuous background sounds are present?",
}
# Word stems a typed question is matched on, per field (the analyzer backend answers from the UAS fields only).
_FIELD_KEYWORDS: dict[str, tuple[str, ...]] = {
    "transcription": ("transcri", "say", "said", "says", "words", "spoken", "utter"),
    "age": ("age", "old", "young", "child", "elderly", "adult"),
    "gender": ("gender", "male", "female", "man", "woman", "sex"),
    "emotion": ("emotion", "feel", "mood", "angry", "happy", "sad", "emotional"),
    "accent": ("accent", "dialect", "variety"),
    "prosody": ("prosody", "pace", "rate", "speed", "fast", "slow", "intonation", "rhythm", "pitch"),
    "timbre": ("timbre", "voice quality", "breathy", "bright", "warm", "hoarse"),
    "description": ("describe", "description", "scene", "setting", "environment"),
    "discreteEvents": ("discrete", "event", "events", "sound effect", "one-shot", "impulsive"),
    "continuousEvents": ("continuous", "background", "ambient", "noise", "hum"),
}


def match_fields(question: str) -> list[str]:
    """UAS fields a free-text question asks about, in the order the question names them (App. D: "emotion and
    gender" is answered "Neutral, Male").

    >>> match_fields("Identify the speaker's emotion and gender in a concise format.")
    ['emotion', 'gender']
    """
    text = question.lower()
    positions = {}
    for name, stems in _FIELD_KEYWORDS.items():
        hits = [m.start() for stem in stems for m in [re.search(rf"\b{re.escape(stem)}", text)] if m]
        if hits:
            positions[name] = min(hits)
    return sorted(positions, key=positions.__getitem__)


@dataclass
class Analysis:
    """The holistic result for one clip: the UAS (paper keys), and what else the backend can show."""

    uas: dict[str, Any]
    measurements: dict[str, Any] | None = None
    notes: str = ""
    raw_text: str | None = None
    backend: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _normalize(raw: Any) -> tuple[dict[str, Any], Any]:
    """Parse a raw UAS (dict or model text) leniently into paper-key form and its `UASRecord`."""
    from ..schema import parse_uas

    record = parse_uas(raw, lenient=True)
    return record.to_dict(), record


_PARALINGUISTIC = ("age", "gender", "emotion", "accent", "prosody", "timbre")
NOT_DETERMINED = "Not determined (no offline measurement supports it)"


def _targeted(uas: dict[str, Any], fields: list[str]) -> str:
    """`render_targeted` answers, except that a field left null *while there is speech* reads "not determined"
    (the schema's "No human voice" would be wrong there: the analyzer simply cannot judge it)."""
    from ..schema import parse_uas, render_targeted

    record = parse_uas(uas, lenient=True)
    answers = []
    for name in fields:
        unknown = name in _PARALINGUISTIC and record.transcription is not None
        unknown = unknown and getattr(record.paralinguistics, name) is None
        answers.append(NOT_DETERMINED if unknown else render_targeted(record, name))
    return ", ".join(answers)


class AnalyzerBackend:
    """Offline: the acoustic analyzer (Stage 1) + rule-based synthesizer (Stage 2); targeted answers come from the
    UAS it produced (`uas_hf.schema.render_targeted`)."""

    name = "analyzer"

    def __init__(self):
        self._captioner = self._synthesizer = None
        self._lock = threading.Lock()  # the warm-up thread and requests share one analyzer

    def _load(self) -> None:
        # Built on first use (or by the warm-up thread): the VAD pulls in torch, which would delay the page by seconds.
        if self._captioner is None:
            from ..pipeline.captioners.analyzer import AcousticAnalyzerCaptioner
            from ..pipeline.synthesizers.rule_based import RuleBasedSynthesizer

            self._captioner, self._synthesizer = AcousticAnalyzerCaptioner(), RuleBasedSynthesizer()

    def warm_up(self) -> None:
        """Analyze one second of a synthetic vowel so the VAD model and Praat are loaded before the first upload."""
        import numpy as np

        t = np.arange(16_000, dtype=np.float32) / 16_000
        tone = (0.3 * np.sin(2 * np.pi * 120 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
        try:
            self.analyze(Clip(array=tone, sampling_rate=16_000, name="warm-up", clip_id="warm-up", path=""))
        except Exception:  # warming up is an optimisation: a failure shows up on the first real clip instead
            logger.warning("Analyzer warm-up failed", exc_info=True)

    short_name = "offline analyzer + rules"

    @property
    def description(self) -> str:
        return (
            "Offline acoustic analyzer + rule-based UAS (measures pitch, loudness, voice activity and sound events; "
            "age, emotion and accent stay empty because no offline measurement supports them)"
        )

    def analyze(self, clip: Clip, transcript: str | None = None) -> Analysis:
        with self._lock:
            self._load()
            return self._analyze(clip, transcript)

    def _analyze(self, clip: Clip, transcript: str | None) -> Analysis:
        from ..pipeline.base import AudioSample, BackendError

        transcript = (transcript or "").strip() or None
        sample = AudioSample(clip.clip_id, clip.array, clip.sampling_rate, transcript)
        (caption,) = self._captioner.caption([sample])
        if isinstance(caption, BackendError):
            raise RuntimeError(f"the analyzer failed on this clip: {caption.message}")
        measurements = caption.measurements or {}
        if transcript is None and measurements.get("has_speech"):
            sample.transcription = UNTRANSCRIBED  # speech is present: keep the paralinguistic fields
        (raw,) = self._synthesizer.synthesize([sample], [caption])
        if isinstance(raw, BackendError):
            raise RuntimeError(f"the synthesizer failed on this clip: {raw.message}")
        uas, _ = _normalize(raw)
        return Analysis(uas=uas, measurements=measurements, notes=caption.text, backend=self.name)

    def ask(self, clip: Clip, analysis: Analysis, fields: list[str], question: str | None) -> str:
        if question and not fields:
            fields = match_fields(question)
            if not fields:
                return (
                    "The offline analyzer only answers about the UAS fields (transcription, age, gender, emotion, "
                    "accent, prosody, timbre, description, events). Try: “What is the speaker's gender?”"
                )
        return _targeted(analysis.uas, fields)


class ModelBackend:
    """A saved UAS-Audio folder: holistic and targeted generation with the model family's inference helpers."""

    name = "model"

    def __init__(
        self, model_dir: str | Path, *, holistic_max_new_tokens: int = 512, targeted_max_new_tokens: int = 32
    ):
        from ..models.uas_audio import inference

        self.model_dir = Path(model_dir)
        self.holistic_max_new_tokens = holistic_max_new_tokens
        self.targeted_max_new_tokens = targeted_max_new_tokens
        if not (self.model_dir / "config.json").is_file():
            raise FileNotFoundError(
                f"`model_dir` {str(self.model_dir)!r} has no config.json; pass a folder saved with save_pretrained."
            )
        self._inference = inference
        self.model, self.processor = inference.load_for_inference(self.model_dir)

    @property
    def short_name(self) -> str:
        return f"model {self.model_dir.name}"

    def warm_up(self) -> None:
        """Nothing to do: the weights were loaded in `__init__`."""

    @property
    def description(self) -> str:
        return f"UAS-Audio model `{self.model_dir.name}` (holistic and targeted generation)"

    def analyze(self, clip: Clip, transcript: str | None = None) -> Analysis:
        text = self._inference.generate_holistic(
            self.model, self.processor, clip.array, clip.sampling_rate, max_new_tokens=self.holistic_max_new_tokens
        )
        try:
            uas, _ = _normalize(text)
            notes = "Generated by the model in holistic mode."
        except ValueError as e:  # a small model can emit broken JSON: show it instead of failing
            uas = {}
            notes = f"The model's output is not valid UAS ({e}); the raw text is shown below."
        return Analysis(uas=uas, raw_text=text, notes=notes, backend=self.name)

    def ask(self, clip: Clip, analysis: Analysis, fields: list[str], question: str | None) -> str:
        prompt = question or " ".join(FIELD_QUESTIONS[f] for f in fields)
        answer = self._inference.generate_targeted(
            self.model,
            self.processor,
            clip.array,
            clip.sampling_rate,
            prompt,
            max_new_tokens=self.targeted_max_new_tokens,
        )
        return answer.strip() or "(the model returned an empty answer)"


def load_backend(model_dir: str | Path | None):
    """`ModelBackend` for a model folder, else the offline `AnalyzerBackend`."""
    if model_dir:
        return ModelBackend(model_dir)
    return AnalyzerBackend()
