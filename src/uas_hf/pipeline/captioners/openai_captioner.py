"""Stage 1 through an OpenAI-compatible server (vLLM, `transformers serve`): audio sent as base64 WAV."""

from __future__ import annotations

from typing import Any

from ..audio import encode_wav
from ..base import AudioSample, BackendError, Caption, Captioner
from ..openai_client import OpenAIChatClient, OpenAIClientConfig, audio_content
from ..prompts import CAPTION_PROMPT


class OpenAICaptioner(Captioner):
    """Caption audio with a model behind an OpenAI-compatible chat-completions endpoint.

    Args:
        base_url (`str`): e.g. ``"http://127.0.0.1:8000/v1"``.
        model (`str`): served model name.
        prompt (`str`, *optional*, defaults to `CAPTION_PROMPT`): the captioning instruction.
        **client_kwargs: [`OpenAIClientConfig`] fields (``timeout_s``, ``max_retries``, ``concurrency``,
            ``max_tokens``, ``api_key_env``, ...).

    Example:

    ```python
    >>> captioner = OpenAICaptioner("http://127.0.0.1:8000/v1", "Qwen/Qwen2-Audio-7B-Instruct")  # doctest: +SKIP

    ```
    """

    name = "openai"

    def __init__(self, base_url: str, model: str, prompt: str = CAPTION_PROMPT, **client_kwargs):
        self.prompt = prompt
        self.client = OpenAIChatClient(OpenAIClientConfig(base_url=base_url, model=model, **client_kwargs))

    def caption(self, samples: list[AudioSample]) -> list[Caption | BackendError]:
        conversations = [
            [
                {
                    "role": "user",
                    "content": [
                        audio_content(encode_wav(s.array, s.sampling_rate)),
                        {"type": "text", "text": self.prompt},
                    ],
                }
            ]
            for s in samples
        ]
        out: list[Caption | BackendError] = []
        for r in self.client.complete_many(conversations):
            if isinstance(r, BackendError):
                out.append(r)
            elif not r.strip():
                out.append(BackendError("caption.empty", "the server returned an empty caption"))
            else:
                out.append(Caption(text=r.strip()))
        return out

    def provenance(self) -> dict[str, Any]:
        cfg = self.client.config
        return {
            "stage": "caption",
            "backend": self.name,
            "base_url": cfg.base_url,
            "model": cfg.model,
            "prompt": self.prompt,
            "max_tokens": cfg.max_tokens,
            "temperature": cfg.temperature,
        }

    def close(self) -> None:
        self.client.close()
