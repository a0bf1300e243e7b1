"""UAS-Audio model throughput, measured against baselines in the same run on the same machine.

1. Train step (forward + backward + AdamW step), tokens/s: `UASAudioForCausalLM` vs transformers'
   `Qwen2AudioForConditionalGeneration` at identical dimensions, weights and batch (the UAS model is the converted
   Qwen2-Audio: Qwen2-Audio encoder, linear projector). Target >= 1.0x.
2. Greedy generation, new tokens/s: 16 clips (0.5-3 s) in one left-padded batch vs one at a time, with identical
   outputs, 256 new tokens each (about one holistic UAS record). Target >= 8x. This uses the paper's configuration
   (Qwen3-Omni AuT encoder + linear projector, §4.3) with the same LM dimensions. Each `generate()` call keeps
   its best of 3 alternating runs.

   On a 2-core CPU this ratio stays near 7x (6.5-7.0x measured). A decode step at batch 16 costs about 2.1x the step
   at batch 1: at 16 rows the fp32 matmuls are compute-bound (the 8k-vocabulary LM head alone takes ~2.3 ms against
   0.3-0.5 ms for one row), and the KV-cache reads grow with the batch. The batch-1 step (~6.5 ms) is mostly
   framework overhead and weight reads, which a batch shares. On a GPU, where a decode step at these sizes is bound
   by launch overhead and memory reads, the batch-16 step should cost about what the batch-1 step does; that has not
   been measured (no GPU was available), and ``--device cuda`` is the run that would show it.

Dimensions are small but not trivial for a CPU (encoder and LM width 256, 4 layers each, 8k vocabulary, 5-s encoder
windows). Writes `benchmarks/results/bench_model.json` as a list of
{"name", "value", "unit", "baseline", "target", "higher_is_better"}.

    python benchmarks/bench_model.py            # full run (a few minutes on 2 cores)
    python benchmarks/bench_model.py --quick    # smoke run
    python benchmarks/bench_model.py --device cuda --out benchmarks/results/gpu/bench_model.json   # on a GPU

On CUDA the models run in fp32 as on the CPU (same weights, same comparison); the GPU is synchronized before every
clock read.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from uas_hf.models.uas_audio.convert_qwen2_audio import convert_qwen2_audio
from uas_hf.models.uas_audio.modeling_uas_audio import UASAudioForCausalLM
from uas_hf.models.uas_audio.tiny import (
    build_tiny_qwen2_audio,
    build_tiny_uas_audio,
    synthetic_clip,
    train_tokenizer,
)
from uas_hf.utils.generation import CACHE_IMPLEMENTATIONS, DEFAULT_CACHE_IMPLEMENTATION, cache_kwargs


RESULTS = Path(__file__).resolve().parent / "results" / "bench_model.json"
ENCODER_DIMS = {"d_model": 256, "encoder_layers": 4, "encoder_attention_heads": 4, "encoder_ffn_dim": 1024}
LM_DIMS = {
    "vocab_size": 8192,
    "hidden_size": 256,
    "intermediate_size": 1024,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
}
ANSWER = '{"transcription": null, "paralinguistics": null, "nonLinguisticEvents": {"description": "rain"}}'


def build_models(workdir: Path):
    """A random Qwen2-Audio at bench dims and the UAS-Audio converted from it (same weights)."""
    from uas_hf.models.uas_audio import UASAudioProcessor

    reference, reference_processor = build_tiny_qwen2_audio(
        tokenizer=train_tokenizer(), audio_config_overrides=ENCODER_DIMS, text_config_overrides=LM_DIMS
    )
    reference.save_pretrained(workdir / "qwen2-audio")
    reference_processor.save_pretrained(workdir / "qwen2-audio")
    convert_qwen2_audio(workdir / "qwen2-audio", workdir / "uas-audio")
    ours = UASAudioForCausalLM.from_pretrained(workdir / "uas-audio").eval()
    return reference, reference_processor, ours, UASAudioProcessor.from_pretrained(workdir / "uas-audio")


def training_batch(processor, batch_size: int):
    conversations = []
    for i in range(batch_size):
        clip = synthetic_clip(2.0 + 3.0 * i / max(1, batch_size - 1), seed=i)  # 2-5 s
        user = [{"type": "audio", "audio": clip}, {"type": "text", "text": f"Describe clip {i} in UAS JSON."}]
        conversations.append([{"role": "user", "content": user}, {"role": "assistant", "content": ANSWER}])
    return processor.apply_chat_template(conversations, return_labels=True, return_tensors="pt")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench_train(reference, ours, batch, steps: int) -> tuple[float, float]:
    """Tokens/s of the best full train step of each model (timeit convention); steps interleaved so both see the
    same machine load."""
    tokens = int(batch["attention_mask"].sum())
    models = {"qwen2_audio": reference, "uas_audio": ours}
    optimizers = {k: torch.optim.AdamW(m.parameters(), lr=1e-5) for k, m in models.items()}
    times = {k: [] for k in models}
    for step in range(steps + 1):
        for name in ("qwen2_audio", "uas_audio") if step % 2 else ("uas_audio", "qwen2_audio"):
            model = models[name].train()
            _sync(model.device)
            start = time.perf_counter()
            loss = model(**batch).loss
            loss.backward()
            optimizers[name].step()
            optimizers[name].zero_grad(set_to_none=True)
            _sync(model.device)
            if step:  # the first step warms up allocators and kernels
                times[name].append(time.perf_counter() - start)
    return tokens / min(times["uas_audio"]), tokens / min(times["qwen2_audio"])


def build_generation_model():
    """The paper's configuration (§4.3): AuT encoder + linear projector + the same LM dims as the train benchmark."""
    encoder = {**ENCODER_DIMS, "output_dim": ENCODER_DIMS["d_model"], "downsample_hidden_size": 64}
    return build_tiny_uas_audio(
        "qwen3_omni",
        projector_type="linear",
        downsample_factor=1,
        audio_config_overrides=encoder,
        text_config_overrides=LM_DIMS,
    )


