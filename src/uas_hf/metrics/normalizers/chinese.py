"""Chinese transcript normalization for CER: width folding, punctuation removal, character-level units."""

import re
import unicodedata

from .basic import collapse_spaces


# Han ideographs (BMP, extension A, compatibility, supplementary planes) and Japanese kana: written without spaces,
# so each character is one unit.
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK = re.compile(f"[{CJK_CHARS}]")
_BETWEEN_CJK = re.compile(f"(?<=[{CJK_CHARS}]) +(?=[{CJK_CHARS}])")
_UNITS = re.compile(f"[{CJK_CHARS}]|[^\\s{CJK_CHARS}]+")
_BRACKETED = re.compile(r"[<\[][^>\]]*[>\]]")


class ChineseTextNormalizer:
    """Normalize Chinese (and mixed Chinese-English) transcripts before CER.

    NFKC folds full-width forms to half-width (``"ＡＢＣ１２３"`` → ``"abc123"`` after lower-casing); bracketed noise
    tags are dropped; every punctuation mark or symbol (Chinese ``，。？！、“”《》`` and ASCII alike) becomes a
    space; spaces between two CJK characters are removed. Traditional/simplified conversion and Chinese numeral
    normalization are *not* done (no offline converter ships with the stack): normalize both sides the same way.

    >>> ChineseTextNormalizer()("你好，世界！ Ｈｅｌｌｏ　ＡＩ。")
    '你好世界 hello ai'
    """

    def __call__(self, text: str) -> str:
        text = _BRACKETED.sub(" ", unicodedata.normalize("NFKC", text).lower())
        text = "".join(" " if unicodedata.category(c)[0] in "MSP" else c for c in text)
        return _BETWEEN_CJK.sub("", collapse_spaces(text))


def mixed_units(text: str) -> list[str]:
    """Word units for Chinese: one per CJK character, one per run of other non-space characters (English words).

    >>> mixed_units("我用 python 写代码")
    ['我', '用', 'python', '写', '代', '码']
    """
    return _UNITS.findall(text)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
