"""`uas-hf score`: re-score saved responses with a benchmark's official scorer or Tencent's UAS evaluator.

    uas-hf score --benchmark mmau --scoring tencent --data mmau-test-mini.json \\
        --predictions pred.jsonl --out result.json

PRED.jsonl has one ``{"id": ..., "response": ...}`` per line (``--response-key`` for other keys, e.g. the official
``model_output``). Structural problems (unknown or duplicate ids, items without a response, broken records) stop
before scoring with exit code 2; empty, non-string or runaway responses are counted as unparseable.
"""

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any


_SUMMARY_FIELDS = {"mmsu": "category", "mmar": "modality", "mmau": "task"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score saved MMSU / MMAR / MMAU responses (official or Tencent scoring)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--benchmark", required=True, choices=["mmsu", "mmar", "mmau"])
    parser.add_argument(
        "--scoring",
        required=True,
        choices=["official", "tencent"],
        help="official: the benchmark's own script; tencent: the UAS authors' evaluator",
    )
    parser.add_argument(
        "--data", required=True, help="the benchmark's metadata file (MMSU jsonl, MMAU json, MMAR json/jsonl)"
    )
    parser.add_argument("--predictions", required=True, help="JSONL (or JSON array) of {id, response}")
    parser.add_argument("--out", required=True, help="where to write RESULT.json")
    parser.add_argument(
        "--think",
        default="keep",
        choices=["keep", "split", "remove_tags"],
        help="<think> handling: keep the raw text (default, as the shipped scripts), split after the first </think> "
        "(Tencent --thinking), or remove_tags (Tencent's UAS wrapper for MMSU)",
    )
    parser.add_argument("--response-key", default="response", help="key holding the response (default: response)")
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="score even if some items have no response (MMAU/MMAR skip them, MMSU counts them wrong)",
    )
    parser.add_argument(
        "--allow-answer-mismatch",
        action="store_true",
        help="accept gold answers that are not an option (MMAR v1's six known quirks are always accepted)",
    )
    parser.add_argument(
        "--official-version",
        default="2026",
        choices=["2026", "2025"],
        help="MMSU only: 2025 reproduces the superseded script's stale-letter bug",
    )
    parser.add_argument(
        "--max-response-chars", type=int, default=None, help="longer responses are unparseable (default: 200000)"
    )
    parser.add_argument("--details", action="store_true", help="include a per-item `details` list in RESULT.json")
    parser.set_defaults(func=run)


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{100 * value:6.2f}"


def format_summary(result: dict[str, Any]) -> str:
    """A short plain-text table: overall, counts, and the benchmark's headline breakdown."""
    lines = [
        f"{result['benchmark']} · {result['scorer']['name']} · think={result['think']} · data {result['data']['version']}",
        f"  {'overall':<40} {_pct(result['overall'])} %   n={result['n']}",
        f"  unparseable={result['unparseable']}  missing={result['missing']}  excluded={result['excluded']}  "
        f"items={result['n_items']}",
    ]
    field = _SUMMARY_FIELDS[result["benchmark"]]
    counts = result["breakdown_counts"].get(field, {})
    for value, cell in counts.items():
        fraction = cell["correct"] / cell["n"] if cell["n"] else None
        lines.append(f"  {field}={value:<{38 - len(field)}} {_pct(fraction)} %   n={cell['n']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..evaluation import load_benchmark, load_predictions, score_predictions

    benchmark = load_benchmark(
        args.benchmark,
        args.data,
        require_audio=False,
        allow_answer_mismatch=True if args.allow_answer_mismatch else None,
    )
    predictions = load_predictions(args.predictions, response_key=args.response_key)
    kwargs: dict[str, Any] = {"return_details": args.details}
    if args.max_response_chars is not None:
        kwargs["max_response_chars"] = args.max_response_chars
    if args.benchmark == "mmsu":
        kwargs["official_version"] = args.official_version
    result = score_predictions(
        benchmark,
        predictions,
        scoring=args.scoring,
        think=args.think,
        allow_missing=args.allow_missing,
        **kwargs,
    )
    _write_json(Path(args.out), result)
    print(format_summary(result))
    print(f"wrote {args.out}")
    return 0
