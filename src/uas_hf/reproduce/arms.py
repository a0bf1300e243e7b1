"""The supervision arms, their shared starting point, and how each trained arm is evaluated.

Every arm starts from the same frozen pretrained encoder and the same projector-adaptation checkpoint, trains the same
model for the same number of steps on the same TRAIN clips, and sees the same ASR and "what was said" questions
(UAS-QA items about the transcription), so every arm knows the answer formats. The arms differ only in perception
supervision:

| arm | added to ASR + content QA |
|---|---|
| `asr` | nothing |
| `asr_uas` | holistic UAS JSON |
| `asr_qa` | UAS-QA about everything but the transcription |
| `asr_uas_qa` | both |
| `asr_caption` | the same UAS content as prose (`render_caption`, App. F) |
"""

import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..utils.logging import get_logger
from .benchmark import read_split
from .scoring import bootstrap_ci, cluster_of, continuation_logprobs, load_records, predict_by_likelihood


logger = get_logger(__name__)

# arm -> the perception parts of its mixture (on top of `asr` + `content_qa`)
ARMS: dict[str, tuple[str, ...]] = {
    "asr": (),
    "asr_uas": ("uas",),
    "asr_qa": ("perception_qa",),
    "asr_uas_qa": ("uas", "perception_qa"),
    "asr_caption": ("caption",),
}
SHARED_PARTS = ("asr", "content_qa")
CONTENT_FIELDS = ("transcription",)
# Model sizes: language-model width and the audio encoder's width (both tiny: CPU scale).
SIZES: dict[str, dict[str, int]] = {
    "default": {"hidden_size": 128, "d_model": 64, "vocab_size": 1024},
    "small": {"hidden_size": 64, "d_model": 32, "vocab_size": 512},
}
BATCH_SIZE = 8
# Higher than Table 8's 1e-4/2e-4: a tiny model trained for minutes (same choice as examples/e2e/).
LEARNING_RATE = 1e-3
WARMUP_RATIO = 0.1


def perception_fields() -> tuple[str, ...]:
    from ..schema import FIELDS

    return tuple(f for f in FIELDS if f not in CONTENT_FIELDS)


def qa_items(corpus, *, seed: int, fields) -> list[dict[str, Any]]:
    """UAS-QA items (`generate_qa`) of ``fields`` for the clips of ``corpus`` (a split with `id` and `uas`)."""
    from ..data.qa import generate_qa
    from ..schema import parse_uas

    records = ((row["id"], parse_uas(row["uas"])) for row in corpus.select_columns(["id", "uas"]))
    return list(generate_qa(records, seed=seed, fields=fields))


def training_texts(corpus, *, seed: int) -> list[str]:
    """Every text any arm reads or writes in training (so the tokenizer is the same for all arms)."""
    from ..schema import parse_uas, render_caption

    texts = [row["uas"] for row in corpus.select_columns(["uas"])]
    texts += [render_caption(parse_uas(t)) for t in texts]
    texts += [t for t in corpus["transcription"] if t]
    items = qa_items(corpus, seed=seed, fields=CONTENT_FIELDS + perception_fields())
    texts += [f"{i['question']} {' '.join(i['options'] or [])} {i['answer']}" for i in items]
    return texts


def load_train_corpus(corpus_dir: str | os.PathLike, *, max_clips: int | None = None):
    from datasets import load_dataset

    corpus = load_dataset("audiofolder", data_dir=str(corpus_dir), split="train")
    return corpus.select(range(min(max_clips, len(corpus)))) if max_clips else corpus


