"""Benchmark loaders: MMSU (jsonl / json / HF parquet), MMAU (json), MMAR (json / jsonl), plus saved predictions.

Everything that would make a run or a score meaningless is caught here, before any model runs: missing fields,
non-string options, answers that are not an option, duplicate ids, audio files missing from the data folder. Each
problem raises a typed `BenchmarkDataError` subclass listing every offending record. The data version (sha256 of
the metadata file(s) + item count, and a label for the releases we know) travels with the loaded benchmark so that
results say exactly which questions were scored.
"""

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..metrics.scoring import MISSING
from ..utils import get_logger, iter_jsonl


logger = get_logger(__name__)

BENCHMARKS = ("mmsu", "mmar", "mmau")
MMSU_CHOICE_KEYS = ("choice_a", "choice_b", "choice_c", "choice_d")
# Keys each scorer reads: an MMAU/MMAR key outside these sets makes the official script raise a KeyError.
MMAU_TASKS = ("sound", "music", "speech")
MMAU_DIFFICULTIES = ("easy", "medium", "hard")
MMAR_MODALITIES = (
    "sound",
    "music",
    "speech",
    "mix-sound-music",
    "mix-sound-speech",
    "mix-music-speech",
    "mix-sound-music-speech",
)
MMAR_CATEGORIES = ("Signal Layer", "Perception Layer", "Semantic Layer", "Cultural Layer")

_REQUIRED = {
    "mmsu": (
        "id",
        "question",
        "choice_a",
        "choice_b",
        "answer_gt",
        "task_name",
        "category",
        "sub-category",
        "sub-sub-category",
    ),
    "mmau": ("id", "question", "choices", "answer", "task", "difficulty", "sub-category", "audio_id"),
    "mmar": ("id", "question", "choices", "answer", "modality", "category", "sub-category", "audio_path"),
}
_AUDIO_KEY = {"mmsu": "audio_path", "mmau": "audio_id", "mmar": "audio_path"}
_ALLOWED_VALUES = {
    "mmau": {"task": MMAU_TASKS, "difficulty": MMAU_DIFFICULTIES},
    "mmar": {"modality": MMAR_MODALITIES, "category": MMAR_CATEGORIES},
}

# sha256 of metadata files we can name (benchmarks.md §2.1, §3.2; the copies in shared/benchmarks).
KNOWN_VERSIONS = {
    "9f18fda99f8dbc2bc5ecd6323fb5063309f54969810b5c6f1caeb3b8d904cf1c": (
        "mmau",
        "MMAU test-mini v05.15.25 (Sakshi113/MMAU mmau-test-mini.json, 1,000 items)",
    ),
    "7240ecca11b252c782ef44d4d19f711dd9b8424656a2bc3f92c548e318d25cee": (
        "mmar",
        "MMAR v1 (MMAR-meta.json 2025-05, = HF BoJack/MMAR, used by Tencent UAS)",
    ),
}
# MMAR v1 items whose `answer` is not exactly one of the options (benchmarks.md §3.2; fixed in v2). Accepted as
# known data quirks so the release Tencent scores can be loaded; any other mismatch is an error.
MMAR_V1_ANSWER_QUIRKS = frozenset(
    {
        "BV1NtQuYTELJ_00-00-00_00-00-26",
        "BV1NX4y1p7Xq_00-33-16_00-33-45",
        "Txj3Qv1lJgs_00-00-00_00-00-16",
        "BV16j411E7Z9_00-00-13_00-00-34",
        "BV1mifMY4Ebq_00-02-41_00-03-10",
        "BV1P4411677K_0-00_0-20",
    }
)
# How many offending records an error message lists before summarising the rest.
_MAX_LISTED = 5


class BenchmarkDataError(ValueError):
    """A benchmark or predictions file that cannot be used as is.

    Attributes:
        code (`str`): machine-readable kind, e.g. ``"data.missing_field"``.
        problems (`list[str]`): one human-readable line per offending record.
    """

    code = "data.invalid"

    def __init__(self, message: str, problems: Sequence[str] = ()):
        self.problems = list(problems)
        if self.problems:
            listed = "; ".join(self.problems[:_MAX_LISTED])
            more = f" (and {len(self.problems) - _MAX_LISTED} more)" if len(self.problems) > _MAX_LISTED else ""
            message = f"{message} {len(self.problems)} problem(s): {listed}{more}"
        super().__init__(message)


