"""Run every benchmark of the project, then print one table of all their results (issue 8).

Each `benchmarks/bench_*.py` runs in its own subprocess, one after the other (they time themselves; running them in
parallel would disturb each other's timings), with the environment of this process (set `OMP_NUM_THREADS=1` for
CPU runs, as each script's docstring says). Then every `benchmarks/results/bench_*.json` — a list of
`{"name", "value", "unit", "baseline", "target", "higher_is_better"}` — is read into one table: the ratio
value/baseline where a baseline exists, the target, and whether it is met (`value >= target` when higher is better,
`value <= target` when lower is better). The table and each script's exit status and run time are written to
`benchmarks/results/run_all.json`.

    OMP_NUM_THREADS=1 python benchmarks/run_all.py                     # every benchmark (tens of minutes)
    OMP_NUM_THREADS=1 python benchmarks/run_all.py --only eval model   # some of them
    python benchmarks/run_all.py --skip training                       # all but some
    python benchmarks/run_all.py --table-only                          # no run: the table of the saved results
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


HERE = Path(__file__).resolve().parent
OUTPUT_NAME = "run_all.json"
COLUMNS = ("benchmark", "name", "value", "unit", "baseline", "ratio", "target", "met")


def _stem(name: str) -> str:
    """`eval`, `bench_eval` and `bench_eval.py` all name `bench_eval`."""
    name = Path(name).name.removesuffix(".py").removesuffix(".json")
    return name if name.startswith("bench_") else f"bench_{name}"


def select(names: list[str], only: list[str] | None, skip: list[str] | None) -> list[str]:
    """The benchmark stems to run/show, in order; unknown names in `only`/`skip` raise a `ValueError`."""
    known = set(names)
    for option, values in (("--only", only), ("--skip", skip)):
        unknown = sorted({_stem(v) for v in values or []} - known)
        if unknown:
            raise ValueError(f"`{option}` names unknown benchmark(s) {unknown}; known: {sorted(known)}.")
    keep = [n for n in names if not only or n in {_stem(v) for v in only}]
    return [n for n in keep if n not in {_stem(v) for v in skip or []}]


def is_met(value: Any, target: Any, higher_is_better: Any) -> bool | None:
    """Whether `value` meets `target` (None when there is no target or no direction)."""
    if target is None or value is None or not isinstance(value, (int, float)) or not isinstance(target, (int, float)):
        return None
    if higher_is_better is None:
        return value == target
    return value >= target if higher_is_better else value <= target


def ratio(value: Any, baseline: Any) -> float | None:
    """value / baseline, when both are numbers and the baseline is not zero."""
    if not isinstance(value, (int, float)) or not isinstance(baseline, (int, float)) or baseline == 0:
        return None
    return value / baseline


def collect(results_dir: Path, stems: list[str]) -> list[dict[str, Any]]:
    """One row per result entry of the selected benchmarks' result files (a missing file is one row saying so)."""
    rows = []
    for stem in stems:
        path = results_dir / f"{stem}.json"
        if not path.is_file():
            rows.append({"benchmark": stem, "name": "(no results file)", "met": None})
            continue
        try:
            entries = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            rows.append({"benchmark": stem, "name": f"(unreadable results file: {e})", "met": None})
            continue
        for entry in entries if isinstance(entries, list) else [entries]:
            rows.append(
                {
                    "benchmark": stem,
                    "name": entry.get("name"),
                    "value": entry.get("value"),
                    "unit": entry.get("unit"),
                    "baseline": entry.get("baseline"),
                    "ratio": ratio(entry.get("value"), entry.get("baseline")),
                    "target": entry.get("target"),
                    "higher_is_better": entry.get("higher_is_better"),
                    "met": is_met(entry.get("value"), entry.get("target"), entry.get("higher_is_better")),
                }
            )
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table, one line per result, columns aligned."""
    cells = [list(COLUMNS)] + [[_cell(row.get(c)) for c in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_scripts(bench_dir: Path, stems: list[str], timeout: float | None) -> list[dict[str, Any]]:
    """Run each `bench_dir/<stem>.py` in a subprocess, sequentially; return exit status and seconds of each."""
    runs = []
    for stem in stems:
        print(f"[run_all] {stem} ...", flush=True)
        started = time.perf_counter()
        try:
            code = subprocess.run(
                [sys.executable, str(bench_dir / f"{stem}.py")], timeout=timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            code = None
        seconds = round(time.perf_counter() - started, 1)
        print(f"[run_all] {stem} exit {code} in {seconds} s", flush=True)
        runs.append({"benchmark": stem, "returncode": code, "seconds": seconds, "timed_out": code is None})
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run/show only these benchmarks (e.g. eval)")
    parser.add_argument("--skip", nargs="+", metavar="NAME", help="leave these benchmarks out")
    parser.add_argument("--table-only", action="store_true", help="run nothing; tabulate the saved results")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per benchmark script")
    parser.add_argument("--bench-dir", default=str(HERE), help="folder of the bench_*.py scripts")
    parser.add_argument("--results-dir", default=None, help="folder of the results files (default: BENCH_DIR/results)")
    args = parser.parse_args(argv)

    bench_dir = Path(args.bench_dir)
    results_dir = Path(args.results_dir) if args.results_dir else bench_dir / "results"
    scripts = sorted(p.stem for p in bench_dir.glob("bench_*.py"))
    saved = sorted(p.stem for p in results_dir.glob("bench_*.json")) if results_dir.is_dir() else []
    try:
        stems = select(sorted(set(scripts) | set(saved)), args.only, args.skip)
    except ValueError as e:
        parser.error(str(e))
    runs = [] if args.table_only else run_scripts(bench_dir, [s for s in stems if s in scripts], args.timeout)
    rows = collect(results_dir, stems)
    print(format_table(rows))
    summary = {
        "met": sum(r["met"] is True for r in rows),
        "missed": sum(r["met"] is False for r in rows),
        "no_target": sum(r["met"] is None for r in rows),
        "failed_scripts": [r["benchmark"] for r in runs if r["returncode"] != 0],
    }
    print(f"targets met {summary['met']}, missed {summary['missed']}, without target {summary['no_target']}")
    results_dir.mkdir(parents=True, exist_ok=True)
    output = {
        "rows": rows,
        "runs": runs,
        "summary": summary,
        "env": {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")},
    }
    (results_dir / OUTPUT_NAME).write_text(json.dumps(output, indent=2) + "\n")
    return 1 if summary["failed_scripts"] else 0


if __name__ == "__main__":
    sys.exit(main())
