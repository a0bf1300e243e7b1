"""The Unified Audio Schema (UAS): types, closed vocabularies, lenient parsing, renderings and Stage-3 validation.

Pure Python (no torch / transformers), so importing it is fast. See `docs/architecture.md` for the contract.

Example:

```python
>>> from uas_hf.schema import parse_uas, to_canonical_json, render_targeted
>>> record = parse_uas('{"transcription": null, "paralinguistics": null, '
...                    '"nonLinguisticEvents": {"description": "Rain on a roof.", '
...                    '"discreteEvents": [{"label": "Thunder", "characteristic": "Distant"}], "continuousEvents": []}}')
>>> render_targeted(record, "discreteEvents")
'Thunder (Distant)'

```
"""

from .errors import UASError, UASParseError
from .parsing import MAX_INPUT_CHARS, load_json_object, parse_uas
from .rendering import NO_SPEECH, NO_VOICE, NONE_ANSWER, render_caption, render_targeted, to_canonical_json
from .types import (
    CLOSED_FIELDS,
    FIELDS,
    OPEN_PARALINGUISTIC_FIELDS,
    PARALINGUISTIC_KEYS,
    Event,
    NonLinguisticEvents,
    Paralinguistics,
    UASRecord,
)
from .validation import REJECTION_CODES, Rejection, UASValidator, ValidationConfig, ValidationResult
from .vocab import AGE_VALUES, CLOSED_VALUES, EMOTION_VALUES, GENDER_VALUES, SYNONYMS, normalize_closed


__all__ = [
    "AGE_VALUES",
    "CLOSED_FIELDS",
    "CLOSED_VALUES",
    "EMOTION_VALUES",
    "FIELDS",
    "GENDER_VALUES",
    "MAX_INPUT_CHARS",
    "NONE_ANSWER",
    "NO_SPEECH",
    "NO_VOICE",
    "OPEN_PARALINGUISTIC_FIELDS",
    "PARALINGUISTIC_KEYS",
    "REJECTION_CODES",
    "SYNONYMS",
    "Event",
    "NonLinguisticEvents",
    "Paralinguistics",
    "Rejection",
    "UASError",
    "UASParseError",
    "UASRecord",
    "UASValidator",
    "ValidationConfig",
    "ValidationResult",
    "load_json_object",
    "normalize_closed",
    "parse_uas",
    "render_caption",
    "render_targeted",
    "to_canonical_json",
]