class InvalidFileError(BenchmarkDataError):
    code = "data.invalid_file"


class MissingFieldError(BenchmarkDataError):
    code = "data.missing_field"


class InvalidFieldError(BenchmarkDataError):
    code = "data.invalid_field"


class AnswerNotInChoicesError(BenchmarkDataError):
    code = "data.answer_not_in_choices"


class DuplicateIdError(BenchmarkDataError):
    code = "data.duplicate_id"


class MissingAudioError(BenchmarkDataError):
    code = "data.missing_audio"


class PredictionsError(BenchmarkDataError):
    code = "predictions.invalid"


@dataclass(frozen=True)
class BenchmarkItem:
    """One multiple-choice question, in a form common to the three benchmarks.

    Attributes:
        id (`str`): the record id.
        question (`str`): question text.
        choices (`tuple`): option texts in letter order; MMSU keeps a null option as `None` in its position.
        answer (`str`): gold option text.
        audio_path (`str` or `None`): absolute path of the audio file, `None` when the audio is embedded (parquet).
        record (`Mapping`): the record exactly as stored, which is what the scorers read.
    """

    id: str
    question: str
    choices: tuple[str | None, ...]
    answer: str
    audio_path: str | None
    record: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Benchmark:
    """A validated benchmark: its items, where they came from and which version they are.

    Attributes:
        name (`str`): `"mmsu"`, `"mmar"` or `"mmau"`.
        items (`tuple[BenchmarkItem, ...]`): in file order.
        data (`dict`): `path`, `format`, `sha256`, `n_items`, `version` (a label, `"unknown"` when the checksum is not
            one we know), `files` (per-file name / bytes / sha256), `audio_root`, `quirks`.
    """

    name: str
    items: tuple[BenchmarkItem, ...]
    data: dict[str, Any]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[BenchmarkItem]:
        return iter(self.items)

    @property
    def records(self) -> list[Mapping[str, Any]]:
        """The stored records, the input every `uas_hf.metrics.scoring` scorer takes."""
        return [item.record for item in self.items]

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items]


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_json_records(path: Path) -> list[Any]:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidFileError(
            f"{path} is not a valid UTF-8 JSON file ({e}); expected a JSON array of records."
        ) from e
    if not isinstance(data, list):
        raise InvalidFileError(f"{path} holds a JSON {type(data).__name__}; expected a JSON array of records.")
    return data


def _read_jsonl_records(path: Path) -> list[Any]:
    records, problems = [], []
    for _, obj, error in iter_jsonl(path):
        if error:
            problems.append(error)
        else:
            records.append(obj)
    if problems:
        raise InvalidFileError(f"{path} has lines that are not JSON objects.", problems)
    return records


def _read_parquet_records(paths: list[Path]) -> tuple[list[dict[str, Any]], bool]:
    """Rows of HF parquet shards without the audio bytes, and whether the shards embed audio."""
    import pyarrow.parquet as pq

    records: list[dict[str, Any]] = []
    embedded = True
    for path in paths:
        names = pq.read_schema(path).names
        embedded = embedded and "audio" in names
        # Audio bytes are not needed to validate or score; the runner reads them through `datasets`.
        records.extend(pq.read_table(path, columns=[n for n in names if n != "audio"]).to_pylist())
    return records, embedded


def _resolve_files(path: Path) -> tuple[str, list[Path]]:
    if path.is_dir():
        shards = sorted(path.rglob("*.parquet"))
        if not shards:
            raise InvalidFileError(
                f"`data` {str(path)!r} is a folder without .parquet files; pass the metadata file itself "
                "(MMSU .jsonl/.json/.parquet, MMAU .json, MMAR .json/.jsonl)."
            )
        return "parquet", shards
    if not path.is_file():
        raise FileNotFoundError(f"`data` {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    formats = {".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}
    if suffix not in formats:
        raise InvalidFileError(
            f"`data` {str(path)!r} has an unsupported extension; expected .json, .jsonl or .parquet."
        )
    return formats[suffix], [path]


def _default_audio_root(name: str, path: Path) -> Path:
    folder = path if path.is_dir() else path.parent
    # The MMSU release keeps `question/mmsu.jsonl` next to `audio/`, and its audio paths start at that level.
    if name == "mmsu" and folder.name == "question":
        return folder.parent
    return folder


