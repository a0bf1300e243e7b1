"""Streaming readers for `annotate` SOURCEs: an audiofolder (metadata.jsonl / metadata.csv) or a saved `datasets`
dataset (`save_to_disk`). Rows are read one at a time (constant memory) in a fixed global order, so that sharding
(``index % num_shards``) and resuming (skip the rows a shard already logged) are deterministic.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..utils import get_logger
from .audio import InputRejected


logger = get_logger(__name__)

#: Transcript columns recognised when `text_column` is not given, in order of preference.
TEXT_COLUMNS = ("transcription", "text", "sentence", "transcript", "normalized_text")
#: Split folders read first and in this order; any other split folder follows alphabetically.
SPLIT_ORDER = ("train", "validation", "test")
_MISSING = object()


@dataclass
class SourceItem:
    """One input row: where its audio is, its transcript (or why the transcript is unusable), other columns."""

    index: int
    id: str
    split: str
    ref: Any  # how to fetch the audio again at merge time (a file path, or a row number)
    transcription: str | None = None
    error: InputRejected | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _json_safe(value: Any) -> Any:
    if isinstance(value, str):
        # Undecodable source bytes (kept as surrogates) are replaced so every log line is valid UTF-8.
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if _has_surrogates(value) else value
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return str(value)


def _order_splits(names: list[str]) -> list[str]:
    known = [s for s in SPLIT_ORDER if s in names]
    return known + sorted(n for n in names if n not in SPLIT_ORDER)


def _split_transcript(row: dict, text_column: str | None) -> tuple[Any, str | None]:
    """(value, column) of the transcript; value is `_MISSING` when no transcript column is present."""
    if text_column is not None:
        return row.get(text_column, _MISSING), text_column
    for name in TEXT_COLUMNS:
        if name in row:
            return row[name], name
    return _MISSING, None


def _check_transcript(value: Any, column: str | None) -> tuple[str | None, InputRejected | None]:
    if value is _MISSING:
        wanted = column or " / ".join(TEXT_COLUMNS)
        return None, InputRejected("transcript.missing", f"the row has no transcript column ({wanted})")
    if value is None:
        return None, None  # the source says: no speech
    if not isinstance(value, str):
        return None, InputRejected(
            "transcript.type", f"transcript `{column}` is a {type(value).__name__}, expected a string or null"
        )
    if _has_surrogates(value):  # bytes that were not UTF-8 (kept as surrogates by surrogateescape)
        return None, InputRejected("transcript.encoding", f"transcript `{column}` is not valid UTF-8")
    if not value.strip():
        return None, None  # an empty transcript means no speech, as in audiofolder datasets without speech
    return value, None


class AudiofolderSource:
    """An audiofolder: ``ROOT/{split}/metadata.jsonl|csv`` (or ``ROOT/metadata.*`` as split ``train``).

    Each metadata row needs ``file_name`` (relative to its metadata file) and a transcript column; other columns
    are carried along as metadata (ground-truth labels of the embedded corpus, ...).
    """

    kind = "audiofolder"

    def __init__(self, root: str | Path, text_column: str | None = None, splits: list[str] | None = None):
        self.root = Path(root).resolve()
        self.text_column = text_column
        found: dict[str, Path] = {}
        for meta in ("metadata.jsonl", "metadata.csv"):
            if (self.root / meta).is_file():
                found.setdefault("train", self.root / meta)
        for sub in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for meta in ("metadata.jsonl", "metadata.csv"):
                if (sub / meta).is_file():
                    found.setdefault(sub.name, sub / meta)
                    break
        if not found:
            raise FileNotFoundError(
                f"`source` {str(root)!r} has no metadata.jsonl or metadata.csv (at the top or in split subfolders). "
                "An audiofolder needs one with `file_name` and `transcription` columns."
            )
        if splits:
            missing = [s for s in splits if s not in found]
            if missing:
                raise ValueError(f"`splits` {missing} not found in {str(root)!r}; available: {sorted(found)}.")
            found = {s: found[s] for s in splits}
        self.metadata_files = {s: found[s] for s in _order_splits(list(found))}

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": str(self.root), "splits": list(self.metadata_files)}

    def _rows(self, split: str, meta: Path) -> Iterator[tuple[dict | None, InputRejected | None, int]]:
        if meta.suffix == ".jsonl":
            with open(meta, "rb") as f:
                for line_no, raw in enumerate(f, start=1):
                    if not raw.strip():
                        continue
                    try:
                        text = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        # Keep the row: undecodable bytes become lone surrogates that the transcript check reports.
                        text = raw.decode("utf-8", errors="surrogateescape")
                    try:
                        row = json.loads(text)
                    except json.JSONDecodeError as e:
                        yield None, InputRejected("metadata.invalid_json", f"line {line_no}: {e.msg}"), line_no
                        continue
                    if not isinstance(row, dict):
                        yield None, InputRejected("metadata.invalid_json", f"line {line_no} is not an object"), line_no
                        continue
                    yield row, None, line_no
        else:
            with open(meta, encoding="utf-8", errors="surrogateescape", newline="") as f:
                for line_no, row in enumerate(csv.DictReader(f), start=2):
                    # csv gives None for cells missing from a short row and "" for empty cells.
                    yield {k: v for k, v in row.items() if k is not None and v is not None}, None, line_no

    def __iter__(self) -> Iterator[SourceItem]:
        index = 0
        for split, meta in self.metadata_files.items():
            seen: set[str] = set()  # file names of this split (ids must be unique; ~100 bytes per row)
            for row, error, line_no in self._rows(split, meta):
                if row is None or not isinstance(row.get("file_name"), str) or not row.get("file_name"):
                    err = error or InputRejected(
                        "metadata.no_file_name", f"{meta.name} line {line_no} has no file_name"
                    )
                    yield SourceItem(index, f"{split}/{meta.name}:{line_no}", split, None, error=err)
                    index += 1
                    continue
                file_name = row["file_name"]
                item_id = f"{split}/{_json_safe(file_name)}"
                if file_name in seen:
                    error = error or InputRejected(
                        "metadata.duplicate_file_name", f"{file_name!r} appears again at {meta.name} line {line_no}"
                    )
                    item_id = f"{item_id}#{meta.name}:{line_no}"
                seen.add(file_name)
                value, column = _split_transcript(row, self.text_column)
                transcription, t_error = _check_transcript(value, column)
                path = (meta.parent / file_name).resolve()
                if error is None and t_error is None and not path.is_relative_to(self.root):
                    error = InputRejected("metadata.bad_path", f"file_name {file_name!r} points outside the source")
                keep = {k: _json_safe(v) for k, v in row.items() if k not in ("file_name", column)}
                yield SourceItem(
                    index,
                    item_id,
                    split,
                    str(path),
                    transcription,
                    error or t_error,
                    keep,
                )
                index += 1

    def num_rows(self) -> int:
        return sum(1 for _ in self._count())

    def _count(self):
        for _split, meta in self.metadata_files.items():
            if meta.suffix == ".jsonl":
                with open(meta, "rb") as f:
                    yield from (1 for line in f if line.strip())
            else:
                with open(meta, encoding="utf-8", errors="surrogateescape", newline="") as f:
                    yield from (1 for _ in csv.DictReader(f))

    def read_audio(self, ref: Any) -> bytes:
        if ref is None:
            raise InputRejected("audio.missing_file", "no audio file for this row")
        try:
            with open(ref, "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise InputRejected("audio.missing_file", f"audio file not found: {ref}") from None
        except OSError as e:
            raise InputRejected("audio.unreadable", f"cannot read {ref}: {e}") from None

    def audio_path(self, ref: Any) -> str | None:
        return ref


class SavedDatasetSource:
    """A `datasets` dataset saved with ``save_to_disk`` (a `Dataset` or a `DatasetDict`), memory-mapped.

    The audio column is the first `Audio` feature (or a column named ``audio``); it is read undecoded so that a
    corrupt file becomes a rejection instead of an exception inside `datasets`.
    """

    kind = "saved_dataset"

    def __init__(
        self,
        path: str | Path,
        audio_column: str | None = None,
        text_column: str | None = None,
        splits: list[str] | None = None,
    ):
        from datasets import Audio, Dataset, DatasetDict, load_from_disk

        self.path = Path(path).resolve()
        loaded = load_from_disk(str(self.path))
        if isinstance(loaded, Dataset):
            loaded = DatasetDict({"train": loaded})
        if splits:
            missing = [s for s in splits if s not in loaded]
            if missing:
                raise ValueError(f"`splits` {missing} not in the saved dataset; available: {sorted(loaded)}.")
            loaded = DatasetDict({s: loaded[s] for s in splits})
        first = next(iter(loaded.values()))
        if audio_column is None:
            audio_column = next((n for n, f in first.features.items() if isinstance(f, Audio)), None)
            if audio_column is None and "audio" in first.column_names:
                audio_column = "audio"
        if audio_column is None or audio_column not in first.column_names:
            raise ValueError(
                f"`audio_column` {audio_column!r} not found; the dataset has columns {first.column_names}. "
                "Pass --audio-column NAME."
            )
        if text_column is None:
            text_column = next((c for c in TEXT_COLUMNS if c in first.column_names), None)
        self.audio_column = audio_column
        self.text_column = text_column
        self.splits: dict[str, Any] = {}
        for split in _order_splits(list(loaded)):
            ds = loaded[split]
            if isinstance(ds.features.get(audio_column), Audio):
                ds = ds.cast_column(audio_column, Audio(decode=False))
            self.splits[split] = ds

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": str(self.path),
            "splits": list(self.splits),
            "audio_column": self.audio_column,
            "text_column": self.text_column,
        }

    def num_rows(self) -> int:
        return sum(len(ds) for ds in self.splits.values())

    def __iter__(self) -> Iterator[SourceItem]:
        index = 0
        for split, ds in self.splits.items():
            has_id = "id" in ds.column_names
            seen: set = set()
            for row_no in range(len(ds)):
                row = ds[row_no]
                value = row.get(self.text_column, _MISSING) if self.text_column else _MISSING
                transcription, error = _check_transcript(value, self.text_column)
                rid = row["id"] if has_id and isinstance(row["id"], (str, int)) else row_no
                if rid in seen:
                    error = error or InputRejected(
                        "metadata.duplicate_id", f"id {rid!r} appears again at row {row_no}"
                    )
                    rid = f"{rid}#{row_no}"
                seen.add(rid)
                keep = {
                    k: _json_safe(v) for k, v in row.items() if k not in (self.audio_column, self.text_column, "id")
                }
                yield SourceItem(index, f"{split}/{rid}", split, (split, row_no), transcription, error, keep)
                index += 1

    def _audio_cell(self, ref: Any) -> dict:
        split, row_no = ref
        cell = self.splits[split][row_no][self.audio_column]
        if isinstance(cell, str):
            return {"bytes": None, "path": cell}
        if not isinstance(cell, dict):
            raise InputRejected("audio.unreadable", f"audio cell is a {type(cell).__name__}, not bytes or a path")
        return cell

    def read_audio(self, ref: Any) -> bytes:
        cell = self._audio_cell(ref)
        if cell.get("bytes"):
            return cell["bytes"]
        path = cell.get("path")
        if not path:
            raise InputRejected("audio.empty", "the audio cell has neither bytes nor a path")
        try:
            with open(path if os.path.isabs(path) else self.path / path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise InputRejected("audio.missing_file", f"audio file not found: {path}") from None
        except OSError as e:
            raise InputRejected("audio.unreadable", f"cannot read {path}: {e}") from None

    def audio_path(self, ref: Any) -> str | None:
        cell = self._audio_cell(ref)
        return None if cell.get("bytes") else cell.get("path")


def open_source(
    source: str | Path,
    audio_column: str | None = None,
    text_column: str | None = None,
    splits: list[str] | None = None,
):
    """Open ``source`` as an audiofolder or a saved dataset, whichever it is.

    Example:

    ```python
    >>> src = open_source("corpus/")  # doctest: +SKIP
    >>> next(iter(src)).id  # doctest: +SKIP
    'train/000001.wav'

    ```
    """
    path = Path(source)
    if not path.is_dir():
        raise FileNotFoundError(
            f"`source` must be a folder (an audiofolder or a `save_to_disk` dataset); got {str(source)!r}."
        )
    if (path / "dataset_dict.json").is_file() or (path / "dataset_info.json").is_file():
        return SavedDatasetSource(path, audio_column=audio_column, text_column=text_column, splits=splits)
    return AudiofolderSource(path, text_column=text_column, splits=splits)
