"""`run_reproduce`: corpus -> micro-benchmarks -> shared encoder -> shared projector -> arms x seeds -> report.

Resumable like `uas-hf e2e`: `OUT/reproduce_state.json` records, per step, a fingerprint of its settings and of the
steps it depends on, its outputs and how long it took; a step re-runs only when that changes or its outputs vanish.
Every (arm, seed) has its own training step and, per evaluation split, its own evaluation step, so an interrupted run
loses at most the one in flight, and `--eval-split test` after `--eval-split validation` reuses the trained arms.
"""

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..utils.durable import StepState
from ..utils.durable import fingerprint as step_fingerprint
from ..utils.logging import get_logger


logger = get_logger(__name__)

STATE_FILE = "reproduce_state.json"
SHARED_STEPS = ("corpus", "benchmark", "encoder", "projector")


@dataclass
class ReproduceConfig:
    r"""
    Settings of one reproduction run (`uas-hf reproduce`).

    Example:
    ```python
    >>> config = ReproduceConfig(out="runs/reproduce", seeds=[0, 1, 2])
    >>> config.arms
    ['asr', 'asr_uas', 'asr_qa', 'asr_uas_qa', 'asr_caption']
    ```
    """

    out: str = field(default="runs/reproduce", metadata={"help": "output folder and resume point"})
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2], metadata={"help": "seeds of the arms' SFT"})
    arms: list[str] = field(
        default_factory=lambda: ["asr", "asr_uas", "asr_qa", "asr_uas_qa", "asr_caption"],
        metadata={"help": "supervision arms to train (see uas_hf.reproduce.arms.ARMS)"},
    )
    steps: int = field(default=600, metadata={"help": "SFT steps of every arm (identical across arms)"})
    projector_steps: int | None = field(
        default=None, metadata={"help": "shared projector-adaptation steps (default: steps // 3)"}
    )
    # 500 steps gave validation probes gender 0.85, rate 0.73, loudness 0.88, background 0.57 and still rising
    encoder_steps: int = field(default=1500, metadata={"help": "shared encoder pretraining steps (batch 16)"})
    size: str = field(default="default", metadata={"help": "model size preset: default or small"})
    corpus: str | None = field(
        default=None, metadata={"help": "an existing corpus folder (default: build OUT/corpus)"}
    )
    corpus_size: str = field(default="default", metadata={"help": "corpus to build when --corpus is not given"})
    base_seed: int = field(default=0, metadata={"help": "seed of the corpus, benchmarks, encoder and projector"})
    max_train_clips: int | None = field(default=None, metadata={"help": "micro runs: first N training clips only"})
    bench_limit: int | None = field(default=None, metadata={"help": "micro runs: first N benchmark items only"})
    asr_limit: int | None = field(default=120, metadata={"help": "clips for the targeted/holistic CER"})
    eval_split: str = field(
        default="test",
        metadata={"help": "validation for every choice (steps, size); test only for the final, reported run"},
    )
    results_dir: str = field(default="docs/results", metadata={"help": "where the report goes"})
    command: str = field(default="", metadata={"help": "the command line, recorded in the report"})
    force: list[str] = field(default_factory=list, metadata={"help": "re-run these shared steps (and later ones)"})

    def __post_init__(self):
        from .arms import ARMS, SIZES

        unknown = sorted(set(self.arms) - set(ARMS))
        if unknown or not self.arms:
            raise ValueError(f"`arms` has unknown arm(s) {unknown} (or is empty); arms are {list(ARMS)}.")
        if self.size not in SIZES:
            raise ValueError(f"`size` must be one of {sorted(SIZES)}, got {self.size!r}.")
        if self.corpus_size not in ("small", "default"):
            raise ValueError(f"`corpus_size` must be 'small' or 'default', got {self.corpus_size!r}.")
        for name in ("steps", "encoder_steps"):
            if getattr(self, name) <= 0:
                raise ValueError(f"`{name}` must be positive, got {getattr(self, name)}.")
        if self.eval_split not in ("validation", "test"):
            raise ValueError(f"`eval_split` must be 'validation' or 'test', got {self.eval_split!r}.")
        if self.eval_split == "validation" and Path(self.results_dir).parts[-2:] == ("docs", "results"):
            raise ValueError(
                f"`results_dir` is {self.results_dir!r} but `eval_split` is 'validation': validation runs are for "
                "choices, not results. Pass `--results-dir runs/validation-results` (or any scratch folder)."
            )
        if not self.seeds:
            raise ValueError("`seeds` must name at least one seed, e.g. `--seeds 0 1 2`.")
        bad = sorted(set(self.force) - set(SHARED_STEPS))
        if bad:
            raise ValueError(f"`force` has unknown step(s) {bad}; steps are {list(SHARED_STEPS)}.")
        if self.projector_steps is None:
            self.projector_steps = max(1, self.steps // 3)


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in ("uas_hf", "torch", "transformers", "trl", "datasets", "numpy"):
        try:
            out[name] = md.version(name.replace("_", "-"))
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _corpus_dir(config: ReproduceConfig, out: Path) -> Path:
    return Path(config.corpus).resolve() if config.corpus else out / "corpus"


def _limit_benchmark(path: Path, limit: int | None) -> Path:
    if limit is None:
        return path
    lines = path.read_text(encoding="utf-8").splitlines()[:limit]
    limited = path.with_name(f"mmsu.first{limit}.jsonl")
    limited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return limited


def run_reproduce(config: ReproduceConfig) -> dict[str, Any]:
    """Run (or resume) every step and write the report; returns `{"steps": {...}, "results": {...}}`."""
    from tqdm.auto import tqdm

    from .arms import (
        ARMS,
        SHARED_PARTS,
        generation_evals,
        init_model,
        likelihood_eval,
        load_train_corpus,
        summarize,
        train_sft,
    )
    from .benchmark import benchmark_counts, build_micro_benchmark
    from .encoder import pretrain_encoder
    from .report import write_results
    from .scoring import cluster_of, load_records

    out = Path(config.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    state = StepState(out / STATE_FILE)
    corpus_dir = _corpus_dir(config, out)
    report: dict[str, Any] = {}
    forced = False

    def step(name: str, settings: dict, upstream: str, paths: list[Path], func) -> tuple[str, Any]:
        nonlocal forced
        forced = forced or name in config.force
        fingerprint = step_fingerprint({"step": name, "settings": settings, "upstream": upstream})
        entry = None if forced else state.done(name, fingerprint)
        if entry is not None:
            logger.info("[reproduce] %s reused (%s s when it ran)", name, entry["seconds"])
            report[name] = {"status": "reused", "seconds": entry["seconds"]}
            return fingerprint, entry["outputs"]
        if name in SHARED_STEPS:
            forced = True  # a re-run shared step invalidates everything after it
        logger.info("[reproduce] %s running", name)
        started = time.perf_counter()
        outputs = func()
        seconds = time.perf_counter() - started
        state.record(name, fingerprint, seconds, outputs, [str(p) for p in paths])
        report[name] = {"status": "ran", "seconds": round(seconds, 1)}
        return fingerprint, outputs

    def corpus_step():
        if config.corpus:
            return {"corpus": str(corpus_dir), "built": False}
        from ..data.corpus import build_corpus

        build_corpus(corpus_dir, size=config.corpus_size, seed=config.base_seed)
        return {"corpus": str(corpus_dir), "built": True}

    fp, _ = step("corpus", {"corpus": str(corpus_dir), "size": config.corpus_size, "seed": config.base_seed}, "",
                 [corpus_dir / "test" / "metadata.jsonl"], corpus_step)  # fmt: skip

    bench_dir = out / "benchmark"

    def benchmark_step():
        counts = {}
        for split in ("validation", "test"):
            path = build_micro_benchmark(corpus_dir, bench_dir / split, split=split, seed=config.base_seed)
            counts[split] = benchmark_counts(path)
        return counts

    fp, bench_counts = step("benchmark", {"seed": config.base_seed}, fp,
                            [bench_dir / s / "mmsu.jsonl" for s in ("validation", "test")], benchmark_step)  # fmt: skip
    eval_bench = _limit_benchmark(bench_dir / config.eval_split / "mmsu.jsonl", config.bench_limit)

    encoder_dir = out / "encoder"

    def encoder_step():
        corpus = load_train_corpus(corpus_dir, max_clips=config.max_train_clips)
        model, processor = init_model(corpus, size=config.size, seed=config.base_seed)
        return pretrain_encoder(model, processor, corpus_dir, encoder_dir, steps=config.encoder_steps,
                                seed=config.base_seed, max_clips=config.max_train_clips)  # fmt: skip

    settings = {k: getattr(config, k) for k in ("size", "encoder_steps", "base_seed", "max_train_clips")}
    fp, encoder_summary = step("encoder", settings, fp, [encoder_dir / "model" / "config.json"], encoder_step)

    projector_dir = out / "projector"

    def projector_step():
        corpus = load_train_corpus(corpus_dir, max_clips=config.max_train_clips)
        return train_sft(encoder_dir / "model", corpus, SHARED_PARTS, projector_dir, stage=2,
                         steps=config.projector_steps, seed=config.base_seed)  # fmt: skip

    settings = {"projector_steps": config.projector_steps, "base_seed": config.base_seed}
    fp, _ = step("projector", settings, fp, [projector_dir / "final" / "config.json"], projector_step)

    runs: dict[str, list[dict[str, Any]]] = {}
    run_time = {"encoder": state.steps["encoder"]["seconds"], "projector": state.steps["projector"]["seconds"]}
    pairs = [(arm, seed) for arm in config.arms for seed in config.seeds]
    for arm, seed in tqdm(pairs, desc="arms x seeds"):
        arm_dir = out / "arms" / arm / f"seed{seed}"
        split = config.eval_split
        result_file = arm_dir / f"result.{split}.json"

        def train_step(arm=arm, seed=seed, arm_dir=arm_dir):
            corpus = load_train_corpus(corpus_dir, max_clips=config.max_train_clips)
            return train_sft(projector_dir / "final", corpus, SHARED_PARTS + ARMS[arm], arm_dir / "train",
                             stage=3, steps=config.steps, seed=seed)  # fmt: skip

        train_fp, train = step(f"train:{arm}:seed{seed}", {"arm": arm, "seed": seed, "steps": config.steps}, fp,
                               [arm_dir / "train" / "final" / "config.json"], train_step)  # fmt: skip

        def eval_step(arm=arm, seed=seed, arm_dir=arm_dir, result_file=result_file, train=train, split=split):
            model_dir = arm_dir / "train" / "final"
            predictions_file = arm_dir / f"likelihood_predictions.{split}.jsonl"
            likelihood_eval(model_dir, eval_bench, predictions_file)
            predictions = [json.loads(line) for line in predictions_file.read_text().splitlines()]
            records, clips = load_records(eval_bench)
            by_id = {r["id"]: r for r in records}
            holistic = bool({"uas"} & set(ARMS[arm]))
            generation = generation_evals(model_dir, eval_bench, corpus_dir, arm_dir / f"eval-{split}",
                                          holistic=holistic, asr_limit=config.asr_limit, split=split)  # fmt: skip
            result = {
                "arm": arm,
                "seed": seed,
                "eval_split": split,
                "train": train,
                "summary": summarize(eval_bench, predictions, seed=seed),
                "items": [
                    {
                        "id": p["id"],
                        "correct": p["correct"],
                        "category": by_id[p["id"]]["category"],
                        "task_name": by_id[p["id"]]["task_name"],
                        "cluster": cluster_of(p["id"], clips),
                    }
                    for p in predictions
                ],  # fmt: skip
                **generation,
            }
            result_file.write_text(json.dumps(result, indent=1))
            return {k: result["summary"][k]["acc"] for k in ("perception", "reasoning")}

        settings = {"split": split, "asr_limit": config.asr_limit, "bench_limit": config.bench_limit}
        step(f"eval:{arm}:seed{seed}:{split}", settings, train_fp, [result_file], eval_step)
        runs.setdefault(arm, []).append(json.loads(result_file.read_text()))
        run_time[f"{arm}/seed{seed}"] = sum(
            state.steps[name]["seconds"] for name in (f"train:{arm}:seed{seed}", f"eval:{arm}:seed{seed}:{split}")
        )

    written = write_results(
        config.results_dir,
        runs,
        command=config.command or f"uas-hf reproduce --out {config.out}",
        seeds=config.seeds,
        versions=versions(),
        run_time=run_time,
        encoder=encoder_summary,
        benchmark=bench_counts.get(config.eval_split) if isinstance(bench_counts, dict) else None,
        eval_split=config.eval_split,
    )
    return {"steps": report, "results": {k: str(v) for k, v in written.items()}, "config": asdict(config)}
