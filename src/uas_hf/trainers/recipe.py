"""Stage recipes end to end: model + corpus -> task mixture -> `UASSFTTrainer` / `UASGRPOTrainer` -> saved model.

`uas-hf train CONFIG.yaml` parses a YAML file into [`UASTrainArguments`] plus a [`UASSFTConfig`] (stages 1-3) or a
[`UASGRPOConfig`] (stage 4) and calls [`run_training`]. The same function works from Python.
"""

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..utils.logging import get_logger
from .mixture import TASKS, attach_audio, build_task_dataset, mix_datasets
from .stages import get_stage


logger = get_logger(__name__)

TINY_MODEL = "tiny"
FINAL_DIR = "final"


@dataclass
class UASTrainArguments:
    r"""
    What to train and on which data; the optimizer and schedule live in `UASSFTConfig` / `UASGRPOConfig`.

    Example (YAML):
    ```yaml
    model_name_or_path: tiny        # or a saved UAS-Audio folder / Hub id
    corpus_dir: outputs/corpus      # the embedded corpus (built here when missing)
    mixture: {asr: 1.0, uas: 1.0, qa: 1.0}
    stage: 3
    ```
    """

    model_name_or_path: str = field(
        default=TINY_MODEL,
        metadata={"help": "A saved UAS-Audio model folder or Hub id; 'tiny' builds a random tiny model (CPU demos)."},
    )
    tiny_encoder: str = field(
        default="whisper", metadata={"help": "Audio encoder of the tiny model: whisper, qwen2_audio or qwen3_omni."}
    )
    tiny_text: str = field(
        default="qwen2", metadata={"help": "Language model of the tiny model: qwen2, qwen3, llama."}
    )
    tiny_seed: int = field(default=0, metadata={"help": "Seed of the tiny model's random weights."})
    corpus_dir: str | None = field(
        default=None,
        metadata={"help": "The embedded corpus (audiofolder with `id`, `transcription`, `uas`); built when missing."},
    )
    dataset_dir: str | None = field(
        default=None,
        metadata={
            "help": "An `uas-hf annotate` output folder (Parquet configs `uas` and `qa`): train on the pipeline's UAS "
            "records and UAS-QA (the paper's flow) instead of the corpus's construction truth. Takes precedence "
            "over `corpus_dir`."
        },
    )
    corpus_size: str = field(
        default="small", metadata={"help": "Size of the corpus to build when `corpus_dir` is missing: small/default."}
    )
    train_split: str = field(default="train", metadata={"help": "Corpus split to train on."})
    eval_split: str | None = field(default=None, metadata={"help": "Corpus split to evaluate on (optional)."})
    mixture: dict | str | None = field(
        default=None,
        metadata={
            "help": "Task -> sampling weight, tasks among asr, uas, caption, qa (a mapping in YAML, or JSON). "
            "Defaults: stage 1 asr; stage 2 uas; stage 3 asr+uas+qa; GRPO uses qa."
        },
    )
    mixture_stopping_strategy: str = field(
        default="all_exhausted",
        metadata={"help": "`datasets.interleave_datasets` stopping strategy: all_exhausted or first_exhausted."},
    )
    qa_seed: int = field(default=0, metadata={"help": "Seed of UAS-QA generation from the corpus records."})
    qa_types: list[str] | None = field(
        default=None,
        metadata={"help": "UAS-QA types to keep (direct, multiple_choice, yes_no); GRPO defaults to multiple_choice."},
    )
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Keep at most this many training examples (after mixing)."}
    )
    reward_funcs: list[str] = field(
        default_factory=lambda: ["multiple_choice_accuracy", "format"],
        metadata={"help": "GRPO rewards by name (see uas_hf.rewards.REWARD_FUNCS)."},
    )
    use_peft: bool = field(default=False, metadata={"help": "Train LoRA adapters on the language model."})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout."})
    lora_target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"],
        metadata={"help": "Language-model modules to adapt (matched inside the language model only)."},
    )
    merge_lora: bool = field(default=True, metadata={"help": "Merge the adapters into the saved final model."})
    save_final_model: bool = field(
        default=True, metadata={"help": "Save the trained model and processor to `<output_dir>/final`."}
    )

    def __post_init__(self):
        if isinstance(self.mixture, str):
            try:
                self.mixture = json.loads(self.mixture)
            except json.JSONDecodeError as e:
                raise ValueError(
                    f"`mixture` must be a mapping task -> weight (YAML) or JSON, got {self.mixture!r}: {e}."
                ) from e
        if self.mixture is not None:
            unknown = sorted(set(self.mixture) - set(TASKS))
            if unknown:
                raise ValueError(f"`mixture` has unknown task(s) {unknown}; valid tasks are {list(TASKS)}.")
        for name in ("max_train_samples",):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"`{name}` must be a positive integer, got {value}.")


