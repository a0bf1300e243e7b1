"""Transcript normalizers for WER/CER: Whisper-style English, Chinese (character-level), and a basic fallback.

>>> from uas_hf.metrics.normalizers import get_normalizer
>>> get_normalizer("en")("It's twenty-one!")
'it is 21'
>>> get_normalizer("zh")("你好，世界！")
'你好世界'
"""

from collections.abc import Callable

from .basic import BasicTextNormalizer, remove_symbols, remove_symbols_and_diacritics
from .chinese import ChineseTextNormalizer, has_cjk, mixed_units
from .english import EnglishSpellingNormalizer, EnglishTextNormalizer
from .english_numbers import EnglishNumberNormalizer


LANGUAGES = ("en", "zh", "basic")


def get_normalizer(language: str) -> Callable[[str], str]:
    """The normalizer for ``language``: ``"en"`` (Whisper-style English), ``"zh"`` (Chinese) or ``"basic"``."""
    if language == "en":
        return EnglishTextNormalizer()
    if language == "zh":
        return ChineseTextNormalizer()
    if language == "basic":
        return BasicTextNormalizer()
    raise ValueError(f"`language` must be one of {', '.join(LANGUAGES)}; got {language!r}.")


__all__ = [
    "LANGUAGES",
    "BasicTextNormalizer",
    "ChineseTextNormalizer",
    "EnglishNumberNormalizer",
    "EnglishSpellingNormalizer",
    "EnglishTextNormalizer",
    "get_normalizer",
    "has_cjk",
    "mixed_units",
    "remove_symbols",
    "remove_symbols_and_diacritics",
]
