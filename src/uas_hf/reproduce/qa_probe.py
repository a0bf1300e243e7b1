"""An in-distribution check beside the micro-benchmark: UAS-QA multiple choice on held-out clips.

The micro-benchmark is written independently of UAS-QA (its own phrasings, answer wordings and question types), as
issue 8 requires, so a gain there cannot come from memorized templates. That also means a tiny language model trained
from scratch may have learned a perception skill in UAS-QA's words ("Male", "a fast pace") without being able to use
it under the benchmark's words ("A man", "Quickly"). This probe separates the two: the same arms, scored the same way
(option likelihood), on UAS-QA multiple-choice items generated with the *training* templates from the construction
truth of clips none of the arms trained on. It is a diagnostic for the report, never used for a choice.
"""

import json
import os
from pathlib import Path
from typing import Any

from .benchmark import read_split
from .scoring import LETTERS


PROBE_FILE = "mmsu.jsonl"
CLIPS_FILE = "clips.json"
# Seed of the probe's UAS-QA draw: the arms' training uses seeds 0, 1, 2 on other clips; this only picks options.
PROBE_SEED = 1009
MAX_PER_FIELD = 150  # the first N items of each field (split order): ~900 items, under a minute per arm on a CPU


def build_qa_probe(
    corpus_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    split: str = "test",
    max_per_field: int | None = MAX_PER_FIELD,
) -> Path:
    """Write ``out_dir/mmsu.jsonl`` (MMSU-format records of UAS-QA multiple-choice items on ``split``, one task per
    UAS field) and ``out_dir/clips.json``; returns the path of the records file.

    The items come from `uas_hf.data.qa.generate_qa` (the arms' own generator, multiple choice only) over the
    perception fields, with answers from the split's construction-truth UAS records.
    """
    from ..data.qa import generate_qa
    from ..schema import parse_uas
    from .arms import perception_fields

    corpus_dir, out = Path(corpus_dir).resolve(), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = read_split(corpus_dir, split)
    files = {row["id"]: row["file_name"] for row in rows}
    pairs = ((row["id"], parse_uas(row["uas"])) for row in rows)
    items = generate_qa(
        pairs, seed=PROBE_SEED, types=("multiple_choice",), fields=perception_fields(), per_record=None
    )
    records, clips, per_field = [], {}, {}
    for item in items:
        per_field[item["field"]] = per_field.get(item["field"], 0) + 1
        if max_per_field is not None and per_field[item["field"]] > max_per_field:
            continue
        options = [option.split(". ", 1)[1] for option in item["options"]]
        answer = item["answer"].split(". ", 1)[1]
        if len(options) > len(LETTERS) or answer not in options:
            raise ValueError(f"UAS-QA item {item['id']} is not a 2-4 option multiple choice: {item['options']}")
        audio = os.path.relpath(corpus_dir / split / files[item["source_id"]], out.resolve())
        record = {
            "id": item["id"],
            "task_name": f"uasqa_{item['field']}",
            "audio_path": audio,
            "question": item["question"],
            **{f"choice_{k}": (options[i] if i < len(options) else None) for i, k in enumerate("abcd")},
            "answer_gt": answer,
            "category": "Perception",
            "sub-category": "uas-qa",
            "sub-sub-category": item["field"],
            "linguistics_sub_discipline": "uas-qa",
        }
        records.append(record)
        clips[record["id"]] = [item["source_id"]]
    if not records:
        raise ValueError(f"No UAS-QA multiple-choice item could be built from {corpus_dir / split}.")
    path = out / PROBE_FILE
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    (out / CLIPS_FILE).write_text(json.dumps(clips), encoding="utf-8")
    return path


def evaluate_probe(model_dir: str | os.PathLike, probe_file: str | os.PathLike, out_file: str | os.PathLike,
                   *, seed: int = 0) -> dict[str, Any]:  # fmt: skip
    """Option-likelihood accuracy of a trained arm on the probe; writes predictions next to ``out_file`` and the
    result (overall and per-field accuracy with clip-bootstrap CIs, and the per-item outcomes) to ``out_file``."""
    from ..utils.durable import write_json_atomic
    from .arms import likelihood_eval, summarize
    from .scoring import item_outcomes, load_records, record_options

    out_file = Path(out_file)
    predictions_file = out_file.with_name(out_file.stem + ".predictions.jsonl")
    likelihood_eval(model_dir, probe_file, predictions_file)
    predictions = [json.loads(line) for line in predictions_file.read_text().splitlines()]
    records, clips = load_records(probe_file)
    by_id = {r["id"]: r for r in records}
    summary = summarize(probe_file, predictions, seed=seed)
    result = {
        "overall": summary["overall"],
        "by_field": summary["by_type"],
        "items": [
            {**item, "n_options": len(record_options(by_id[item["id"]])), "answer": by_id[item["id"]]["answer_gt"]}
            for item in item_outcomes(records, clips, predictions)
        ],
    }
    write_json_atomic(out_file, result)
    return {"acc": summary["overall"]["acc"], "n": summary["overall"]["n"]}