def default_mixture(stage: int | None, trainer: str) -> dict[str, float]:
    """The paper's task mix per stage (§3.2): 1 ASR alignment, 2 UAS only, 3 ASR + UAS + UAS-QA, GRPO on UAS-QA."""
    if trainer == "grpo":
        return {"qa": 1.0}
    return {1: {"asr": 1.0}, 2: {"uas": 1.0}}.get(stage, {"asr": 1.0, "uas": 1.0, "qa": 1.0})


def load_corpus_split(corpus_dir: str, split: str, *, size: str = "small"):
    """Load one split of the embedded corpus, building it first when ``corpus_dir`` does not exist."""
    from datasets import load_dataset

    if not os.path.isdir(os.path.join(corpus_dir, split)):
        from ..data.corpus import build_corpus

        logger.info("Building the %s embedded corpus in %s", size, corpus_dir)
        build_corpus(corpus_dir, size=size)
    return load_dataset("audiofolder", data_dir=corpus_dir, split=split)


def load_annotated_split(dataset_dir: str, split: str, config_name: str = "uas"):
    """Load one split of an `uas-hf annotate` folder's ``config_name`` config (`uas` or `qa`)."""
    from datasets import get_dataset_config_names, load_dataset

    configs = get_dataset_config_names(dataset_dir)
    if config_name not in configs:
        raise ValueError(
            f"`dataset_dir` {dataset_dir!r} has no `{config_name}` config (found {configs}); pass an "
            "`uas-hf annotate --out` folder."
        )
    return load_dataset(dataset_dir, config_name, split=split)


def _annotated_qa_items(dataset_dir: str, split: str, types: list[str] | None) -> list[dict]:
    """The pipeline's own UAS-QA items for ``split`` (without their audio, which `build_task_dataset` attaches)."""
    qa = load_annotated_split(dataset_dir, split, "qa").remove_columns("audio")
    items = qa.to_list()
    return [item for item in items if item["type"] in types] if types else items


def _qa_items(corpus, seed: int, types: list[str] | None) -> list[dict]:
    from ..data.qa import QA_TYPES, generate_qa
    from ..schema import parse_uas

    table = corpus.select_columns(["id", "uas"])
    records = ((row["id"], parse_uas(row["uas"])) for row in table)
    kwargs = {"types": types} if types else {"types": QA_TYPES}
    return list(generate_qa(records, seed=seed, **kwargs))


def build_sft_dataset(script_args: UASTrainArguments, corpus, stage: int | None, split: str | None = None):
    """Format the corpus for each task of the mixture and interleave them by weight."""
    weights = dict(script_args.mixture or default_mixture(stage, "sft"))
    qa_items = None
    if weights.get("qa") and script_args.dataset_dir:
        qa_items = _annotated_qa_items(script_args.dataset_dir, split or script_args.train_split, script_args.qa_types)
    elif weights.get("qa"):
        qa_items = _qa_items(corpus, script_args.qa_seed, script_args.qa_types)
    parts = {
        task: build_task_dataset(corpus, task, qa_items=qa_items) for task, weight in weights.items() if weight > 0
    }
    mixed = mix_datasets(
        parts,
        {t: weights[t] for t in parts},
        seed=script_args.qa_seed,
        stopping_strategy=script_args.mixture_stopping_strategy,
    )
    return _cap(mixed, script_args.max_train_samples), {t: (len(d), weights[t]) for t, d in parts.items()}


def build_grpo_dataset(script_args: UASTrainArguments, corpus):
    """UAS-QA prompts (user turn only) with their audio, gold `answer` / `options` / `type` and the record's `uas`."""
    from datasets import Dataset

    types = script_args.qa_types or ["multiple_choice"]
    items = _qa_items(corpus, script_args.qa_seed, types)
    if not items:
        raise ValueError(f"No UAS-QA items of types {types} could be generated from the corpus; widen `qa_types`.")
    row_of = {source_id: i for i, source_id in enumerate(corpus["id"])}
    uas = corpus["uas"]
    rows = []
    for item in items:
        user = item["messages"][0]
        content = [{"type": p["type"], "text": p.get("text")} for p in user["content"]]
        rows.append(
            {
                "prompt": [{"role": "user", "content": content}],
                "answer": item["answer"],
                "options": list(item.get("options") or []),
                "type": item["type"],
                "field": item.get("field"),
                "uas": uas[row_of[item["source_id"]]],
            }
        )
    data = attach_audio(Dataset.from_list(rows), corpus, [row_of[item["source_id"]] for item in items])
    return _cap(data.shuffle(seed=script_args.qa_seed), script_args.max_train_samples), {"qa": (len(data), 1.0)}


def _cap(dataset, n: int | None):
    return dataset.select(range(min(n, len(dataset)))) if n is not None else dataset