def _audio_file(root: Path, relative: str) -> Path:
    # MMSU writes "/audio/x.wav", MMAU "./test-mini-audios/x.wav", MMAR "./audio/x.wav": all relative to the root.
    relative = relative.lstrip("/")
    if relative.startswith("./"):
        relative = relative[2:]
    return root / relative


def _check_record(
    name: str, index: int, record: Any, *, require_answers: bool, embedded_audio: bool
) -> list[tuple[type, str]]:
    """Problems with one record, as (error class, message) pairs."""
    where = f"record {index}"
    if not isinstance(record, Mapping):
        return [(InvalidFieldError, f"{where} is a {type(record).__name__}, not an object")]
    if isinstance(record.get("id"), str):
        where = f"record {index} (id {record['id']!r})"
    skip = {"answer", "answer_gt"} if not require_answers else set()
    if embedded_audio:
        skip.add(_AUDIO_KEY[name])
    required = [k for k in _REQUIRED[name] if k not in skip]
    # An empty gold answer is how withheld answers (MMAU `test`) look: treat it as absent.
    absent = [k for k in required if record.get(k) is None or (k in ("answer", "answer_gt") and record[k] == "")]
    if absent:
        return [(MissingFieldError, f"{where} lacks {', '.join(f'`{k}`' for k in absent)}")]
    problems: list[tuple[type, str]] = []
    for key in required:
        if key in ("choices",) or key.startswith("choice_"):
            continue
        if not isinstance(record[key], str) or (key == "id" and not record[key]):
            problems.append((InvalidFieldError, f"{where}: `{key}` must be a non-empty string, got {record[key]!r}"))
    for key, allowed in _ALLOWED_VALUES.get(name, {}).items():
        if isinstance(record.get(key), str) and record[key] not in allowed:
            problems.append(
                (InvalidFieldError, f"{where}: `{key}` is {record[key]!r}, expected one of {', '.join(allowed)}")
            )
    if name == "mmsu":
        choices = [record.get(k) for k in MMSU_CHOICE_KEYS]
        for key, value in zip(MMSU_CHOICE_KEYS, choices):
            # A null option is how MMSU stores 2-option items (choice_a/b are required above); the rest is text.
            if value is not None and not isinstance(value, str):
                problems.append((InvalidFieldError, f"{where}: `{key}` must be a string, got {value!r}"))
        answer = record.get("answer_gt")
    else:
        choices = record["choices"]
        if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) for c in choices):
            problems.append(
                (InvalidFieldError, f"{where}: `choices` must be a list of at least 2 strings, got {choices!r}")
            )
            choices = []
        answer = record.get("answer")
    if problems:
        return problems
    if require_answers and answer not in [c for c in choices if c is not None]:
        problems.append((AnswerNotInChoicesError, f"{where}: answer {answer!r} is not one of the options"))
    return problems


def _item(name: str, record: Mapping[str, Any], audio_root: Path | None, embedded_audio: bool) -> BenchmarkItem:
    if name == "mmsu":
        choices = tuple(record.get(k) for k in MMSU_CHOICE_KEYS)
        answer = record.get("answer_gt") or ""
    else:
        choices = tuple(record["choices"])
        answer = record.get("answer") or ""
    relative = record.get(_AUDIO_KEY[name])
    audio = None
    if audio_root is not None and isinstance(relative, str) and not embedded_audio:
        audio = str(_audio_file(audio_root, relative))
    return BenchmarkItem(
        id=record["id"], question=record["question"], choices=choices, answer=answer, audio_path=audio, record=record
    )


def _version_label(name: str, digest: str, records: list[Mapping[str, Any]]) -> str:
    known = KNOWN_VERSIONS.get(digest)
    if known and known[0] == name:
        return known[1]
    if name == "mmar" and records and all("rubric" in r for r in records):
        return "MMAR v2-like (MMAR-Rubrics fields present; checksum not recognised)"
    return "unknown"


