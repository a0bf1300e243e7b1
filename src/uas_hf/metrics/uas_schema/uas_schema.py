"""Holistic UAS output quality (JSON validity, closed-set fields, transcription WER/CER, events, free text), as an
`evaluate` module.

evaluate copies this file into its module cache and imports it standalone, so the logic is imported from the
installed `uas_hf` package (absolute imports only).
"""

import datasets
import evaluate

from uas_hf.metrics.evaluate_support import RecordReferencesMixin
from uas_hf.metrics.uas import score_uas


_DESCRIPTION = """Scores model outputs that should be Unified Audio Schema (UAS) JSON against reference UAS records.
Outputs are parsed with the schema's lenient parser (code fences, prose around the object, Python-style literals and
drifting key spellings are repaired). Reported: the valid-JSON rate; accuracy of the closed fields age, gender and
emotion; speech / no-speech agreement; transcription WER/CER; event-label precision / recall / F1 (discrete,
continuous, all); token-F1 of the free-text fields accent, prosody, timbre and description. An unparseable output
scores as an empty record in every denominator."""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): raw model outputs.
    references (`list[str]` or `list[dict]`): reference UAS records (JSON text or dicts with the paper's keys).
    language (`str`, *optional*, defaults to `"en"`): transcript normalization for WER/CER (`"en"`, `"zh"`, `"basic"`).
    free_text (`bool`, *optional*, defaults to `True`): compute token-F1 for the free-text fields.
Returns:
    `n`, `valid_json_rate`, `unparseable`, `speech_detection_accuracy`, `field_accuracy` {age, gender, emotion},
    `field_n`, `transcription` {wer, cer, ...}, `events` {discreteEvents, continuousEvents, all}, `free_text_token_f1`,
    `free_text_n`.
Examples:
    >>> metric = evaluate.load("src/uas_hf/metrics/uas_schema")
    >>> ref = '{"transcription": null, "paralinguistics": null, "nonLinguisticEvents": {"description": "Rain.",'
    ...        ' "discreteEvents": [{"label": "Thunder", "characteristic": null}], "continuousEvents": []}}'
    >>> metric.compute(predictions=[ref], references=[ref])["events"]["all"]["f1"]
    1.0
"""

_CITATION = """@misc{uas2026,
  title         = {Unified Audio Schema (UAS) for perception-aware audio language models},
  year          = {2026},
  eprint        = {2604.12506},
  archivePrefix = {arXiv},
  url           = {https://arxiv.org/abs/2604.12506}
}"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class UasSchema(RecordReferencesMixin, evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            reference_urls=["https://arxiv.org/abs/2604.12506"],
        )

    def _select(self, reference):
        # References may be dicts with the paper's keys; they travel as canonical JSON text.
        if isinstance(reference, dict):
            from uas_hf.schema import parse_uas, to_canonical_json

            return to_canonical_json(parse_uas(reference))
        return reference

    def _compute(self, predictions, references, language="en", free_text=True):
        return score_uas(self.restore(predictions), references, language=language, free_text=free_text)
