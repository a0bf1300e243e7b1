"""The batched, resumable, sharded evaluation runner behind `uas-hf eval`.

One run = one model on one benchmark:

| benchmark | data (`--data`) | generation | scoring |
|---|---|---|---|
| `mmsu` | `question/mmsu.jsonl` + `audio/` (or the file itself, or HF parquet shards) | lettered MC prompt | official (2026) and Tencent, `category` = Perception / Reasoning |
| `mmau` | `mmau-test-mini.json` + `test-mini-audios/` | lettered MC prompt | official and Tencent |
| `mmar` | `MMAR-meta.json` (v1) or `MMAR-meta.jsonl` (v2) + `audio/` | lettered MC prompt | official and Tencent |
| `asr` | an audiofolder split (`metadata.jsonl`/`.csv` with `file_name`, `transcription`) | targeted transcription prompt | WER / CER |
| `uas` | an audiofolder split with a `uas` column (the embedded corpus) | holistic UAS JSON | `uas_schema` metric (validity, field accuracy, event F1) + the transcription field's WER / CER |

Prompts: `uas_hf.evaluation.prompts` (a table of every convention; `--prompt-template` overrides).

Output folder ``OUT``:

```
OUT/run.json                                what the run is (benchmark, data checksum, model fingerprint, prompt,
                                            generation settings); a re-run must agree with it, or pass --overwrite
OUT/predictions/rank-00000-of-00002.jsonl   append-only per-process logs, one line per item, fsynced per batch
OUT/predictions/rank-00000-of-00002.stats.json   generation time / items per process (summed over resumes)
OUT/predictions.jsonl                       merged, benchmark order: {"id", "response", "prompt", "n_tokens", "finished"}
                                            (exactly what `uas-hf score --predictions` reads)
OUT/results.json                            scores (both scorings for MC benchmarks), data checksum, model, versions,
                                            timings, `model_index`
OUT/results.md                              the same as markdown tables
OUT/perception_vs_reasoning.png             Fig. 1b-style plot (MC benchmarks)
OUT/eval_results/<benchmark>.<scoring>.json one result file per scoring, for `uas-hf push model --eval-results`
OUT/model-index.yaml                        `model-index` block ready for a model card
```

Guarantees:

- **Bad input fails before generation**: the loaders raise typed `BenchmarkDataError`s (missing fields or audio,
  duplicate ids, answers that are not options); audio that is unreadable, too long or too short for the processor is
  rejected before the first batch.
- **Resumable**: a re-run skips every id that has a prediction in any process's log. A kill loses at most the
  batch in flight (each batch is one write + fsync; a torn last line is cut off on restart). Items whose generation
  raised are logged with an ``error`` and retried on the next run.
- **Deterministic**: greedy decoding with left padding is batch-size invariant, so batch size, sharding and
  interruptions do not change the predictions.
- **Sharded**: item ``i`` belongs to process ``i % num_shards`` (`--num-shards/--shard-index`, or ``$WORLD_SIZE`` /
  ``$RANK`` as set by `accelerate launch` / `torchrun`); the process that completes the last item merges and scores.
- **Never a crash mid-run on a response**: empty, huge or malformed responses are stored as is and counted as
  unparseable by the scorers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..utils import get_logger, iter_jsonl
from ..utils.durable import exclusive_lock, repair_jsonl_log, write_json_atomic, write_text_atomic
from ..utils.generation import DEFAULT_CACHE_IMPLEMENTATION, cache_kwargs
from .loaders import (
    Benchmark,
    BenchmarkDataError,
    DuplicateIdError,
    InvalidFieldError,
    InvalidFileError,
    MissingAudioError,
    MissingFieldError,
    load_benchmark,
    sha256_file,
)
from .prompts import BENCHMARKS, MULTIPLE_CHOICE, PromptTemplate, get_prompt_template


logger = get_logger(__name__)

RESULTS_SCHEMA_VERSION = 1
PREDICTIONS_DIR = "predictions"
RUN_FILE = "run.json"
# Generation budgets: a lettered answer plus a short explanation; a sentence; a full UAS record (~150-400 tokens).
DEFAULT_MAX_NEW_TOKENS = {"mmsu": 128, "mmau": 128, "mmar": 128, "asr": 256, "uas": 512}
SCORINGS = ("official", "tencent")
# Items failing one after another before the run stops (one broken clip is logged and skipped, a broken model is not).
MAX_FAILURES_IN_A_ROW = 8
DTYPES = ("auto", "float32", "bfloat16", "float16")
LANGUAGES = ("en", "zh", "basic")
# Tencent's UAS model wrapper deletes <think> tags before MMSU scoring (benchmarks.md §1.5); nothing else does.
DEFAULT_THINK = {("mmsu", "tencent"): "remove_tags"}
# Known metadata file names inside an official benchmark folder, in order of preference.
_BENCHMARK_FILES = {
    "mmsu": ("question/mmsu.jsonl", "mmsu.jsonl", "question/mmsu.json", "mmsu.json"),
    "mmau": ("mmau-test-mini.json", "mmau-test.json"),
    "mmar": ("MMAR-meta.json", "MMAR-meta.jsonl", "mmar-meta.json", "mmar-meta.jsonl"),
}
_METADATA_FILES = ("metadata.jsonl", "metadata.csv")


class UnreadableAudioError(BenchmarkDataError):
    code = "data.unreadable_audio"


class AudioLengthError(BenchmarkDataError):
    code = "data.audio_length"


class RunMismatchError(ValueError):
    """The output folder holds predictions of a different run (other model, data, prompt or settings)."""


# ---- Configuration ------------------------------------------------------------------------------------------------


@dataclass
class EvalConfig:
    """What `run_evaluation` does; every field is a `uas-hf eval` flag.

    >>> EvalConfig(model="tiny", benchmark="mmau", data="mmau-test-mini.json", output_dir="out").max_new_tokens
    128
    """

    model: str = field(metadata={"help": "saved UAS-Audio folder (save_pretrained of model + processor)"})
    benchmark: str = field(metadata={"help": "mmsu, mmar, mmau (multiple choice), asr (WER/CER) or uas (holistic)"})
    data: str = field(
        metadata={
            "help": "benchmark folder or metadata file in its official layout; for asr/uas an audiofolder (corpus "
            "root with split folders, or one split folder)"
        }
    )
    output_dir: str = field(metadata={"help": "output folder; also the resume point"})
    batch_size: int = field(default=8, metadata={"help": "clips per generate() call"})
    max_new_tokens: int | None = field(
        default=None, metadata={"help": f"generation budget (default per benchmark: {DEFAULT_MAX_NEW_TOKENS})"}
    )
    prompt_template: str | None = field(
        default=None, metadata={"help": "a template name (see uas_hf.evaluation.prompts) or a format string"}
    )
    limit: int | None = field(default=None, metadata={"help": "only the first N items (file order)"})
    split: str | None = field(default=None, metadata={"help": "asr/uas: split folder of --data (default: test)"})
    audio_root: str | None = field(
        default=None, metadata={"help": "folder the records' audio paths are relative to (default: the data folder)"}
    )
    device: str | None = field(default=None, metadata={"help": "torch device (default: cuda if available, else cpu)"})
    dtype: str = field(default="auto", metadata={"help": "auto (bf16 on a GPU that has it, else float32) or a dtype"})
    language: str = field(default="en", metadata={"help": "asr/uas: transcript normalisation (en, zh, basic)"})
    think: str | None = field(
        default=None,
        metadata={
            "help": "<think> handling for scoring: keep, split, remove_tags (default: as each scorer's harness)"
        },
    )
    num_shards: int | None = field(default=None, metadata={"help": "processes sharing the run (default: $WORLD_SIZE)"})
    shard_index: int | None = field(default=None, metadata={"help": "this process's shard (default: $RANK)"})
    max_audio_seconds: float | None = field(
        default=None, metadata={"help": "raise the processor's longest-clip limit"}
    )
    cache_implementation: str = field(
        default=DEFAULT_CACHE_IMPLEMENTATION,
        metadata={
            "help": "KV cache of generate(): static (preallocated once per batch; default) or dynamic (transformers' "
            "default, which copies the whole cache every step: about a third of a batch-16 decode step on a CPU)"
        },
    )
    overwrite: bool = field(default=False, metadata={"help": "discard earlier predictions in --out"})
    progress: bool = field(default=True, metadata={"help": "show progress bars"})

    def __post_init__(self):
        if self.benchmark not in BENCHMARKS:
            raise ValueError(f"`benchmark` must be one of {', '.join(BENCHMARKS)}; got {self.benchmark!r}.")
        if self.batch_size < 1:
            raise ValueError(f"`batch_size` must be >= 1; got {self.batch_size}.")
        if self.max_new_tokens is None:
            self.max_new_tokens = DEFAULT_MAX_NEW_TOKENS[self.benchmark]
        if self.max_new_tokens < 1:
            raise ValueError(f"`max_new_tokens` must be >= 1; got {self.max_new_tokens}.")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"`limit` must be >= 1 (or unset for all items); got {self.limit}.")
        if self.dtype not in DTYPES:
            raise ValueError(f"`dtype` must be one of {', '.join(DTYPES)}; got {self.dtype!r}.")
        if self.language not in LANGUAGES:
            raise ValueError(f"`language` must be one of {', '.join(LANGUAGES)}; got {self.language!r}.")
        if self.think is not None and self.think not in ("keep", "split", "remove_tags"):
            raise ValueError(f"`think` must be keep, split or remove_tags; got {self.think!r}.")
        if self.split is not None and self.benchmark in MULTIPLE_CHOICE:
            raise ValueError(f"`split` is for the asr/uas benchmarks; {self.benchmark} data is one metadata file.")
        cache_kwargs(self.cache_implementation)  # raises on an unknown choice
        if self.max_audio_seconds is not None and self.max_audio_seconds <= 0:
            raise ValueError(f"`max_audio_seconds` must be > 0; got {self.max_audio_seconds}.")
        if self.num_shards is None:
            self.num_shards = int(os.environ.get("WORLD_SIZE") or 1)
        if self.shard_index is None:
            self.shard_index = int(os.environ.get("RANK") or 0) if self.num_shards > 1 else 0
        if self.num_shards < 1 or not 0 <= self.shard_index < self.num_shards:
            raise ValueError(
                f"`shard_index` must be in [0, num_shards={self.num_shards}); got {self.shard_index}. Set both, or "
                "neither (then $RANK / $WORLD_SIZE are used)."
            )
        if self.overwrite and self.num_shards > 1:
            raise ValueError(
                "`overwrite` with several shards would let one process delete another's predictions; delete the "
                "output folder first instead."
            )
        # Fail on a bad template now, not after the data is loaded.
        get_prompt_template(self.benchmark, self.prompt_template)
        self.model = str(Path(self.model).expanduser())
        self.output_dir = str(Path(self.output_dir).expanduser().resolve())


# ---- Tasks: items to generate for, and how to score them ---------------------------------------------------------


@dataclass(frozen=True)
class EvalItem:
    """One clip + prompt to generate for."""

    id: str
    audio_path: str
    prompt: str


class EvalTask:
    """Items of one benchmark and their scoring. Subclasses set `benchmark`, `items`, `data` and implement `score`."""

    benchmark: str
    items: list[EvalItem]
    data: dict[str, Any]
    template: PromptTemplate

    def score(self, responses: Mapping[str, Any], think: str | None) -> dict[str, Any]:
        raise NotImplementedError

    def dataset_entry(self) -> dict[str, Any]:
        raise NotImplementedError


_DATASET_NAMES = {"mmsu": "MMSU", "mmau": "MMAU", "mmar": "MMAR"}
_DEFAULT_SPLITS = {"mmsu": "train", "mmau": "test-mini", "mmar": "test"}  # MMSU's only HF split is `train`
# Perception-like vs reasoning-like groups per benchmark (Fig. 1b uses MMSU's `category`).
PERCEPTION_REASONING = {
    "mmsu": {
        "field": "category",
        "groups": {"Perception": "perception", "Reasoning": "reasoning"},
        "labels": ("Perception", "Reasoning"),
    },
    "mmau": {
        "field": "category",
        "groups": {"Information Extraction": "perception", "Reasoning": "reasoning"},
        "labels": ("Information Extraction", "Reasoning"),
    },
    "mmar": {
        "field": "category",
        "groups": {
            "Signal Layer": "perception",
            "Perception Layer": "perception",
            "Semantic Layer": "reasoning",
            "Cultural Layer": "reasoning",
        },
        "labels": ("Signal + Perception layers", "Semantic + Cultural layers"),
    },
}


def _group_value(value: Any) -> Any:
    # 13 MMAU sound items store `category` as a one-element list (benchmarks.md §2.2).
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


class ChoiceTask(EvalTask):
    """MMSU / MMAU / MMAR: multiple choice, scored with the official and the Tencent scorer."""

    def __init__(self, benchmark: Benchmark, template: PromptTemplate):
        if benchmark.data.get("embedded_audio"):
            raise InvalidFileError(
                f"{benchmark.data['path']}: the runner reads audio files, and these parquet shards embed the audio. "
                "Use the JSONL release with its audio/ folder (or write the audio column out as files)."
            )
        self.benchmark = benchmark.name
        self.bench = benchmark
        self.template = template
        self.data = dict(benchmark.data)
        self.items = [
            EvalItem(item.id, item.audio_path or "", template.format(item.question, item.choices))
            for item in benchmark.items
        ]

    def score(self, responses: Mapping[str, Any], think: str | None) -> dict[str, Any]:
        from ..metrics.scoring import get_scorer
        from .rescore import score_predictions

        scorings, groups = {}, {}
        spec = PERCEPTION_REASONING[self.benchmark]
        for scoring in SCORINGS:
            mode = think or DEFAULT_THINK.get((self.benchmark, scoring), "keep")
            result = score_predictions(self.bench, responses, scoring=scoring, think=mode)
            result.pop("data", None)  # once, at the top level
            scorings[scoring] = result
            by_group: dict[str, dict[str, Any]] = {}
            for group in ("perception", "reasoning"):
                records = [
                    item.record
                    for item in self.bench.items
                    if spec["groups"].get(_group_value(item.record.get(spec["field"]))) == group
                ]
                if not records:
                    continue
                sub = get_scorer(self.benchmark)(
                    records, {r["id"]: responses[r["id"]] for r in records}, scoring=scoring, think=mode
                )
                by_group[group] = {"accuracy": sub["overall"], "n": sub["n"], "n_items": sub["n_items"]}
            groups[scoring] = by_group
        primary = scorings["official"]
        top = {
            k: primary[k]
            for k in ("scoring", "overall", "n", "unparseable", "breakdown", "breakdown_counts", "native_breakdown")
        }
        return {
            **top,
            "metric": "accuracy",
            "scorings": scorings,
            "perception_reasoning": {
                "field": spec["field"],
                "groups": spec["groups"],
                "labels": list(spec["labels"]),
                **groups,
            },
        }

    def dataset_entry(self) -> dict[str, Any]:
        splits = {r.get("split") for r in self.bench.records if isinstance(r.get("split"), str)}
        split = splits.pop() if len(splits) == 1 else _DEFAULT_SPLITS[self.benchmark]
        return {
            "type": self.benchmark,
            "name": _DATASET_NAMES[self.benchmark],
            "config": None,
            "split": split,
            "revision": self.data["sha256"],
        }


@dataclass(frozen=True)
class _FolderRecord:
    id: str
    audio_path: str
    record: dict[str, Any]


class FolderTask(EvalTask):
    """`asr` / `uas` on an audiofolder split (the embedded corpus or any folder with a metadata file)."""

    def __init__(self, benchmark: str, records: list[_FolderRecord], data: dict[str, Any], template, language: str):
        self.benchmark = benchmark
        self.records = records
        self.data = data
        self.template = template
        self.language = language
        prompt = template.format()
        self.items = [EvalItem(r.id, r.audio_path, prompt) for r in records]

    def score(self, responses: Mapping[str, Any], think: str | None) -> dict[str, Any]:
        from ..metrics.asr import compute_error_rates, score_uas_transcriptions
        from ..metrics.scoring import MISSING

        def text(i):
            value = responses.get(i, MISSING)
            return value if isinstance(value, str) else None

        if self.benchmark == "asr":
            hypotheses = [text(r.id) for r in self.records]
            rates = compute_error_rates(
                [r.record["transcription"] for r in self.records], hypotheses, language=self.language
            )
            empty = sum(not (h or "").strip() for h in hypotheses)
            headline = rates["metric"]
            return {
                "metric": headline,
                "overall": rates[headline],
                "n": rates["n"],
                "unparseable": empty,
                "breakdown": {"error_rate": {"wer": rates["wer"], "cer": rates["cer"]}},
                "asr": rates,
            }

        from ..metrics.uas import score_uas
        from ..schema import UASValidator

        predictions = [responses.get(r.id) for r in self.records]
        predictions = [p if isinstance(p, str) else "" for p in predictions]
        uas = score_uas(predictions, [r.record["uas"] for r in self.records], language=self.language)
        speech = [(p, r) for p, r in zip(predictions, self.records) if r.record.get("transcription")]
        transcription = (
            score_uas_transcriptions(
                [p for p, _ in speech], [r.record["transcription"] for _, r in speech], language=self.language
            )
            if speech
            else None
        )
        validator = UASValidator()
        accepted = 0
        reasons: Counter[str] = Counter()
        for p, r in zip(predictions, self.records):
            duration = r.record.get("duration")
            check = validator.validate(p, duration=duration if isinstance(duration, (int, float)) else None)
            accepted += check.accepted
            reasons.update({reason.code for reason in check.reasons})
        n = len(self.records)
        breakdown: dict[str, dict[str, Any]] = {
            "field_accuracy": dict(uas["field_accuracy"]),
            "events_f1": {k: v["f1"] for k, v in uas["events"].items()},
        }
        if transcription is not None:
            breakdown["transcription"] = {"wer": transcription["wer"], "cer": transcription["cer"]}
        return {
            "metric": "valid_json_rate",
            "overall": uas["valid_json_rate"],
            "n": n,
            "unparseable": uas["unparseable"],
            "breakdown": breakdown,
            "uas": uas,
            "transcription": transcription,
            "validator": {
                "accepted": accepted,
                "accept_rate": accepted / n if n else None,
                "rejection_codes": dict(reasons.most_common()),
            },
        }

    def dataset_entry(self) -> dict[str, Any]:
        return {
            "type": self.data.get("dataset_type") or "audiofolder",
            "name": self.data.get("dataset_name") or Path(self.data["path"]).name,
            "config": None,
            "split": self.data.get("split"),
            "revision": self.data["sha256"],
        }


def _resolve_benchmark_file(name: str, data: Path) -> Path:
    if not data.is_dir():
        return data
    for candidate in _BENCHMARK_FILES[name]:
        if (data / candidate).is_file():
            return data / candidate
    if name == "mmsu" and any(data.rglob("*.parquet")):
        return data
    found = sorted(p.name for p in data.iterdir() if p.suffix in (".json", ".jsonl"))
    if len(found) == 1:
        return data / found[0]
    raise InvalidFileError(
        f"`data` {str(data)!r} is a folder without a known {name} metadata file (looked for "
        f"{', '.join(_BENCHMARK_FILES[name])}; found {found or 'no .json/.jsonl'}); pass the metadata file itself."
    )


def _read_metadata(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        import csv

        with open(path, newline="", encoding="utf-8") as f:
            return [dict(row) for row in csv.DictReader(f)]
    rows, problems = [], []
    for _, obj, error in iter_jsonl(path):
        if error:
            problems.append(error)
        else:
            rows.append(obj)
    if problems:
        raise InvalidFileError(f"{path} has lines that are not JSON objects.", problems)
    return rows


def load_audiofolder_split(
    benchmark: str, data: str | os.PathLike, split: str | None = None, *, limit: int | None = None
) -> tuple[list[_FolderRecord], dict[str, Any]]:
    """Records of one audiofolder split for the `asr` / `uas` benchmarks, validated.

    ``data`` is a split folder (with `metadata.jsonl` or `metadata.csv`) or a root holding split folders (then
    ``split`` picks one; default `test`). Records need `file_name` and `transcription` (asr; null = no speech, such
    clips are skipped and counted) or `uas` (uas). Ids are the `id` column, else `file_name`.

    Raises:
        `FileNotFoundError`, `InvalidFileError`, `MissingFieldError`, `DuplicateIdError`, `MissingAudioError`.
    """
    root = Path(data).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(f"`data` {str(root)!r} is not a folder; {benchmark} takes an audiofolder.")
    folder = root
    if not any((root / m).is_file() for m in _METADATA_FILES):
        split = split or "test"
        folder = root / split
        if not folder.is_dir():
            splits = sorted(
                p.name for p in root.iterdir() if p.is_dir() and any((p / m).is_file() for m in _METADATA_FILES)
            )
            raise FileNotFoundError(
                f"`data` {str(root)!r} has no metadata file and no split folder {split!r}; splits found: "
                f"{splits or 'none'}. Pass --split or the split folder itself."
            )
    elif split is not None and folder.name != split:
        raise ValueError(f"`split` {split!r} was given but `data` {str(root)!r} is itself a split folder.")
    metadata = next((folder / m for m in _METADATA_FILES if (folder / m).is_file()), None)
    if metadata is None:
        raise FileNotFoundError(f"{str(folder)!r} has no {' or '.join(_METADATA_FILES)}.")
    rows = _read_metadata(metadata)
    required = ("file_name", "transcription") if benchmark == "asr" else ("file_name", "uas")
    problems = []
    for index, row in enumerate(rows):
        absent = [k for k in required if k not in row or (k != "transcription" and row[k] in (None, ""))]
        if absent:
            problems.append(f"row {index} ({row.get('id') or row.get('file_name')!r}) lacks {', '.join(absent)}")
    if problems:
        hint = (
            "asr needs `file_name` and `transcription` (null for clips without speech)"
            if benchmark == "asr"
            else "uas needs `file_name` and `uas` (the reference UAS JSON)"
        )
        raise MissingFieldError(f"{metadata} cannot be used for {benchmark}: {hint}.", problems)
    ids = [str(row.get("id") or row["file_name"]) for row in rows]
    duplicates = [i for i, c in Counter(ids).items() if c > 1]
    if duplicates:
        raise DuplicateIdError(
            f"{metadata} has duplicate ids; predictions and resumed runs key on the id.",
            [f"id {i!r} appears more than once" for i in duplicates],
        )
    for row in rows:
        if benchmark == "asr" and row["transcription"] is not None and not isinstance(row["transcription"], str):
            raise InvalidFieldError(
                f"{metadata}: `transcription` must be a string or null; got {row['transcription']!r}."
            )
    records = [_FolderRecord(i, str(folder / row["file_name"]), row) for i, row in zip(ids, rows)]
    skipped = 0
    if benchmark == "asr":
        kept = [r for r in records if isinstance(r.record["transcription"], str) and r.record["transcription"].strip()]
        skipped = len(records) - len(kept)
        records = kept
    if limit is not None:
        records = records[:limit]
    absent = [f"{r.id}: {r.audio_path}" for r in records if not os.path.isfile(r.audio_path)]
    if absent:
        raise MissingAudioError(f"audio files listed in {metadata} are missing.", absent)
    info_file = root / "corpus_info.json" if root != folder else folder.parent / "corpus_info.json"
    corpus = {}
    if info_file.is_file():
        with contextlib.suppress(ValueError, OSError):
            corpus = json.loads(info_file.read_text())
    data_info = {
        "benchmark": benchmark,
        "path": str(folder),
        "format": "audiofolder",
        "split": folder.name,
        "sha256": sha256_file(metadata),
        "files": [{"name": metadata.name, "bytes": metadata.stat().st_size, "sha256": sha256_file(metadata)}],
        "n_items": len(records),
        "version": f"{corpus.get('name')} v{corpus.get('corpus_version')}" if corpus.get("name") else "unknown",
        "audio_root": str(folder),
        "skipped_without_transcription": skipped,
        "dataset_type": "uas-corpus" if corpus.get("name") else "audiofolder",
        "dataset_name": corpus.get("name") or folder.parent.name,
    }
    return records, data_info


def load_task(config: EvalConfig) -> EvalTask:
    """Load and validate the data of ``config`` and build its prompts (no model needed)."""
    template = get_prompt_template(config.benchmark, config.prompt_template)
    if config.benchmark in MULTIPLE_CHOICE:
        path = _resolve_benchmark_file(config.benchmark, Path(config.data).expanduser().resolve())
        bench = load_benchmark(config.benchmark, path, audio_root=config.audio_root)
        if config.limit is not None and config.limit < len(bench):
            data = dict(bench.data, n_items=config.limit, limit=config.limit, n_items_in_file=len(bench))
            bench = Benchmark(name=bench.name, items=bench.items[: config.limit], data=data)
        return ChoiceTask(bench, template)
    if config.audio_root is not None:
        raise ValueError("`audio_root` is for the mmsu/mmau/mmar metadata files; audiofolder paths are relative.")
    records, data = load_audiofolder_split(config.benchmark, config.data, config.split, limit=config.limit)
    if config.limit is not None:
        data["limit"] = config.limit
    return FolderTask(config.benchmark, records, data, template, config.language)


# ---- Audio --------------------------------------------------------------------------------------------------------


def probe_durations(paths: Sequence[str]) -> dict[str, float | None]:
    """Seconds of each audio file from its header (`None` when soundfile cannot read the header).

    Raises:
        `UnreadableAudioError`: files that exist but neither soundfile nor the processor's loader can open.
    """
    import soundfile

    durations: dict[str, float | None] = {}
    unreadable = []
    for path in dict.fromkeys(paths):
        try:
            info = soundfile.info(path)
            durations[path] = info.frames / info.samplerate if info.samplerate else None
        except Exception:
            durations[path] = None
            unreadable.append(path)
    if unreadable:
        # Formats soundfile cannot parse (e.g. MP3 bytes in a .wav name): decode them fully once to be sure.
        from ..models.uas_audio.processing_uas_audio import load_audio_file

        broken = []
        for path in unreadable:
            try:
                array, rate = load_audio_file(path)
                durations[path] = max(array.shape) / rate
            except Exception as e:
                broken.append(f"{path}: {type(e).__name__}: {e}")
        if broken:
            raise UnreadableAudioError("audio files cannot be decoded; replace or remove their records.", broken)
    return durations


def _load_clip(path: str):
    from ..models.uas_audio.processing_uas_audio import load_audio_file

    return load_audio_file(path)


# ---- Model --------------------------------------------------------------------------------------------------------


def select_device(device: str | None = None) -> str:
    """``device`` if given, else `cuda:$LOCAL_RANK` / `cuda` when a GPU is visible, `mps` on Apple, else `cpu`."""
    import torch

    if device:
        return device
    if torch.cuda.is_available():
        local = os.environ.get("LOCAL_RANK")
        return f"cuda:{int(local)}" if local is not None else "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def select_dtype(dtype: str, device: str) -> str:
    """`auto` → bfloat16 on a GPU that supports it, float16 on other GPUs, float32 on CPU / MPS."""
    if dtype != "auto":
        return dtype
    import torch

    if device.startswith("cuda"):
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float32"


def model_fingerprint(model_dir: str | os.PathLike) -> str:
    """sha256 over `config.json` and the names / sizes / header bytes of the weight files (cheap; no full read)."""
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(
            f"`model` {str(model_dir)!r} has no config.json; pass a folder written by save_pretrained."
        )
    digest = hashlib.sha256((model_dir / "config.json").read_bytes())
    for path in sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin")):
        digest.update(f"{path.name}:{path.stat().st_size}".encode())
        with open(path, "rb") as f:
            digest.update(f.read(1 << 16))  # the safetensors header (names, shapes, offsets) and the first weights
    return digest.hexdigest()


def load_model(model_dir: str | os.PathLike, *, device: str, dtype: str):
    """`(model, processor)` through the Auto classes, in eval mode on ``device``, left padding."""
    import torch
    from transformers import AutoModelForCausalLM, AutoProcessor

    import uas_hf  # noqa: F401  (registers the UAS-Audio Auto classes)

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype)).eval().to(device)
    processor = AutoProcessor.from_pretrained(model_dir)
    processor.tokenizer.padding_side = "left"
    return model, processor


# ---- Prediction logs ----------------------------------------------------------------------------------------------


def _rank_name(index: int, total: int) -> str:
    return f"rank-{index:05d}-of-{total:05d}"


def read_prediction_logs(pred_dir: Path) -> dict[str, dict[str, Any]]:
    """The latest row per id over every process's log; a row without ``error`` beats one with."""
    rows: dict[str, dict[str, Any]] = {}
    for path in sorted(pred_dir.glob("rank-*.jsonl")):
        with open(path, "rb") as f:
            for raw in f:
                if not raw.endswith(b"\n"):
                    continue  # another process's write in flight
                try:
                    row = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                    continue
                previous = rows.get(row["id"])
                if previous is None or "error" in previous or "error" not in row:
                    rows[row["id"]] = row
    return rows


