"""SFT data for the paper's stages: task formatters (ASR, UAS, UAS-QA, caption) and weighted dataset mixing.

Every formatter turns a corpus row into the same two columns the audio collator reads — `messages` (user turn: the
audio + an instruction; assistant turn: the target) and `audio` — plus `task`, so datasets of different tasks can be
interleaved. Mixing uses `datasets.interleave_datasets` with sampling probabilities (`mix_datasets`).

Tasks (paper §3.2, App. F):
- ``asr``: transcribe the speech (rows without speech are not ASR data and are left out);
- ``uas``: the whole UAS record as canonical JSON (stage 2 and 3 "UAS annotation");
- ``caption``: the same content as unstructured prose (`render_caption`; the App. F ablation);
- ``qa``: UAS-QA items (`uas_hf.data.qa.generate_qa`) with the audio of their source clip.
"""

from collections.abc import Mapping
from typing import Any

from ..utils.logging import get_logger


logger = get_logger(__name__)

ASR_PROMPT = "Transcribe the speech in this audio."
UAS_PROMPT = "Describe this audio in the Unified Audio Schema as one JSON object."
CAPTION_PROMPT = "Describe this audio in detail: what is said, how the speaker sounds, and the sounds around it."
TASKS = ("asr", "uas", "caption", "qa")


def _messages(prompt: str, answer: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": [{"type": "audio", "text": None}, {"type": "text", "text": prompt}]},
        {"role": "assistant", "content": [{"type": "text", "text": answer}]},
    ]


def _record(uas: Any):
    from ..schema import parse_uas

    return parse_uas(uas, lenient=True)


def format_asr(example: Mapping[str, Any], *, prompt: str = ASR_PROMPT) -> dict[str, Any]:
    """ASR example: the user asks for a transcript, the assistant answers with `transcription`.

    >>> format_asr({"audio": "a.wav", "transcription": "hello there"})["messages"][1]["content"][0]["text"]
    'hello there'
    """
    if example.get("transcription") is None:
        raise ValueError("An ASR example needs a `transcription`; filter out rows without speech first.")
    return {"messages": _messages(prompt, example["transcription"]), "audio": example["audio"], "task": "asr"}


def format_uas(example: Mapping[str, Any], *, prompt: str = UAS_PROMPT) -> dict[str, Any]:
    """UAS annotation example: the assistant answers with the canonical UAS JSON of the `uas` column."""
    from ..schema import to_canonical_json

    answer = to_canonical_json(_record(example["uas"]))
    return {"messages": _messages(prompt, answer), "audio": example["audio"], "task": "uas"}


def format_caption(example: Mapping[str, Any], *, prompt: str = CAPTION_PROMPT) -> dict[str, Any]:
    """Caption example (App. F ablation): the same UAS content rendered as prose."""
    from ..schema import render_caption

    answer = render_caption(_record(example["uas"]))
    return {"messages": _messages(prompt, answer), "audio": example["audio"], "task": "caption"}


def format_qa(item: Mapping[str, Any], audio: Any) -> dict[str, Any]:
    """UAS-QA example: the item's own `messages` (audio + question, answer) with the audio of its source clip."""
    messages = [
        {
            "role": m["role"],
            "content": [
                {"type": p["type"], "text": p.get("text") if p["type"] == "text" else None}
                for p in (m["content"] if isinstance(m["content"], list) else [{"type": "text", "text": m["content"]}])
            ],
        }
        for m in item["messages"]
    ]
    return {"messages": messages, "audio": audio, "task": "qa"}


def _require(dataset, columns: tuple[str, ...], task: str) -> None:
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        raise ValueError(
            f"The `{task}` dataset lacks column(s) {missing}; it has {dataset.column_names}. Pass the corpus split "
            "(`load_dataset('audiofolder', data_dir=...)`), whose rows carry `audio`, `transcription` and `uas`."
        )


