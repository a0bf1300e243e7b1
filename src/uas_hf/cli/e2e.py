"""`uas-hf e2e --out DIR`: the main job, end to end on the embedded corpus, on a CPU.

Steps (each one is the same code a user runs by hand; re-running skips every step whose settings and inputs are
unchanged and whose outputs are still there):

| step | what | the by-hand equivalent |
|---|---|---|
| corpus | build the embedded labelled corpus from Debian audio | `uas-hf corpus build --out DIR/corpus` |
| annotate | Stage 1 analyzer → Stage 2 rules → Stage 3 validation → UAS-QA | `uas-hf annotate DIR/corpus --out DIR/dataset` |
| init | a small random UAS-Audio whose tokenizer is trained on the training split's text | `uas_hf.models.uas_audio.tiny` |
| stage2 | projector adaptation on UAS (paper §3.2) | `uas-hf train examples/e2e/stage2.yaml` |
| stage3 | instruction tuning on ASR + UAS + UAS-QA | `uas-hf train examples/e2e/stage3.yaml` |
| eval | held-out test split: ASR, holistic UAS, UAS-QA multiple choice (MMSU format) | `uas-hf eval ...` |
| cards | Hub-ready model / dataset / Space folders with rendered cards | `uas-hf push ... --no-push` |
| space | launch the Gradio demo on the trained model | `python spaces/uas-audio-demo/app.py --model ...` |

The model is small (a few million parameters) and trains for minutes: the job shows the whole flow working on real
audio, not a useful model. `docs/results/` and issue notes hold what was measured.
"""

import argparse
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..utils.durable import StepState
from ..utils.durable import fingerprint as step_fingerprint


STEPS = ("corpus", "annotate", "init", "stage2", "stage3", "eval", "cards")
STATE_FILE = "e2e_state.json"
# Recipes shipped in examples/e2e/ (found relative to the repository, or overridden with --recipes).
RECIPE_FILES = {"stage2": "stage2.yaml", "stage3": "stage3.yaml"}
# UAS-QA fields whose questions are about what was said: MMSU files content questions under Reasoning.
REASONING_FIELDS = frozenset({"transcription"})


