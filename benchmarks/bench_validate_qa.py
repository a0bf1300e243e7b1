"""Throughput of Stage-3 validation + UAS-QA generation, and peak memory of the streaming CLI path.

Measures, on one core (the process is pinned to one CPU where the OS allows it):

1. records/s of validation + QA generation as the CLI runs them per line - the CLI's line decoder
   (`uas_hf.cli.validate.decode_line`: orjson, with the stdlib as reference) -> `UASValidator.validate` ->
   `UASQAGenerator.generate` (3 items per record) - on synthetic records (default 100,000; target >= 20,000/s). The
   baseline, measured in the same run, is a straightforward validator (``json.loads`` + generic dict walking through
   the checked dataclass constructors, no fast path) followed by the same QA generation. A second row adds the output encoding (canonical JSON, ``json.dumps`` of each item). Rates
   use CPU time of this process, so other load on a shared machine distorts them less.
2. peak RSS of ``uas-hf validate`` and ``uas-hf qa`` run in subprocesses on 10,000 vs 100,000 records (target
   ratio <= 1.1: streaming in constant memory).

Run: ``python benchmarks/bench_validate_qa.py [--n 100000] [--rss-small 10000 --rss-large 100000]``.
Writes ``benchmarks/results/bench_validate_qa.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from uas_hf.cli.validate import decode_line
from uas_hf.data.qa import UASQAGenerator
from uas_hf.schema import (
    Event,
    NonLinguisticEvents,
    Paralinguistics,
    UASRecord,
    UASValidator,
    normalize_closed,
    to_canonical_json,
)
from uas_hf.schema.synthetic import synthetic_records


RESULTS = Path(__file__).resolve().parent / "results" / "bench_validate_qa.json"
TARGET_RECORDS_PER_S = 20_000
TARGET_RSS_RATIO = 1.1
_BYTES_PER_KIB = 1024


def pin_to_one_core() -> str:
    """Pin this process to a single CPU (Linux) so the rate is a one-core rate."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def make_lines(n: int, seed: int = 0) -> list[str]:
    """JSONL lines as `uas-hf validate` reads them: id, uas object, ground truth, duration."""
    return [
        json.dumps(
            {"id": rid, "uas": record.to_dict(), "transcription": record.transcription, "duration": duration},
            ensure_ascii=False,
        )
        for rid, record, duration in synthetic_records(n, seed=seed)
    ]


# -- the naive baseline ----------------------------------------------------------------------------------------------
_PARA_KEYS = ("age", "gender", "emotion", "accent", "prosody", "timbre")


def _text(value):
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(value)
    value = value.strip()
    return None if value.lower() in ("", "null", "none", "n/a") else value


