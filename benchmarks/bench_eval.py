"""Evaluation runner throughput: the batched `uas-hf eval` runner vs a one-sample-at-a-time loop, same run.

Both sides use the same tiny random UAS-Audio model (loaded from the same saved folder with the Auto classes), the
same clips (an audiofolder of 1-4.5 s synthetic clips, one encoder window each) and the same targeted transcription
prompt, with greedy decoding of `--max-new-tokens` tokens (random weights never stop early, so every sample costs
the same number of decoding steps on both sides).

- **batched**: `run_evaluation` (the runner behind `uas-hf eval --benchmark asr`): left-padded batches of
  `--batch-size`, clips sorted by length, audio decoding prefetched in a thread, one fsynced log write per batch,
  then merging and WER scoring. Timed end to end, model loading excluded.
- **baseline**: the loop a research script would write: for each clip, read it, apply the chat template, call the
  processor, `generate`, decode. No file writes at all.

The predictions of the two must be identical (checked and printed). Each side runs `--repeats` times, interleaved,
and the best run counts (the machine is shared; the best run is the least disturbed one). samples/s are reported in
wall time and in CPU time of this process (less sensitive to other load). Target: >= 8x in wall time.

Writes `benchmarks/results/bench_eval.json` as a list of {"name", "value", "unit", "baseline", "target",
"higher_is_better"}.

    OMP_NUM_THREADS=1 python benchmarks/bench_eval.py            # 128 clips, batch 32, 32 new tokens
    OMP_NUM_THREADS=1 python benchmarks/bench_eval.py --quick    # smoke run
    python benchmarks/bench_eval.py --device cuda --out benchmarks/results/gpu/bench_eval.json   # on a GPU (fp32)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from uas_hf.utils.generation import CACHE_IMPLEMENTATIONS, DEFAULT_CACHE_IMPLEMENTATION


RESULTS = Path(__file__).resolve().parent / "results" / "bench_eval.json"
TARGET_SPEEDUP = 8.0


def make_audiofolder(folder: Path, n: int) -> None:
    """``n`` synthetic clips of 1-4.5 s (deterministic) with a transcription each, as an audiofolder split."""
    import soundfile

    from uas_hf.models.uas_audio.tiny import SAMPLING_RATE, synthetic_clip

    folder.mkdir(parents=True)
    rows = []
    for i in range(n):
        seconds = 1.0 + 3.5 * ((i * 37) % n) / max(1, n - 1)  # lengths spread over the range, in shuffled order
        name = f"clip-{i:04d}.wav"
        soundfile.write(folder / name, synthetic_clip(seconds, seed=i), SAMPLING_RATE)
        rows.append({"file_name": name, "id": f"clip-{i:04d}", "transcription": f"sentence number {i}"})
    (folder / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def run_batched(
    model_dir: Path,
    data: Path,
    out: Path,
    model,
    processor,
    batch_size: int,
    max_new_tokens: int,
    cache_implementation: str = DEFAULT_CACHE_IMPLEMENTATION,
):
    from uas_hf.evaluation.runner import EvalConfig, run_evaluation

    shutil.rmtree(out, ignore_errors=True)
    config = EvalConfig(
        model=str(model_dir),
        benchmark="asr",
        data=str(data),
        output_dir=str(out),
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
        cache_implementation=cache_implementation,
        progress=False,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    run_evaluation(config, model=model, processor=processor)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    predictions = {}
    for line in (out / "predictions.jsonl").read_text().splitlines():
        row = json.loads(line)
        predictions[row["id"]] = row["response"]
    return wall, cpu, predictions


def run_loop(
    data: Path, model, processor, max_new_tokens: int, cache_implementation: str = DEFAULT_CACHE_IMPLEMENTATION
):
    import torch

    from uas_hf.evaluation.prompts import TRANSCRIBE_INSTRUCTION
    from uas_hf.models.uas_audio.processing_uas_audio import load_audio_file
    from uas_hf.utils.generation import cache_kwargs

    rows = [json.loads(line) for line in (data / "metadata.jsonl").read_text().splitlines()]
    messages = [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": TRANSCRIBE_INSTRUCTION}]}]
    generate_kwargs = {"max_new_tokens": max_new_tokens, "do_sample": False, **cache_kwargs(cache_implementation)}
    predictions = {}
    wall, cpu = time.perf_counter(), time.process_time()
    for row in rows:
        array, rate = load_audio_file(data / row["file_name"])
        text = processor.apply_chat_template(messages, add_generation_prompt=True)
        inputs = processor(text=[text], audio=[array], sampling_rate=[rate], return_tensors="pt").to(model.device)
        with torch.inference_mode():
            output = model.generate(**inputs, **generate_kwargs)
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        predictions[row["id"]] = processor.batch_decode(new_tokens, skip_special_tokens=True)[0]
    return time.perf_counter() - wall, time.process_time() - cpu, predictions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="8 clips, batch 8, 8 tokens, 1 repeat")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default: cpu; fp32 on both)")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the JSON results")
    parser.add_argument(
        "--cache-implementation",
        default=DEFAULT_CACHE_IMPLEMENTATION,
        choices=CACHE_IMPLEMENTATIONS,
        help="KV cache of generate() on both sides (default: static, the runner's default)",
    )
    args = parser.parse_args()
    if args.quick:
        args.clips, args.batch_size, args.max_new_tokens, args.repeats = 8, 8, 8, 1

    import torch

    from uas_hf.evaluation.runner import load_model
    from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio

    cpus = os.cpu_count() or 1
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory(prefix="bench_eval_") as tmp:
        tmp = Path(tmp)
        model, processor = build_tiny_uas_audio()
        model.save_pretrained(tmp / "model")
        processor.save_pretrained(tmp / "model")
        make_audiofolder(tmp / "data", args.clips)
        # Both sides use the same model object, loaded the way `uas-hf eval` loads it.
        model, processor = load_model(tmp / "model", device=args.device, dtype="float32")
        run_loop(tmp / "data", model, processor, 2, args.cache_implementation)  # warm-up (lazy inits, allocator)

        batched, loop = [], []
        for _ in range(args.repeats):
            batched.append(
                run_batched(
                    tmp / "model",
                    tmp / "data",
                    tmp / "out",
                    model,
                    processor,
                    args.batch_size,
                    args.max_new_tokens,
                    args.cache_implementation,
                )
            )
            loop.append(run_loop(tmp / "data", model, processor, args.max_new_tokens, args.cache_implementation))
    identical = all(b[2] == loop[0][2] for b in batched) and all(lp[2] == loop[0][2] for lp in loop)
    n = args.clips
    best_b = min(batched, key=lambda r: r[0])
    best_l = min(loop, key=lambda r: r[0])
    best_b_cpu = min(r[1] for r in batched)
    best_l_cpu = min(r[1] for r in loop)
    wall_b, wall_l = n / best_b[0], n / best_l[0]
    cpu_b, cpu_l = n / best_b_cpu, n / best_l_cpu
    speedup, speedup_cpu = wall_b / wall_l, cpu_b / cpu_l

    print(
        f"tiny UAS-Audio (whisper + qwen2, hidden 32), {n} clips of 1-4.5 s, {args.max_new_tokens} new tokens, "
        f"torch {torch.__version__}, device {model.device}"
        f"{' (' + torch.cuda.get_device_name(model.device) + ')' if model.device.type == 'cuda' else ''}, "
        f"{torch.get_num_threads()} torch CPU thread(s), best of {args.repeats}, "
        f"load {load_before:.1f} on {cpus} CPUs"
    )
    print(f"{'':38} {'samples/s (wall)':>17} {'samples/s (CPU)':>16}")
    print(f"{'one at a time (plain loop)':38} {wall_l:17.2f} {cpu_l:16.2f}")
    print(f"{f'batched runner, batch {args.batch_size}':38} {wall_b:17.2f} {cpu_b:16.2f}")
    print(f"{'speed-up':38} {speedup:16.2f}x {speedup_cpu:15.2f}x   (target >= {TARGET_SPEEDUP:g}x wall)")
    print(f"predictions identical: {identical} ({n} clips x {args.repeats} runs each side)")

    results = [
        {
            "name": f"eval runner samples/s, batch {args.batch_size} (wall)",
            "value": round(wall_b, 2),
            "unit": "samples/s",
            "baseline": round(wall_l, 2),
            "target": round(TARGET_SPEEDUP * wall_l, 2),
            "higher_is_better": True,
        },
        {
            "name": "eval runner speed-up vs one-at-a-time loop (wall)",
            "value": round(speedup, 2),
            "unit": "x",
            "baseline": 1.0,
            "target": TARGET_SPEEDUP,
            "higher_is_better": True,
        },
        {
            "name": "eval runner speed-up vs one-at-a-time loop (CPU time)",
            "value": round(speedup_cpu, 2),
            "unit": "x",
            "baseline": 1.0,
            "target": TARGET_SPEEDUP,
            "higher_is_better": True,
        },
        {
            "name": "eval runner predictions identical to the loop",
            "value": 1.0 if identical else 0.0,
            "unit": "bool",
            "baseline": 1.0,
            "target": 1.0,
            "higher_is_better": True,
        },
        {
            "name": f"machine load (1-min load average / {cpus} CPUs) at start",
            "value": round(load_before / cpus, 2),
            "unit": "load/CPU",
            "baseline": None,
            "target": None,
            "higher_is_better": False,
        },
    ]
    if not args.no_write and not args.quick:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {out}")
    if not identical:
        raise SystemExit("batched predictions differ from the one-at-a-time loop")


if __name__ == "__main__":
    main()
