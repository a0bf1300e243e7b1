"""Word / character error rate with Whisper-style English or Chinese normalization, as an `evaluate` module.

evaluate copies this file into its module cache and imports it standalone, so the logic is imported from the
installed `uas_hf` package (absolute imports only).
"""

import datasets
import evaluate

from uas_hf.metrics.asr import compute_error_rates
from uas_hf.metrics.evaluate_support import RecordReferencesMixin


_DESCRIPTION = """Corpus-level WER and CER (errors summed over utterances / reference units summed) after transcript
normalization: `language="en"` applies a Whisper-style English normalizer (lower case, contractions, numbers to
digits, British to American spelling, punctuation removed); `language="zh"` folds full-width forms, removes
punctuation and scores characters (CER is the headline number, "WER" counts each CJK character and each Latin word
as one unit); `language="basic"` only lower-cases and removes punctuation. Computed with jiwer."""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list[str]`): hypotheses (None counts as empty).
    references (`list[str]`): reference transcripts.
    language (`str`, *optional*, defaults to `"en"`): `"en"`, `"zh"` or `"basic"`.
    normalize (`bool`, *optional*, defaults to `True`): `False` scores raw text (whitespace collapsed).
Returns:
    `wer`, `cer` (fractions), `metric` (the headline key for the language), `n`, `reference_words`,
    `reference_chars`, `word_counts`, `char_counts` (hits / substitutions / deletions / insertions), `language`.
Examples:
    >>> metric = evaluate.load("src/uas_hf/metrics/wer")
    >>> metric.compute(predictions=["it is 21"], references=["It's twenty-one!"])["wer"]
    0.0
"""

_CITATION = """@misc{radford2022whisper,
  title={Robust Speech Recognition via Large-Scale Weak Supervision},
  author={Radford, Alec and Kim, Jong Wook and Xu, Tao and Brockman, Greg and McLeavey, Christine and Sutskever, Ilya},
  year={2022},
  eprint={2212.04356},
  archivePrefix={arXiv}
}"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Wer(RecordReferencesMixin, evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            reference_urls=["https://github.com/jitsi/jiwer"],
        )

    def _compute(self, predictions, references, language="en", normalize=True):
        return compute_error_rates(references, self.restore(predictions), language=language, normalize=normalize)