def init_model(corpus, *, size: str, seed: int):
    """A random UAS-Audio of preset ``size`` with a tokenizer trained on the TRAIN split's texts."""
    import torch

    from ..models.uas_audio import UASAudioForCausalLM
    from ..models.uas_audio.tiny import build_processor_for_config, tiny_uas_audio_config, train_tokenizer

    if size not in SIZES:
        raise ValueError(f"`size` must be one of {sorted(SIZES)}, got {size!r}.")
    preset = SIZES[size]
    tokenizer = train_tokenizer(training_texts(corpus, seed=seed), vocab_size=preset["vocab_size"])
    hidden, d_model = preset["hidden_size"], preset["d_model"]
    heads = max(2, hidden // 32)
    config = tiny_uas_audio_config(
        "whisper",
        "qwen2",
        tokenizer=tokenizer,
        audio_config_overrides={"d_model": d_model, "encoder_ffn_dim": 4 * d_model, "encoder_attention_heads": 4},
        text_config_overrides={
            "hidden_size": hidden,
            "intermediate_size": 4 * hidden,
            "num_attention_heads": heads,
            "num_key_value_heads": max(1, heads // 2),
            "max_position_embeddings": 4096,
        },
    )
    torch.manual_seed(seed)
    return UASAudioForCausalLM(config), build_processor_for_config(config, tokenizer)


def mixture_parts(corpus, parts, *, seed: int) -> dict[str, Any]:
    """Formatted task datasets (`uas_hf.trainers.mixture.build_task_dataset`) for the named parts."""
    from ..trainers.mixture import build_task_dataset

    out = {}
    for part in parts:
        if part in ("asr", "uas", "caption"):
            out[part] = build_task_dataset(corpus, part)
        elif part == "content_qa":
            out[part] = build_task_dataset(corpus, "qa", qa_items=qa_items(corpus, seed=seed, fields=CONTENT_FIELDS))
        elif part == "perception_qa":
            items = qa_items(corpus, seed=seed, fields=perception_fields())
            out[part] = build_task_dataset(corpus, "qa", qa_items=items)
        else:
            raise ValueError(f"Unknown mixture part {part!r}; parts are asr, uas, caption, content_qa, perception_qa.")
    return out


def train_sft(model_dir, corpus, parts, out_dir, *, stage: int, steps: int, seed: int) -> dict[str, Any]:
    """One SFT run (paper stage ``stage``) on an equal-weight mixture of ``parts``; saves ``out_dir/final``."""
    from transformers import AutoModelForCausalLM, AutoProcessor

    import uas_hf.models.uas_audio  # noqa: F401 - registers UAS-Audio with the Auto classes

    from ..trainers.mixture import mix_datasets
    from ..trainers.uas_sft_config import UASSFTConfig
    from ..trainers.uas_sft_trainer import UASSFTTrainer

    datasets = mixture_parts(corpus, parts, seed=seed)
    mixed = mix_datasets(datasets, dict.fromkeys(datasets, 1.0), seed=seed).shuffle(seed=seed)
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    processor = AutoProcessor.from_pretrained(str(model_dir))
    args = UASSFTConfig(
        output_dir=str(out_dir),
        stage=stage,
        max_steps=steps,
        per_device_train_batch_size=BATCH_SIZE,
        learning_rate=LEARNING_RATE,
        warmup_steps=WARMUP_RATIO,
        packing=True,
        logging_steps=max(1, steps // 10),
        save_strategy="no",
        report_to="none",
        use_cpu=not _cuda(),
        dataloader_num_workers=0,
        seed=seed,
        disable_tqdm=False,
    )
    trainer = UASSFTTrainer(model, args=args, train_dataset=mixed, processing_class=processor)
    result = trainer.train()
    final = Path(out_dir) / "final"
    trainer.save_model(str(final))
    processor.save_pretrained(str(final))
    return {
        "parts": {name: len(d) for name, d in datasets.items()},
        "examples": len(mixed),
        "global_step": result.global_step,
        "train_loss": result.training_loss,
        "final_model": str(final),
    }


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def likelihood_eval(model_dir, bench_file, out_file, *, batch_size: int = 8) -> dict[str, Any]:
    """Option-likelihood predictions for every benchmark item, written to ``out_file`` (jsonl)."""
    from transformers import AutoModelForCausalLM, AutoProcessor

    import uas_hf.models.uas_audio  # noqa: F401

    from ..data.collators import UASAudioCollator

    records, _ = load_records(bench_file)
    model = AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
    if _cuda():
        model = model.to("cuda")
    processor = AutoProcessor.from_pretrained(str(model_dir))
    collator = UASAudioCollator(processor)
    root = Path(bench_file).parent

    score = functools.partial(continuation_logprobs, model, collator, batch_size=batch_size)
    predictions = predict_by_likelihood(records, score, lambda r: str(root / r["audio_path"].lstrip("/")))
    with open(out_file, "w", encoding="utf-8") as f:
        for p in predictions:
            f.write(json.dumps(p) + "\n")
    return {"n": len(predictions), "file": str(out_file)}


def summarize(bench_file, predictions: list[Mapping[str, Any]], *, seed: int = 0) -> dict[str, Any]:
    """Accuracy with clip-bootstrap CIs: overall, per category (perception / reasoning) and per question type."""
    records, clips = load_records(bench_file)
    by_id = {p["id"]: p for p in predictions}
    rows = [(r, by_id[r["id"]]) for r in records if r["id"] in by_id]

    def ci(selected):
        return bootstrap_ci(
            [bool(p["correct"]) for _, p in selected], [cluster_of(r["id"], clips) for r, _ in selected], seed=seed
        )

    out = {"overall": ci(rows)}
    for category in ("Perception", "Reasoning"):
        out[category.lower()] = ci([(r, p) for r, p in rows if r["category"] == category])
    out["by_type"] = {
        task: ci([(r, p) for r, p in rows if r["task_name"] == task])
        for task in sorted({r["task_name"] for r, _ in rows})
    }
    return out


def generation_evals(
    model_dir, bench_file, corpus_dir, out_dir, *, holistic: bool, asr_limit: int | None, split: str = "test"
) -> dict:
    """Letter accuracy (MMSU scorer) and transcription CER, targeted and holistic (paper Table 3), by the eval runner."""
    from ..evaluation.runner import EvalConfig, run_evaluation
    from ..trainers.mixture import ASR_PROMPT, UAS_PROMPT

    out_dir = Path(out_dir)
    common = {"model": str(model_dir), "batch_size": 16, "progress": True}
    letter = run_evaluation(
        EvalConfig(benchmark="mmsu", data=str(bench_file), output_dir=str(out_dir / "letter"),
                   prompt_template="uas-qa", max_new_tokens=16, **common)
    )  # fmt: skip
    # Tencent's MMSU scoring counts unparseable answers as wrong (official scoring leaves them out of `n`)
    tencent = letter.get("scorings", {}).get("tencent", {})
    result = {
        "letter_accuracy": tencent.get("overall"),
        "letter_accuracy_official": letter.get("overall"),
        "letter_unparseable": letter.get("unparseable"),
        "letter_perception_reasoning": letter.get("perception_reasoning", {}).get("tencent", {}),
    }
    asr = run_evaluation(
        EvalConfig(benchmark="asr", data=str(corpus_dir), split=split, output_dir=str(out_dir / "asr"),
                   prompt_template=ASR_PROMPT, max_new_tokens=64, limit=asr_limit, **common)
    )  # fmt: skip
    result["cer_targeted"] = (asr.get("asr") or {}).get("cer")
    result["cer_holistic"] = None
    if holistic:
        uas = run_evaluation(
            EvalConfig(benchmark="uas", data=str(corpus_dir), split=split, output_dir=str(out_dir / "uas"),
                       prompt_template=UAS_PROMPT, max_new_tokens=256, limit=asr_limit, **common)
        )  # fmt: skip
        result["cer_holistic"] = (uas.get("transcription") or {}).get("cer")
    return result


def speech_clip_count(corpus_dir, split: str) -> int:
    return sum(1 for r in read_split(corpus_dir, split) if r.get("transcription"))
