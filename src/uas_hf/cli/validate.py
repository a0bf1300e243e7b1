"""`uas-hf validate IN.jsonl --out-dir DIR`: Stage-3 validation of a JSONL file of raw UAS records.

Each input line is an object with ``id``, ``uas`` (an object, or the raw string an LLM returned), and optionally
``transcription`` (the ground truth; ``null`` means "no speech") and ``duration`` (seconds). Writes

* ``DIR/accepted.jsonl`` - ``{"id", "uas": <canonical record>, <other input columns>}``;
* ``DIR/rejected.jsonl`` - ``{"id", "line", "reasons": [{"code", "message", "path"}], "raw": <input line>}``;
* ``DIR/summary.json`` - counts per reason and the configuration used.

Every line lands in exactly one of the two files (blank, malformed, non-UTF-8 and duplicate-id lines are rejected
with an ``input.*`` code; a line without a usable id gets the id ``line:<n>``). Streams in constant memory: ids are
de-duplicated through a temporary on-disk SQLite table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from orjson import JSONDecodeError as _OrjsonDecodeError
from orjson import loads as _orjson_loads

from .main import UsageError


MAX_LINE_BYTES = 4 * 1024 * 1024
"""Default longest input line. A line is held in memory whole, so this bounds memory; a UAS record is a few kB."""
RAW_ECHO_BYTES = 64 * 1024  # how much of an over-long line is echoed into rejected.jsonl
_SQLITE_CACHE_KIB = 512  # page cache of the id table: memory stays flat, the OS file cache does the rest
_SUMMARY_TOP_REASONS = 15  # reasons listed on screen; summary.json has all of them
_READ_CHUNK = 1024 * 1024


# ----------------------------------------------------------------------------------------------------------------
# argument parsing from ValidationConfig
# ----------------------------------------------------------------------------------------------------------------
def _none_or_float(text: str) -> float | None:
    if text.lower() in ("none", "off", "null"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one ``--option`` per `ValidationConfig` field (help text from the field metadata)."""
    from ..schema import ValidationConfig

    group = parser.add_argument_group("validation rules (ValidationConfig fields; see its docstring for rationale)")
    for f in dataclasses.fields(ValidationConfig):
        flag = "--" + f.name.replace("_", "-")
        default = f.default
        shown = " ".join(default) if isinstance(default, tuple) else default
        # SUPPRESS: an option not given leaves the config (or --config file) value alone
        common = {"dest": f"cfg_{f.name}", "default": argparse.SUPPRESS, "help": f"{f.metadata.get('help', '')} "}
        common["help"] += f"(default: {shown if shown != '' else 'none'})"
        kind = str(f.type)
        if kind == "bool":
            group.add_argument(flag, action=argparse.BooleanOptionalAction, **common)
        elif kind.startswith("tuple"):
            group.add_argument(flag, nargs="*", metavar="NAME", **common)
        elif kind == "int":
            group.add_argument(flag, type=int, metavar="N", **common)
        elif "float" in kind:
            group.add_argument(flag, type=_none_or_float, metavar="X", **common)
        else:
            group.add_argument(flag, metavar="VALUE", **common)
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="YAML or JSON file of ValidationConfig fields; command-line options override it",
    )


def config_from_args(args: argparse.Namespace):
    """Build the `ValidationConfig` from ``--config FILE`` plus the per-field options."""
    from ..schema import ValidationConfig

    values: dict[str, Any] = {}
    if getattr(args, "config", None):
        path = Path(args.config)
        if not path.is_file():
            raise UsageError(f"`--config` file {str(path)!r} does not exist.")
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            loaded = yaml.safe_load(text) or {}
        else:
            loaded = json.loads(text)
        if not isinstance(loaded, dict):
            raise UsageError(f"`--config` file {str(path)!r} must hold a mapping of ValidationConfig fields.")
        known = {f.name for f in dataclasses.fields(ValidationConfig)}
        unknown = sorted(set(loaded) - known)
        if unknown:
            raise UsageError(f"`--config` has unknown fields {unknown}; valid fields: {sorted(known)}.")
        values.update(loaded)
    for f in dataclasses.fields(ValidationConfig):
        value = getattr(args, f"cfg_{f.name}", None)
        if value is not None:
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return ValidationConfig(**values)


