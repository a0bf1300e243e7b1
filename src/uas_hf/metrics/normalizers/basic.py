"""Language-independent text clean-up shared by the transcript normalizers."""

import functools
import re
import unicodedata


# Letters that NFKD does not decompose into base + combining mark, spelled out the way ASR references usually are.
_LATIN_SPECIALS = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ß": "ss", "ẞ": "SS", "ł": "l",
                   "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "th", "ı": "i"}  # fmt: skip
_BRACKETED = re.compile(r"[<\[][^>\]]*[>\]]")  # noise tags such as [laughter] or <unk>
_PARENTHESIZED = re.compile(r"\([^)]*\)")
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=16)
def _ascii_symbols_table(keep: str) -> dict[int, str]:
    """`str.translate` table doing, for ASCII text, what the per-character loop below does (no ASCII character
    decomposes under NFKD or is a combining mark, so only punctuation and symbols change)."""
    return {code: " " for code in range(128) if chr(code) not in keep and unicodedata.category(chr(code))[0] in "MSP"}


def remove_symbols_and_diacritics(text: str, keep: str = "") -> str:
    """Replace marks, symbols and punctuation with spaces and drop diacritics (``"café!"`` → ``"cafe "``).

    Characters in ``keep`` are left alone.
    """
    if text.isascii():
        return text.translate(_ascii_symbols_table(keep))
    return _remove_symbols_and_diacritics_by_char(text, keep)


def _remove_symbols_and_diacritics_by_char(text: str, keep: str) -> str:
    out = []
    for char in unicodedata.normalize("NFKD", text):
        if char in keep:
            out.append(char)
        elif char in _LATIN_SPECIALS:
            out.append(_LATIN_SPECIALS[char])
        elif unicodedata.category(char) == "Mn":
            continue
        elif unicodedata.category(char)[0] in "MSP":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def remove_symbols(text: str) -> str:
    """Replace marks, symbols and punctuation with spaces, keeping diacritics (NFKC first)."""
    return "".join(" " if unicodedata.category(c)[0] in "MSP" else c for c in unicodedata.normalize("NFKC", text))


def collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


class BasicTextNormalizer:
    """Lower-case, drop bracketed/parenthesized spans, replace punctuation and symbols with spaces.

    For languages without a dedicated normalizer.

    Args:
        remove_diacritics (`bool`, *optional*, defaults to `False`): also strip accents.

    >>> BasicTextNormalizer()("Hello, [noise] Wörld (aside)!")
    'hello wörld'
    """

    def __init__(self, remove_diacritics: bool = False):
        self.remove_diacritics = remove_diacritics

    def __call__(self, text: str) -> str:
        text = _PARENTHESIZED.sub(" ", _BRACKETED.sub(" ", text.lower()))
        text = remove_symbols_and_diacritics(text) if self.remove_diacritics else remove_symbols(text)
        return collapse_spaces(text)