def bench_generation(
    model, processor, n_clips: int, new_tokens: int, repeats: int, cache: str = DEFAULT_CACHE_IMPLEMENTATION
):
    """New tokens/s of one left-padded batch of ``n_clips`` vs ``n_clips`` one-at-a-time calls; same greedy outputs.

    The two sides alternate ``repeats`` times. Each `generate()` call keeps its best time (timeit convention): the
    batched call, and every one of the ``n_clips`` single calls on its own. Taking the best of each call (not of
    whole passes) gives both sides the same chance to land in a quiet moment; the best of one long pass of single
    calls against the best of several short batched calls would favour the batch.
    """
    model.eval()
    kw = cache_kwargs(cache)  # the same KV cache on both sides (uas_hf's batched paths default to static)
    clips = [synthetic_clip(0.5 + 2.5 * i / max(1, n_clips - 1), seed=i) for i in range(n_clips)]  # 0.5-3 s
    prompts = [
        processor.apply_chat_template(
            [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": f"Clip {i}: describe it."}]}],
            add_generation_prompt=True,
        )
        for i in range(n_clips)
    ]

    def run_batched(tokens):
        inputs = processor(text=prompts, audio=clips, return_tensors="pt", padding_side="left").to(model.device)
        out = model.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False, **kw)
        return [row[inputs["input_ids"].shape[1] :].tolist() for row in out]

    def run_single(tokens):
        outputs, seconds = [], []
        for prompt, clip in zip(prompts, clips):
            start = time.perf_counter()
            inputs = processor(text=prompt, audio=clip, return_tensors="pt").to(model.device)
            out = model.generate(**inputs, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False, **kw)
            outputs.append(out[0, inputs["input_ids"].shape[1] :].tolist())  # .tolist() waits for the device
            seconds.append(time.perf_counter() - start)
        return outputs, seconds

    identical = True
    batched_times, single_times = [], []
    with torch.inference_mode():
        run_batched(2), run_single(2)  # warm-up
        for _ in range(repeats):
            single_out, seconds = run_single(new_tokens)
            single_times.append(seconds)
            start = time.perf_counter()
            batched_out = run_batched(new_tokens)
            batched_times.append(time.perf_counter() - start)
            identical &= batched_out == single_out
    total = n_clips * new_tokens
    single_best = sum(min(per_clip) for per_clip in zip(*single_times))  # each clip's best call
    return total / min(batched_times), total / single_best, identical


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (torch {torch.__version__})"
    return f"cpu (torch {torch.__version__})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps, for a smoke run")
    # One thread by default: on a shared 2-core CI box, multi-threaded BLAS stalls whenever a core is taken.
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the JSON results")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default: cpu)")
    parser.add_argument(
        "--cache-implementation",
        default=DEFAULT_CACHE_IMPLEMENTATION,
        choices=CACHE_IMPLEMENTATIONS,
        help="KV cache of generate() on both sides (default: static, as uas_hf's batched paths)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    # 256 new tokens: about one holistic UAS record, the long output batched generation serves.
    steps, repeats, new_tokens = (3, 1, 16) if args.quick else (10, 3, 256)
    batch_size, n_clips = 8, 16

    with tempfile.TemporaryDirectory() as tmp:
        reference, reference_processor, ours, processor = build_models(Path(tmp))
    reference, ours = reference.to(device), ours.to(device)
    batch = training_batch(processor, batch_size).to(device)
    ours_tps, ref_tps = bench_train(reference, ours, batch, steps)
    del reference
    gen_model, gen_processor = build_generation_model()
    gen_model = gen_model.to(device)
    batched_tps, single_tps, identical = bench_generation(
        gen_model, gen_processor, n_clips, new_tokens, repeats, args.cache_implementation
    )

    results = [
        {
            "name": "train_step_tokens_per_s",
            "value": round(ours_tps, 1),
            "unit": "tokens/s",
            "baseline": round(ref_tps, 1),
            "target": round(ref_tps, 1),
            "higher_is_better": True,
        },
        {
            "name": "train_step_speedup_vs_qwen2_audio",
            "value": round(ours_tps / ref_tps, 3),
            "unit": "x",
            "baseline": 1.0,
            "target": 1.0,
            "higher_is_better": True,
        },
        {
            "name": "generation_new_tokens_per_s_batch16",
            "value": round(batched_tps, 1),
            "unit": "tokens/s",
            "baseline": round(single_tps, 1),
            "target": round(8 * single_tps, 1),
            "higher_is_better": True,
        },
        {
            "name": "generation_batch16_speedup_vs_one_at_a_time",
            "value": round(batched_tps / single_tps, 2),
            "unit": "x",
            "baseline": 1.0,
            "target": 8.0,
            "higher_is_better": True,
        },
        {
            "name": "generation_batch16_outputs_identical",
            "value": 1.0 if identical else 0.0,
            "unit": "bool",
            "baseline": 1.0,
            "target": 1.0,
            "higher_is_better": True,
        },
    ]
    width = max(len(r["name"]) for r in results)
    print(f"{'benchmark':<{width}}  {'value':>10}  {'baseline':>10}  {'target':>10}  unit")
    for r in results:
        print(f"{r['name']:<{width}}  {r['value']:>10}  {r['baseline']:>10}  {r['target']:>10}  {r['unit']}")
    print(
        f"(train: batch {batch_size}, {int(batch['attention_mask'].sum())} tokens, {steps} steps; generation: "
        f"{n_clips} clips x {new_tokens} new tokens, {repeats} repeat(s), {args.cache_implementation} KV cache; device {describe(device)}; "
        f"{args.threads} CPU thread(s))"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
