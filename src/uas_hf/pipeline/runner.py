"""The resumable, sharded `annotate` runner: Stage 1 → Stage 2 → Stage 3 → UAS-QA → a Hub-ready dataset folder.

Layout of an output folder ``DIR``:

```
DIR/README.md                        dataset card; YAML `configs:` -> uas/, qa/ Parquet files
DIR/uas/{split}-00000-of-00001.parquet
DIR/qa/{split}-00000-of-00001.parquet
DIR/rejected.jsonl                   one line per rejected input: id, split, stage, reasons [{code, message, path}]
DIR/summary.json                     counts, rejection reasons, clips/s, provenance
DIR/.work/job.json                   what the job is (checked on resume)
DIR/.work/shard-00000-of-00002.jsonl append-only work log, one line per input, fsynced per batch
DIR/.work/shard-00000-of-00002.done  written when the shard has seen all its inputs
```

How the guarantees are kept:

- **Constant memory**: sources are read row by row; the merge k-way merges the shard logs by global input index and
  streams rows into Parquet row groups.
- **Each input exactly once**: input ``i`` belongs to shard ``i % num_shards``; a shard's log holds its inputs in
  order, so a restart skips as many inputs as the log has complete lines (a torn last line is cut off first).
- **Deterministic**: batches are aligned to positions within the shard, so a resumed run batches like an
  uninterrupted one and produces the same rows.
- **accepted + rejected = inputs**: every input gets exactly one log line, whatever fails (checked at merge).
"""

from __future__ import annotations

import heapq
import json
import multiprocessing
import os
import shutil
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..utils import get_logger
from ..utils.durable import exclusive_lock, repair_jsonl_log, write_json_atomic
from .audio import AudioLoadConfig, InputRejected, load_audio
from .base import AudioSample, BackendError, Caption, call_per_sample
from .sources import SourceItem, open_source


logger = get_logger(__name__)

WORK_DIR = ".work"
#: Fields of `AnnotateConfig` that define the job; a resumed run must agree on all of them.
_JOB_FIELDS = (
    "source",
    "captioner",
    "captioner_kwargs",
    "synthesizer",
    "synthesizer_kwargs",
    "num_shards",
    "sampling_rate",
    "max_duration_s",
    "min_duration_s",
    "audio_column",
    "text_column",
    "splits",
    "validation",
)
#: Raw backend output kept in `rejected.jsonl` is cut to this many characters.
_RAW_CHARS = 2_000
#: QA items look up their source clip among this many most recent accepted records.
_QA_WINDOW = 4_096


