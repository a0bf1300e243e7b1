"""A held-out micro-benchmark in MMSU's format, written from the corpus's construction truth (never from UAS-QA).

Every question is derived from the metadata the corpus was *built* with (voice, sentence, mixed-in recordings and
their onsets), with its own phrasings and question types UAS-QA never asks: comparisons between two speakers (clip
pairs joined by a silent gap), the order of two events, presence of a sound that may be absent, and content questions
whose options come from the spoken sentence. Build it once per split; the test split is for the final numbers only,
the validation split for every choice (model size, steps, prompts).
"""

import json
import os
import random
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..utils.logging import get_logger


logger = get_logger(__name__)

BENCHMARK_FILE = "mmsu.jsonl"
CLIPS_FILE = "clips.json"
# Silence between the two clips of a comparison item: long enough to hear two separate speakers.
PAIR_GAP_SECONDS = 1.0
# Comparison pairs per comparison type, as a fraction of the speech clips of the split.
PAIR_FRACTION = 0.5
# A speaking-rate / pitch comparison is only asked when the two measurements differ by at least this ratio.
MIN_COMPARE_RATIO = 1.15
AGE_ORDER = {"Child": 0, "Teenager": 1, "Young adult": 2, "Adult": 3, "Middle-aged": 4, "Elderly": 5}
# Function words are not "what was said" in any useful sense: content questions pick other words.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "is",
        "was",
        "are",
        "were",
        "be",
        "been",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "their",
        "our",
        "my",
        "your",
        "this",
        "that",
        "these",
        "those",
        "as",
        "so",
        "not",
        "no",
        "did",
        "do",
        "does",
        "had",
        "has",
        "have",
        "will",
        "would",
        "can",
        "could",
        "should",
        "into",
        "onto",
        "over",
        "under",
        "than",
        "then",
        "there",
        "here",
        "when",
        "while",
        "before",
        "after",
    ]
)
MIN_WORD_LENGTH = 4

PERCEPTION = "Perception"
REASONING = "Reasoning"
# task_name -> (category, sub-category)
QUESTION_TYPES: dict[str, tuple[str, str]] = {
    "speaker_gender": (PERCEPTION, "Paralinguistics"),
    "speaker_age": (PERCEPTION, "Paralinguistics"),
    "speaker_accent": (PERCEPTION, "Paralinguistics"),
    "speech_tempo": (PERCEPTION, "Paralinguistics"),
    "voice_pitch": (PERCEPTION, "Paralinguistics"),
    "speech_volume": (PERCEPTION, "Paralinguistics"),
    "sound_identity": (PERCEPTION, "Acoustic scene"),
    "sound_presence": (PERCEPTION, "Acoustic scene"),
    "sound_order": (PERCEPTION, "Acoustic scene"),
    "background_scene": (PERCEPTION, "Acoustic scene"),
    "compare_older": (PERCEPTION, "Comparison"),
    "compare_faster": (PERCEPTION, "Comparison"),
    "compare_higher": (PERCEPTION, "Comparison"),
    "word_spoken": (REASONING, "Semantics"),
    "word_not_spoken": (REASONING, "Semantics"),
}
FIRST, SECOND = "The first speaker", "The second speaker"
NO_BACKGROUND = "No continuous background sound"


def read_split(corpus_dir: str | os.PathLike, split: str) -> list[dict[str, Any]]:
    """The rows of ``corpus_dir/split/metadata.jsonl`` (the corpus's construction truth)."""
    path = Path(corpus_dir) / split / "metadata.jsonl"
    if not path.is_file():
        raise FileNotFoundError(
            f"No corpus split at {str(path)!r}; build the corpus with `uas-hf corpus build --out {corpus_dir}`."
        )
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _words(sentence: str) -> list[str]:
    return [w.strip(".,;:!?\"'").lower() for w in sentence.split()]


def _content_words(sentence: str) -> list[str]:
    return sorted({w for w in _words(sentence) if len(w) >= MIN_WORD_LENGTH and w.isalpha() and w not in STOPWORDS})


def _choices(rng: random.Random, answer: str, distractors: Iterable[str], k: int = 4) -> list[str] | None:
    pool = sorted({d for d in distractors if d and d != answer})
    if not pool:
        return None
    options = [answer, *rng.sample(pool, min(k - 1, len(pool)))]
    rng.shuffle(options)
    return options