def load_model(script_args: UASTrainArguments, training_args) -> tuple[Any, Any]:
    """The model and processor: a random tiny one for `model_name_or_path: tiny`, else loaded from the path."""
    if script_args.model_name_or_path == TINY_MODEL:
        from ..models.uas_audio.tiny import build_tiny_uas_audio

        model, processor = build_tiny_uas_audio(
            encoder=script_args.tiny_encoder, text=script_args.tiny_text, seed=script_args.tiny_seed
        )
        model.train()
        if getattr(training_args, "beta", 0.0):
            # TRL rebuilds the GRPO reference model from `config._name_or_path`: give the tiny model a saved copy
            path = os.path.join(training_args.output_dir, "initial_model")
            model.save_pretrained(path)
            processor.save_pretrained(path)
            model = type(model).from_pretrained(path)
        return model, processor
    from transformers import AutoModelForCausalLM, AutoProcessor

    import uas_hf.models.uas_audio  # noqa: F401 - registers UAS-Audio with the Auto classes

    kwargs = dict(training_args.model_init_kwargs or {})
    kwargs.setdefault("trust_remote_code", training_args.trust_remote_code)
    model = AutoModelForCausalLM.from_pretrained(script_args.model_name_or_path, **kwargs)
    processor = AutoProcessor.from_pretrained(
        script_args.model_name_or_path, trust_remote_code=training_args.trust_remote_code
    )
    return model, processor


def trainer_kind(config: dict) -> str:
    """`"sft"` or `"grpo"` from a parsed YAML mapping (`trainer`, else `stage` 4 -> GRPO)."""
    kind = config.get("trainer")
    if kind is None:
        stage = config.get("stage")
        kind = get_stage(stage).trainer if stage is not None else "sft"
    if kind not in ("sft", "grpo"):
        raise ValueError(f"`trainer` must be 'sft' or 'grpo', got {kind!r}.")
    return kind


def run_training(script_args: UASTrainArguments, training_args, callbacks: list | None = None) -> dict[str, Any]:
    """Build the data, the model and the trainer for one stage, train, save; return a small summary."""
    from .uas_grpo_config import UASGRPOConfig

    is_grpo = isinstance(training_args, UASGRPOConfig)
    if script_args.dataset_dir:
        corpus = load_annotated_split(script_args.dataset_dir, script_args.train_split)
    elif script_args.corpus_dir is not None:
        corpus = load_corpus_split(script_args.corpus_dir, script_args.train_split, size=script_args.corpus_size)
    else:
        raise ValueError(
            "Set `dataset_dir` (an `uas-hf annotate` output folder) or `corpus_dir` (the embedded corpus, built there "
            "when missing): there is no training data."
        )
    if is_grpo:
        train_dataset, mixture = build_grpo_dataset(script_args, corpus)
    else:
        train_dataset, mixture = build_sft_dataset(script_args, corpus, training_args.stage)
    logger.info("Training data: %d examples from %s", len(train_dataset), mixture)

    model, processor = load_model(script_args, training_args)
    peft_config = None
    if script_args.use_peft:
        from .peft_utils import uas_lora_config

        peft_config = uas_lora_config(
            r=script_args.lora_r,
            lora_alpha=script_args.lora_alpha,
            lora_dropout=script_args.lora_dropout,
            target_modules=script_args.lora_target_modules,
        )
    if is_grpo:
        from ..rewards import REWARD_FUNCS
        from .uas_grpo_trainer import UASGRPOTrainer

        unknown = [r for r in script_args.reward_funcs if r not in REWARD_FUNCS]
        if unknown:
            raise ValueError(f"`reward_funcs` has unknown name(s) {unknown}; known: {sorted(REWARD_FUNCS)}.")
        trainer = UASGRPOTrainer(
            model,
            list(script_args.reward_funcs),
            args=training_args,
            train_dataset=train_dataset,
            processing_class=processor,
            peft_config=peft_config,
            callbacks=callbacks,
        )
    else:
        from .uas_sft_trainer import UASSFTTrainer

        eval_dataset = None
        if script_args.eval_split:
            if script_args.dataset_dir:
                eval_corpus = load_annotated_split(script_args.dataset_dir, script_args.eval_split)
            else:
                eval_corpus = load_corpus_split(script_args.corpus_dir, script_args.eval_split)
            eval_dataset, _ = build_sft_dataset(script_args, eval_corpus, training_args.stage, script_args.eval_split)
        trainer = UASSFTTrainer(
            model,
            args=training_args,
            train_dataset=train_dataset,
            eval_dataset=eval_dataset,
            processing_class=processor,
            peft_config=peft_config,
            callbacks=callbacks,
        )
    result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)

    final_dir = None
    if script_args.save_final_model and trainer.is_world_process_zero():
        final_dir = os.path.join(training_args.output_dir, FINAL_DIR)
        if peft_config is not None and script_args.merge_lora:
            from .peft_utils import merge_and_save

            merge_and_save(trainer.model, final_dir, processor=processor)
        else:
            trainer.save_model(final_dir)
            processor.save_pretrained(final_dir)
    return {
        "trainer": "grpo" if is_grpo else "sft",
        "stage": training_args.stage,
        "train_examples": len(train_dataset),
        "mixture": {task: {"examples": n, "weight": w} for task, (n, w) in mixture.items()},
        "global_step": result.global_step,
        "train_loss": result.training_loss,
        "output_dir": training_args.output_dir,
        "final_model": final_dir,
    }
