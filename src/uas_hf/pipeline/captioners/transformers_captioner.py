"""Stage 1 with any transformers audio-text-to-text checkpoint from a local folder (Qwen2-Audio-Instruct, Voxtral,
a Qwen-Omni captioner, ...), prompted as paper §2.2 describes and run in batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...utils import get_logger
from ..base import AudioSample, BackendError, Caption, Captioner
from ..hf_models import (
    AUDIO_TEXT_AUTO_CLASSES,
    check_local_folder,
    generate_text,
    load_model,
    model_provenance,
    pick_device,
)
from ..prompts import CAPTION_PROMPT


logger = get_logger(__name__)


class TransformersCaptioner(Captioner):
    """Caption audio with a local transformers audio-text-to-text model.

    Args:
        model (`str` or `Path`):
            Local folder with the checkpoint and its processor (nothing is downloaded).
        prompt (`str`, *optional*, defaults to `CAPTION_PROMPT`):
            The captioning instruction.
        max_new_tokens (`int`, *optional*, defaults to 256):
            Generation budget per caption.
        device (`str`, *optional*):
            Torch device; CUDA when available, else CPU.
        dtype (`str`, *optional*):
            Weights dtype passed to `from_pretrained` (e.g. ``"bfloat16"``); the checkpoint's default otherwise.
        trust_remote_code (`bool`, *optional*, defaults to `False`):
            Allow checkpoints whose modeling code ships in the folder.

    Example:

    ```python
    >>> captioner = TransformersCaptioner("path/to/Qwen2-Audio-7B-Instruct")  # doctest: +SKIP
    >>> captioner.caption([sample])[0].text  # doctest: +SKIP
    'An adult man speaks calmly in a quiet room ...'

    ```
    """

    name = "transformers"

    def __init__(
        self,
        model: str | Path,
        prompt: str = CAPTION_PROMPT,
        max_new_tokens: int = 256,
        device: str | None = None,
        dtype: str | None = None,
        trust_remote_code: bool = False,
    ):
        from transformers import AutoProcessor

        self.path = check_local_folder(model, "model")
        self.prompt = prompt
        self.max_new_tokens = max_new_tokens
        self.processor = AutoProcessor.from_pretrained(
            self.path, local_files_only=True, trust_remote_code=trust_remote_code
        )
        tokenizer = getattr(self.processor, "tokenizer", None)
        if tokenizer is not None:
            tokenizer.padding_side = "left"  # batched decoder-only generation continues from the right edge
        self.model = load_model(self.path, AUDIO_TEXT_AUTO_CLASSES, pick_device(device), dtype, trust_remote_code)
        feature_extractor = getattr(self.processor, "feature_extractor", None)
        self.sampling_rate = getattr(feature_extractor, "sampling_rate", 16_000)

    def _prompt_text(self) -> str:
        conversation = [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": self.prompt}]}]
        return self.processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)

    def caption(self, samples: list[AudioSample]) -> list[Caption | BackendError]:
        from ..audio import resample

        if not samples:
            return []
        text = self._prompt_text()
        audio = [resample(s.array, s.sampling_rate, self.sampling_rate) for s in samples]
        inputs = self.processor(
            text=[text] * len(samples),
            audio=audio,
            sampling_rate=self.sampling_rate,
            return_tensors="pt",
            padding=True,
        )
        outputs = generate_text(self.model, self.processor, inputs, self.max_new_tokens)
        return [
            Caption(text=o) if o else BackendError("caption.empty", "the captioning model generated no text")
            for o in outputs
        ]

    def provenance(self) -> dict[str, Any]:
        return {
            "stage": "caption",
            "backend": self.name,
            **model_provenance(self.path, self.model),
            "prompt": self.prompt,
            "max_new_tokens": self.max_new_tokens,
        }
