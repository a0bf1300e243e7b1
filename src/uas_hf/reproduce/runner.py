"""`run_reproduce`: corpus -> micro-benchmarks -> shared encoder -> shared projector -> arms x seeds -> report.

Resumable like `uas-hf e2e`: `OUT/reproduce_state.json` records, per step, a fingerprint of its settings and of the
steps it depends on, its outputs and how long it took; a step re-runs only when that changes or its outputs vanish.
Every (arm, seed) has its own training step and, per evaluation split, its own evaluation step, so an interrupted run
loses at most the one in flight, and `--eval-split test` after `--eval-split validation` reuses the trained arms.
"""

import json
import platform
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..utils.durable import StepState, write_json_atomic
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
    workers: int = field(
        default=1,
        metadata={
            "help": "arm-seed runs trained and evaluated at once, each in its own process with "
            "cpu_count // workers threads (unless OMP_NUM_THREADS is set)"
        },
    )
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
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"`workers` must be a positive integer, got {self.workers!r}; e.g. `--workers 2`.")
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

    from .arms import SHARED_PARTS, init_model, load_train_corpus, train_sft
    from .benchmark import benchmark_counts, build_micro_benchmark
    from .encoder import pretrain_encoder
    from .report import write_results

    out = Path(config.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    state = StepState(out / STATE_FILE)
    corpus_dir = _corpus_dir(config, out)
    report: dict[str, Any] = {}
    forced = False

    def reuse(name: str, fingerprint: str) -> dict[str, Any] | None:
        """The recorded entry of a step that is done with this fingerprint (and not forced), else `None`."""
        entry = None if forced else state.done(name, fingerprint)
        if entry is not None:
            logger.info("[reproduce] %s reused (%s s when it ran)", name, entry["seconds"])
            report[name] = {"status": "reused", "seconds": entry["seconds"]}
        return entry

    def record(name: str, fingerprint: str, seconds: float, outputs: Any, paths: list[Path]) -> None:
        state.record(name, fingerprint, seconds, outputs, [str(p) for p in paths])
        report[name] = {"status": "ran", "seconds": round(seconds, 1)}

    def step(name: str, settings: dict, upstream: str, paths: list[Path], func) -> tuple[str, Any]:
        nonlocal forced
        forced = forced or name in config.force
        fingerprint = step_fingerprint({"step": name, "settings": settings, "upstream": upstream})
        entry = reuse(name, fingerprint)
        if entry is not None:
            return fingerprint, entry["outputs"]
        if name in SHARED_STEPS:
            forced = True  # a re-run shared step invalidates everything after it
        logger.info("[reproduce] %s running", name)
        started = time.perf_counter()
        outputs = func()
        record(name, fingerprint, time.perf_counter() - started, outputs, paths)
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
    bench_fp = fp

    probe_dir = out / "qa_probe" / config.eval_split

    def qa_probe_step():
        from .qa_probe import build_qa_probe

        path = build_qa_probe(corpus_dir, probe_dir, split=config.eval_split)
        return {"items": sum(1 for _ in path.open(encoding="utf-8"))}

    probe_fp, _ = step(f"qa_probe:{config.eval_split}", {"split": config.eval_split}, bench_fp,
                       [probe_dir / "mmsu.jsonl"], qa_probe_step)  # fmt: skip
    probe_bench = _limit_benchmark(probe_dir / "mmsu.jsonl", config.bench_limit)

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
    split = config.eval_split
    paths = {
        "corpus": str(corpus_dir),
        "projector": str(projector_dir / "final"),
        "bench": str(eval_bench),
        "probe": str(probe_bench),
    }
    pairs = [(arm, seed) for arm in config.arms for seed in config.seeds]
    jobs: dict[tuple[str, int], dict[str, Any]] = {}
    for arm, seed in pairs:
        arm_dir = out / "arms" / arm / f"seed{seed}"
        train_name, eval_name = f"train:{arm}:seed{seed}", f"eval:{arm}:seed{seed}:{split}"
        train_fp = step_fingerprint(
            {"step": train_name, "settings": {"arm": arm, "seed": seed, "steps": config.steps}, "upstream": fp}
        )
        eval_settings = {"split": split, "asr_limit": config.asr_limit, "bench_limit": config.bench_limit}
        eval_fp = step_fingerprint({"step": eval_name, "settings": eval_settings, "upstream": train_fp})
        probe_name = f"probe:{arm}:seed{seed}:{split}"
        probe_settings = {"split": split, "bench_limit": config.bench_limit, "probe": probe_fp}
        probe_step_fp = step_fingerprint({"step": probe_name, "settings": probe_settings, "upstream": train_fp})
        jobs[(arm, seed)] = {
            "arm_dir": arm_dir,
            "train": (train_name, train_fp, [arm_dir / "train" / "final" / "config.json"]),
            "eval": (eval_name, eval_fp, [arm_dir / f"result.{split}.json"]),
            "probe": (probe_name, probe_step_fp, [arm_dir / f"qa_probe.{split}.json"]),
        }

    def pending(kind: str, arm: str, seed: int):
        name, fingerprint, _ = jobs[(arm, seed)][kind]
        return reuse(name, fingerprint)

    def finish(kind: str, arm: str, seed: int, seconds: float, outputs: Any) -> None:
        name, fingerprint, step_paths = jobs[(arm, seed)][kind]
        record(name, fingerprint, seconds, outputs, step_paths)

    def task(kind: str, arm: str, seed: int, train: Any = None) -> tuple[Any, ...]:
        arm_dir = str(jobs[(arm, seed)]["arm_dir"])
        if kind == "train":
            return (_train_pair, arm, seed, arm_dir, paths, config.steps, config.max_train_clips)
        if kind == "probe":
            return (_probe_pair, arm, seed, arm_dir, paths, split)
        return (_eval_pair, arm, seed, arm_dir, paths, split, config.asr_limit, train)

    # At most `workers` steps in flight. Each pair's steps run in order (train -> eval -> probe); a queued eval or
    # probe goes before the next training, and pairs go seed by seed, so every finished seed is a complete set of
    # arms even if the run is cut short.
    follows = {"train": "eval", "eval": "probe", "probe": None}
    bar = tqdm(total=len(follows) * len(pairs), desc="arms x seeds (train, eval, probe)")
    failures: list[BaseException] = []
    ready: list[tuple[str, str, int, Any]] = []
    trains = [(arm, seed) for seed in config.seeds for arm in config.arms]
    with _pair_executor(config.workers) as executor:
        running: dict[Any, tuple[str, str, int, Any]] = {}

        def advance(kind: str, arm: str, seed: int, train: Any) -> None:
            """``kind`` is done for the pair (ran or reused): queue its next step, or skip it if done too."""
            bar.update(1)
            following = follows[kind]
            if following is None:
                return
            if pending(following, arm, seed) is None:
                ready.append((following, arm, seed, train))
            else:
                advance(following, arm, seed, train)

        def handle(future) -> None:
            kind, arm, seed, train = running.pop(future)
            try:
                outputs, seconds = future.result()
            except Exception as error:  # record what the other workers finish, start nothing new, then raise
                logger.error("[reproduce] %s:%s:seed%s failed: %s", kind, arm, seed, error)
                failures.append(error)
                return
            finish(kind, arm, seed, seconds, outputs)
            advance(kind, arm, seed, outputs if kind == "train" else train)

        def fill() -> None:
            while not failures and len(running) < config.workers and (ready or trains):
                if ready:
                    kind, arm, seed, train = ready.pop(0)
                else:
                    (arm, seed), kind, train = trains.pop(0), "train", None
                    if (entry := pending("train", arm, seed)) is not None:
                        advance("train", arm, seed, entry["outputs"])
                        continue
                logger.info("[reproduce] %s:%s:seed%s running", kind, arm, seed)
                future = executor.submit(_call, *task(kind, arm, seed, train))
                running[future] = (kind, arm, seed, train)
                if isinstance(executor, _InlineExecutor):
                    handle(future)  # one process: record each step as soon as it ends

        fill()
        while running:
            for future in _wait_first(list(running)):
                handle(future)
            fill()
    bar.close()
    if failures:
        raise failures[0]
    for arm, seed in pairs:
        names = (jobs[(arm, seed)]["train"][0], jobs[(arm, seed)]["eval"][0])
        result = json.loads(jobs[(arm, seed)]["eval"][2][0].read_text())
        result["qa_probe"] = json.loads(jobs[(arm, seed)]["probe"][2][0].read_text())
        runs.setdefault(arm, []).append(result)
        run_time[f"{arm}/seed{seed}"] = sum(state.steps[name]["seconds"] for name in names)

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


# ---------------------------------------------------------------------------------------------------------------
# One arm-seed's steps, as module-level functions so that `--workers N` can run them in spawned processes.


def _train_pair(arm: str, seed: int, arm_dir: str, paths: dict[str, str], steps: int, max_clips: int | None):
    from .arms import ARMS, SHARED_PARTS, load_train_corpus, train_sft

    corpus = load_train_corpus(Path(paths["corpus"]), max_clips=max_clips)
    return train_sft(Path(paths["projector"]), corpus, SHARED_PARTS + ARMS[arm], Path(arm_dir) / "train",
                     stage=3, steps=steps, seed=seed)  # fmt: skip


def _eval_pair(arm: str, seed: int, arm_dir: str, paths: dict[str, str], split: str, asr_limit: int | None, train):
    from .arms import ARMS, generation_evals, likelihood_eval, summarize
    from .scoring import item_outcomes, load_records

    arm_dir, bench = Path(arm_dir), Path(paths["bench"])
    model_dir = arm_dir / "train" / "final"
    predictions_file = arm_dir / f"likelihood_predictions.{split}.jsonl"
    likelihood_eval(model_dir, bench, predictions_file)
    predictions = [json.loads(line) for line in predictions_file.read_text().splitlines()]
    records, clips = load_records(bench)
    holistic = bool({"uas"} & set(ARMS[arm]))
    generation = generation_evals(model_dir, bench, Path(paths["corpus"]), arm_dir / f"eval-{split}",
                                  holistic=holistic, asr_limit=asr_limit, split=split)  # fmt: skip
    result = {
        "arm": arm,
        "seed": seed,
        "eval_split": split,
        "train": train,
        "summary": summarize(bench, predictions, seed=seed),
        "items": item_outcomes(records, clips, predictions),
        **generation,
    }
    write_json_atomic(arm_dir / f"result.{split}.json", result)
    return {k: result["summary"][k]["acc"] for k in ("perception", "reasoning")}


def _probe_pair(arm: str, seed: int, arm_dir: str, paths: dict[str, str], split: str):
    from .qa_probe import evaluate_probe

    model_dir = Path(arm_dir) / "train" / "final"
    return evaluate_probe(model_dir, paths["probe"], Path(arm_dir) / f"qa_probe.{split}.json", seed=seed)


def _call(func, *args):
    """Run one step and time it where it runs (a worker's queueing time is not the step's)."""
    started = time.perf_counter()
    outputs = func(*args)
    return outputs, time.perf_counter() - started


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


class _InlineExecutor:
    """`--workers 1`: run each task at submission, in this process, behind the executor interface."""

    def submit(self, func, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(func(*args))
        except Exception as error:
            future.set_exception(error)
        return future

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def _pair_executor(workers: int):
    if workers == 1:
        return _InlineExecutor()
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    threads = int(os.environ.get("OMP_NUM_THREADS") or max(1, (os.cpu_count() or 1) // workers))
    logger.info("[reproduce] %d worker processes, %d torch thread(s) each", workers, threads)
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(threads,),
    )


def _wait_first(futures: list[Future]) -> set[Future]:
    done, _ = wait(futures, return_when=FIRST_COMPLETED)
    return done
