"""`uas-hf qa IN.jsonl --out OUT.jsonl --seed N`: UAS-QA items (paper §2.3) from UAS records.

IN is ``accepted.jsonl`` from `uas-hf validate`, or any JSONL with ``id`` and ``uas`` (object or JSON string).
Each output line is one QA item: ``id``, ``source_id``, ``type``, ``field``, ``question``, ``options``, ``answer``,
``messages``. Lines that cannot be used (bad JSON, no id, an unparseable record) are skipped, counted by reason in
the summary, and listed with ``--skipped FILE``. Streams in constant memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections import Counter
from pathlib import Path

from ..utils.logging import get_logger
from .main import UsageError
from .validate import (
    MAX_LINE_BYTES,
    add_progress_argument,
    check_input_file,
    decode_line,
    iter_raw_lines,
    open_progress,
    progress_default,
    record_id,
)


logger = get_logger(__name__)
_WARN_FIRST = 5  # skipped lines logged individually; the rest are only counted


def _per_record(text: str) -> int | None:
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'all', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'all', got {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..data.qa import DEFAULT_POOL_SIZE, QA_TYPES
    from ..schema import FIELDS

    parser = subparsers.add_parser(
        "qa",
        help="generate UAS-QA items (direct, multiple choice, yes/no) from UAS records",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("input", metavar="IN.jsonl", help="lines with `id` and `uas`")
    parser.add_argument(
        "--out", required=True, metavar="OUT.jsonl", default=argparse.SUPPRESS, help="QA items, one per line"
    )
    parser.add_argument("--seed", type=int, default=0, help="output is deterministic for a seed")
    parser.add_argument(
        "--per-record", type=_per_record, default=3, metavar="K", help="questions per record, or 'all' fields"
    )
    parser.add_argument("--types", nargs="+", choices=QA_TYPES, default=list(QA_TYPES), help="question types")
    parser.add_argument("--fields", nargs="+", choices=FIELDS, default=list(FIELDS), help="fields to ask about")
    parser.add_argument(
        "--pool-size", type=int, default=DEFAULT_POOL_SIZE, help="earlier records kept to draw distractors from"
    )
    parser.add_argument(
        "--skipped", metavar="FILE", default=argparse.SUPPRESS, help="also write skipped lines with their reason here"
    )
    parser.add_argument(
        "--max-line-bytes", type=int, default=MAX_LINE_BYTES, metavar="N", help="longer lines are skipped"
    )
    add_progress_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.qa import UASQAGenerator
    from ..schema import UASParseError, parse_uas

    in_path = check_input_file(args.input)
    out_path = Path(args.out)
    if out_path.exists() and out_path.is_dir():
        raise UsageError(f"`--out` {args.out!r} is a directory; give a file path.")
    if args.pool_size < 1:
        raise UsageError(f"`--pool-size` must be positive; got {args.pool_size}.")
    if args.max_line_bytes < 1:
        raise UsageError(f"`--max-line-bytes` must be positive; got {args.max_line_bytes}.")
    generator = UASQAGenerator(
        seed=args.seed, per_record=args.per_record, types=args.types, fields=args.fields, pool_size=args.pool_size
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    progress = getattr(args, "progress", None)
    progress = progress_default() if progress is None else progress
    skipped: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    by_field: Counter[str] = Counter()
    n_lines = n_records = n_items = 0
    started = time.perf_counter()
    dumps = json.dumps
    skipped_out = None

    def skip(line_number: int, code: str, message: str) -> None:
        skipped[code] += 1
        if sum(skipped.values()) <= _WARN_FIRST:
            logger.warning("line %d skipped (%s): %s", line_number, code, message)
        if skipped_out is not None:
            skipped_out.write(
                dumps({"line": line_number, "code": code, "message": message}, ensure_ascii=False) + "\n"
            )

    try:
        with contextlib.ExitStack() as stack:
            f = stack.enter_context(open(in_path, "rb"))
            out = stack.enter_context(open(partial, "w", encoding="utf-8"))
            if getattr(args, "skipped", None):
                skipped_out = stack.enter_context(open(args.skipped, "w", encoding="utf-8"))
            bar = stack.enter_context(open_progress(in_path.stat().st_size, "qa", progress))
            for line_number, raw, too_long, consumed in iter_raw_lines(f, args.max_line_bytes):
                n_lines += 1
                bar.update(consumed)
                if too_long:
                    skip(line_number, "input.line_too_long", f"longer than {args.max_line_bytes} bytes")
                    continue
                obj, problems = decode_line(line_number, raw)
                if obj is None:
                    skip(line_number, *problems[0])
                    continue
                source_id, problems = record_id(obj, line_number)
                if source_id is None:
                    skip(line_number, *problems[0])
                    continue
                if "uas" not in obj:
                    skip(line_number, "input.missing_uas", "no `uas`")
                    continue
                try:
                    record = parse_uas(obj["uas"])
                except UASParseError as e:
                    skip(line_number, e.code, str(e))
                    continue
                n_records += 1
                for item in generator.generate(source_id, record):
                    out.write(dumps(item, ensure_ascii=False) + "\n")
                    n_items += 1
                    by_type[item["type"]] += 1
                    by_field[item["field"]] += 1
        os.replace(partial, out_path)
    finally:
        if partial.exists():
            partial.unlink()
    elapsed = time.perf_counter() - started
    rate = f" ({n_records / elapsed:,.0f} records/s)" if elapsed > 0 else ""
    print(
        f"uas-hf qa: {n_lines} lines -> {n_records} records -> {n_items} QA items in {elapsed:.1f} s{rate}; "
        f"{sum(skipped.values())} lines skipped"
    )
    if n_items:
        print("  by type:  " + ", ".join(f"{t} {c}" for t, c in sorted(by_type.items())))
        print("  by field: " + ", ".join(f"{f} {c}" for f, c in sorted(by_field.items())))
    if skipped:
        print("  skipped:  " + ", ".join(f"{code} {count}" for code, count in skipped.most_common()))
    print(f"  wrote {out_path}")
    return 0