@dataclass
class E2EConfig:
    out: str = field(default="runs/e2e", metadata={"help": "output folder (also the resume point)"})
    size: str = field(default="default", metadata={"help": "corpus size: small (150 clips) or default (2,400)"})
    seed: int = field(default=0, metadata={"help": "seed of the corpus draw, UAS-QA, model init and training"})
    num_proc: int = field(default=2, metadata={"help": "worker processes for the corpus and annotate steps"})
    vocab_size: int = field(default=1024, metadata={"help": "BPE vocabulary trained on the training split's text"})
    hidden_size: int = field(default=128, metadata={"help": "language-model width of the small model"})
    stage2_steps: int | None = field(default=None, metadata={"help": "override the stage-2 recipe's max_steps"})
    stage3_steps: int | None = field(default=None, metadata={"help": "override the stage-3 recipe's max_steps"})
    eval_limit: int | None = field(default=120, metadata={"help": "evaluate at most this many test items per task"})
    recipes: str | None = field(default=None, metadata={"help": "folder with stage2.yaml/stage3.yaml"})
    launch: bool = field(default=True, metadata={"help": "launch the Space at the end (--no-launch to skip)"})
    host: str = field(default="127.0.0.1", metadata={"help": "Space host"})
    port: int = field(default=7860, metadata={"help": "Space port"})
    force: list[str] = field(default_factory=list, metadata={"help": "re-run these steps (and all after them)"})

    def __post_init__(self):
        if self.size not in ("small", "default"):
            raise ValueError(f"`size` must be 'small' or 'default', got {self.size!r}.")
        unknown = sorted(set(self.force) - set(STEPS))
        if unknown:
            raise ValueError(f"`force` has unknown step(s) {unknown}; steps are {list(STEPS)}.")
        for name in ("num_proc", "vocab_size", "hidden_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"`{name}` must be positive, got {getattr(self, name)}.")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "e2e",
        help="the main job: corpus -> annotate -> UAS-QA -> train -> eval -> cards -> Space",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = E2EConfig()
    parser.add_argument("--out", default=defaults.out, help="output folder and resume point (default: %(default)s)")
    parser.add_argument("--size", default=defaults.size, choices=["small", "default"], help="corpus size")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--num-proc", type=int, default=defaults.num_proc, help="worker processes (corpus, annotate)")
    parser.add_argument("--vocab-size", type=int, default=defaults.vocab_size)
    parser.add_argument("--hidden-size", type=int, default=defaults.hidden_size)
    parser.add_argument("--stage2-steps", type=int, default=None, help="override the stage-2 recipe's max_steps")
    parser.add_argument("--stage3-steps", type=int, default=None, help="override the stage-3 recipe's max_steps")
    parser.add_argument("--eval-limit", type=int, default=defaults.eval_limit, help="test items per eval task")
    parser.add_argument("--recipes", default=None, help="folder holding stage2.yaml and stage3.yaml")
    parser.add_argument("--no-launch", dest="launch", action="store_false", help="stop before launching the Space")
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument("--force", nargs="+", default=[], choices=STEPS, help="re-run these steps and later ones")
    parser.set_defaults(func=run)


# ---- step bookkeeping ---------------------------------------------------------------------------------------------


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[3]


def _recipe(config: E2EConfig, step: str) -> Path:
    folder = Path(config.recipes) if config.recipes else _repo_root() / "examples" / "e2e"
    path = folder / RECIPE_FILES[step]
    if not path.is_file():
        raise FileNotFoundError(
            f"Training recipe {str(path)!r} not found; pass `--recipes DIR` with {sorted(RECIPE_FILES.values())} "
            "(the repository ships them in examples/e2e/)."
        )
    return path


# ---- the steps ----------------------------------------------------------------------------------------------------


def step_corpus(config: E2EConfig, out: Path) -> dict[str, Any]:
    from ..data.corpus import build_corpus

    info = build_corpus(out / "corpus", size=config.size, seed=config.seed, num_workers=config.num_proc)
    return {"clips": info["n_clips"], "splits": info["splits"]}


def step_annotate(config: E2EConfig, out: Path) -> dict[str, Any]:
    from ..data.qa import generate_qa
    from ..pipeline.runner import AnnotateConfig, annotate

    job = AnnotateConfig(
        source=str(out / "corpus"),
        output_dir=str(out / "dataset"),
        num_proc=config.num_proc,
        qa_seed=config.seed,
        license="other",
        license_note="mixed per clip (CC-BY-SA-3.0, GPL, synthetic); see ATTRIBUTION.md of the source corpus",
    )
    summary = annotate(job, qa_generator=generate_qa)
    return {k: summary.get(k) for k in ("inputs", "accepted", "rejected", "qa_items", "clips_per_second")}


def _training_texts(dataset_dir: Path) -> list[str]:
    """Every text the model will read or write in the main job: transcripts, canonical UAS JSON, QA turns."""
    from datasets import load_dataset

    uas = load_dataset(str(dataset_dir), "uas", split="train").select_columns(["transcription", "uas"])
    qa = load_dataset(str(dataset_dir), "qa", split="train").select_columns(["question", "answer", "options"])
    texts = [row["uas"] for row in uas]
    texts += [t for t in uas["transcription"] if t]
    texts += [f"{row['question']} {' '.join(row['options'] or [])} {row['answer']}" for row in qa]
    return texts


def step_init(config: E2EConfig, out: Path) -> dict[str, Any]:
    import torch

    from ..models.uas_audio import UASAudioForCausalLM
    from ..models.uas_audio.tiny import build_processor_for_config, tiny_uas_audio_config, train_tokenizer

    tokenizer = train_tokenizer(_training_texts(out / "dataset"), vocab_size=config.vocab_size)
    heads = max(2, config.hidden_size // 32)
    model_config = tiny_uas_audio_config(
        "whisper",
        "qwen2",
        tokenizer=tokenizer,
        audio_config_overrides={"d_model": 64, "encoder_ffn_dim": 256, "encoder_attention_heads": 4},
        text_config_overrides={
            "hidden_size": config.hidden_size,
            "intermediate_size": 4 * config.hidden_size,
            "num_attention_heads": heads,
            "num_key_value_heads": max(1, heads // 2),
            "max_position_embeddings": 4096,
        },
    )
    torch.manual_seed(config.seed)
    model = UASAudioForCausalLM(model_config)
    processor = build_processor_for_config(model_config, tokenizer)
    target = out / "model-init"
    model.save_pretrained(target)
    processor.save_pretrained(target)
    return {"parameters": sum(p.numel() for p in model.parameters()), "vocab_size": len(tokenizer)}


def _train_stage(config: E2EConfig, out: Path, stage_name: str, base_model: Path, steps: int | None):
    from ..hub.callbacks import TrainingSummaryCallback
    from ..trainers.recipe import run_training
    from ..trainers.stages import STAGES
    from .train import parse

    overrides = [
        "--model_name_or_path", str(base_model),
        "--dataset_dir", str(out / "dataset"),
        "--output_dir", str(out / "train" / stage_name),
        "--seed", str(config.seed),
        "--qa_seed", str(config.seed),
    ]  # fmt: skip
    if steps is not None:
        overrides += ["--max_steps", str(steps)]
    script_args, training_args = parse(str(_recipe(config, stage_name)), overrides)
    recipe = STAGES[training_args.stage]
    callback = TrainingSummaryCallback(
        stage_name,
        path=str(out / "training_summary.json"),
        description=recipe.name,
        trainable=recipe.trains,
        model_name="uas-audio-e2e",
    )
    summary = run_training(script_args, training_args, callbacks=[callback])
    return {k: summary[k] for k in ("global_step", "train_loss", "train_examples", "mixture", "final_model")}


def step_stage2(config: E2EConfig, out: Path) -> dict[str, Any]:
    summary_path = out / "training_summary.json"
    if summary_path.exists():
        summary_path.unlink()  # stage 2 starts the summary afresh; stage 3 appends to it
    return _train_stage(config, out, "stage2", out / "model-init", config.stage2_steps)


def step_stage3(config: E2EConfig, out: Path) -> dict[str, Any]:
    return _train_stage(config, out, "stage3", out / "train" / "stage2" / "final", config.stage3_steps)


def qa_to_mmsu(dataset_dir: str | os.PathLike, out_dir: str | os.PathLike, *, split: str = "test") -> Path:
    """Write the held-out split's UAS-QA multiple-choice items as an MMSU-format benchmark (jsonl + audio folder).

    Questions about what was said (`transcription`) are filed under MMSU's *Reasoning* category, all others (speaker
    traits, prosody, timbre, events) under *Perception*; `task_name` is the UAS field. These are UAS-QA templates on
    unseen clips, so they measure the trained skill, not MMSU itself.
    """
    from datasets import Audio, load_dataset

    qa = load_dataset(str(dataset_dir), "qa", split=split).filter(
        lambda t: t == "multiple_choice", input_columns="type"
    )
    qa = qa.cast_column("audio", Audio(decode=False))
    out = Path(out_dir)
    (out / "audio").mkdir(parents=True, exist_ok=True)
    written: set[str] = set()
    with open(out / "mmsu.jsonl", "w", encoding="utf-8") as f:
        for row in qa:
            # source ids look like "test/test-00012.wav": one flat, safe file name per clip
            clip = re.sub(r"[^A-Za-z0-9._-]", "_", row["source_id"]).removesuffix(".wav") + ".wav"
            if clip not in written:
                (out / "audio" / clip).write_bytes(row["audio"]["bytes"])
                written.add(clip)
            choices = [option.split(". ", 1)[1] if ". " in option[:4] else option for option in row["options"]]
            letter_of_answer = row["answer"].split(".", 1)[0].strip()
            answer = choices["ABCD".index(letter_of_answer)] if letter_of_answer in "ABCD" else row["answer"]
            record = {
                "id": row["id"],
                "task_name": row["field"],
                "audio_path": f"/audio/{clip}",
                "question": row["question"],
                **{f"choice_{k}": (choices[i] if i < len(choices) else None) for i, k in enumerate("abcd")},
                "answer_gt": answer,
                "category": "Reasoning" if row["field"] in REASONING_FIELDS else "Perception",
                "sub-category": "Linguistics" if row["field"] in REASONING_FIELDS else "Paralinguistics",
                "sub-sub-category": row["field"],
                "linguistics_sub_discipline": row["field"],
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out / "mmsu.jsonl"


def step_eval(config: E2EConfig, out: Path) -> dict[str, Any]:
    from ..evaluation.runner import EvalConfig, run_evaluation

    model = out / "train" / "stage3" / "final"
    bench = qa_to_mmsu(out / "dataset", out / "eval" / "uas_qa_mmsu", split="test")
    tasks = {
        "asr": {"benchmark": "asr", "data": str(out / "corpus"), "split": "test"},
        "uas": {"benchmark": "uas", "data": str(out / "corpus"), "split": "test"},
        "uas_qa_mmsu": {"benchmark": "mmsu", "data": str(bench)},
    }
    results = {}
    for name, task in tasks.items():
        eval_config = EvalConfig(
            model=str(model), output_dir=str(out / "eval" / name), limit=config.eval_limit, batch_size=16, **task
        )
        result = run_evaluation(eval_config)
        results[name] = {"overall": result.get("overall"), "n": result.get("n"), "metric": result.get("metric")}
    return results


def step_cards(config: E2EConfig, out: Path) -> dict[str, Any]:
    from ..hub.export import export_dataset, export_model, export_space

    hub = out / "hub"
    if hub.exists():
        shutil.rmtree(hub)
    evaluations = sorted(str(p) for p in (out / "eval").glob("*/eval_results/*.json"))
    model = export_model(
        out / "train" / "stage3" / "final",
        hub / "model",
        repo_id="your-name/uas-audio-e2e",
        evaluations=evaluations,
        training_summary=out / "training_summary.json",
        datasets=["your-name/uas-e2e-corpus"],
        model_name="uas-audio-e2e",
    )
    dataset = export_dataset(out / "dataset", hub / "dataset", repo_id="your-name/uas-e2e-corpus")
    space = export_space(
        _repo_root() / "spaces" / "uas-audio-demo",
        hub / "space",
        repo_id="your-name/uas-audio-demo",
        models=["your-name/uas-audio-e2e"],
        datasets=["your-name/uas-e2e-corpus"],
        model_dir=out / "train" / "stage3" / "final",
    )
    return {"model": str(model), "dataset": str(dataset), "space": str(space), "evaluations": len(evaluations)}


STEP_FUNCS: dict[str, Callable[[E2EConfig, Path], dict[str, Any]]] = {
    "corpus": step_corpus,
    "annotate": step_annotate,
    "init": step_init,
    "stage2": step_stage2,
    "stage3": step_stage3,
    "eval": step_eval,
    "cards": step_cards,
}
# Settings each step depends on (besides the fingerprints of the steps before it).
STEP_SETTINGS = {
    "corpus": ("size", "seed"),
    "annotate": ("seed",),
    "init": ("seed", "vocab_size", "hidden_size"),
    "stage2": ("seed", "stage2_steps", "recipes"),
    "stage3": ("seed", "stage3_steps", "recipes"),
    "eval": ("eval_limit",),
    "cards": (),
}
STEP_OUTPUTS = {
    "corpus": ["corpus/corpus_info.json"],
    "annotate": ["dataset/summary.json"],
    "init": ["model-init/config.json"],
    "stage2": ["train/stage2/final/config.json"],
    "stage3": ["train/stage3/final/config.json"],
    "eval": ["eval/asr/results.json", "eval/uas/results.json", "eval/uas_qa_mmsu/results.json"],
    "cards": ["hub/model/README.md", "hub/dataset/README.md", "hub/space/README.md"],
}


def run_e2e(config: E2EConfig) -> dict[str, Any]:
    """Run (or resume) every step; return `{step: {"status", "seconds", "outputs"}}`."""
    import uas_hf

    out = Path(config.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    state = StepState(out / STATE_FILE)
    report: dict[str, Any] = {}
    upstream = uas_hf.__version__
    forced = False
    for step in STEPS:
        forced = forced or step in config.force
        settings = {name: getattr(config, name) for name in STEP_SETTINGS[step]}
        if step in ("stage2", "stage3"):
            settings["recipe"] = _recipe(config, step).read_text()
        fingerprint = step_fingerprint({"step": step, "settings": settings, "upstream": upstream})
        upstream = fingerprint
        entry = None if forced else state.done(step, fingerprint)
        if entry is not None:
            print(f"[e2e] {step:<9} reused ({entry['seconds']} s when it ran)", flush=True)
            report[step] = {"status": "reused", "seconds": entry["seconds"], "outputs": entry["outputs"]}
            continue
        forced = True  # everything after a re-run step re-runs too
        print(f"[e2e] {step:<9} running ...", flush=True)
        started = time.perf_counter()
        outputs = STEP_FUNCS[step](config, out)
        seconds = time.perf_counter() - started
        state.record(step, fingerprint, seconds, outputs, [str(out / p) for p in STEP_OUTPUTS[step]])
        print(f"[e2e] {step:<9} done in {seconds:.0f} s: {json.dumps(outputs, default=str)[:300]}", flush=True)
        report[step] = {"status": "ran", "seconds": round(seconds, 1), "outputs": outputs}
    return report


def _print_summary(report: dict[str, Any], out: Path) -> None:
    total = sum(step["seconds"] for step in report.values() if step["status"] == "ran")
    print("\n== uas-hf e2e ==")
    print(f"{'step':<10} {'status':<7} {'seconds':>8}")
    for step, entry in report.items():
        print(f"{step:<10} {entry['status']:<7} {entry['seconds']:>8.1f}")
    print(f"ran for {total:.0f} s this time; outputs in {out}")
    evals = report.get("eval", {}).get("outputs", {})
    for name, result in evals.items():
        print(f"  eval {name}: {result.get('metric') or 'score'} = {result.get('overall')} (n={result.get('n')})")
    print(f"  Hub-ready folders: {out / 'hub'}/{{model,dataset,space}} (push with `uas-hf push ...`)")


def run(args: argparse.Namespace) -> int:
    config = E2EConfig(
        **{k: getattr(args, k) for k in asdict(E2EConfig()) if hasattr(args, k)},
    )
    report = run_e2e(config)
    out = Path(config.out).resolve()
    _print_summary(report, out)
    (out / "e2e_report.json").write_text(json.dumps(report, indent=2, default=str))
    if not config.launch:
        return 0
    from ..space import build_demo, launch_demo

    model_dir = out / "train" / "stage3" / "final"
    print(f"\nLaunching the Space on http://{config.host}:{config.port} with {model_dir} (Ctrl+C to stop)", flush=True)
    demo = build_demo(model_dir=str(model_dir))
    launch_demo(demo, host=config.host, port=config.port, block=True)
    return 0


if __name__ == "__main__":
    from .main import main

    sys.exit(main(["e2e", *sys.argv[1:]]))