def progress_default() -> bool:
    """Show progress bars when a person is watching (stderr is a terminal)."""
    return sys.stderr.isatty()


def add_progress_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="show a progress bar (default: when stderr is a terminal)",
    )


# ----------------------------------------------------------------------------------------------------------------
# streaming input
# ----------------------------------------------------------------------------------------------------------------
def iter_raw_lines(f: BinaryIO, max_line_bytes: int) -> Iterator[tuple[int, bytes, bool, int]]:
    """Yield ``(line_number, raw_bytes, too_long, bytes_consumed)`` for every line, reading at most
    ``max_line_bytes`` of any line into memory (the rest of an over-long line is skipped in chunks)."""
    line_number = 0
    while True:
        raw = f.readline(max_line_bytes)
        if not raw:
            return
        line_number += 1
        consumed = len(raw)
        too_long = False
        if len(raw) == max_line_bytes and not raw.endswith(b"\n"):
            while True:  # drain the rest of this line without keeping it
                chunk = f.readline(_READ_CHUNK)
                consumed += len(chunk)
                too_long = too_long or bool(chunk.rstrip(b"\r\n"))  # only the line end left: not too long
                if not chunk or chunk.endswith(b"\n"):
                    break
        yield line_number, raw, too_long, consumed


def check_input_file(path: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise UsageError(f"input file {path!r} does not exist.")
    if not p.is_file():
        raise UsageError(f"input {path!r} is not a file.")
    return p


def open_progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm  # the terminal bar; tqdm.auto would import notebook support (~10 MB) for nothing here

    return tqdm(
        total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=not enabled, dynamic_ncols=True
    )


class SeenIds:
    """Ids seen so far, kept in a temporary SQLite table: exact, and memory stays flat however long the input."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="uas-hf-ids-")
        self._db = sqlite3.connect(os.path.join(self._dir.name, "ids.sqlite"), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")  # a scratch table: no crash recovery needed
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
        self._db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY) WITHOUT ROWID")
        self._db.execute("BEGIN")
        self._insert = "INSERT OR IGNORE INTO ids VALUES (?)"

    def add(self, key: str) -> bool:
        """Record ``key``; `False` when it was already there."""
        return self._db.execute(self._insert, (key,)).rowcount == 1

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()


_WIDE = float(2**63)  # orjson turns an integer beyond 64 bits into a float, whose magnitude is then >= 2**63


def _holds_wide_number(value: Any) -> bool:
    """Whether ``value`` holds a float of magnitude >= 2**63: possibly an integer orjson could not keep exact."""
    kind = type(value)
    if kind is float:
        return not -_WIDE < value < _WIDE
    if kind is dict:
        return any(_holds_wide_number(v) for v in value.values())
    if kind is list:
        return any(_holds_wide_number(v) for v in value)
    return False


def decode_line(line_number: int, raw: bytes) -> tuple[dict | None, list[tuple[str, str]]]:
    """Decode one line to an object, or return the ``input.*`` reasons why not.

    `orjson` parses the common case (about 2.5x faster than `json.loads` on UAS lines). The stdlib path below is the
    reference and decides everything else, so results are those of `json.loads`: a line orjson refuses (malformed,
    not UTF-8, but also valid JSON it does not take: ``NaN``, lone-surrogate escapes) is re-read by it and gets the
    same reasons; so is a line with an integer beyond 64 bits outside ``uas`` (orjson would turn it into a float), so
    ids and passthrough columns keep their exact values. Inside ``uas`` every number is a schema error anyway.
    """
    try:
        obj = _orjson_loads(raw)
    except _OrjsonDecodeError:
        return _decode_line_stdlib(line_number, raw)
    if type(obj) is dict:
        for key, value in obj.items():
            if key != "uas" and type(value) is not str and _holds_wide_number(value):
                return _decode_line_stdlib(line_number, raw)
        return obj, []
    return _decode_line_stdlib(line_number, raw)


def _decode_line_stdlib(line_number: int, raw: bytes) -> tuple[dict | None, list[tuple[str, str]]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, [("input.encoding", f"line {line_number} is not valid UTF-8 ({e.reason} at byte {e.start}).")]
    if not text.strip():
        return None, [("input.empty_line", f"line {line_number} is blank.")]
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        return None, [("input.invalid_json", f"line {line_number} is not valid JSON ({e.msg} at column {e.colno}).")]
    except RecursionError:
        return None, [("input.invalid_json", f"line {line_number} is nested too deeply.")]
    if not isinstance(obj, dict):
        return None, [("input.not_object", f"line {line_number} is a JSON {type(obj).__name__}, expected an object.")]
    return obj, []


def record_id(obj: dict, line_number: int) -> tuple[str | None, list[tuple[str, str]]]:
    """The line's id as a string, or `None` with the reason."""
    if "id" not in obj:
        return None, [("input.missing_id", f"line {line_number} has no `id`.")]
    value = obj["id"]
    if type(value) is int:
        return str(value), []
    if type(value) is str and value.strip():
        return value, []
    return None, [("input.invalid_id", f"`id` must be a non-empty string or an integer; got {value!r:.80}.")]


# ----------------------------------------------------------------------------------------------------------------
# the command
# ----------------------------------------------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="Stage-3 validation of raw UAS records (JSONL) into accepted / rejected files",
        description=__doc__.split("\n\n")[0] + " Every line is either accepted or rejected with its reasons.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "input", metavar="IN.jsonl", help="lines with `id`, `uas`, optional `transcription`, `duration`"
    )
    parser.add_argument(
        "--out-dir", required=True, metavar="DIR", default=argparse.SUPPRESS, help="where accepted/rejected/summary go"
    )
    parser.add_argument(
        "--max-line-bytes", type=int, default=MAX_LINE_BYTES, metavar="N", help="longer lines are rejected"
    )
    add_progress_argument(parser)
    add_config_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..schema import REJECTION_CODES, UASValidator, to_canonical_json

    in_path = check_input_file(args.input)
    out_dir = Path(args.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"`--out-dir` {args.out_dir!r} exists and is not a directory.")
    if args.max_line_bytes < 1:
        raise UsageError(f"`--max-line-bytes` must be positive; got {args.max_line_bytes}.")
    config = config_from_args(args)
    validator = UASValidator(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    progress = getattr(args, "progress", None)
    progress = progress_default() if progress is None else progress

    paths = {name: out_dir / f"{name}.jsonl" for name in ("accepted", "rejected")}
    partial = {name: p.with_suffix(".jsonl.partial") for name, p in paths.items()}
    reasons_count: Counter[str] = Counter()
    n_lines = n_accepted = n_rejected = 0
    dumps = json.dumps
    started = time.perf_counter()
    seen = SeenIds()
    try:
        with (
            open(in_path, "rb") as f,
            open(partial["accepted"], "w", encoding="utf-8") as accepted_out,
            open(partial["rejected"], "w", encoding="utf-8") as rejected_out,
            open_progress(in_path.stat().st_size, "validate", progress) as bar,
        ):
            for line_number, raw, too_long, consumed in iter_raw_lines(f, args.max_line_bytes):
                n_lines += 1
                bar.update(consumed)
                reasons: list[dict[str, Any]] = []
                obj = None
                rid = None
                if too_long:
                    reasons.append(
                        {
                            "code": "input.line_too_long",
                            "message": f"line {line_number} is longer than {args.max_line_bytes} bytes "
                            "(`--max-line-bytes`).",
                            "path": None,
                        }
                    )
                else:
                    obj, problems = decode_line(line_number, raw)
                    reasons += [{"code": c, "message": m, "path": None} for c, m in problems]
                if obj is not None:
                    rid, problems = record_id(obj, line_number)
                    reasons += [{"code": c, "message": m, "path": "id"} for c, m in problems]
                    if rid is not None and not seen.add(rid):
                        reasons.append(
                            {
                                "code": "input.duplicate_id",
                                "message": f"`id` {rid!r} was already used on an earlier line.",
                                "path": "id",
                            }
                        )
                    if "uas" not in obj:
                        reasons.append(
                            {
                                "code": "input.missing_uas",
                                "message": f"line {line_number} has no `uas`.",
                                "path": "uas",
                            }
                        )
                        result = None
                    else:
                        # `"transcription": null` is a known "no speech" ground truth; an absent key is unknown.
                        ground_truth = obj.get("transcription")
                        if ground_truth is None and "transcription" in obj:
                            ground_truth = ""
                        result = validator.validate(
                            obj["uas"], ground_truth=ground_truth, duration=obj.get("duration")
                        )
                        reasons += [r.to_dict() for r in result.reasons]
                if not reasons:
                    extras = "".join(
                        f",{dumps(k, ensure_ascii=False)}:{dumps(v, ensure_ascii=False)}"
                        for k, v in obj.items()
                        if k != "id" and k != "uas"
                    )
                    accepted_out.write(
                        f'{{"id":{dumps(rid, ensure_ascii=False)},"uas":{to_canonical_json(result.record)}{extras}}}\n'
                    )
                    n_accepted += 1
                    continue
                n_rejected += 1
                for r in reasons:
                    reasons_count[r["code"]] += 1
                echo = raw[:RAW_ECHO_BYTES] if too_long else raw
                row = {
                    "id": rid if rid is not None else f"line:{line_number}",
                    "line": line_number,
                    "reasons": reasons,
                    "raw": echo.decode("utf-8", "backslashreplace").rstrip("\r\n"),
                }
                if too_long:
                    row["raw_truncated"] = True
                rejected_out.write(dumps(row, ensure_ascii=False) + "\n")
        for name in paths:
            os.replace(partial[name], paths[name])
    finally:
        seen.close()
        for p in partial.values():
            if p.exists():
                p.unlink()
    elapsed = time.perf_counter() - started
    summary = {
        "input": str(in_path),
        "lines": n_lines,
        "accepted": n_accepted,
        "rejected": n_rejected,
        "reasons": dict(reasons_count.most_common()),
        "seconds": round(elapsed, 3),
        "config": config.to_dict(),
        "outputs": {name: str(p) for name, p in paths.items()},
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _print_summary(summary, elapsed, REJECTION_CODES, out_dir)
    return 0


def _print_summary(summary: dict, elapsed: float, codes: dict[str, str], out_dir: Path) -> None:
    n, kept = summary["lines"], summary["accepted"]
    share = f"{100 * kept / n:.1f}%" if n else "n/a"
    rate = f"{n / elapsed:,.0f} lines/s" if elapsed > 0 else ""
    print(
        f"uas-hf validate: {n} lines -> {kept} accepted, {summary['rejected']} rejected ({share} kept) "
        f"in {elapsed:.1f} s {rate}"
    )
    reasons = list(summary["reasons"].items())
    if reasons:
        print("  rejection reasons (a line may have several):")
        for code, count in reasons[:_SUMMARY_TOP_REASONS]:
            print(f"    {code:<38} {count:>8}  {codes.get(code, '')}")
        if len(reasons) > _SUMMARY_TOP_REASONS:
            print(f"    ... and {len(reasons) - _SUMMARY_TOP_REASONS} more in summary.json")
    print(f"  wrote {out_dir / 'accepted.jsonl'}, {out_dir / 'rejected.jsonl'}, {out_dir / 'summary.json'}")
