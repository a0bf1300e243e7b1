"""Crash-safe file helpers shared by the resumable jobs (annotate, eval, e2e, reproduce).

Writes go to a temporary file that is fsynced and renamed, so a reader never sees half a file; append-only JSONL
logs are repaired by cutting a torn last line; one process at a time takes a lock file, and a lock left by a dead
process is taken over.
"""

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .logging import get_logger


logger = get_logger(__name__)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a fsynced temporary file and an atomic rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """`write_text_atomic` of ``obj`` as indented UTF-8 JSON (non-JSON values via `str`)."""
    write_text_atomic(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 probes without signalling)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike) -> Iterator[bool]:
    """Yield `True` if this process holds the lock file ``path`` (removed on exit), `False` if a live process does.

    A lock whose recorded process is gone (a crash) is taken over.
    """
    lock = Path(path)
    for _ in range(2):  # at most one take-over attempt
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(lock.read_text() or 0)
            except (ValueError, OSError):
                pid = 0
            if pid and pid != os.getpid() and pid_alive(pid):
                yield False
                return
            lock.unlink(missing_ok=True)
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        try:
            yield True
        finally:
            lock.unlink(missing_ok=True)
        return
    yield False


def repair_jsonl_log(path: str | os.PathLike, id_key: str | None = "id") -> tuple[int, Any]:
    """Cut a torn last line (a kill mid-write) from an append-only JSONL log so appends start on a line boundary.

    Returns ``(complete lines, the last complete line's id_key value)``; ``(0, None)`` when the file is absent.
    """
    path = Path(path)
    if not path.exists():
        return 0, None
    count, last_id, good_end = 0, None, 0
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            try:
                row = json.loads(raw)
                if id_key is not None:
                    last_id = row[id_key]
            except (ValueError, KeyError, TypeError):
                break
            count += 1
            good_end += len(raw)
    size = path.stat().st_size
    if good_end != size:
        logger.warning("%s: cutting %d bytes of a torn write", path.name, size - good_end)
        with open(path, "r+b") as f:
            f.truncate(good_end)
            f.flush()
            os.fsync(f.fileno())
    return count, last_id


def fingerprint(obj: Any) -> str:
    """A short, stable hash of a JSON-able object (settings, upstream fingerprints) for `StepState`."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


class StepState:
    """A JSON file recording, per step of a resumable job, the fingerprint of its settings and inputs, its outputs,
    the paths it produced and how long it took. A step is done when its fingerprint matches and its paths exist.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.steps: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            self.steps = json.loads(self.path.read_text()).get("steps", {})

    def done(self, step: str, fingerprint: str) -> dict[str, Any] | None:
        entry = self.steps.get(step)
        if entry and entry.get("fingerprint") == fingerprint and all(Path(p).exists() for p in entry["paths"]):
            return entry
        return None

    def record(self, step: str, fingerprint: str, seconds: float, outputs: Any, paths: list[str]) -> None:
        self.steps[step] = {
            "fingerprint": fingerprint,
            "seconds": round(seconds, 1),
            "outputs": outputs,
            "paths": paths,
        }
        write_json_atomic(self.path, {"steps": self.steps})
