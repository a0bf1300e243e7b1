"""Stage 2 with an LLM: a local transformers model or an OpenAI-compatible server, prompted per App. H Fig. 6."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..base import AudioSample, BackendError, Caption, Synthesizer
from ..hf_models import TEXT_AUTO_CLASSES, check_local_folder, generate_text, load_model, model_provenance, pick_device
from ..openai_client import OpenAIChatClient, OpenAIClientConfig
from ..prompts import synthesis_prompt


class TransformersSynthesizer(Synthesizer):
    """Synthesize UAS JSON with a local transformers text model (e.g. Qwen3-30B-A3B-Instruct, as in the paper).

    Args:
        model (`str` or `Path`): Local checkpoint folder with a tokenizer that has a chat template.
        max_new_tokens (`int`, *optional*, defaults to 512): Generation budget per record.
        device (`str`, *optional*): Torch device; CUDA when available, else CPU.
        dtype (`str`, *optional*): Weights dtype for `from_pretrained`.
        trust_remote_code (`bool`, *optional*, defaults to `False`): Allow custom modeling code in the folder.

    Example:

    ```python
    >>> synthesizer = TransformersSynthesizer("path/to/Qwen3-30B-A3B-Instruct")  # doctest: +SKIP

    ```
    """

    name = "transformers"

    def __init__(
        self,
        model: str | Path,
        max_new_tokens: int = 512,
        device: str | None = None,
        dtype: str | None = None,
        trust_remote_code: bool = False,
    ):
        from transformers import AutoTokenizer

        self.path = check_local_folder(model, "model")
        self.max_new_tokens = max_new_tokens
        self.tokenizer = AutoTokenizer.from_pretrained(
            self.path, local_files_only=True, trust_remote_code=trust_remote_code
        )
        if not getattr(self.tokenizer, "chat_template", None):
            raise ValueError(
                f"The tokenizer in {str(self.path)!r} has no `chat_template`; Stage 2 sends the Fig. 6 instruction "
                "as a chat turn. Use an instruction-tuned checkpoint or add a chat template to tokenizer_config.json."
            )
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = load_model(self.path, TEXT_AUTO_CLASSES, pick_device(device), dtype, trust_remote_code)

    def synthesize(self, samples: list[AudioSample], captions: list[Caption]) -> list[str | BackendError]:
        if not samples:
            return []
        texts = [
            self.tokenizer.apply_chat_template(
                [{"role": "user", "content": synthesis_prompt(c.text, s.transcription)}],
                add_generation_prompt=True,
                tokenize=False,
            )
            for s, c in zip(samples, captions, strict=True)
        ]
        inputs = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        return generate_text(self.model, self.tokenizer, inputs, self.max_new_tokens)

    def provenance(self) -> dict[str, Any]:
        return {"stage": "synthesis", "backend": self.name, **model_provenance(self.path, self.model)}


class OpenAISynthesizer(Synthesizer):
    """Synthesize UAS JSON through an OpenAI-compatible server.

    Args:
        base_url (`str`): e.g. ``"http://127.0.0.1:8000/v1"``.
        model (`str`): served model name.
        **client_kwargs: [`OpenAIClientConfig`] fields (``timeout_s``, ``max_retries``, ``concurrency``, ...).

    Example:

    ```python
    >>> synthesizer = OpenAISynthesizer("http://127.0.0.1:8000/v1", "Qwen/Qwen3-30B-A3B-Instruct")  # doctest: +SKIP

    ```
    """

    name = "openai"

    def __init__(self, base_url: str, model: str, **client_kwargs):
        self.client = OpenAIChatClient(OpenAIClientConfig(base_url=base_url, model=model, **client_kwargs))

    def synthesize(self, samples: list[AudioSample], captions: list[Caption]) -> list[str | BackendError]:
        conversations = [
            [{"role": "user", "content": synthesis_prompt(c.text, s.transcription)}]
            for s, c in zip(samples, captions, strict=True)
        ]
        return self.client.complete_many(conversations)

    def provenance(self) -> dict[str, Any]:
        cfg = self.client.config
        return {"stage": "synthesis", "backend": self.name, "base_url": cfg.base_url, "model": cfg.model}

    def close(self) -> None:
        self.client.close()