def naive_validate(data: dict, ground_truth: str | None, duration: float | None, rules: UASValidator):
    """A straightforward Stage 3 without fast paths: normalize every key and value generically, build the record
    through the checked dataclass constructors, apply the rules with plain string operations. Returns the record
    or `None`."""
    try:
        top = {k.lower().replace("_", ""): v for k, v in data.items()}
        para_raw = {k.lower().replace("_", ""): v for k, v in (top["paralinguistics"] or {}).items()}
        nle_raw = {k.lower().replace("_", ""): v for k, v in top["nonlinguisticevents"].items()}
        para = {}
        for key in _PARA_KEYS:
            value = para_raw.get(key)
            if key in ("age", "gender", "emotion") and value is not None:
                value = normalize_closed(key, value)
                if value is None:
                    return None
            else:
                value = _text(value)
            para[key] = value
        events = []
        for key in ("discreteevents", "continuousevents"):
            events.append(
                [
                    Event(_text(e.get("label")), _text(e.get("characteristic")))
                    for e in (nle_raw.get(key) or [])
                    for e in [{k.lower(): v for k, v in e.items()}]
                ]
            )
        transcription = top["transcription"] if top["transcription"] and top["transcription"].strip() else None
        record = UASRecord(
            transcription,
            Paralinguistics(**para),
            NonLinguisticEvents(_text(nle_raw.get("description")), events[0], events[1]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    config = rules.config
    if ground_truth is not None and (ground_truth or None) != record.transcription:
        return None
    has_para = any(getattr(record.paralinguistics, k) is not None for k in _PARA_KEYS)
    if (record.transcription is None) == has_para:
        return None
    labels = [e.label.lower() for e in record.non_linguistic_events.events]
    if len(labels) != len(set(labels)):
        return None
    timbre = (record.paralinguistics.timbre or "").lower()
    gender = record.paralinguistics.gender
    if gender and any(
        t in timbre.split() for t in (config.feminine_terms if gender == "Male" else config.masculine_terms)
    ):
        return None
    if duration is not None:
        words = len((record.transcription or "").split())
        if words > config.max_words_per_second * duration + config.words_slack:
            return None
        n_events = len(labels)
        if n_events > config.max_events_per_second * duration + config.events_slack:
            return None
        nle = record.non_linguistic_events
        scene = " ".join([nle.description or ""] + [f"{e.label} {e.characteristic or ''}" for e in nle.events])
        if len(scene.split()) > config.max_description_words + config.max_description_words_per_second * duration:
            return None
    return record


def run_pipeline(lines: list[bytes], *, naive: bool, serialize: bool) -> tuple[float, float, int, int]:
    """Process every line (bytes, as the CLI reads them); return (cpu seconds, wall seconds, accepted, QA items).

    ``serialize`` adds what the CLI does around the measured core: the canonical JSON of each accepted record and
    the JSON encoding of every QA item.
    """
    validator = UASValidator()
    generator = UASQAGenerator(seed=0)
    loads, dumps = json.loads, json.dumps
    accepted = n_items = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for line_number, line in enumerate(lines, 1):
        obj = loads(line.decode("utf-8")) if naive else decode_line(line_number, line)[0]
        gt = obj.get("transcription")
        gt = "" if gt is None else gt
        if naive:
            record = naive_validate(obj["uas"], gt, obj.get("duration"), validator)
        else:
            record = validator.validate(obj["uas"], ground_truth=gt, duration=obj.get("duration")).record
        if record is None:
            continue
        accepted += 1
        items = generator.generate(obj["id"], record)
        n_items += len(items)
        if serialize:
            to_canonical_json(record)
            for item in items:
                dumps(item, ensure_ascii=False)
    return time.process_time() - cpu0, time.perf_counter() - wall0, accepted, n_items


def run_stage(lines: list[bytes], stage: str) -> float:
    """CPU seconds for one stage alone (validation, or QA on pre-parsed records)."""
    validator = UASValidator()
    if stage == "validate":
        parsed = [json.loads(line) for line in lines]
        cpu0 = time.process_time()
        for obj in parsed:
            validator.validate(obj["uas"], ground_truth=obj["transcription"] or "", duration=obj["duration"])
        return time.process_time() - cpu0
    records = []
    for line in lines:
        obj = json.loads(line)
        records.append((obj["id"], validator.validate(obj["uas"]).record))
    generator = UASQAGenerator(seed=0)
    cpu0 = time.process_time()
    for rid, record in records:
        generator.generate(rid, record)
    return time.process_time() - cpu0


# -- memory ----------------------------------------------------------------------------------------------------------
# The child reports VmHWM (peak RSS of its own address space). `ru_maxrss` would not do: on Linux it survives
# exec, so a child forked from this benchmark (which holds all records in memory) would report our peak.
_RSS_CHILD = """
import resource, sys
from uas_hf.cli.main import main
rc = main(sys.argv[1:])
try:
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("MAXRSS_KIB", peak, "RC", rc)
"""


def peak_rss_kib(argv: list[str]) -> tuple[int, float]:
    """Run ``uas-hf argv`` in a fresh interpreter; return its peak RSS (KiB, Linux ru_maxrss) and wall seconds."""
    env = dict(os.environ, UAS_HF_VERBOSITY="warning", OMP_NUM_THREADS="1")
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _RSS_CHILD, *argv], capture_output=True, text=True, env=env, check=False
    )
    elapsed = time.perf_counter() - started
    for line in proc.stdout.splitlines():
        if line.startswith("MAXRSS_KIB"):
            parts = line.split()
            if parts[3] != "0":
                raise RuntimeError(f"uas-hf {argv[0]} exited {parts[3]}: {proc.stderr[-2000:]}")
            return int(parts[1]), elapsed
    raise RuntimeError(f"uas-hf {argv[0]} failed: {proc.stderr[-2000:]}")


