"""A small OpenAI-compatible chat-completions client (httpx) with concurrency, timeouts and retries with backoff.

Works with `transformers serve`, vLLM and other servers that speak ``POST {base_url}/chat/completions``. Audio goes
as an ``input_audio`` content part (base64 WAV), the format those servers accept.
"""

from __future__ import annotations

import base64
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..utils import get_logger
from .base import BackendError


logger = get_logger(__name__)

# HTTP statuses worth retrying: rate limiting and transient server-side failures.
_RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass
class OpenAIClientConfig:
    """Connection settings of an OpenAI-compatible server.

    Args:
        base_url (`str`):
            Server root including the API prefix, e.g. ``"http://127.0.0.1:8000/v1"``.
        model (`str`):
            Model name sent in each request (for `transformers serve`, the model folder or Hub id).
        api_key_env (`str`, *optional*, defaults to `"OPENAI_API_KEY"`):
            Environment variable read for a bearer token (local servers need none). The key itself is never part
            of a config, so it cannot leak into job files or dataset cards.
        timeout_s (`float`, *optional*, defaults to 120.0):
            Per-request timeout; a request that takes longer is retried, then recorded as ``backend.timeout``.
        max_retries (`int`, *optional*, defaults to 3):
            Retries after the first attempt for timeouts, connection errors and retryable HTTP statuses.
        backoff_s (`float`, *optional*, defaults to 0.5):
            First retry delay; doubles each retry, with jitter.
        concurrency (`int`, *optional*, defaults to 8):
            Requests in flight at once (the server batches them).
        max_tokens (`int`, *optional*, defaults to 512):
            Generation budget per request.
        temperature (`float`, *optional*, defaults to 0.0):
            Sampling temperature (0 = greedy, reproducible).
        extra_body (`dict`, *optional*):
            Extra JSON fields merged into every request.
    """

    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 120.0
    max_retries: int = 3
    backoff_s: float = 0.5
    concurrency: int = 8
    max_tokens: int = 512
    temperature: float = 0.0
    extra_body: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"`base_url` must start with http:// or https://; got {self.base_url!r}.")
        if not self.model:
            raise ValueError("`model` must name the served model (e.g. the folder given to `transformers serve`).")
        if self.timeout_s <= 0:
            raise ValueError(f"`timeout_s` must be positive, got {self.timeout_s}.")
        if self.max_retries < 0:
            raise ValueError(f"`max_retries` must be >= 0, got {self.max_retries}.")
        if self.concurrency < 1:
            raise ValueError(f"`concurrency` must be >= 1, got {self.concurrency}.")


def audio_content(wav_bytes: bytes) -> dict[str, Any]:
    """An OpenAI ``input_audio`` content part carrying a WAV file."""
    return {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(wav_bytes).decode("ascii"), "format": "wav"},
    }


class OpenAIChatClient:
    """Send chat-completions requests concurrently; each failure comes back as a [`BackendError`] for its request.

    Example:

    ```python
    >>> client = OpenAIChatClient(OpenAIClientConfig("http://127.0.0.1:9", "m", max_retries=0, timeout_s=0.5))
    >>> client.complete_many([[{"role": "user", "content": "hi"}]])[0].code
    'backend.connection'

    ```
    """

    def __init__(self, config: OpenAIClientConfig):
        import httpx

        self.config = config
        api_key = os.environ.get(config.api_key_env) if config.api_key_env else None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        limits = httpx.Limits(max_connections=config.concurrency, max_keepalive_connections=config.concurrency)
        self._client = httpx.Client(
            base_url=config.base_url.rstrip("/"), headers=headers, timeout=config.timeout_s, limits=limits
        )
        self._pool = ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="uas-openai")
        self.stats = {"requests": 0, "retries": 0, "failures": 0}

    def complete(self, messages: list[dict[str, Any]]) -> str | BackendError:
        """One chat completion; returns the assistant text or a [`BackendError`] after the retries are spent."""
        import httpx

        cfg = self.config
        body = {
            "model": cfg.model,
            "messages": messages,
            "max_tokens": cfg.max_tokens,
            "temperature": cfg.temperature,
            "stream": False,
            **cfg.extra_body,
        }
        last = BackendError("backend.error", "no attempt was made")
        for attempt in range(cfg.max_retries + 1):
            if attempt:
                self.stats["retries"] += 1
                delay = cfg.backoff_s * (2 ** (attempt - 1)) * (1 + random.random() * 0.25)
                time.sleep(delay)
            self.stats["requests"] += 1
            try:
                response = self._client.post("/chat/completions", json=body)
            except httpx.TimeoutException as e:
                last = BackendError("backend.timeout", f"no answer within {cfg.timeout_s} s ({type(e).__name__})")
                continue
            except httpx.TransportError as e:
                last = BackendError("backend.connection", f"cannot reach {cfg.base_url}: {type(e).__name__}: {e}")
                continue
            if response.status_code in _RETRY_STATUS:
                last = BackendError("backend.http_error", f"HTTP {response.status_code}: {response.text[:200]}")
                continue
            if response.status_code >= 400:
                self.stats["failures"] += 1
                return BackendError("backend.http_error", f"HTTP {response.status_code}: {response.text[:300]}")
            try:
                payload = response.json()
                content = payload["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError) as e:
                self.stats["failures"] += 1
                return BackendError(
                    "backend.bad_response", f"not a chat-completions response ({e}): {response.text[:200]}"
                )
            if isinstance(content, list):  # some servers return content parts
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            if not isinstance(content, str):
                self.stats["failures"] += 1
                return BackendError("backend.bad_response", f"message content is {type(content).__name__}, not text")
            return content
        self.stats["failures"] += 1
        logger.warning(f"request failed after {cfg.max_retries + 1} attempts: {last.message}")
        return BackendError(last.code, f"{last.message} (after {cfg.max_retries + 1} attempts)")

    def complete_many(self, conversations: list[list[dict[str, Any]]]) -> list[str | BackendError]:
        """Run ``conversations`` with up to ``concurrency`` requests in flight; results keep the input order."""
        return list(self._pool.map(self.complete, conversations))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._client.close()