class _Writer:
    """Accumulates MMSU records and the audio they point to, with the source clips of every record."""

    def __init__(self, out: Path, corpus_dir: Path, split: str, seed: int):
        self.out, self.corpus_dir, self.split, self.seed = out, corpus_dir, split, seed
        self.records: list[dict[str, Any]] = []
        self.clips: dict[str, list[str]] = {}
        (out / "audio").mkdir(parents=True, exist_ok=True)

    def rng(self, *key: str) -> random.Random:
        # String seeds are hashed with SHA-512: the same draw on every run and platform
        return random.Random(":".join([str(self.seed), self.split, *key]))

    def audio_for(self, row: Mapping[str, Any]) -> str:
        name = f"{self.split}-{row['id']}.wav".replace("/", "_")
        target = self.out / "audio" / name
        if not target.exists():
            source = self.corpus_dir / self.split / row["file_name"]
            try:
                os.link(source, target)  # a hard link: the benchmark folder is self-contained without a copy
            except OSError:
                shutil.copyfile(source, target)
        return f"/audio/{name}"

    def pair_audio(self, first: Mapping[str, Any], second: Mapping[str, Any]) -> str:
        import numpy as np
        import soundfile as sf

        name = f"{self.split}-pair-{first['id']}-{second['id']}.wav".replace("/", "_")
        target = self.out / "audio" / name
        if not target.exists():
            a, rate = sf.read(self.corpus_dir / self.split / first["file_name"], dtype="float32")
            b, rate_b = sf.read(self.corpus_dir / self.split / second["file_name"], dtype="float32")
            if rate != rate_b:
                raise ValueError(f"Clips {first['id']} and {second['id']} differ in sampling rate ({rate}, {rate_b}).")
            gap = np.zeros(int(PAIR_GAP_SECONDS * rate), dtype="float32")
            sf.write(target, np.concatenate([a, gap, b]), rate, subtype="PCM_16")
        return f"/audio/{name}"

    def add(self, task: str, key: str, audio_path: str, question: str, options: list[str], answer: str, clips):
        category, sub_category = QUESTION_TYPES[task]
        record = {
            "id": f"{self.split}-{task}-{key}",
            "task_name": task,
            "audio_path": audio_path,
            "question": question,
            **{f"choice_{k}": (options[i] if i < len(options) else None) for i, k in enumerate("abcd")},
            "answer_gt": answer,
            "category": category,
            "sub-category": sub_category,
            "sub-sub-category": task,
            "linguistics_sub_discipline": sub_category,
        }
        self.records.append(record)
        self.clips[record["id"]] = list(clips)


def _speaker_questions(w: _Writer, row: Mapping[str, Any], pools: Mapping[str, list[str]]) -> None:
    audio = w.audio_for(row)
    cid = row["id"]
    if row.get("gender"):
        options = w.rng(cid, "gender").sample(["A man", "A woman"], 2)
        answer = "A man" if row["gender"] == "Male" else "A woman"
        w.add("speaker_gender", cid, audio, "Who is talking in this recording?", options, answer, [cid])
    keep_age = w.rng(cid, "age-keep").random() < pools["age_keep"].get(row.get("age_group"), 1.0)
    if row.get("age_group") and len(pools["age_group"]) > 1 and keep_age:
        options = _choices(w.rng(cid, "age"), row["age_group"], pools["age_group"])
        if options:
            q = "Judging only by the voice, roughly how old is the person talking?"
            w.add("speaker_age", cid, audio, q, options, row["age_group"], [cid])
    if row.get("accent") and len(pools["accent"]) > 1:
        options = _choices(w.rng(cid, "accent"), row["accent"], pools["accent"])
        if options:
            q = "Which variety of English does the talker's pronunciation point to?"
            w.add("speaker_accent", cid, audio, q, options, row["accent"], [cid])
    scales = {
        "speech_tempo": ("speaking_rate", "How quickly are the words delivered?", ["slow", "normal", "fast"]),
        "voice_pitch": ("pitch", "For this kind of voice, where does its pitch sit?", ["low", "medium", "high"]),
        "speech_volume": ("loudness", "How loud is the talking, relative to a typical recording level?", None),
    }
    for task, (column, question, values) in scales.items():
        value = row.get(column)
        values = values or pools[column]
        if value and len(values) > 1:
            options = w.rng(cid, task).sample(list(values), len(values))[:4]
            if value not in options:
                options[0] = value
            w.add(task, cid, audio, question, [o.capitalize() for o in options], value.capitalize(), [cid])