def measure_rss(sizes: list[int], workdir: Path) -> dict[int, dict[str, tuple[int, float]]]:
    out: dict[int, dict[str, tuple[int, float]]] = {}
    for n in sizes:
        path = workdir / f"in_{n}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for rid, record, duration in synthetic_records(n, seed=1):
                row = {"id": rid, "uas": record.to_dict(), "transcription": record.transcription, "duration": duration}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        out_dir = workdir / f"out_{n}"
        out[n] = {
            "validate": peak_rss_kib(["validate", str(path), "--out-dir", str(out_dir), "--no-progress"]),
            "qa": peak_rss_kib(
                ["qa", str(out_dir / "accepted.jsonl"), "--out", str(workdir / f"qa_{n}.jsonl"), "--no-progress"]
            ),
        }
        path.unlink()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="records for the throughput runs")
    parser.add_argument("--rss-small", type=int, default=10_000)
    parser.add_argument("--rss-large", type=int, default=100_000)
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="best of N throughput runs (timeit convention)")
    args = parser.parse_args()

    pinned = pin_to_one_core()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench_validate_qa: {args.n} synthetic records, {pinned}, python {sys.version.split()[0]}")
    lines = [line.encode("utf-8") for line in make_lines(args.n)]

    # Interleave the variants (fast, naive, fast+encoding, fast, ...) and keep each one's best run, so a change of
    # machine load during the benchmark does not favour whichever variant ran at the quiet moment.
    variants = {"fast": (False, False), "naive": (True, False), "full": (False, True)}
    runs: dict[str, list[tuple[float, float, int, int]]] = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, (naive, serialize) in variants.items():
            runs[name].append(run_pipeline(lines, naive=naive, serialize=serialize))
    best = {name: min(results, key=lambda r: r[0]) for name, results in runs.items()}
    cpu_fast, wall_fast, accepted, n_items = best["fast"]
    cpu_naive, wall_naive, accepted_naive, _ = best["naive"]
    cpu_full = best["full"][0]
    if accepted != args.n or accepted_naive != args.n:
        raise RuntimeError(f"synthetic records must all be valid: {accepted}, {accepted_naive} of {args.n}")
    validate_cpu = run_stage(lines, "validate")
    qa_cpu = run_stage(lines, "qa")
    lines.clear()  # free ~100 MB before the memory measurements

    rate = args.n / cpu_fast
    rows = [
        {
            "name": "validate+qa records/s (1 core, CPU time)",
            "value": round(rate),
            "unit": "records/s",
            "baseline": round(args.n / cpu_naive),
            "target": TARGET_RECORDS_PER_S,
            "higher_is_better": True,
        },
        {
            "name": "validate+qa records/s (1 core, wall time)",
            "value": round(args.n / wall_fast),
            "unit": "records/s",
            "baseline": round(args.n / wall_naive),
            "target": TARGET_RECORDS_PER_S,
            "higher_is_better": True,
        },
        {
            "name": "... + canonical JSON + item encoding (CLI core)",
            "value": round(args.n / cpu_full),
            "unit": "records/s",
            "baseline": None,
            "target": None,
            "higher_is_better": True,
        },
        {
            "name": "validation only records/s (CPU time)",
            "value": round(args.n / validate_cpu),
            "unit": "records/s",
            "baseline": None,
            "target": None,
            "higher_is_better": True,
        },
        {
            "name": "QA generation only records/s (CPU time)",
            "value": round(args.n / qa_cpu),
            "unit": "records/s",
            "baseline": None,
            "target": None,
            "higher_is_better": True,
        },
        {
            "name": "QA items per record",
            "value": round(n_items / args.n, 3),
            "unit": "items",
            "baseline": None,
            "target": None,
            "higher_is_better": True,
        },
    ]
    cpus = os.cpu_count() or 1
    rows.append(
        {
            "name": f"machine load (1-min load average / {cpus} CPUs) at start",
            "value": round(load_before / cpus, 2),
            "unit": "per CPU",
            "baseline": None,
            "target": None,
            "higher_is_better": False,
        }
    )
    if not args.skip_rss:
        with tempfile.TemporaryDirectory(prefix="bench-uas-") as tmp:
            rss = measure_rss([args.rss_small, args.rss_large], Path(tmp))
        small, large = args.rss_small, args.rss_large
        for command in ("validate", "qa"):
            (rss_small, _), (rss_large, t_large) = rss[small][command], rss[large][command]
            rows += [
                {
                    "name": f"uas-hf {command} peak RSS, {small} records",
                    "value": round(rss_small / _BYTES_PER_KIB, 1),
                    "unit": "MiB",
                    "baseline": None,
                    "target": None,
                    "higher_is_better": False,
                },
                {
                    "name": f"uas-hf {command} peak RSS, {large} records",
                    "value": round(rss_large / _BYTES_PER_KIB, 1),
                    "unit": "MiB",
                    "baseline": round(rss_small / _BYTES_PER_KIB, 1),
                    "target": None,
                    "higher_is_better": False,
                },
                {
                    "name": f"uas-hf {command} peak RSS ratio {large}/{small}",
                    "value": round(rss_large / rss_small, 3),
                    "unit": "ratio",
                    "baseline": round(large / small, 1),  # what a non-streaming implementation would approach
                    "target": TARGET_RSS_RATIO,
                    "higher_is_better": False,
                },
                {
                    "name": f"uas-hf {command} end-to-end, {large} records (subprocess, wall)",
                    "value": round(large / t_large),
                    "unit": "records/s",
                    "baseline": None,
                    "target": None,
                    "higher_is_better": True,
                },
            ]

    width = max(len(r["name"]) for r in rows)
    print(f"{'metric':<{width}}  {'value':>12}  {'baseline':>10}  {'target':>8}  {'vs target':>10}")
    for r in rows:
        verdict = ""
        if r["target"] is not None:
            ok = r["value"] >= r["target"] if r["higher_is_better"] else r["value"] <= r["target"]
            verdict = "met" if ok else "MISSED"
        baseline = "" if r["baseline"] is None else r["baseline"]
        target = "" if r["target"] is None else r["target"]
        print(f"{r['name']:<{width}}  {r['value']:>12} {r['unit']:<1}  {baseline!s:>10}  {target!s:>8}  {verdict:>10}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")
    speedup = cpu_naive / cpu_fast if cpu_fast > 0 and not math.isnan(cpu_naive) else float("nan")
    print(f"fast path vs naive baseline: {speedup:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
