"""JSON Lines helpers that stream (constant memory) and never lose a line."""

import json
import os
from collections.abc import Iterable, Iterator
from typing import Any


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield ``(line_number, obj, error)`` for every non-blank line of ``path``.

    A line that is not valid UTF-8 or not a JSON object yields ``obj=None`` with ``error`` set, so callers can
    record a rejection instead of crashing or silently skipping it.
    """
    with open(path, "rb") as f:
        for line_number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield line_number, None, f"line {line_number} is not valid UTF-8 ({e.reason} at byte {e.start})"
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as e:
                yield line_number, None, f"line {line_number} is not valid JSON ({e.msg} at column {e.colno})"
                continue
            if not isinstance(obj, dict):
                yield line_number, None, f"line {line_number} is a JSON {type(obj).__name__}, expected an object"
                continue
            yield line_number, obj, None


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` as compact UTF-8 JSON Lines; return the number written."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
    return n