@dataclass
class AnnotateConfig:
    """Settings of one `annotate` job.

    Args:
        source (`str`):
            An audiofolder (``metadata.jsonl|csv`` with ``file_name`` + ``transcription``; splits as subfolders) or a
            `save_to_disk` dataset with audio and text columns.
        output_dir (`str`):
            The dataset folder to write (and to resume into).
        captioner (`str`, *optional*, defaults to `"analyzer"`):
            Stage-1 backend: `"analyzer"`, `"transformers"` or `"openai"`.
        captioner_kwargs (`dict`, *optional*):
            Arguments of the captioner (``model``, ``base_url``, ``timeout_s``, ...).
        synthesizer (`str`, *optional*, defaults to `"rules"`):
            Stage-2 backend: `"rules"`, `"transformers"` or `"openai"`.
        synthesizer_kwargs (`dict`, *optional*):
            Arguments of the synthesizer.
        batch_size (`int`, *optional*, defaults to 32):
            Inputs per Stage-1/2 call and per fsynced log write.
        num_shards (`int`, *optional*):
            Total shards; defaults to `$WORLD_SIZE` (torchrun / accelerate) or `num_proc`, else 1.
        shard_index (`int`, *optional*):
            The shard this process runs; defaults to `$RANK`, else 0. Not with ``num_proc > 1``.
        num_proc (`int`, *optional*, defaults to 1):
            Local worker processes, one shard each, merged at the end.
        merge (`bool`, *optional*, defaults to `True`):
            Merge into Parquet + card once every shard is done (the last process to finish does it).
        embed_audio (`bool`, *optional*, defaults to `True`):
            Store the audio bytes in the Parquet files (self-contained folder); otherwise store source paths.
        sampling_rate (`int`, *optional*, defaults to 16000):
            Rate the audio is resampled to before Stage 1.
        max_duration_s (`float`, *optional*, defaults to 60.0):
            Longer inputs are rejected.
        min_duration_s (`float`, *optional*, defaults to 0.05):
            Shorter inputs are rejected.
        audio_column (`str`, *optional*): audio column of a saved dataset (first `Audio` feature by default).
        text_column (`str`, *optional*): transcript column (`transcription`, `text`, `sentence`, ... by default).
        splits (`list[str]`, *optional*): only these splits.
        qa (`bool`, *optional*, defaults to `True`): write the `qa` config.
        qa_seed (`int`, *optional*, defaults to 0): seed of the UAS-QA generator.
        validation (`dict`, *optional*): `uas_hf.schema.ValidationConfig` arguments.
        license (`str`, *optional*, defaults to `"other"`): licence written in the card (that of the source).
        license_note (`str`, *optional*): where the licence comes from.
        max_rows_per_file (`int`, *optional*, defaults to 5000): rows per Parquet file.
        rows_per_group (`int`, *optional*, defaults to 64): rows per Parquet row group (bounds merge memory).
        progress (`bool`, *optional*, defaults to `True`): show tqdm progress bars.
        overwrite (`bool`, *optional*, defaults to `False`): delete a previous job in `output_dir` first.

    Example:

    ```python
    >>> from uas_hf.data.qa import generate_qa  # doctest: +SKIP
    >>> summary = annotate(AnnotateConfig("corpus/", "out/"), qa_generator=generate_qa)  # doctest: +SKIP
    >>> summary["accepted"] + summary["rejected"] == summary["inputs"]  # doctest: +SKIP
    True

    ```
    """

    source: str
    output_dir: str
    captioner: str = "analyzer"
    captioner_kwargs: dict[str, Any] = field(default_factory=dict)
    synthesizer: str = "rules"
    synthesizer_kwargs: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 32
    num_shards: int | None = None
    shard_index: int | None = None
    num_proc: int = 1
    merge: bool = True
    embed_audio: bool = True
    sampling_rate: int = 16_000
    max_duration_s: float = 60.0
    min_duration_s: float = 0.05
    audio_column: str | None = None
    text_column: str | None = None
    splits: list[str] | None = None
    qa: bool = True
    qa_seed: int = 0
    validation: dict[str, Any] = field(default_factory=dict)
    license: str = "other"
    license_note: str | None = None
    max_rows_per_file: int = 5_000
    rows_per_group: int = 64
    progress: bool = True
    overwrite: bool = False

    def __post_init__(self):
        from .captioners import CAPTIONERS, captioner_class
        from .synthesizers import SYNTHESIZERS, synthesizer_class

        self.source = str(Path(self.source).resolve())
        self.output_dir = str(Path(self.output_dir).resolve())
        if self.captioner not in CAPTIONERS:
            raise ValueError(f"`captioner` must be one of {sorted(CAPTIONERS)}; got {self.captioner!r}.")
        if self.synthesizer not in SYNTHESIZERS:
            raise ValueError(f"`synthesizer` must be one of {sorted(SYNTHESIZERS)}; got {self.synthesizer!r}.")
        if (
            synthesizer_class(self.synthesizer).requires_measurements
            and not captioner_class(self.captioner).provides_measurements
        ):
            raise ValueError(
                f"`synthesizer='{self.synthesizer}'` maps the offline analyzer's measurements, which the "
                f"`{self.captioner}` captioner does not produce. Use `--captioner analyzer`, or an LLM synthesizer "
                "(`--synthesizer transformers` / `openai`) with a model captioner."
            )
        if self.batch_size < 1:
            raise ValueError(f"`batch_size` must be >= 1, got {self.batch_size}.")
        if self.num_proc < 1:
            raise ValueError(f"`num_proc` must be >= 1, got {self.num_proc}.")
        if self.num_proc > 1 and self.shard_index is not None:
            raise ValueError(
                f"`num_proc={self.num_proc}` runs every shard locally, so `shard_index` ({self.shard_index}) must not "
                "be set; use one or the other."
            )
        if self.num_shards is None:
            env = os.environ.get("WORLD_SIZE")
            self.num_shards = self.num_proc if self.num_proc > 1 else int(env) if env else 1
        if self.shard_index is None and self.num_proc == 1:
            env = os.environ.get("RANK")
            self.shard_index = int(env) if env and self.num_shards > 1 else 0
        if self.num_shards < 1:
            raise ValueError(f"`num_shards` must be >= 1, got {self.num_shards}.")
        if self.num_proc > self.num_shards:
            raise ValueError(f"`num_proc` ({self.num_proc}) cannot exceed `num_shards` ({self.num_shards}).")
        if self.shard_index is not None and not 0 <= self.shard_index < self.num_shards:
            raise ValueError(
                f"`shard_index` must be in [0, {self.num_shards}) for num_shards={self.num_shards}; got {self.shard_index}."
            )
        if self.max_rows_per_file < 1 or self.rows_per_group < 1:
            raise ValueError("`max_rows_per_file` and `rows_per_group` must be >= 1.")

    @property
    def audio_config(self) -> AudioLoadConfig:
        return AudioLoadConfig(
            sampling_rate=self.sampling_rate, max_duration_s=self.max_duration_s, min_duration_s=self.min_duration_s
        )

    def job_identity(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: d[k] for k in _JOB_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AnnotateConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# ---- Work logs ----------------------------------------------------------------------------------------------------


def _shard_name(i: int, n: int) -> str:
    return f"shard-{i:05d}-of-{n:05d}"


def _iter_log(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as f:
        for raw in f:
            if raw.endswith(b"\n"):
                yield json.loads(raw)


def _batched(items: Iterable, sizes: Iterator[int]) -> Iterator[list]:
    it = iter(items)
    while True:
        batch = []
        for _ in range(next(sizes)):
            try:
                batch.append(next(it))
            except StopIteration:
                break
        if not batch:
            return
        yield batch


# ---- Processing ---------------------------------------------------------------------------------------------------


def _reason(code: str, message: str, path: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "path": path}


def _raw_text(raw: Any) -> str:
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    return text[:_RAW_CHARS]


class _ShardProcessor:
    """Stage 1 → 2 → 3 for batches of one shard."""

    def __init__(self, config: AnnotateConfig, source):
        from ..schema import UASValidator, ValidationConfig, to_canonical_json
        from .captioners import build_captioner
        from .synthesizers import build_synthesizer

        self.config = config
        self.source = source
        self.audio_config = config.audio_config
        self.captioner = build_captioner(config.captioner, **config.captioner_kwargs)
        self.synthesizer = build_synthesizer(config.synthesizer, **config.synthesizer_kwargs)
        self.validator = UASValidator(ValidationConfig(**config.validation))
        self.to_canonical_json = to_canonical_json

    def provenance(self) -> dict[str, Any]:
        return {"caption": self.captioner.provenance(), "synthesis": self.synthesizer.provenance()}

    def close(self):
        self.captioner.close()
        self.synthesizer.close()

    def process(self, items: list[SourceItem]) -> list[dict[str, Any]]:
        lines: dict[int, dict[str, Any]] = {}
        samples: list[AudioSample] = []
        for pos, item in enumerate(items):
            base = {"i": item.index, "id": item.id, "split": item.split, "ref": item.ref, "metadata": item.metadata}
            base["transcription"] = item.transcription
            try:
                if item.error is not None:
                    raise item.error
                data = self.source.read_audio(item.ref)
                array, facts = load_audio(data, self.audio_config)
            except InputRejected as e:
                lines[pos] = {**base, "status": "rejected", "stage": "input", "reasons": [_reason(e.code, e.message)]}
                continue
            except Exception as e:  # an unexpected decoder failure is still one bad input, not a dead job
                reason = _reason("audio.decode_error", f"{type(e).__name__}: {e}")
                lines[pos] = {**base, "status": "rejected", "stage": "input", "reasons": [reason]}
                continue
            sample = AudioSample(item.id, array, self.audio_config.sampling_rate, item.transcription, dict(facts))
            sample.metadata["_pos"] = pos
            base["duration"] = round(sample.duration, 4)
            lines[pos] = base
            samples.append(sample)

        captions = call_per_sample(self.captioner.caption, samples) if samples else []
        to_synth: list[tuple[AudioSample, Caption]] = []
        for sample, cap in zip(samples, captions, strict=True):
            pos = sample.metadata["_pos"]
            if isinstance(cap, BackendError) or not isinstance(cap, Caption):
                err = cap if isinstance(cap, BackendError) else BackendError("caption.bad_type", repr(cap)[:200])
                lines[pos].update(status="rejected", stage="caption", reasons=[_reason(err.code, err.message)])
                continue
            lines[pos]["caption"] = cap.text
            lines[pos]["measurements"] = cap.measurements
            to_synth.append((sample, cap))

        raws = (
            call_per_sample(self.synthesizer.synthesize, [s for s, _ in to_synth], [c for _, c in to_synth])
            if to_synth
            else []
        )
        for (sample, _cap), raw in zip(to_synth, raws, strict=True):
            pos = sample.metadata["_pos"]
            if isinstance(raw, BackendError):
                lines[pos].update(status="rejected", stage="synthesis", reasons=[_reason(raw.code, raw.message)])
                continue
            lines[pos].update(self._validate(raw, sample))
        return [lines[pos] for pos in range(len(items))]

    def _validate(self, raw: Any, sample: AudioSample) -> dict[str, Any]:
        # "" tells the validator the source has no speech, so a hallucinated transcription is rejected.
        truth = sample.transcription if sample.transcription is not None else ""
        try:
            result = self.validator.validate(raw, ground_truth=truth, duration=sample.duration)
        except Exception as e:  # a validator bug on odd output must not stop the job
            reason = _reason("validation.exception", f"{type(e).__name__}: {e}")
            return {"status": "rejected", "stage": "validation", "reasons": [reason], "raw": _raw_text(raw)}
        if result.accepted and result.record is not None:
            return {"status": "accepted", "uas": self.to_canonical_json(result.record)}
        reasons = [_reason(r.code, r.message, r.path) for r in result.reasons] or [
            _reason("validation.rejected", "the validator rejected the output without a reason")
        ]
        return {"status": "rejected", "stage": "validation", "reasons": reasons, "raw": _raw_text(raw)}


# ---- One shard ----------------------------------------------------------------------------------------------------


def _prepare_output(config: AnnotateConfig, may_reset: bool) -> Path:
    out = Path(config.output_dir)
    work = out / WORK_DIR
    if config.overwrite and may_reset and out.exists():
        if work.exists() or (out / "summary.json").exists():
            shutil.rmtree(out)
        elif any(out.iterdir()):
            raise ValueError(
                f"`output_dir` {str(out)!r} is not an annotate output folder; refusing to delete it with --overwrite."
            )
    if (
        out.exists()
        and any(out.iterdir())
        and not (work / "job.json").exists()
        and not (out / "summary.json").exists()
    ):
        raise ValueError(
            f"`output_dir` {str(out)!r} exists, is not empty and holds no annotate job. Choose a new --out folder."
        )
    work.mkdir(parents=True, exist_ok=True)
    identity = config.job_identity()
    job = work / "job.json"
    tmp = work / f"job.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps(identity, indent=2, sort_keys=True))
    try:
        os.link(tmp, job)  # atomic create-if-absent: concurrent ranks agree on one job.json
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    for _ in range(50):  # another rank may be halfway through writing it
        try:
            existing = json.loads(job.read_text())
            break
        except ValueError:
            time.sleep(0.1)
    else:
        raise RuntimeError(f"{job} is unreadable; delete the folder or pass --overwrite.")
    for key in _JOB_FIELDS:
        if existing.get(key) != identity[key]:
            raise ValueError(
                f"`{key}` is {identity[key]!r} but the job in {str(out)!r} was started with {existing.get(key)!r}. "
                "Resume with the same settings, pass --overwrite to start again, or choose a new --out folder."
            )
    return work


def run_shard(config: AnnotateConfig, shard_index: int) -> dict[str, Any]:
    """Process one shard, resuming from its work log; returns the shard's counters."""
    from tqdm.auto import tqdm

    n = config.num_shards
    work = Path(config.output_dir) / WORK_DIR
    name = _shard_name(shard_index, n)
    log_path, done_path = work / f"{name}.jsonl", work / f"{name}.done"
    if done_path.exists():
        return json.loads(done_path.read_text())
    done_before, last_id = repair_jsonl_log(log_path)
    source = open_source(config.source, config.audio_column, config.text_column, config.splits)
    total_rows = source.num_rows()
    shard_total = len(range(shard_index, total_rows, n))
    items = (item for item in source if item.index % n == shard_index)
    skipped_last = None
    for _ in range(done_before):
        skipped_last = next(items).id
    if skipped_last != last_id:
        raise RuntimeError(
            f"{log_path} does not match the source: its last logged input is {last_id!r} but the source's input at "
            f"that position is {skipped_last!r}. The source changed since the job started; use --overwrite."
        )
    if done_before:
        logger.info(f"{name}: resuming after {done_before} logged inputs")
    started = time.perf_counter()
    processed = 0
    processor = None
    bs = config.batch_size

    def sizes():  # align batches to shard positions, so a resumed run batches like an uninterrupted one
        yield bs - done_before % bs
        while True:
            yield bs

    bar = tqdm(
        total=shard_total,
        initial=done_before,
        desc=f"annotate {name}",
        unit="clip",
        disable=not config.progress,
        position=shard_index if config.num_proc > 1 else None,
    )
    try:
        with open(log_path, "ab") as log:
            for batch in _batched(items, sizes()):
                if processor is None:
                    processor = _ShardProcessor(config, source)
                t0 = time.perf_counter()
                lines = processor.process(batch)
                ms = round(1000 * (time.perf_counter() - t0) / len(batch), 3)
                payload = b"".join(
                    json.dumps({**line, "ms": ms}, ensure_ascii=False, default=str).encode("utf-8") + b"\n"
                    for line in lines
                )
                log.write(payload)
                log.flush()
                os.fsync(log.fileno())
                processed += len(batch)
                bar.update(len(batch))
        provenance = processor.provenance() if processor is not None else None
        if provenance is None:  # the shard had nothing left to do: describe the backends without loading them
            provenance = {
                "caption": {"stage": "caption", "backend": config.captioner},
                "synthesis": {"stage": "synthesis", "backend": config.synthesizer},
            }
    finally:
        bar.close()
        if processor is not None:
            processor.close()
    wall = time.perf_counter() - started
    stats = {
        "shard": name,
        "inputs": done_before + processed,
        "processed_this_run": processed,
        "wall_seconds_this_run": round(wall, 3),
        "source_rows": total_rows,
        "provenance": {"source": source.describe(), **provenance},
    }
    write_json_atomic(done_path, stats)
    return stats


def _shard_worker(config_dict: dict[str, Any], shard_index: int) -> dict[str, Any]:
    config = AnnotateConfig.from_dict({**config_dict, "num_proc": config_dict["num_proc"], "shard_index": None})
    return run_shard(config, shard_index)


# ---- Merge --------------------------------------------------------------------------------------------------------


def uas_features():
    """`datasets.Features` of the `uas` config."""
    from datasets import Audio, Features, Value

    return Features(
        {
            "id": Value("string"),
            "audio": Audio(),
            "duration": Value("float32"),
            "transcription": Value("string"),
            "uas": Value("string"),
            "caption": Value("string"),
            "measurements": Value("string"),
            "source_metadata": Value("string"),
        }
    )


def qa_features():
    """`datasets.Features` of the `qa` config."""
    from datasets import Audio, Features, List, Value

    return Features(
        {
            "id": Value("string"),
            "source_id": Value("string"),
            "audio": Audio(),
            "type": Value("string"),
            "field": Value("string"),
            "question": Value("string"),
            "options": List(Value("string")),
            "answer": Value("string"),
            "messages": List(
                {"role": Value("string"), "content": List({"type": Value("string"), "text": Value("string")})}
            ),
        }
    )


class _RollingParquetWriter:
    """Streams rows of one (config, split) into Parquet files of at most ``max_rows`` rows, row group by row group."""

    def __init__(self, directory: Path, split: str, features, max_rows: int, rows_per_group: int):
        self.directory, self.split, self.features = directory, split, features
        self.schema = features.arrow_schema
        self.max_rows, self.rows_per_group = max_rows, rows_per_group
        self.buffer: list[dict] = []
        self.writer = None
        self.rows_in_file = 0
        self.files: list[Path] = []
        self.num_examples = 0
        self.num_bytes = 0

    def _open(self):
        import pyarrow.parquet as pq

        path = self.directory / f"{self.split}-{len(self.files):05d}.parquet.partial"
        self.files.append(path)
        self.writer = pq.ParquetWriter(path, self.schema)
        self.rows_in_file = 0

    def write(self, row: dict) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.rows_per_group:
            self._flush()

    def _flush(self):
        import pyarrow as pa

        while self.buffer:
            if self.writer is None or self.rows_in_file >= self.max_rows:
                if self.writer is not None:
                    self.writer.close()
                self._open()
            take = min(len(self.buffer), self.max_rows - self.rows_in_file)
            chunk, self.buffer = self.buffer[:take], self.buffer[take:]
            table = pa.Table.from_pylist(chunk, schema=self.schema)
            self.writer.write_table(table)
            self.rows_in_file += len(chunk)
            self.num_examples += len(chunk)
            self.num_bytes += table.nbytes

    def close(self) -> dict[str, int]:
        self._flush()
        if self.writer is not None:
            self.writer.close()
        total = len(self.files)
        size = 0
        for k, path in enumerate(self.files):
            final = path.with_name(f"{self.split}-{k:05d}-of-{total:05d}.parquet")
            os.replace(path, final)
            size += final.stat().st_size
        return {"num_examples": self.num_examples, "num_bytes": self.num_bytes, "download_size": size}


def _versions() -> dict[str, str | None]:
    from .. import __version__
    from .hf_models import package_version

    out = {"uas_hf": __version__}
    for dist in ("datasets", "transformers", "praat-parselmouth", "silero-vad"):
        out[dist] = package_version(dist)
    return out


def shards_done(config: AnnotateConfig) -> list[dict[str, Any]] | None:
    """Every shard's done record, or `None` while some shard is unfinished."""
    work = Path(config.output_dir) / WORK_DIR
    records = []
    for i in range(config.num_shards):
        path = work / f"{_shard_name(i, config.num_shards)}.done"
        if not path.exists():
            return None
        records.append(json.loads(path.read_text()))
    return records


def merge(
    config: AnnotateConfig,
    qa_generator: Callable[..., Iterator[dict]] | None = None,
    *,
    wall_seconds: float | None = None,
) -> dict[str, Any] | None:
    """Merge finished shard logs into ``uas/`` + ``qa/`` Parquet, ``rejected.jsonl``, ``summary.json``, README.md.

    Returns the summary, or `None` when a shard is unfinished or another process is merging.
    """
    from ..schema import parse_uas
    from .card import render_dataset_card

    out = Path(config.output_dir)
    work = out / WORK_DIR
    if config.qa and qa_generator is None:
        logger.warning("no `qa_generator` given: the `qa` config is not written")
    done = shards_done(config)
    if done is None:
        logger.info("not merging yet: some shards are unfinished")
        return None
    with exclusive_lock(work / "merge.lock") as acquired:
        if not acquired:
            logger.info("another process is merging this job")
            return None
        return _merge_locked(config, qa_generator, done, parse_uas, render_dataset_card, wall_seconds)


def _merge_locked(config, qa_generator, done, parse_uas, render_dataset_card, wall_seconds):
    from tqdm.auto import tqdm

    out = Path(config.output_dir)
    work = out / WORK_DIR
    stage = work / "merge"
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "uas").mkdir(parents=True)
    (stage / "qa").mkdir(parents=True)
    source = open_source(config.source, config.audio_column, config.text_column, config.splits)
    n = config.num_shards
    logs = [_iter_log(work / f"{_shard_name(i, n)}.jsonl") for i in range(n)]
    merged = heapq.merge(*logs, key=lambda line: line["i"])
    uas_f, qa_f = uas_features(), qa_features()
    writers: dict[tuple[str, str], _RollingParquetWriter] = {}

    def writer(config_name: str, split: str):
        key = (config_name, split)
        if key not in writers:
            feats = uas_f if config_name == "uas" else qa_f
            writers[key] = _RollingParquetWriter(
                stage / config_name, split, feats, config.max_rows_per_file, config.rows_per_group
            )
        return writers[key]

    counts: Counter = Counter()
    per_split: dict[str, Counter] = {}
    reasons: Counter = Counter()
    stages: Counter = Counter()
    ms_total = 0.0
    recent: OrderedDict[str, tuple[str, Any]] = OrderedDict()
    audio_cache: OrderedDict[Any, dict] = OrderedDict()

    def audio_cell(ref) -> dict:
        key = json.dumps(ref)
        if key in audio_cache:
            return audio_cache[key]
        path = source.audio_path(tuple(ref) if isinstance(ref, list) else ref)
        if not config.embed_audio and path is None and not counts["embedded_without_path"]:
            logger.warning(
                "--no-embed-audio: clips without a source file path (bytes in a saved dataset) are embedded"
            )
        if not config.embed_audio and path is None:
            counts["embedded_without_path"] += 1
        if config.embed_audio or path is None:
            cell = {"bytes": source.read_audio(tuple(ref) if isinstance(ref, list) else ref), "path": None}
            cell["path"] = Path(path).name if path else None
        else:
            cell = {"bytes": None, "path": path}
        audio_cache[key] = cell
        if len(audio_cache) > 4:  # QA items of one clip come together; a few clips of cache suffice
            audio_cache.popitem(last=False)
        return cell

    bar = tqdm(total=sum(d["source_rows"] for d in done[:1]), desc="merge", unit="clip", disable=not config.progress)
    expected = 0

    def accepted_records(rejected_file) -> Iterator[tuple[str, Any]]:
        nonlocal expected, ms_total
        for line in merged:
            if line["i"] != expected:
                raise RuntimeError(
                    f"work logs are inconsistent: expected input #{expected}, found #{line['i']} ({line['id']}). "
                    "Re-run with --overwrite."
                )
            expected += 1
            bar.update(1)
            split = line["split"]
            sc = per_split.setdefault(split, Counter())
            counts["inputs"] += 1
            sc["inputs"] += 1
            ms_total += line.get("ms", 0.0)
            if line["status"] == "accepted":
                counts["accepted"] += 1
                sc["accepted"] += 1
                writer("uas", split).write(
                    {
                        "id": line["id"],
                        "audio": audio_cell(line["ref"]),
                        "duration": line.get("duration"),
                        "transcription": line.get("transcription"),
                        "uas": line["uas"],
                        "caption": line.get("caption"),
                        "measurements": json.dumps(line.get("measurements") or {}, ensure_ascii=False),
                        "source_metadata": json.dumps(line.get("metadata") or {}, ensure_ascii=False),
                    }
                )
                recent[line["id"]] = (split, line["ref"])
                if len(recent) > _QA_WINDOW:
                    recent.popitem(last=False)
                yield line["id"], parse_uas(line["uas"], lenient=False)
            else:
                counts["rejected"] += 1
                sc["rejected"] += 1
                stages[line.get("stage", "?")] += 1
                for code in dict.fromkeys(r["code"] for r in line.get("reasons", [])):
                    reasons[code] += 1
                entry = {
                    "id": line["id"],
                    "split": split,
                    "stage": line.get("stage"),
                    "reasons": line.get("reasons", []),
                    "transcription": line.get("transcription"),
                }
                if "raw" in line:
                    entry["raw"] = line["raw"]
                if line.get("caption") is not None:
                    entry["caption"] = line["caption"]
                rejected_file.write(json.dumps(entry, ensure_ascii=False) + "\n")

    with open(stage / "rejected.jsonl", "w", encoding="utf-8") as rejected_file:
        records = accepted_records(rejected_file)
        if config.qa and qa_generator is not None:
            for item in qa_generator(records, seed=config.qa_seed):
                sid = item["source_id"]
                if sid not in recent:
                    raise RuntimeError(f"QA item for {sid!r} arrived after its record left the lookup window.")
                split, ref = recent[sid]
                counts["qa_items"] += 1
                per_split[split]["qa_items"] += 1
                writer("qa", split).write(
                    {
                        "id": item["id"],
                        "source_id": sid,
                        "audio": audio_cell(ref),
                        "type": item["type"],
                        "field": item["field"],
                        "question": item["question"],
                        "options": list(item.get("options") or []),
                        "answer": item["answer"],
                        "messages": item["messages"],
                    }
                )
        for _ in records:  # no QA requested: still stream every record through
            pass
    bar.close()
    source_rows = done[0]["source_rows"]
    if counts["inputs"] != source_rows or counts["accepted"] + counts["rejected"] != counts["inputs"]:
        raise RuntimeError(
            f"accounting failed: {counts['inputs']} logged inputs, {counts['accepted']} accepted + "
            f"{counts['rejected']} rejected, {source_rows} source rows"
        )
    split_sizes: dict[str, dict[str, dict[str, int]]] = {"uas": {}, "qa": {}}
    split_rank = {s: i for i, s in enumerate(per_split)}  # splits in source order (train, validation, test, ...)
    for (config_name, split), w in sorted(writers.items(), key=lambda kv: (kv[0][0], split_rank[kv[0][1]])):
        split_sizes[config_name][split] = w.close()
    processing_s = ms_total / 1000.0
    provenance = {
        **done[0]["provenance"],
        "validation": {"validator": "uas_hf.schema.UASValidator", "config": config.validation},
        "qa": {"generator": getattr(qa_generator, "__module__", None), "seed": config.qa_seed}
        if config.qa and qa_generator
        else None,
        "job": {k: v for k, v in config.to_dict().items() if k not in ("progress", "overwrite")},
        "versions": _versions(),
    }
    summary = {
        "inputs": counts["inputs"],
        "accepted": counts["accepted"],
        "rejected": counts["rejected"],
        "qa_items": counts["qa_items"],
        "splits": {s: dict(c) for s, c in per_split.items()},
        "rejection_reasons": dict(sorted(reasons.items())),
        "rejection_stages": dict(sorted(stages.items())),
        "processing_seconds": round(processing_s, 3),
        "clips_per_second": round(counts["inputs"] / processing_s, 3) if processing_s else None,
        "wall_seconds_last_run": round(wall_seconds, 3) if wall_seconds is not None else None,
        "num_shards": config.num_shards,
        "captioner": config.captioner,
        "synthesizer": config.synthesizer,
        "qa_seed": config.qa_seed,
        "embed_audio": config.embed_audio,
        "provenance": provenance,
    }
    features = {"uas": uas_f}
    if split_sizes["qa"]:
        features["qa"] = qa_f
    readme = render_dataset_card(
        features=features,
        split_sizes=split_sizes,
        summary=summary,
        provenance=provenance,
        license=config.license,
        license_note=config.license_note,
        embed_audio=config.embed_audio,
    )
    (stage / "README.md").write_text(readme, encoding="utf-8")
    write_json_atomic(stage / "summary.json", summary)
    for name in ("uas", "qa", "rejected.jsonl", "summary.json", "README.md"):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if (stage / name).is_dir() and not any((stage / name).iterdir()):
            continue  # no rows for this config (e.g. QA disabled)
        os.replace(stage / name, target)
    shutil.rmtree(stage, ignore_errors=True)
    return summary


# ---- Entry point --------------------------------------------------------------------------------------------------


def annotate(
    config: AnnotateConfig, qa_generator: Callable[..., Iterator[dict]] | None = None
) -> dict[str, Any] | None:
    """Run (or resume) an annotate job, then merge when every shard is done.

    Args:
        config ([`AnnotateConfig`]): the job.
        qa_generator (`Callable`, *optional*):
            ``generate_qa(records, *, seed)`` from `uas_hf.data.qa` (passed in because `uas_hf.data` sits downstream
            of the pipeline). Without it the `qa` config is not written.

    Returns:
        `dict` or `None`: the summary written to ``summary.json``, or `None` when this process ran one shard of
        several and others are still running (the last one to finish merges).
    """
    started = time.perf_counter()
    is_coordinator = config.num_proc > 1 or config.num_shards == 1
    _prepare_output(config, may_reset=is_coordinator)
    if config.num_proc > 1:
        ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no forked torch / HTTP state
        payload = config.to_dict()
        # An executor (not Pool, whose exit terminates workers mid-cleanup) lets each worker shut down normally.
        with ProcessPoolExecutor(max_workers=config.num_proc, mp_context=ctx) as pool:
            list(pool.map(_shard_worker, [payload] * config.num_shards, range(config.num_shards)))
    else:
        run_shard(config, config.shard_index)
    if not config.merge:
        return None
    return merge(config, qa_generator, wall_seconds=time.perf_counter() - started)