def load_benchmark(
    name: str,
    data: str | os.PathLike,
    *,
    audio_root: str | os.PathLike | None = None,
    require_audio: bool = True,
    require_answers: bool = True,
    allow_answer_mismatch: bool | None = None,
) -> Benchmark:
    """Load and validate a benchmark's question metadata in its official format.

    Args:
        name (`str`): `"mmsu"`, `"mmar"` or `"mmau"`.
        data (`str` or `os.PathLike`): the metadata file: MMSU `.jsonl` (release), `.json` (array) or `.parquet`
            (or a folder of HF parquet shards, audio embedded); MMAU `.json`; MMAR `.json` (v1) or `.jsonl` (v2).
        audio_root (`str` or `os.PathLike`, *optional*): folder the records' audio paths are relative to. Defaults
            to the metadata file's folder (for MMSU's `question/mmsu.jsonl`, its parent).
        require_audio (`bool`, *optional*, defaults to `True`): fail when an audio file is missing. Pass `False`
            to score saved responses without the audio.
        require_answers (`bool`, *optional*, defaults to `True`): require a gold answer that is one of the options;
            `False` accepts answer-less records (e.g. MMAU `test`) for generation only.
        allow_answer_mismatch (`bool`, *optional*): accept answers that are not an option. By default only MMAR v1's
            six known quirk items are accepted (with a warning); `True` accepts any, `False` none.

    Returns:
        `Benchmark`

    Raises:
        `FileNotFoundError`, or a `BenchmarkDataError` subclass (`InvalidFileError`, `MissingFieldError`,
        `InvalidFieldError`, `AnswerNotInChoicesError`, `DuplicateIdError`, `MissingAudioError`) listing every
        offending record.

    >>> bench = load_benchmark("mmau", "mmau-test-mini.json", require_audio=False)  # doctest: +SKIP
    >>> len(bench), bench.data["sha256"][:8]  # doctest: +SKIP
    (1000, '9f18fda9')
    """
    if name not in BENCHMARKS:
        raise ValueError(f"`name` must be one of {', '.join(BENCHMARKS)}; got {name!r}.")
    path = Path(data).expanduser().resolve()
    fmt, files = _resolve_files(path)
    if name != "mmsu" and fmt == "parquet":
        raise InvalidFileError(
            f"`data` for {name} must be the official JSON metadata file (.json or .jsonl), got parquet {str(path)!r}."
        )
    if name == "mmau" and fmt != "json":
        raise InvalidFileError("`data` for mmau must be the official `.json` array (e.g. mmau-test-mini.json).")
    embedded_audio = False
    if fmt == "json":
        records = _read_json_records(files[0])
    elif fmt == "jsonl":
        records = _read_jsonl_records(files[0])
    else:
        records, embedded_audio = _read_parquet_records(files)

    problems: dict[type, list[str]] = {}
    quirks: list[str] = []
    for index, record in enumerate(records):
        for cls, message in _check_record(
            name, index, record, require_answers=require_answers, embedded_audio=embedded_audio
        ):
            accept = cls is AnswerNotInChoicesError and (
                allow_answer_mismatch
                or (allow_answer_mismatch is None and name == "mmar" and record.get("id") in MMAR_V1_ANSWER_QUIRKS)
            )
            if accept:
                quirks.append(record["id"])
            else:
                problems.setdefault(cls, []).append(message)
    for cls in (InvalidFieldError, MissingFieldError, AnswerNotInChoicesError):
        if cls in problems:
            hint = {
                MissingFieldError: f"Every {name} record needs {', '.join(f'`{k}`' for k in _REQUIRED[name])} "
                "(pass `require_answers=False` to load answer-less records for generation only).",
                InvalidFieldError: "Fix the values (options and answers are option *texts*).",
                AnswerNotInChoicesError: "The gold answer must be the text of one option; pass "
                "`allow_answer_mismatch=True` to score such items anyway.",
            }[cls]
            raise cls(f"{path} is not a valid {name} file. {hint}", problems[cls])
    if quirks:
        logger.warning(
            "%s: %d answer(s) are not an exact option (known %s data quirks); string matching can score "
            "them correct only where the answer's words fit one option: %s",
            path.name,
            len(quirks),
            name,
            ", ".join(quirks),
        )

    duplicates = [i for i, c in Counter(r["id"] for r in records).items() if c > 1]
    if duplicates:
        raise DuplicateIdError(
            f"{path} has duplicate ids; scores and resumed runs key on `id`, so every id must be unique.",
            [f"id {i!r} appears more than once" for i in duplicates],
        )

    root = Path(audio_root).expanduser().resolve() if audio_root is not None else _default_audio_root(name, path)
    items = tuple(_item(name, r, root, embedded_audio) for r in records)
    if require_audio:
        absent = [
            f"{item.id}: {item.audio_path}"
            for item in items
            if item.audio_path and not os.path.isfile(item.audio_path)
        ]
        if absent:
            raise MissingAudioError(
                f"audio files are missing under {str(root)!r}. Pass `audio_root` (CLI: --audio-root) if they live "
                "elsewhere, or `require_audio=False` (CLI: --no-require-audio) to score saved responses only.",
                absent,
            )

    file_info = [{"name": f.name, "bytes": f.stat().st_size, "sha256": sha256_file(f)} for f in files]
    if len(file_info) == 1:
        digest = file_info[0]["sha256"]
    else:
        # Several shards: hash of the per-file hashes in name order, so the label is stable across machines.
        digest = hashlib.sha256("".join(f["name"] + f["sha256"] for f in file_info).encode()).hexdigest()
    data_info = {
        "benchmark": name,
        "path": str(path),
        "format": fmt,
        "sha256": digest,
        "n_items": len(items),
        "version": _version_label(name, digest, records),
        "files": file_info,
        "audio_root": str(root),
        "embedded_audio": embedded_audio,
        "quirks": {"answer_not_in_choices": quirks} if quirks else {},
    }
    return Benchmark(name=name, items=items, data=data_info)


