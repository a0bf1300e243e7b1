"""MMAU accuracy with the official (`Sakshi113/MMAU` evaluation.py) or Tencent UAS scorer, as an `evaluate` module.

evaluate copies this file into its module cache and imports it standalone, so the scoring logic is imported from
the installed `uas_hf` package (absolute imports only).
"""

import datasets
import evaluate

from uas_hf.metrics.evaluate_support import RecordReferencesMixin
from uas_hf.metrics.scoring import score_mmau


_DESCRIPTION = """MMAU (Sakshi et al., ICLR 2025) multiple-choice accuracy. `scoring="official"` bag-of-words matches the
whole raw output against the gold option text (a bare letter is always wrong); `scoring="tencent"` first extracts an
answer (markers, bold, first line) and accepts a bare in-range option letter. Micro averages; breakdowns by task,
difficulty and sub-category."""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): raw model outputs, one per reference (None counts as unparseable).
    references (`list[dict]`): MMAU records with `id`, `choices`, `answer`, `task`, `difficulty`, `sub-category`.
    scoring (`str`, *optional*, defaults to `"official"`): `"official"` or `"tencent"`.
    think (`str`, *optional*, defaults to `"keep"`): `"keep"`, `"split"` (after the first `</think>`), `"remove_tags"`.
    max_response_chars (`int`, *optional*): longer outputs are unparseable (default 200000).
    return_details (`bool`, *optional*, defaults to `False`): add per-item details.
Returns:
    `overall` (fraction), `n`, `correct`, `unparseable`, `missing`, `excluded`, `breakdown` {field: {value: fraction}},
    `breakdown_counts`, `native_breakdown`, `scoring`, `think`, `scorer` (name, upstream source, uas_hf version).
Examples:
    >>> metric = evaluate.load("src/uas_hf/metrics/mmau")
    >>> ref = {"id": "q", "choices": ["dog", "cat"], "answer": "cat", "task": "sound", "difficulty": "easy",
    ...        "sub-category": "Sound-Based Event Recognition"}
    >>> metric.compute(predictions=["B"], references=[ref], scoring="tencent")["overall"]
    1.0
"""

_CITATION = """@misc{sakshi2024mmau,
  title         = {{MMAU}: A Massive Multi-Task Audio Understanding and Reasoning Benchmark},
  author        = {Sakshi, S and others},
  year          = {2024},
  eprint        = {2410.19168},
  archivePrefix = {arXiv}
}"""

_REFERENCE = {
    "id": datasets.Value("string"),
    "choices": datasets.Sequence(datasets.Value("string")),
    "answer": datasets.Value("string"),
    "task": datasets.Value("string"),
    "difficulty": datasets.Value("string"),
    "sub-category": datasets.Value("string"),
}


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Mmau(RecordReferencesMixin, evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"), "references": _REFERENCE}),
            homepage="https://sakshi113.github.io/mmau_homepage/",
            reference_urls=["https://github.com/Sakshi113/MMAU"],
        )

    def _compute(self, predictions, references, scoring="official", think="keep", **kwargs):
        return score_mmau(
            self.restore_records(references), self.restore(predictions), scoring=scoring, think=think, **kwargs
        )