def build_task_dataset(corpus, task: str, *, qa_items: list[dict] | None = None, id_column: str = "id"):
    """Format a corpus split (a `datasets.Dataset` with `audio`, `transcription`, `uas`) for one task.

    For ``task="qa"`` pass the UAS-QA items; each item's `source_id` is looked up in ``corpus[id_column]`` to attach
    the audio. Items whose source clip is not in ``corpus`` raise (nothing is dropped silently).
    """
    from datasets import Dataset

    if task not in TASKS:
        raise ValueError(f"`task` must be one of {TASKS}, got {task!r}.")
    keep = ["messages", "audio", "task"]
    if task == "asr":
        _require(corpus, ("audio", "transcription"), task)
        with_speech = corpus.filter(lambda t: t is not None, input_columns="transcription")
        logger.info("ASR: %d of %d clips have speech", len(with_speech), len(corpus))
        return with_speech.map(format_asr, remove_columns=[c for c in corpus.column_names if c not in keep])
    if task in ("uas", "caption"):
        _require(corpus, ("audio", "uas"), task)
        formatter = format_uas if task == "uas" else format_caption
        return corpus.map(formatter, remove_columns=[c for c in corpus.column_names if c not in keep])
    if qa_items is None:
        raise ValueError("`qa_items` is required for task='qa': pass the items from `uas_hf.data.qa.generate_qa`.")
    _require(corpus, ("audio", id_column), task)
    row_of = {source_id: i for i, source_id in enumerate(corpus[id_column])}
    missing = sorted({str(item["source_id"]) for item in qa_items if item["source_id"] not in row_of})
    if missing:
        raise ValueError(
            f"{len(missing)} UAS-QA item(s) refer to clips not in the corpus split (e.g. {missing[:3]}); generate "
            f"QA from the same split, or check `id_column` (now {id_column!r})."
        )
    data = Dataset.from_list([format_qa(item, None) for item in qa_items]).remove_columns("audio")
    return attach_audio(data, corpus, [row_of[item["source_id"]] for item in qa_items])


def attach_audio(data, corpus, indices: list[int]):
    """Add ``corpus[indices]``'s `audio` column to ``data`` (row i gets clip ``indices[i]``), still lazily decoded."""
    from datasets import Audio

    feature = corpus.features["audio"]
    # Copy the stored paths/bytes, not decoded clips: the new column decodes on access like the corpus does
    raw = corpus.cast_column("audio", Audio(sampling_rate=feature.sampling_rate, decode=False))
    data = data.add_column("audio", raw.select(indices)["audio"], feature=raw.features["audio"])
    return data.cast_column("audio", feature)


def mix_datasets(
    datasets: Mapping[str, Any],
    weights: Mapping[str, float],
    *,
    seed: int = 0,
    stopping_strategy: str = "all_exhausted",
):
    """Interleave task datasets, drawing each example from dataset ``name`` with probability ``weights[name] / sum``.

    Args:
        datasets (`Mapping[str, Dataset]`): task name -> formatted dataset (`messages`, `audio`, `task`).
        weights (`Mapping[str, float]`): task name -> non-negative sampling weight (normalized here).
        seed (`int`, *optional*, defaults to `0`): sampling seed (the same seed gives the same order).
        stopping_strategy (`str`, *optional*, defaults to `"all_exhausted"`): `datasets.interleave_datasets` option;
            ``"all_exhausted"`` oversamples smaller datasets until every one has been seen once.

    Example:
    ```python
    >>> from datasets import Dataset
    >>> a = Dataset.from_dict({"x": [0, 0, 0, 0]})
    >>> b = Dataset.from_dict({"x": [1, 1, 1, 1]})
    >>> mixed = mix_datasets({"a": a, "b": b}, {"a": 3, "b": 1}, stopping_strategy="first_exhausted")
    >>> len(mixed) > 0
    True
    ```
    """
    from datasets import interleave_datasets

    unknown = sorted(set(weights) - set(datasets))
    missing = sorted(set(datasets) - set(weights))
    if unknown or missing:
        raise ValueError(
            f"`weights` must name exactly the datasets {sorted(datasets)}; unknown: {unknown}, missing: {missing}."
        )
    bad = {k: v for k, v in weights.items() if not isinstance(v, (int, float)) or v < 0}
    if bad or sum(weights.values()) <= 0:
        raise ValueError(f"`weights` must be non-negative numbers with a positive sum, got {dict(weights)}.")
    names = [n for n in datasets if weights[n] > 0]
    empty = [n for n in names if len(datasets[n]) == 0]
    if empty:
        raise ValueError(f"Dataset(s) {empty} are empty but have a positive weight; drop them or give them data.")
    total = float(sum(weights[n] for n in names))
    if len(names) == 1:
        return datasets[names[0]]
    return interleave_datasets(
        [datasets[n] for n in names],
        probabilities=[weights[n] / total for n in names],
        seed=seed,
        stopping_strategy=stopping_strategy,
    )