def _scene_questions(w: _Writer, row: Mapping[str, Any], pools: Mapping[str, list[str]]) -> None:
    audio = w.audio_for(row)
    cid = row["id"]
    labels = sorted({e["label"] for e in row.get("events") or []})
    absent = [label for label in pools["event_label"] if label not in labels]
    if labels:
        rng = w.rng(cid, "identity")
        answer = rng.choice(labels)
        options = _choices(rng, answer, absent)
        if options:
            q = "Apart from any voice, one of these sounds can be picked out. Which one?"
            w.add("sound_identity", cid, audio, q, options, answer, [cid])
    # Clips with events are asked about one of theirs, clips without about an absent one: "yes" and "no" stay
    # near balanced without asking the same clip both ways.
    rng = w.rng(cid, "presence")
    present = bool(labels)
    probe = rng.choice(labels) if present else (rng.choice(absent) if absent else None)
    if probe:
        q = f"Does the recording contain this sound anywhere: {probe.lower()}?"
        w.add("sound_presence", cid, audio, q, ["Yes, it occurs", "No, it does not"],
              "Yes, it occurs" if present else "No, it does not", [cid])  # fmt: skip
    events = sorted(row.get("events") or [], key=lambda e: e["onset"])
    if len({e["label"] for e in events}) >= 2:
        rng = w.rng(cid, "order")
        first, later = events[0], next(e for e in events[1:] if e["label"] != events[0]["label"])
        options = rng.sample([first["label"], later["label"]], 2)
        q = f"Two sounds occur here: {options[0].lower()} and {options[1].lower()}. Which is heard earlier?"
        w.add("sound_order", cid, audio, q, options, first["label"], [cid])
    background = row.get("background") or NO_BACKGROUND
    options = _choices(w.rng(cid, "background"), background, [*pools["background"], NO_BACKGROUND])
    if options:
        q = "What steady sound, if any, runs underneath the whole recording?"
        w.add("background_scene", cid, audio, q, options, background, [cid])


def _content_questions(w: _Writer, row: Mapping[str, Any], pools: Mapping[str, list[str]]) -> None:
    audio = w.audio_for(row)
    cid = row["id"]
    said = _content_words(row["transcription"])
    spoken = set(_words(row["transcription"]))
    unsaid = [word for word in pools["word"] if word not in spoken]
    if said and len(unsaid) >= 3:
        rng = w.rng(cid, "said")
        answer = rng.choice(said)
        options = _choices(rng, answer, unsaid)
        w.add("word_spoken", cid, audio, "One of these words is part of what the speaker says. Which?",
              options, answer, [cid])  # fmt: skip
    if len(said) >= 3 and unsaid:
        rng = w.rng(cid, "unsaid")
        answer = rng.choice(unsaid)
        options = [answer, *rng.sample(said, 3)]
        rng.shuffle(options)
        w.add("word_not_spoken", cid, audio, "Three of these words are spoken in the clip. Which one is not?",
              options, answer, [cid])  # fmt: skip


def _comparison_questions(w: _Writer, speech: list[Mapping[str, Any]]) -> None:
    comparisons = {
        "compare_older": ("Two people speak one after the other. Which of them sounds older?",
                          lambda r: AGE_ORDER.get(r.get("age_group")), 1),
        "compare_faster": ("You will hear two speakers in turn. Which one talks at a quicker pace?",
                           lambda r: r.get("speaking_rate_wpm"), MIN_COMPARE_RATIO),
        "compare_higher": ("Two voices follow each other. Which has the higher voice?",
                           lambda r: r.get("pitch_hz"), MIN_COMPARE_RATIO),
    }  # fmt: skip
    n_pairs = max(1, int(len(speech) * PAIR_FRACTION))
    for task, (question, measure, margin) in comparisons.items():
        rng = w.rng("pairs", task)
        candidates = [r for r in speech if measure(r) is not None]
        made, seen = 0, set()
        for _ in range(20 * n_pairs):  # bounded rejection sampling over pairs
            if made >= n_pairs or len(candidates) < 2:
                break
            a, b = rng.sample(candidates, 2)
            if (a["id"], b["id"]) in seen or a.get("voice") == b.get("voice"):
                continue
            seen.add((a["id"], b["id"]))
            va, vb = measure(a), measure(b)
            differs = (abs(va - vb) >= margin) if task == "compare_older" else max(va, vb) >= margin * min(va, vb)
            if not differs:
                continue
            answer = FIRST if va > vb else SECOND
            w.add(task, f"{a['id']}-{b['id']}", w.pair_audio(a, b), question, [FIRST, SECOND], answer,
                  [a["id"], b["id"]])  # fmt: skip
            made += 1