# ---- Generation ---------------------------------------------------------------------------------------------------


class _Generator:
    """Left-padded greedy generation for batches of (clip, prompt), with audio decoding prefetched in a thread."""

    def __init__(
        self, model, processor, max_new_tokens: int, cache_implementation: str = DEFAULT_CACHE_IMPLEMENTATION
    ):
        self.model = model
        self.processor = processor
        self.max_new_tokens = max_new_tokens
        self.cache_kwargs = cache_kwargs(cache_implementation)
        self.device = next(model.parameters()).device
        eos = model.generation_config.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, (list, tuple)) else [eos] if eos is not None else [])
        pad = processor.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else next(iter(self.eos_ids), None)
        # Fast tokenizers must not be used by two threads at once (padding settings are shared state).
        self.tokenizer_lock = threading.Lock()
        self.failures_in_a_row = 0

    def prepare(self, items: Sequence[EvalItem]) -> tuple[Sequence[EvalItem], Any]:
        """Decode the clips and build the model inputs; returns the exception instead of raising it."""
        try:
            clips, rates = zip(*(_load_clip(item.audio_path) for item in items))
            texts = [
                self.processor.apply_chat_template(
                    [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": item.prompt}]}],
                    add_generation_prompt=True,
                )
                for item in items
            ]
            with self.tokenizer_lock:
                inputs = self.processor(
                    text=texts,
                    audio=list(clips),
                    sampling_rate=list(rates),
                    allow_silent_audio=True,  # a silent benchmark clip still gets an answer
                    padding_side="left",
                    return_tensors="pt",
                )
            return items, inputs
        except Exception as e:  # reported per item by `generate`
            return items, e

    def generate(self, prepared: tuple[Sequence[EvalItem], Any]) -> list[dict[str, Any]]:
        items, inputs = prepared
        try:
            if isinstance(inputs, Exception):
                raise inputs
            return self._generate(items, inputs)
        except Exception as e:
            if len(items) == 1:
                logger.warning("generation failed for %s: %s: %s", items[0].id, type(e).__name__, e)
                return [
                    {
                        "id": items[0].id,
                        "response": None,
                        "prompt": items[0].prompt,
                        "error": f"{type(e).__name__}: {e}",
                    }
                ]
            logger.warning(
                "batch of %d failed (%s: %s); retrying its items one by one", len(items), type(e).__name__, e
            )
            return [row for item in items for row in self.generate(self.prepare([item]))]

    def check_failures(self, rows: Sequence[Mapping[str, Any]], batch_size: int) -> None:
        """Stop when generation keeps failing: a broken model or setup, not one bad clip."""
        for row in rows:
            self.failures_in_a_row = self.failures_in_a_row + 1 if "error" in row else 0
        if self.failures_in_a_row >= max(MAX_FAILURES_IN_A_ROW, 2 * batch_size):
            raise RuntimeError(
                f"generation failed for {self.failures_in_a_row} items in a row (last: {rows[-1]['error']}); fix the "
                "cause and re-run: finished items are kept, failed ones are retried."
            )

    def _generate(self, items: Sequence[EvalItem], inputs) -> list[dict[str, Any]]:
        import torch

        inputs = inputs.to(self.device)
        inputs["input_features"] = inputs["input_features"].to(self.model.dtype)
        with torch.inference_mode():
            output = self.model.generate(
                **inputs,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                num_beams=1,
                pad_token_id=self.pad_id,
                **self.cache_kwargs,
            )
        new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
        with self.tokenizer_lock:
            texts = self.processor.batch_decode(new_tokens, skip_special_tokens=True)
        rows = []
        for item, tokens, text in zip(items, new_tokens, texts):
            end = next((i for i, t in enumerate(tokens) if t in self.eos_ids), None)
            rows.append(
                {
                    "id": item.id,
                    "response": text,
                    "prompt": item.prompt,
                    "n_tokens": len(tokens) if end is None else end + 1,
                    "finished": end is not None,
                }
            )
        return rows


# ---- The run ------------------------------------------------------------------------------------------------------


def _versions() -> dict[str, str | None]:
    from importlib import metadata

    from .. import __version__

    out: dict[str, str | None] = {"uas_hf": __version__, "python": platform.python_version()}
    for dist in ("torch", "transformers", "accelerate", "numpy", "soundfile"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _identity(config: EvalConfig, task: EvalTask, dtype: str) -> dict[str, Any]:
    """What must not change between a run and its resumption (batch size, limit and sharding may)."""
    return {
        "benchmark": config.benchmark,
        "data_sha256": task.data["sha256"],
        "model_fingerprint": model_fingerprint(config.model),
        "prompt_template": task.template.name,
        "prompt_text": task.template.text,
        "max_new_tokens": config.max_new_tokens,
        "dtype": dtype,
        "decoding": "greedy",
    }


def _check_run_file(out: Path, identity: dict[str, Any], config: EvalConfig) -> None:
    path = out / RUN_FILE
    if path.is_file():
        try:
            previous = json.loads(path.read_text()).get("identity", {})
        except ValueError:
            previous = {}
        differs = sorted(k for k in identity if previous.get(k) != identity[k])
        if differs:
            details = "; ".join(f"{k}: {previous.get(k)!r} -> {identity[k]!r}" for k in differs)
            raise RunMismatchError(
                f"`output_dir` {str(out)!r} holds predictions of a different run ({details}). Use another --out, "
                "or pass --overwrite to discard them."
            )
    write_json_atomic(path, {"identity": identity, "model": str(Path(config.model).resolve()), "data": config.data})


def _reset(out: Path) -> None:
    for name in (PREDICTIONS_DIR, "eval_results"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in (
        RUN_FILE,
        "predictions.jsonl",
        "results.json",
        "results.md",
        "perception_vs_reasoning.png",
        "model-index.yaml",
    ):
        (out / name).unlink(missing_ok=True)


def _progress(total: int, initial: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, desc=desc, unit="clip", dynamic_ncols=True)


def _update_stats(path: Path, generate_s: float, n: int, device: str, dtype: str) -> None:
    stats = {"generate_s": 0.0, "n_generated": 0, "runs": []}
    if path.is_file():
        with contextlib.suppress(ValueError, OSError):
            stats = json.loads(path.read_text())
    stats["generate_s"] += generate_s
    stats["n_generated"] += n
    stats["runs"].append({"generate_s": round(generate_s, 4), "n_generated": n, "device": device, "dtype": dtype})
    write_json_atomic(path, stats)


def _gather_stats(pred_dir: Path) -> dict[str, Any]:
    total_s, total_n, devices = 0.0, 0, set()
    for path in pred_dir.glob("rank-*.stats.json"):
        with contextlib.suppress(ValueError, OSError):
            stats = json.loads(path.read_text())
            total_s += float(stats.get("generate_s", 0.0))
            total_n += int(stats.get("n_generated", 0))
            devices.update(run.get("device") for run in stats.get("runs", []))
    return {
        "generate_s": round(total_s, 4),
        "n_generated": total_n,
        "samples_per_s": round(total_n / total_s, 4) if total_s > 0 else None,
        "devices": sorted(d for d in devices if d),
    }


def run_evaluation(config: EvalConfig, *, model=None, processor=None) -> dict[str, Any]:
    """Generate, resume, merge and score one evaluation (see the module docstring for the folder layout).

    Args:
        config (`EvalConfig`): what to run.
        model, processor (*optional*): an already loaded model / processor (tests, notebooks); by default they are
            loaded from ``config.model`` with the Auto classes, and only if something is left to generate.

    Returns:
        `dict`: the content of `results.json`, or ``{"status": "pending", ...}`` when this process finished its shard
        while others are still running (the last one to finish writes the results).

    >>> cfg = EvalConfig(model="tiny", benchmark="mmar", data="MMAR/", output_dir="out", limit=8)  # doctest: +SKIP
    >>> run_evaluation(cfg)["scorings"]["tencent"]["overall"]  # doctest: +SKIP
    """
    if (model is None) != (processor is None):
        raise ValueError("Pass both `model` and `processor`, or neither (then they are loaded from `config.model`).")
    started = time.perf_counter()
    task = load_task(config)  # typed data errors before anything is written
    out = Path(config.output_dir)
    device = select_device(config.device) if model is None else str(next(model.parameters()).device)
    dtype = select_dtype(config.dtype, device) if model is None else str(model.dtype).removeprefix("torch.")
    identity = _identity(config, task, dtype)
    out.mkdir(parents=True, exist_ok=True)
    if config.overwrite:
        _reset(out)
    _check_run_file(out, identity, config)
    pred_dir = out / PREDICTIONS_DIR
    pred_dir.mkdir(exist_ok=True)
    rank = _rank_name(config.shard_index, config.num_shards)
    log_path = pred_dir / f"{rank}.jsonl"
    repair_jsonl_log(log_path, id_key=None)

    done = {i for i, row in read_prediction_logs(pred_dir).items() if "error" not in row}
    mine = [item for index, item in enumerate(task.items) if index % config.num_shards == config.shard_index]
    todo = [item for item in mine if item.id not in done]
    load_s = generate_s = 0.0
    if todo:
        durations = probe_durations([item.audio_path for item in todo])
        if model is None:
            t0 = time.perf_counter()
            model, processor = load_model(config.model, device=device, dtype=dtype)
            load_s = time.perf_counter() - t0
        _check_lengths(todo, durations, processor, config.max_audio_seconds)
        # Longest clips first: similar lengths share a batch (less padding) and memory limits show up at once.
        todo.sort(key=lambda item: -(durations.get(item.audio_path) or 0.0))
        logger.info(
            "%s: %d of %d items left for shard %d/%d (%d done)",
            config.benchmark,
            len(todo),
            len(mine),
            config.shard_index,
            config.num_shards,
            len(mine) - len(todo),
        )
        generate_s = _generate_all(config, todo, model, processor, log_path, len(mine))
        _update_stats(pred_dir / f"{rank}.stats.json", generate_s, len(todo), device, dtype)

    rows = read_prediction_logs(pred_dir)
    missing = [item.id for item in task.items if item.id not in rows]
    if missing:
        logger.info(
            "shard %d done; %d items wait for other shards, whose last process writes the results",
            config.shard_index,
            len(missing),
        )
        return {"status": "pending", "missing": len(missing), "output_dir": str(out)}
    with exclusive_lock(out / ".merge.lock") as acquired:
        if not acquired:
            return {"status": "pending", "missing": 0, "output_dir": str(out), "merging": "another process"}
        return _merge_and_score(config, task, out, rows, identity, device, dtype, started, load_s)


def _check_lengths(items: Sequence[EvalItem], durations: Mapping[str, float | None], processor, max_seconds) -> None:
    if max_seconds is not None:
        processor.max_audio_seconds = float(max_seconds)
    rate = processor.feature_extractor.sampling_rate
    too_long, too_short = [], []
    for item in items:
        seconds = durations.get(item.audio_path)
        if seconds is None:
            continue
        if seconds > processor.max_audio_seconds:
            too_long.append(f"{item.id}: {seconds:.1f} s")
        elif processor.num_audio_embeddings(max(1, round(seconds * rate))) < 1:
            too_short.append(f"{item.id}: {seconds:.3f} s")
    if too_long:
        raise AudioLengthError(
            f"clips are longer than the processor's `max_audio_seconds` = {processor.max_audio_seconds:g} s; pass "
            "--max-audio-seconds to raise it (memory grows with length) or split the clips.",
            too_long,
        )
    if too_short:
        raise AudioLengthError("clips are too short to yield one audio embedding; pad or remove them.", too_short)


def _generate_all(config, todo, model, processor, log_path: Path, n_mine: int) -> float:
    generator = _Generator(model, processor, config.max_new_tokens, config.cache_implementation)
    batches = [todo[i : i + config.batch_size] for i in range(0, len(todo), config.batch_size)]
    bar = _progress(n_mine, n_mine - len(todo), config.progress, f"eval {config.benchmark}")
    t0 = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uas-eval-audio")
    try:
        with open(log_path, "a", encoding="utf-8") as log:
            # The first batch is prepared here: this thread would only wait for it. Preparing the second one at
            # the same time would not help, as both are mostly Python and take turns on the GIL.
            prepared = generator.prepare(batches[0])
            for k in range(len(batches)):
                # decode the next batch in the worker meanwhile
                pending = pool.submit(generator.prepare, batches[k + 1]) if k + 1 < len(batches) else None
                rows = generator.generate(prepared)
                # One write per batch, then fsync: a kill loses at most this batch.
                log.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
                log.flush()
                os.fsync(log.fileno())
                bar.update(len(rows))
                generator.check_failures(rows, config.batch_size)
                if pending is not None:
                    prepared = pending.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        bar.close()
    return time.perf_counter() - t0


def _merge_and_score(config, task, out, rows, identity, device, dtype, started, load_s) -> dict[str, Any]:
    from .report import model_index_entries, plot_perception_vs_reasoning, render_markdown, render_model_index_yaml

    merged = [rows[item.id] for item in task.items]
    pred_path = out / "predictions.jsonl"
    write_text_atomic(pred_path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in merged))
    responses = {row["id"]: row.get("response") for row in merged}
    t0 = time.perf_counter()
    scores = task.score(responses, config.think)
    score_s = time.perf_counter() - t0
    errors = [row["id"] for row in merged if "error" in row]
    model_dir = Path(config.model).resolve()
    model_config = {}
    with contextlib.suppress(ValueError, OSError):
        model_config = json.loads((model_dir / "config.json").read_text())
    stats = _gather_stats(out / PREDICTIONS_DIR)
    results: dict[str, Any] = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "benchmark": task.benchmark,
        **scores,
        "dataset": task.dataset_entry(),
        "data": task.data,
        "model": {
            "path": str(model_dir),
            "name": model_dir.name,
            "architectures": model_config.get("architectures"),
            "fingerprint": identity["model_fingerprint"],
            "dtype": dtype,
            "device": ", ".join(stats["devices"]) or device,
        },
        "generation": {
            "prompt_template": task.template.name,
            "prompt_text": task.template.text,
            "prompt_source": task.template.source,
            "max_new_tokens": config.max_new_tokens,
            "decoding": "greedy",
            "batch_size": config.batch_size,
            "num_shards": config.num_shards,
        },
        "predictions": {
            "path": pred_path.name,
            "sha256": sha256_file(pred_path),
            "n": len(merged),
            "errors": len(errors),
            "error_ids": errors[:20],
            "empty": sum(1 for row in merged if not (row.get("response") or "").strip()),
            "truncated": sum(1 for row in merged if row.get("finished") is False),
        },
        "versions": _versions(),
        "timings": {
            **stats,
            "model_load_s": round(load_s, 4),
            "score_s": round(score_s, 4),
            "wall_s_this_process": round(time.perf_counter() - started, 4),
        },
    }
    results["model_index"] = model_index_entries(results)
    write_json_atomic(out / "results.json", results)
    write_text_atomic(out / "results.md", render_markdown(results))
    write_text_atomic(out / "model-index.yaml", render_model_index_yaml(results))
    eval_dir = out / "eval_results"
    eval_dir.mkdir(exist_ok=True)
    for name, payload in _eval_result_files(results).items():
        write_json_atomic(eval_dir / name, payload)
    if task.benchmark in MULTIPLE_CHOICE:
        plot_perception_vs_reasoning(results, out / "perception_vs_reasoning.png")
    logger.info("wrote %s", out / "results.json")
    return results


def _eval_result_files(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """One hub-readable file per scoring (`uas_hf.hub` `EvaluationFile`: `overall`, `n`, `scoring`, `breakdown`...)."""
    common = {"benchmark": results["benchmark"], "dataset": results["dataset"], "model": results["model"]["name"]}
    if "scorings" in results:
        # A scoring that counted nothing (overall null) has no accuracy to report; the card reader rejects it.
        return {
            f"{results['benchmark']}.{scoring}.json": {**common, **result, "metric": "accuracy"}
            for scoring, result in results["scorings"].items()
            if result.get("overall") is not None
        }
    keys = ("metric", "overall", "n", "unparseable", "breakdown")
    return {f"{results['benchmark']}.json": {**common, **{k: results[k] for k in keys}}}


def config_fields() -> list[tuple[str, Any]]:
    """`(name, dataclass field)` of `EvalConfig`, for building command-line flags from its help texts."""
    return [(f.name, f) for f in fields(EvalConfig)]


def config_to_dict(config: EvalConfig) -> dict[str, Any]:
    return asdict(config)


__all__ = [
    "DEFAULT_MAX_NEW_TOKENS",
    "PERCEPTION_REASONING",
    "AudioLengthError",
    "ChoiceTask",
    "EvalConfig",
    "EvalItem",
    "EvalTask",
    "FolderTask",
    "RunMismatchError",
    "UnreadableAudioError",
    "load_audiofolder_split",
    "load_model",
    "load_task",
    "model_fingerprint",
    "probe_durations",
    "read_prediction_logs",
    "run_evaluation",
    "select_device",
    "select_dtype",
]