def load_mmsu(data: str | os.PathLike, **kwargs: Any) -> Benchmark:
    """`load_benchmark("mmsu", data, **kwargs)`."""
    return load_benchmark("mmsu", data, **kwargs)


def load_mmau(data: str | os.PathLike, **kwargs: Any) -> Benchmark:
    """`load_benchmark("mmau", data, **kwargs)`."""
    return load_benchmark("mmau", data, **kwargs)


def load_mmar(data: str | os.PathLike, **kwargs: Any) -> Benchmark:
    """`load_benchmark("mmar", data, **kwargs)`."""
    return load_benchmark("mmar", data, **kwargs)


@dataclass(frozen=True)
class Predictions:
    """Saved model responses keyed by id; a line without the response key maps to `MISSING`.

    Attributes:
        responses (`dict[str, Any]`): id → raw response (any JSON value; non-strings are unparseable when scored).
        data (`dict`): `path`, `sha256`, `n`, `response_key`.
    """

    responses: dict[str, Any]
    data: dict[str, Any]


def load_predictions(path: str | os.PathLike, *, response_key: str = "response", id_key: str = "id") -> Predictions:
    """Read saved responses: JSON Lines (one ``{"id": ..., "response": ...}`` per line) or a JSON array.

    The official prediction files work too: pass ``response_key="model_output"`` (MMAU) or
    ``"answer_prediction"`` / ``"model_prediction"`` (MMAR).

    Raises:
        `FileNotFoundError`, or `PredictionsError` for lines that are not JSON objects, records without a string
        id, and duplicate ids.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise FileNotFoundError(f"`predictions` {str(path)!r} does not exist.")
    problems: list[str] = []
    rows: list[tuple[int, Any]] = []
    if path.suffix.lower() == ".json":
        try:
            array = _read_json_records(path)
        except InvalidFileError as e:
            raise PredictionsError(str(e)) from e
        rows = list(enumerate(array, start=1))
    else:
        for line, obj, error in iter_jsonl(path):
            if error:
                problems.append(error)
            else:
                rows.append((line, obj))
    responses: dict[str, Any] = {}
    duplicates: list[str] = []
    for line, obj in rows:
        if not isinstance(obj, Mapping):
            problems.append(f"entry {line} is a JSON {type(obj).__name__}, expected an object")
            continue
        ident = obj.get(id_key)
        if not isinstance(ident, str) or not ident:
            problems.append(f"entry {line} has no string `{id_key}` (got {ident!r})")
            continue
        if ident in responses:
            duplicates.append(ident)
            continue
        responses[ident] = obj.get(response_key, MISSING)
    if problems:
        raise PredictionsError(f"{path} cannot be read as predictions.", problems)
    if duplicates:
        raise PredictionsError(
            f"{path} has duplicate ids; keep one response per id (a resumed run must not append twice).",
            [f"id {i!r} appears more than once" for i in dict.fromkeys(duplicates)],
        )
    if responses and all(v is MISSING for v in responses.values()):
        raise PredictionsError(
            f"{path}: no entry has the key `{response_key}`. Pass the key your file uses "
            "(CLI: --response-key), e.g. `model_output` (MMAU) or `answer_prediction` (MMAR)."
        )
    info = {"path": str(path), "sha256": sha256_file(path), "n": len(responses), "response_key": response_key}
    return Predictions(responses=responses, data=info)
