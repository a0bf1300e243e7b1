"""SFT throughput with padding-free packing vs padded batches, measured in the same run on the corpus's length mix.

1. Effective tokens/s (real, non-padding tokens per second of a full SFT step: forward + backward + AdamW) with the
   audio collator's padding-free packing vs padded batches of the same samples. Target >= 2.0x.

   Length mix: the paper's stage-3 task mix (ASR + UAS annotation + UAS-QA, §3.2) built from the `small` embedded
   corpus's train split in its natural proportions (every formatted example once, shuffled with seed 0): ASR ~150-290
   tokens, UAS JSON ~420-670, UAS-QA ~140-400 (tiny 320-token BPE; audio at 25 embeddings/s). Batches take
   consecutive samples of that shuffle (8 per step). Padded: each batch padded to its longest sample. Packed: the same
   samples concatenated into one row (TRL-style padding-free; `--max-packed-length` caps rows, first-fit decreasing)
   with per-sample position ids and flash-attention-style `cu_seq_lens`, attended with `sdpa_varlen` (causal SDPA per
   packed sample, what flash-attention's varlen kernels do on GPU). A third mode packs the same way but keeps SDPA's
   dense block-diagonal mask (L^2 per row), reported for context. The modes rotate step by step, so machine load hits
   all alike.

   Model: UAS-Audio with a tiny Whisper encoder (frozen, as in stages 2-4) and a Qwen2 LM of width 384, 4 layers,
   fp32, paper stage 3 trainable groups.

2. (GPU only; runs only when CUDA is available, skipped otherwise) SFT-step model FLOPs utilization in bf16 at
   Qwen2.5-7B layer shapes (2 decoder layers: hidden 3584, 28 heads / 4 KV, MLP 18944) behind a Whisper-large-shaped
   encoder (2 layers, d_model 1280), packed rows of 4096 tokens; MFU = 6 * N_params * tokens + attention FLOPs over
   the GPU's dense bf16 peak (`--peak-tflops`, default 989 for an H100 SXM). Target >= 40 %.

Writes `benchmarks/results/bench_training.json` as a list of {"name", "value", "unit", "baseline", "target",
"higher_is_better"}.

    python benchmarks/bench_training.py            # full run (~2-3 min on one core, plus ~1 min corpus load)
    python benchmarks/bench_training.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

import torch


RESULTS = Path(__file__).resolve().parent / "results" / "bench_training.json"
LM_DIMS = {
    "hidden_size": 384,
    "intermediate_size": 1536,
    "num_hidden_layers": 4,
    "num_attention_heads": 6,
    "num_key_value_heads": 2,
}
BATCH_SIZE = 8
TARGET_SPEEDUP = 2.0
TARGET_MFU = 0.40


def corpus_dir(path: str | None) -> str:
    """The small embedded corpus (built once into the uas_hf cache when no path is given)."""
    if path:
        return path
    from uas_hf.data.corpus import build_corpus
    from uas_hf.data.corpus._sources import default_cache_dir

    out = default_cache_dir() / "bench-corpora" / "small-seed0"
    build_corpus(out, size="small", seed=0, progress=False)
    return str(out)


def stage3_samples(corpus_path: str, collator, n: int) -> list[dict]:
    """Encoded stage-3 examples (ASR + UAS + UAS-QA) in natural proportions, shuffled with seed 0."""
    from datasets import load_dataset

    from uas_hf.trainers.mixture import build_task_dataset
    from uas_hf.trainers.recipe import _qa_items

    corpus = load_dataset("audiofolder", data_dir=corpus_path, split="train")
    qa = _qa_items(corpus, seed=0, types=None)
    examples = []
    for task in ("asr", "uas", "qa"):
        data = build_task_dataset(corpus, task, qa_items=qa)
        examples.extend((task, i, data) for i in range(len(data)))
    random.Random(0).shuffle(examples)
    return [collator.encode(data[i], k) for k, (_, i, data) in enumerate(examples[:n])]


def build_model():
    from uas_hf.models.uas_audio import set_trainable_stage
    from uas_hf.models.uas_audio.modeling_uas_audio import UASAudioForCausalLM
    from uas_hf.models.uas_audio.tiny import build_processor_for_config, tiny_uas_audio_config, train_tokenizer

    tokenizer = train_tokenizer()
    config = tiny_uas_audio_config("whisper", "qwen2", tokenizer=tokenizer, text_config_overrides=LM_DIMS)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    model = UASAudioForCausalLM(config)
    set_trainable_stage(model, 3)
    model.train()
    return model, build_processor_for_config(config, tokenizer)


def step(model, optimizer, batch) -> float:
    start = time.perf_counter()
    loss = model(**{**batch, "use_cache": False}).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def bench_packing(model, processor, samples, max_packed_length: int | None) -> dict:
    """Alternate padded, packed (`sdpa_varlen`) and packed (dense block-diagonal SDPA mask) steps on the same batches."""
    from uas_hf.data.collators import UASAudioCollator
    from uas_hf.trainers.varlen_attention import register_varlen_sdpa

    varlen = register_varlen_sdpa()
    padded_collator = UASAudioCollator(processor)
    packed_collator = UASAudioCollator(processor, packing=True, max_packed_length=max_packed_length)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5, betas=(0.9, 0.95))
    batches = [samples[i : i + BATCH_SIZE] for i in range(0, len(samples) - BATCH_SIZE + 1, BATCH_SIZE)]
    modes = {
        "padded": (padded_collator, "sdpa"),
        "packed": (packed_collator, varlen),
        "packed_mask": (packed_collator, "sdpa"),
    }

    def run(mode, group):
        collator, attention = modes[mode]
        model.set_attn_implementation(attention)
        return step(model, optimizer, collator.collate_encoded(group))

    for mode in modes:  # warm-up: allocator and kernels see every shape once
        run(mode, batches[0])
    seconds = dict.fromkeys(modes, 0.0)
    per_batch = []
    real_tokens, padded_slots, packed_slots = 0, 0, 0
    for i, group in enumerate(batches[1:]):
        # rotate the order, so a load change on the shared machine hits every mode alike
        order = list(modes)[i % 3 :] + list(modes)[: i % 3]
        times = {mode: run(mode, group) for mode in order}
        for mode, t in times.items():
            seconds[mode] += t
        per_batch.append(times["padded"] / times["packed"])
        real_tokens += sum(len(s["input_ids"]) for s in group)
        padded_slots += padded_collator.collate_encoded(group)["input_ids"].numel()
        packed_slots += packed_collator.collate_encoded(group)["input_ids"].numel()
    model.set_attn_implementation("sdpa")
    return {
        "padded_tps": real_tokens / seconds["padded"],
        "packed_tps": real_tokens / seconds["packed"],
        "packed_mask_tps": real_tokens / seconds["packed_mask"],
        "speedup": seconds["padded"] / seconds["packed"],
        "mask_speedup": seconds["padded"] / seconds["packed_mask"],
        "median_batch_speedup": statistics.median(per_batch),
        "padded_fill": real_tokens / padded_slots,
        "packed_fill": real_tokens / packed_slots,
        "steps": len(batches) - 1,
        "real_tokens": real_tokens,
    }


QWEN25_7B_LAYERS = {
    "vocab_size": 152064,
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_hidden_layers": 2,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
}
WHISPER_LARGE_LAYERS = {"d_model": 1280, "encoder_layers": 2, "encoder_attention_heads": 20, "encoder_ffn_dim": 5120}


def bench_mfu(
    peak_tflops: float, steps: int, *, device: str = "cuda", text_dims=None, rows: int = 4, length: int = 4096
) -> dict | None:
    """bf16 SFT-step MFU of the language model at Qwen2.5-7B layer shapes; runs only with CUDA (or an explicit device).

    The batch is `rows` packed rows of `length` tokens, 512-token samples, attended per sample (flash-attention 2 when
    installed, else `sdpa_varlen`). FLOPs: 6 x non-embedding LM parameters (layers + LM head) x tokens, plus causal
    attention 6 x s^2 x hidden per sample and layer (forward + backward). The frozen Whisper-large-shaped encoder is
    part of the model but not of the count (no audio in this batch).
    """
    if device == "cuda" and not torch.cuda.is_available():
        return None
    import importlib.util

    from transformers import Qwen2Config, WhisperConfig

    from uas_hf.models.uas_audio import UASAudioConfig, set_trainable_stage
    from uas_hf.models.uas_audio.modeling_uas_audio import UASAudioForCausalLM
    from uas_hf.trainers.varlen_attention import register_varlen_sdpa

    text = Qwen2Config(**(text_dims or QWEN25_7B_LAYERS), max_position_embeddings=32768)
    audio = WhisperConfig(**WHISPER_LARGE_LAYERS, num_mel_bins=128)
    config = UASAudioConfig(audio_config=audio, text_config=text, audio_token_id=text.vocab_size - 1)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    model = UASAudioForCausalLM(config).to(device, dtype)
    use_flash = device == "cuda" and importlib.util.find_spec("flash_attn") is not None
    model.set_attn_implementation("flash_attention_2" if use_flash else register_varlen_sdpa())
    set_trainable_stage(model, 3)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-5, fused=device == "cuda")
    sample = min(512, length)
    input_ids = torch.randint(0, text.vocab_size - 2, (rows, length), device=device)
    position_ids = torch.arange(sample, device=device).repeat(rows, length // sample)
    cu_seq_lens = torch.arange(0, rows * length + 1, sample, device=device, dtype=torch.int32)
    batch = {
        "input_ids": input_ids,
        "labels": input_ids,
        "position_ids": position_ids,
        "use_cache": False,
        "cu_seq_lens_q": cu_seq_lens,
        "cu_seq_lens_k": cu_seq_lens,
        "max_length_q": sample,
        "max_length_k": sample,
    }
    lm_params = sum(
        p.numel() for n, p in model.named_parameters() if n.startswith(("model.language_model.layers", "lm_head"))
    )
    tokens = rows * length
    n_samples = rows * (length // sample)
    attention = 6 * text.num_hidden_layers * n_samples * sample * sample * text.hidden_size
    flops_per_step = 6 * lm_params * tokens + attention
    synchronize = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(2):
        step(model, optimizer, batch)
    synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step(model, optimizer, batch)
    synchronize()
    seconds = (time.perf_counter() - start) / steps
    return {"mfu": flops_per_step / seconds / (peak_tflops * 1e12), "tokens_per_s": tokens / seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps, for a smoke run")
    parser.add_argument("--corpus-dir", default=None, help="the small embedded corpus (built into the cache if unset)")
    parser.add_argument(
        "--max-packed-length", type=int, default=None, help="token budget of a packed row (default: one row per batch)"
    )
    # One thread by default: on a shared 2-core machine, OpenMP barriers under load distort 2-thread timings (the
    # many small gather/index ops of packing suffer most); the ratio, not the absolute speed, is the result
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="GPU dense bf16 peak for MFU (H100 SXM)")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the JSON results")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    n_samples = BATCH_SIZE * (3 if args.quick else 11)

    model, processor = build_model()
    from uas_hf.data.collators import UASAudioCollator

    samples = stage3_samples(corpus_dir(args.corpus_dir), UASAudioCollator(processor), n_samples)
    result = bench_packing(model, processor, samples, args.max_packed_length)
    results = [
        {
            "name": "sft_effective_tokens_per_s_packed",
            "value": round(result["packed_tps"], 1),
            "unit": "tokens/s",
            "baseline": round(result["padded_tps"], 1),
            "target": round(TARGET_SPEEDUP * result["padded_tps"], 1),
            "higher_is_better": True,
        },
        {
            "name": "sft_packing_speedup_vs_padded",
            "value": round(result["speedup"], 3),
            "unit": "x",
            "baseline": 1.0,
            "target": TARGET_SPEEDUP,
            "higher_is_better": True,
        },
        {
            "name": "sft_packing_speedup_vs_padded_dense_block_mask",
            "value": round(result["mask_speedup"], 3),
            "unit": "x",
            "baseline": 1.0,
            "target": None,
            "higher_is_better": True,
        },
        {
            "name": "padded_batch_fill",
            "value": round(result["padded_fill"], 3),
            "unit": "fraction of slots holding real tokens",
            "baseline": None,
            "target": None,
            "higher_is_better": True,
        },
        {
            "name": "packed_batch_fill",
            "value": round(result["packed_fill"], 3),
            "unit": "fraction of slots holding real tokens",
            "baseline": round(result["padded_fill"], 3),
            "target": None,
            "higher_is_better": True,
        },
    ]
    mfu = bench_mfu(args.peak_tflops, steps=3 if args.quick else 10)
    if mfu is not None:
        results.append(
            {
                "name": "sft_step_mfu_bf16_qwen2.5_7b_layers",
                "value": round(mfu["mfu"], 3),
                "unit": "fraction of peak",
                "baseline": None,
                "target": TARGET_MFU,
                "higher_is_better": True,
            }
        )
    width = max(len(r["name"]) for r in results)
    print(f"{'benchmark':<{width}}  {'value':>10}  {'baseline':>10}  {'target':>10}  unit")
    for r in results:
        print(f"{r['name']:<{width}}  {r['value']!s:>10}  {r['baseline']!s:>10}  {r['target']!s:>10}  {r['unit']}")
    print(
        f"({result['steps']} alternating step pairs of {BATCH_SIZE} samples, {result['real_tokens']} real tokens per "
        f"mode; median per-batch speed-up {result['median_batch_speedup']:.2f}x; packed rows <= "
        f"{args.max_packed_length or 'all'} tokens; {args.threads} threads"
        + ("; MFU skipped: no CUDA)" if mfu is None else f"; MFU {mfu['tokens_per_s']:.0f} tokens/s)")
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
