"""WER / CER for targeted transcription and for the `transcription` field of holistic UAS output.

Corpus-level rates (errors summed over utterances / reference units summed), as ASR papers report them. English
uses Whisper-style normalization and word units; Chinese uses character units (CER is the headline number; its
"WER" counts each CJK character and each Latin word as one unit, i.e. a mixed error rate).
"""

from collections.abc import Callable, Sequence
from typing import Any

from ..utils import get_logger
from .normalizers import LANGUAGES, get_normalizer, mixed_units
from .normalizers.basic import collapse_spaces


logger = get_logger(__name__)


def _units(text: str, language: str) -> tuple[str, str]:
    """(space-joined word units, character string) of a normalized transcript."""
    if language == "zh":
        return " ".join(mixed_units(text)), text.replace(" ", "")
    return text, text


def _counts(references: list[str], hypotheses: list[str], chars: bool) -> dict[str, int]:
    keep = [(r, h) for r, h in zip(references, hypotheses) if r or h]
    if not keep:
        return {"hits": 0, "substitutions": 0, "deletions": 0, "insertions": 0}
    import jiwer  # imported here so that `import uas_hf.metrics` (and `uas-hf score`) stays light

    refs, hyps = [r for r, _ in keep], [h for _, h in keep]
    out = jiwer.process_characters(refs, hyps) if chars else jiwer.process_words(refs, hyps)
    return {
        "hits": out.hits,
        "substitutions": out.substitutions,
        "deletions": out.deletions,
        "insertions": out.insertions,
    }


def _rate(counts: dict[str, int]) -> float | None:
    n_ref = counts["hits"] + counts["substitutions"] + counts["deletions"]
    errors = counts["substitutions"] + counts["deletions"] + counts["insertions"]
    if n_ref == 0:
        # No reference units at all: the rate is undefined unless the hypotheses are empty too.
        return 0.0 if errors == 0 else None
    return errors / n_ref


def compute_error_rates(
    references: Sequence[str],
    hypotheses: Sequence[str | None],
    *,
    language: str = "en",
    normalize: bool = True,
    normalizer: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Corpus WER and CER.

    Args:
        references (`Sequence[str]`): reference transcripts.
        hypotheses (`Sequence[str | None]`): system transcripts, aligned with `references`; `None` counts as empty.
        language (`str`, *optional*, defaults to `"en"`): `"en"`, `"zh"` or `"basic"`; picks the normalizer and,
            for `"zh"`, character units.
        normalize (`bool`, *optional*, defaults to `True`): `False` only collapses whitespace.
        normalizer (`Callable[[str], str]`, *optional*): replaces the language's normalizer.

    Returns:
        `dict`: `wer`, `cer` (fractions; `None` if undefined), `n` (utterances), `reference_words`,
        `reference_chars`, `word_counts` / `char_counts` (hits, substitutions, deletions, insertions), `language`,
        `normalized` and `metric` (the headline key: `"wer"` for English, `"cer"` for Chinese).

    >>> r = compute_error_rates(["The cat sat."], ["the cat sat"])
    >>> r["wer"], r["cer"]
    (0.0, 0.0)
    >>> compute_error_rates(["你好，世界"], ["你好世届"], language="zh")["cer"]
    0.25
    """
    if language not in LANGUAGES:
        raise ValueError(f"`language` must be one of {', '.join(LANGUAGES)}; got {language!r}.")
    if isinstance(references, str) or isinstance(hypotheses, str):
        raise TypeError("`references` and `hypotheses` must be sequences of strings, not a single string.")
    if len(references) != len(hypotheses):
        raise ValueError(
            f"`references` has {len(references)} items but `hypotheses` has {len(hypotheses)}; they must align 1:1."
        )
    for i, ref in enumerate(references):
        if not isinstance(ref, str):
            raise TypeError(f"`references[{i}]` must be a string; got {type(ref).__name__}.")
    for i, hyp in enumerate(hypotheses):
        if hyp is not None and not isinstance(hyp, str):
            raise TypeError(f"`hypotheses[{i}]` must be a string or None; got {type(hyp).__name__}.")
    norm = normalizer or (get_normalizer(language) if normalize else collapse_spaces)
    ref_words, ref_chars, hyp_words, hyp_chars = [], [], [], []
    for ref, hyp in zip(references, hypotheses):
        words, chars = _units(norm(ref), language)
        ref_words.append(words)
        ref_chars.append(chars)
        words, chars = _units(norm(hyp or ""), language)
        hyp_words.append(words)
        hyp_chars.append(chars)
    word_counts = _counts(ref_words, hyp_words, chars=False)
    char_counts = _counts(ref_chars, hyp_chars, chars=True)
    return {
        "wer": _rate(word_counts),
        "cer": _rate(char_counts),
        "metric": "cer" if language == "zh" else "wer",
        "n": len(references),
        "reference_words": sum(len(w.split()) for w in ref_words),
        "reference_chars": sum(len(c) for c in ref_chars),
        "word_counts": word_counts,
        "char_counts": char_counts,
        "language": language,
        "normalized": normalize or normalizer is not None,
    }


def extract_uas_transcription(response: Any) -> tuple[str | None, str]:
    """Parse a holistic UAS response leniently and return ``(transcription, status)``.

    `status` is ``"ok"``, ``"no_speech"`` (parsed; `transcription` is null) or ``"unparseable"``; in the last two
    cases the transcription is `None`.
    """
    from ..schema import UASParseError, parse_uas

    if not isinstance(response, (str, bytes, dict)):
        return None, "unparseable"
    try:
        # Unknown keys are ignored here: a stray key must not cost the transcription.
        record = parse_uas(response, lenient=True, unknown_keys="ignore")
    except (UASParseError, ValueError, TypeError):
        return None, "unparseable"
    if record.transcription is None:
        return None, "no_speech"
    return str(record.transcription), "ok"


def score_uas_transcriptions(
    responses: Sequence[Any],
    references: Sequence[str],
    *,
    language: str = "en",
    normalize: bool = True,
) -> dict[str, Any]:
    """WER/CER of the `transcription` field of holistic UAS outputs (the paper's Table 3 "holistic tax").

    Every response is parsed with the schema's lenient parser; an unparseable response (or one without speech) is
    scored as an empty hypothesis, so it costs deletions instead of disappearing, and is counted.

    Args:
        responses (`Sequence`): raw model outputs (UAS JSON text, possibly wrapped in prose or code fences).
        references (`Sequence[str]`): reference transcripts.
        language (`str`, *optional*, defaults to `"en"`): see `compute_error_rates`.
        normalize (`bool`, *optional*, defaults to `True`): see `compute_error_rates`.

    Returns:
        `dict`: `compute_error_rates`'s result plus `unparseable` and `no_transcription` counts.
    """
    if len(responses) != len(references):
        raise ValueError(
            f"`responses` has {len(responses)} items but `references` has {len(references)}; they must align 1:1."
        )
    hypotheses: list[str | None] = []
    statuses = {"ok": 0, "no_speech": 0, "unparseable": 0}
    for response in responses:
        text, status = extract_uas_transcription(response)
        statuses[status] += 1
        hypotheses.append(text)
    if statuses["unparseable"]:
        logger.info(
            "%d of %d UAS responses were unparseable (scored as empty)", statuses["unparseable"], len(responses)
        )
    result = compute_error_rates(references, hypotheses, language=language, normalize=normalize)
    result["unparseable"] = statuses["unparseable"]
    result["no_transcription"] = statuses["no_speech"]
    return result
