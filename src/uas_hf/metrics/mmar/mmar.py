"""MMAR accuracy with the official (`ddlBoJack/MMAR` code/evaluation.py) or Tencent UAS scorer, as an `evaluate`
module.

evaluate copies this file into its module cache and imports it standalone, so the scoring logic is imported from
the installed `uas_hf` package (absolute imports only).
"""

import datasets
import evaluate

from uas_hf.metrics.evaluate_support import RecordReferencesMixin
from uas_hf.metrics.scoring import score_mmar


_DESCRIPTION = """MMAR (Ma et al., NeurIPS 2025) multiple-choice accuracy. `scoring="official"` bag-of-words matches the
whole raw output against the gold option text; `scoring="tencent"` first extracts an answer (markers, bold, first
line) but has no letter shortcut, so a bare "B" is wrong in both modes. Micro averages; breakdowns by modality,
category (layer) and sub-category."""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): raw model outputs, one per reference (None counts as unparseable).
    references (`list[dict]`): MMAR records with `id`, `choices`, `answer`, `modality`, `category`, `sub-category`.
    scoring (`str`, *optional*, defaults to `"official"`): `"official"` or `"tencent"`.
    think (`str`, *optional*, defaults to `"keep"`): `"keep"`, `"split"` (after the first `</think>`), `"remove_tags"`.
    max_response_chars (`int`, *optional*): longer outputs are unparseable (default 200000).
    return_details (`bool`, *optional*, defaults to `False`): add per-item details.
Returns:
    `overall` (fraction), `n`, `correct`, `unparseable`, `missing`, `excluded`, `breakdown` {field: {value: fraction}},
    `breakdown_counts`, `native_breakdown`, `scoring`, `think`, `scorer` (name, upstream source, uas_hf version).
Examples:
    >>> metric = evaluate.load("src/uas_hf/metrics/mmar")
    >>> ref = {"id": "q", "choices": ["dog", "cat"], "answer": "cat", "modality": "sound",
    ...        "category": "Perception Layer", "sub-category": "Counting and Statistics"}
    >>> metric.compute(predictions=["Answer: cat"], references=[ref], scoring="tencent")["overall"]
    1.0
"""

_CITATION = """@misc{ma2025mmar,
  title         = {{MMAR}: A Challenging Benchmark for Deep Reasoning in Speech, Audio, Music, and Their Mix},
  author        = {Ma, Ziyang and others},
  year          = {2025},
  eprint        = {2505.13032},
  archivePrefix = {arXiv}
}"""

_REFERENCE = {
    "id": datasets.Value("string"),
    "choices": datasets.Sequence(datasets.Value("string")),
    "answer": datasets.Value("string"),
    "modality": datasets.Value("string"),
    "category": datasets.Value("string"),
    "sub-category": datasets.Value("string"),
}


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Mmar(RecordReferencesMixin, evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"), "references": _REFERENCE}),
            homepage="https://github.com/ddlBoJack/MMAR",
            reference_urls=["https://arxiv.org/abs/2505.13032", "https://huggingface.co/datasets/BoJack/MMAR"],
        )

    def _compute(self, predictions, references, scoring="official", think="keep", **kwargs):
        return score_mmar(
            self.restore_records(references), self.restore(predictions), scoring=scoring, think=think, **kwargs
        )