def build_micro_benchmark(
    corpus_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    split: str = "test",
    seed: int = 0,
) -> Path:
    """Write ``out_dir/mmsu.jsonl`` + ``out_dir/audio/`` + ``out_dir/clips.json`` (record id -> source clip ids).

    Args:
        corpus_dir (`str` or `os.PathLike`): the embedded corpus (`uas-hf corpus build`).
        out_dir (`str` or `os.PathLike`): where the benchmark goes (an earlier benchmark there is replaced; any
            other non-empty folder is refused).
        split (`str`, *optional*, defaults to `"test"`): corpus split; `"validation"` for choices, `"test"` for the
            final numbers only.
        seed (`int`, *optional*, defaults to `0`): seed of option order, distractors and pairs.

    Returns:
        `Path`: the `mmsu.jsonl` file, loadable with `uas_hf.evaluation.load_benchmark("mmsu", path)`.

    Example:
    ```python
    >>> path = build_micro_benchmark("corpus/", "bench/test", split="test")  # doctest: +SKIP
    >>> load_benchmark("mmsu", path)  # doctest: +SKIP
    ```
    """
    if split not in ("train", "validation", "test"):
        raise ValueError(f"`split` must be 'validation' or 'test' (or 'train'), got {split!r}.")
    corpus_dir, out = Path(corpus_dir), Path(out_dir)
    rows = read_split(corpus_dir, split)
    if out.exists() and any(out.iterdir()):
        if not (out / BENCHMARK_FILE).is_file():
            raise ValueError(
                f"`out_dir` {str(out)!r} is a non-empty folder that holds no micro-benchmark; refusing to replace it. "
                "Pass an empty or new folder."
            )
        shutil.rmtree(out)  # an earlier build of the benchmark: rebuilt from scratch
    w = _Writer(out, corpus_dir, split, seed)
    speech = [r for r in rows if r.get("transcription")]
    pools = {
        column: sorted({r[column] for r in speech if r.get(column)})
        for column in ("age_group", "accent", "speaking_rate", "pitch", "loudness")
    }
    # Most voices are adult: keep about as many "Adult" age items as all others, so the prior does not win.
    ages = Counter(r["age_group"] for r in speech if r.get("age_group"))
    others = sum(ages.values()) - ages.get("Adult", 0)
    pools["age_keep"] = {"Adult": min(1.0, max(others, 1) / ages["Adult"])} if ages.get("Adult") else {}
    pools["event_label"] = sorted({e["label"] for r in rows for e in r.get("events") or []})
    pools["background"] = sorted({r["background"] for r in rows if r.get("background")})
    pools["word"] = sorted({word for r in speech for word in _content_words(r["transcription"])})
    for row in rows:
        if row.get("transcription"):
            _speaker_questions(w, row, pools)
            _content_questions(w, row, pools)
        _scene_questions(w, row, pools)
    _comparison_questions(w, speech)
    with open(out / BENCHMARK_FILE, "w", encoding="utf-8") as f:
        for record in w.records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    (out / CLIPS_FILE).write_text(json.dumps(w.clips, indent=0))
    counts = Counter(r["task_name"] for r in w.records)
    logger.info("Micro-benchmark %s (%s): %d items %s", out, split, len(w.records), dict(sorted(counts.items())))
    return out / BENCHMARK_FILE


def benchmark_counts(path: str | os.PathLike) -> dict[str, Any]:
    """Items per question type and per category of a micro-benchmark file."""
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_type.setdefault(r["task_name"], []).append(r)
    return {
        "n": len(records),
        "by_type": {task: len(rs) for task, rs in sorted(by_type.items())},
        "by_category": dict(sorted(Counter(r["category"] for r in records).items())),
        "chance": {task: round(_chance(rs), 4) for task, rs in sorted(by_type.items())},
        "majority_answer": {task: round(_majority(rs), 4) for task, rs in sorted(by_type.items())},
    }


def _chance(records: list[dict[str, Any]]) -> float:
    """Expected accuracy of guessing uniformly among each item's options."""
    return sum(1 / sum(r[f"choice_{k}"] is not None for k in "abcd") for r in records) / len(records)


def _majority(records: list[dict[str, Any]]) -> float:
    """Accuracy of always answering the type's most common answer text when offered (a prior, not perception)."""
    top = Counter(r["answer_gt"] for r in records).most_common(1)[0][0]
    return sum(r["answer_gt"] == top for r in records) / len(records)
