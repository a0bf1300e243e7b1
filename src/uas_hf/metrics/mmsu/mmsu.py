"""MMSU accuracy with the official (`dingdongwang/MMSU` mmsu_evaluation.py, 2026) or Tencent UAS scorer, as an
`evaluate` module.

evaluate copies this file into its module cache and imports it standalone, so the scoring logic is imported from
the installed `uas_hf` package (absolute imports only).
"""

import datasets
import evaluate

from uas_hf.metrics.evaluate_support import RecordReferencesMixin
from uas_hf.metrics.scoring import score_mmsu


_DESCRIPTION = """MMSU (Wang et al., ICLR 2026) multiple-choice accuracy. Both scorers read one option letter: the first
character if it is A-D, else the second to last; it is correct iff that option's text equals `answer_gt`. They
differ in the denominator: `scoring="official"` drops unreadable responses (wrong format, non-string), while
`scoring="tencent"` counts them wrong (denominator = all items). Both numbers are in `accuracy_by_denominator`.
Micro averages; breakdowns by category (Perception / Reasoning), sub-category, sub-sub-category and task."""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): raw model outputs, one per reference (None = JSON null: dropped officially, wrong for
        Tencent).
    references (`list[dict]`): MMSU records with `id`, `choice_a`...`choice_d` (null for absent options),
        `answer_gt` (option text), `category`, `sub-category`, `sub-sub-category`, `task_name`.
    scoring (`str`, *optional*, defaults to `"official"`): `"official"` or `"tencent"`.
    think (`str`, *optional*, defaults to `"keep"`): `"keep"`, `"split"` (Tencent --thinking), `"remove_tags"`
        (Tencent's UAS wrapper).
    official_version (`str`, *optional*, defaults to `"2026"`): `"2025"` reproduces the superseded stale-letter bug.
    max_response_chars (`int`, *optional*): longer outputs are unparseable (default 200000).
    return_details (`bool`, *optional*, defaults to `False`): add per-item details.
Returns:
    `overall` (fraction), `n`, `correct`, `unparseable`, `missing`, `excluded`, `accuracy_by_denominator`,
    `breakdown` {field: {value: fraction}}, `breakdown_counts`, `native_breakdown`, `scoring`, `think`, `scorer`.
Examples:
    >>> metric = evaluate.load("src/uas_hf/metrics/mmsu")
    >>> ref = {"id": "q", "choice_a": "dog", "choice_b": "cat", "choice_c": None, "choice_d": None,
    ...        "answer_gt": "cat", "category": "Perception", "sub-category": "Paralinguistics",
    ...        "sub-sub-category": "Speaker Traits", "task_name": "animal"}
    >>> metric.compute(predictions=["The answer is B."], references=[ref])["overall"]
    1.0
"""

_CITATION = """@misc{wang2025mmsu,
  title         = {{MMSU}: A Massive Multi-task Spoken Language Understanding and Reasoning Benchmark},
  author        = {Wang, Dingdong and others},
  year          = {2025},
  eprint        = {2506.04779},
  archivePrefix = {arXiv}
}"""

_REFERENCE = {
    "id": datasets.Value("string"),
    "choice_a": datasets.Value("string"),
    "choice_b": datasets.Value("string"),
    "choice_c": datasets.Value("string"),
    "choice_d": datasets.Value("string"),
    "answer_gt": datasets.Value("string"),
    "category": datasets.Value("string"),
    "sub-category": datasets.Value("string"),
    "sub-sub-category": datasets.Value("string"),
    "task_name": datasets.Value("string"),
}


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Mmsu(RecordReferencesMixin, evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"), "references": _REFERENCE}),
            homepage="https://github.com/dingdongwang/MMSU",
            reference_urls=["https://arxiv.org/abs/2506.04779", "https://huggingface.co/datasets/ddwang2000/MMSU"],
        )

    def _compute(self, predictions, references, scoring="official", think="keep", **kwargs):
        return score_mmsu(
            self.restore_records(references), self.restore(predictions), scoring=scoring, think=think, **kwargs
        )
