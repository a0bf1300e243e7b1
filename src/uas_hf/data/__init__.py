"""uas_hf.data: the embedded labelled corpus (`uas_hf.data.corpus`), UAS-QA generation, the `datasets` builder and
the audio collator (see docs/architecture.md).

>>> from uas_hf.data import generate_qa
>>> from uas_hf.schema import parse_uas
>>> record = parse_uas('{"transcription": "Good morning.", "paralinguistics": {"age": "Adult", "gender": "Female", '
...     '"emotion": "Neutral", "accent": null, "prosody": null, "timbre": null}, "nonLinguisticEvents": '
...     '{"description": null, "discreteEvents": [], "continuousEvents": []}}')
>>> items = list(generate_qa([("clip-1", record)], seed=0))
>>> sorted({item["type"] for item in items}) <= ["direct", "multiple_choice", "yes_no"]
True
"""

from .qa import LLMQAGenerator, QAGenerationError, UASQAGenerator, generate_qa


__all__ = ["LLMQAGenerator", "QAGenerationError", "UASQAGenerator", "generate_qa"]
