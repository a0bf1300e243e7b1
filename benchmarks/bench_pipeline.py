"""Benchmark of the UAS pipeline (issue 4): analyzer real-time factor, pipeline throughput, streaming memory.

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_pipeline.py [--records 10000 100000]

What is measured, and on what:

1. **Analyzer real-time factor per core**: CPU seconds of the offline analyzer (silero-vad batched + Praat) per second
   of audio, one thread, on the clips of the embedded `small` corpus (real voices mixed with real events and
   backgrounds). Target <= 0.02. Wall-clock RTF is printed too (it includes waiting for a busy CPU).
2. **Pipeline clips/s**: `annotate` with the default stages (decode, analyzer, rules, validator) on the same corpus,
   one process; and end to end including the merge (UAS-QA, Parquet with embedded audio, dataset card).
3. **Peak RSS streaming N records** (each run in a fresh process): an audiofolder of N distinct 0.25-s WAV files (hard
   links to 4 clips, so disk stays small) with one-word transcripts or none, run through the whole runner: decode,
   Stage 1 replaying *measurements cached from the real analyzer* on corpus clips (running the signal processing
   100,000 times would take hours; its cost is item 1), Stage-2 rules, Stage-3 validation, fsynced work logs, then the
   merge with UAS-QA and Parquet files that embed the audio. Target: peak RSS at 100,000 <= 1.1x at 10,000.

Writes `benchmarks/results/bench_pipeline.json` as a list of
``{"name", "value", "unit", "baseline", "target", "higher_is_better"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "bench_pipeline.json"
CACHE = REPO / ".cache" / "bench_pipeline"
SR = 16_000
RSS_CLIP_SECONDS = 0.25


def small_corpus() -> Path:
    from uas_hf.data.corpus import build_corpus

    out = CACHE / "small-corpus"
    build_corpus(out, size="small", seed=0, progress=False)  # reuses a complete previous build
    return out


def corpus_clips(corpus: Path):
    from uas_hf.pipeline import AudioSample
    from uas_hf.pipeline.audio import AudioLoadConfig, load_audio

    samples = []
    for split in ("train", "validation", "test"):
        with open(corpus / split / "metadata.jsonl", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                array, _ = load_audio((corpus / split / row["file_name"]).read_bytes(), AudioLoadConfig())
                samples.append(AudioSample(row["id"], array, SR, row["transcription"]))
    return samples


def bench_analyzer(samples, batch_size: int = 32) -> dict:
    from uas_hf.pipeline.captioners.analyzer import AcousticAnalyzerCaptioner

    captioner = AcousticAnalyzerCaptioner()
    captioner.caption(samples[:4])  # load silero-vad and warm the JIT outside the timing
    audio_s = sum(s.duration for s in samples)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(0, len(samples), batch_size):
        captioner.caption(samples[i : i + batch_size])
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"clips": len(samples), "audio_s": audio_s, "cpu_rtf": cpu / audio_s, "wall_rtf": wall / audio_s}


def bench_pipeline(corpus: Path) -> dict:
    from uas_hf.data.qa import generate_qa
    from uas_hf.pipeline.runner import AnnotateConfig, annotate, merge

    with tempfile.TemporaryDirectory() as tmp:
        config = AnnotateConfig(str(corpus), str(Path(tmp) / "out"), progress=False, merge=False)
        t0 = time.perf_counter()
        annotate(config)  # stages 1-3 only (merge=False)
        stages = time.perf_counter() - t0
        t1 = time.perf_counter()
        summary = merge(config, generate_qa)
        merged = time.perf_counter() - t1
    n = summary["inputs"]
    return {
        "clips": n,
        "accepted": summary["accepted"],
        "stages_clips_per_s": n / stages,
        "end_to_end_clips_per_s": n / (stages + merged),
    }


# ---- streaming memory ------------------------------------------------------------------------------------------

CACHED_MEASUREMENTS: list[dict] = []


def _cached_captioner_class():
    from uas_hf.pipeline.base import Caption, Captioner
    from uas_hf.pipeline.captioners.analyzer import write_caption

    class CachedMeasurementsCaptioner(Captioner):
        """Replays analyzer measurements cached from real corpus clips (by position), with the real caption writer."""

        name = "cached"
        provides_measurements = True

        def __init__(self, path: str):
            with open(path, encoding="utf-8") as f:
                self.cached = json.load(f)
            self.k = 0

        def caption(self, samples):
            out = []
            for s in samples:
                pool = self.cached["speech" if s.transcription else "no_speech"]
                m = dict(pool[self.k % len(pool)], duration_s=round(s.duration, 3))
                self.k += 1
                out.append(Caption(write_caption(m), m))
            return out

    return CachedMeasurementsCaptioner


def make_rss_source(root: Path, n: int) -> Path:
    """N distinct file names, hard-linked to 4 short clips; half say one word, half are silent."""
    import numpy as np
    import soundfile as sf

    if (root / "train" / "metadata.jsonl").exists():
        return root
    d = root / "train"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    bases = []
    for k in range(4):
        t = np.arange(int(RSS_CLIP_SECONDS * SR)) / SR
        tone = 0.1 * np.sin(2 * np.pi * (120 + 60 * k) * t) + rng.normal(0, 0.003, t.size)
        path = root / f"base{k}.wav"
        sf.write(path, tone.astype(np.float32), SR, subtype="PCM_16")
        bases.append(path)
    with open(d / "metadata.jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            name = f"clip{i:07d}.wav"
            os.link(bases[i % 4], d / name)
            f.write(json.dumps({"file_name": name, "transcription": "Hello." if i % 2 else None}) + "\n")
    return root


def peak_rss_kb() -> int:
    """This process's peak resident set (kB): VmHWM, which starts afresh at exec.

    Not `getrusage().ru_maxrss`: Linux carries that over from the forking parent, so a child of a 1-GB benchmark
    process would report 1 GB whatever it does.
    """
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: best effort


def rss_child(n: int, workdir: Path, cached_path: Path) -> None:
    """Run the whole runner on N records in this (fresh) process and print the peak RSS."""
    from uas_hf.data.qa import generate_qa
    from uas_hf.pipeline.captioners import CAPTIONERS
    from uas_hf.pipeline.runner import AnnotateConfig, annotate

    cls = _cached_captioner_class()
    sys.modules[__name__].CachedMeasurementsCaptioner = cls
    CAPTIONERS["cached"] = f"{__name__}:CachedMeasurementsCaptioner"
    source = make_rss_source(workdir / f"source-{n}", n)
    t0 = time.perf_counter()
    summary = annotate(
        AnnotateConfig(
            str(source),
            str(workdir / f"out-{n}"),
            captioner="cached",
            captioner_kwargs={"path": str(cached_path)},
            batch_size=64,
            progress=False,
            overwrite=True,
        ),
        qa_generator=generate_qa,
    )
    wall = time.perf_counter() - t0
    peak_kb = peak_rss_kb()
    print(
        json.dumps(
            {
                "records": n,
                "peak_rss_mb": peak_kb / 1024,
                "accepted": summary["accepted"],
                "rejected": summary["rejected"],
                "qa_items": summary["qa_items"],
                "wall_s": wall,
            }
        )
    )


def cache_measurements(samples, path: Path) -> None:
    """Real analyzer measurements of a few corpus clips that fit a 0.25-s, one-word record (<= 1 event)."""
    from uas_hf.pipeline.captioners.analyzer import AcousticAnalyzerCaptioner

    captions = AcousticAnalyzerCaptioner().caption(samples[:48])
    pools = {"speech": [], "no_speech": []}
    for s, c in zip(samples[:48], captions):
        m = dict(c.measurements)
        m["events"] = m["events"][:1]
        pools["speech" if s.transcription else "no_speech"].append(m)
    path.write_text(json.dumps(pools))


def bench_rss(records: list[int], samples) -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        cached = Path(tmp) / "measurements.json"
        cache_measurements(samples, cached)
        for n in records:
            env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
            result = subprocess.run(
                [sys.executable, __file__, "--rss-child", str(n), tmp, str(cached)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"RSS run for {n} records failed:\n{result.stderr[-3000:]}")
            out.append(json.loads(result.stdout.strip().splitlines()[-1]))
            subprocess.run(["rm", "-rf", f"{tmp}/source-{n}", f"{tmp}/out-{n}"], check=False)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs=2, default=[10_000, 100_000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--rss-child", nargs=3, metavar=("N", "WORKDIR", "CACHED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        n, workdir, cached = args.rss_child
        rss_child(int(n), Path(workdir), Path(cached))
        return 0

    import torch

    torch.set_num_threads(1)  # "per core": one thread for Praat, numpy and silero-vad alike
    corpus = small_corpus()
    samples = corpus_clips(corpus)
    analyzer = bench_analyzer(samples)
    pipeline = bench_pipeline(corpus)
    small, large = bench_rss(args.records, samples)
    ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
    load = os.getloadavg()[0]
    rows = [
        {
            "name": "analyzer_rtf_cpu_per_core",
            "value": analyzer["cpu_rtf"],
            "unit": "CPU s / audio s",
            "baseline": None,
            "target": 0.02,
            "higher_is_better": False,
        },
        {
            "name": "analyzer_rtf_wall_1_thread",
            "value": analyzer["wall_rtf"],
            "unit": "wall s / audio s",
            "baseline": None,
            "target": None,
            "higher_is_better": False,
        },
        {
            "name": "pipeline_stages_clips_per_s_1_process",
            "value": pipeline["stages_clips_per_s"],
            "unit": "clips/s",
            "baseline": None,
            "target": None,
            "higher_is_better": True,
        },
        {
            "name": "pipeline_end_to_end_clips_per_s_1_process",
            "value": pipeline["end_to_end_clips_per_s"],
            "unit": "clips/s",
            "baseline": pipeline["stages_clips_per_s"],
            "target": None,
            "higher_is_better": True,
        },
        {
            "name": f"peak_rss_{small['records']}_records",
            "value": small["peak_rss_mb"],
            "unit": "MiB",
            "baseline": None,
            "target": None,
            "higher_is_better": False,
        },
        {
            "name": f"peak_rss_{large['records']}_records",
            "value": large["peak_rss_mb"],
            "unit": "MiB",
            "baseline": small["peak_rss_mb"],
            "target": None,
            "higher_is_better": False,
        },
        {
            "name": "peak_rss_ratio_large_vs_small",
            "value": ratio,
            "unit": "x",
            "baseline": 1.0,
            "target": 1.1,
            "higher_is_better": False,
        },
    ]
    print(f"\nUAS pipeline benchmark (load average {load:.1f} on {os.cpu_count()} cores)")
    print(
        f"  corpus: {analyzer['clips']} clips, {analyzer['audio_s']:.0f} s of audio; "
        f"pipeline accepted {pipeline['accepted']}/{pipeline['clips']}"
    )
    print(
        f"  RSS runs: {small['records']} and {large['records']} records "
        f"({small['wall_s']:.0f} s and {large['wall_s']:.0f} s; {large['qa_items']} QA items in the large one)"
    )
    print(f"\n  {'metric':<44}{'value':>12}  {'unit':<18}{'target':>8}")
    for row in rows:
        target = "" if row["target"] is None else f"{row['target']:g}"
        print(f"  {row['name']:<44}{row['value']:>12.4g}  {row['unit']:<18}{target:>8}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
