"""A small real OpenAI-compatible chat-completions server on loopback, running local transformers models.

`transformers serve` needs the `openai` package (its `serving` extra), which this environment does not ship, so the
tests run this stand-in instead: real HTTP (stdlib `ThreadingHTTPServer`), real JSON wire format
(`POST /v1/chat/completions`, `GET /v1/models`, `GET /health`), real `input_audio` (base64 WAV) decoding and real
`generate()` on the checkpoints it serves. It honours `max_tokens`, `temperature` (greedy at 0) and vLLM's
`min_tokens`, which the timeout tests use to make a request genuinely slow.

    python tests/pipeline/openai_server.py --port 8765 --model audio=/path/tiny_qwen2_audio --model text=/path/tiny_lm
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Served:
    def __init__(self, folder: str):
        from transformers import AutoConfig, AutoModelForCausalLM, AutoProcessor, AutoTokenizer

        config = AutoConfig.from_pretrained(folder, local_files_only=True)
        self.is_audio = config.model_type == "qwen2_audio"
        if self.is_audio:
            from transformers import AutoModelForMultimodalLM

            self.processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
            self.tokenizer = self.processor.tokenizer
            self.model = AutoModelForMultimodalLM.from_pretrained(folder, local_files_only=True).eval()
        else:
            self.processor = None
            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True).eval()
        self.lock = threading.Lock()  # one generate() at a time per model

    def complete(self, messages: list[dict], max_tokens: int, min_tokens: int) -> tuple[str, int, int]:
        import soundfile as sf
        import torch

        audios, conversation = [], []
        for message in messages:
            content = message.get("content")
            if isinstance(content, str):
                conversation.append({"role": message["role"], "content": content})
                continue
            parts = []
            for part in content:
                if part.get("type") == "text":
                    parts.append({"type": "text", "text": part["text"]})
                elif part.get("type") == "input_audio":
                    data = base64.b64decode(part["input_audio"]["data"])
                    array, _sr = sf.read(io.BytesIO(data), dtype="float32")
                    audios.append(array)
                    parts.append({"type": "audio"})
                else:
                    raise ValueError(f"unsupported content part type {part.get('type')!r}")
            if not self.is_audio:
                parts = "".join(p.get("text", "") for p in parts)
            conversation.append({"role": message["role"], "content": parts})
        if audios and not self.is_audio:
            raise ValueError("this model does not accept audio")
        if self.is_audio:
            text = self.processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
            inputs = self.processor(text=[text], audio=audios or None, sampling_rate=16_000, return_tensors="pt")
        else:
            text = self.tokenizer.apply_chat_template(conversation, add_generation_prompt=True, tokenize=False)
            inputs = self.tokenizer([text], return_tensors="pt", add_special_tokens=False)
        with self.lock, torch.inference_mode():
            out = self.model.generate(
                **inputs,
                max_new_tokens=max_tokens,
                min_new_tokens=min(min_tokens, max_tokens),
                do_sample=False,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        new = out[0, inputs["input_ids"].shape[1] :]
        return self.tokenizer.decode(new, skip_special_tokens=True), int(inputs["input_ids"].shape[1]), len(new)


def make_handler(models: dict[str, _Served]):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output clean
            pass

        def _send(self, status: int, payload: dict):
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client timed out and left
                self.wfile.write(body)

        def do_GET(self):
            if self.path == "/health":
                self._send(200, {"status": "ok"})
            elif self.path == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in models]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self):
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                served = models.get(request.get("model"))
                if served is None:
                    self._send(404, {"error": {"message": f"model {request.get('model')!r} is not served"}})
                    return
                text, prompt_tokens, completion_tokens = served.complete(
                    request["messages"], int(request.get("max_tokens") or 16), int(request.get("min_tokens") or 0)
                )
            except Exception as e:
                self._send(400, {"error": {"message": f"{type(e).__name__}: {e}"}})
                return
            self._send(
                200,
                {
                    "id": f"chatcmpl-{uuid.uuid4().hex}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": request["model"],
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}
                    ],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                },
            )

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", action="append", required=True, help="NAME=FOLDER (repeatable)")
    args = parser.parse_args(argv)
    models = {}
    for spec in args.model:
        name, _, folder = spec.partition("=")
        models[name] = _Served(folder)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(models))
    print(f"serving {sorted(models)} on http://{args.host}:{args.port}/v1", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
