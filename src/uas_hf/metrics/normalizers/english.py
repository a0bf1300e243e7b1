"""Whisper-style English transcript normalization (our own implementation) for WER.

The steps follow the convention the English ASR literature reports WER under: lower-case; drop bracketed noise
tags and parenthesized asides; drop hesitations; expand contractions and titles; remove punctuation, symbols and
diacritics; spelled-out numbers to digits; British to American spelling; collapse spaces.
"""

import re
from collections.abc import Mapping

from .basic import collapse_spaces, remove_symbols_and_diacritics
from .english_numbers import EnglishNumberNormalizer


_HESITATIONS = re.compile(r"\b(?:hmm+|mm+|mhm|uh+|um+|erm|uh-huh)\b")
_BRACKETED = re.compile(r"[<\[][^>\]]*[>\]]")
_PARENTHESIZED = re.compile(r"\([^)]*\)")

# Applied in order, on word boundaries, to lower-cased text. Specific forms come before the generic suffix rules.
_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "can not"),
    (r"\blet's\b", "let us"),
    (r"\bain't\b", "aint"),
    (r"\by'all\b", "you all"),
    (r"\bwanna\b", "want to"),
    (r"\bgotta\b", "got to"),
    (r"\bgonna\b", "going to"),
    (r"\bi'ma\b", "i am going to"),
    (r"\bimma\b", "i am going to"),
    (r"\bwoulda\b", "would have"),
    (r"\bcoulda\b", "could have"),
    (r"\bshoulda\b", "should have"),
    (r"\bma'am\b", "madam"),
    # Titles before names.
    (r"\bmr\b", "mister "),
    (r"\bmrs\b", "missus "),
    (r"\bst\b", "saint "),
    (r"\bdr\b", "doctor "),
    (r"\bprof\b", "professor "),
    (r"\bcapt\b", "captain "),
    (r"\bgov\b", "governor "),
    (r"\bsen\b", "senator "),
    (r"\brep\b", "representative "),
    (r"\bpres\b", "president "),
    (r"\brev\b", "reverend "),
    (r"\bhon\b", "honorable "),
    (r"\blt\b", "lieutenant "),
    (r"\bcol\b", "colonel "),
    (r"\bgen\b", "general "),
    (r"\bjr\b", "junior "),
    (r"\bsr\b", "senior "),
    # Perfect tenses, where "'s" / "'d" mean has / had.
    (r"'d been\b", " had been"),
    (r"'s been\b", " has been"),
    (r"'d gone\b", " had gone"),
    (r"'s gone\b", " has gone"),
    (r"'d done\b", " had done"),
    (r"'s got\b", " has got"),
    # Generic contractions ("'s" is read as "is" even for possessives, identically on both sides of the WER).
    (r"n't\b", " not"),
    (r"'re\b", " are"),
    (r"'s\b", " is"),
    (r"'d\b", " would"),
    (r"'ll\b", " will"),
    (r"'t\b", " not"),
    (r"'ve\b", " have"),
    (r"'m\b", " am"),
)
_COMPILED = tuple((re.compile(p), r) for p, r in _REPLACEMENTS)
# When no pattern matches, no replacement can fire (each needs a match first), so the ordered pass is skipped - the
# common case for plain transcripts. Every pattern either contains an apostrophe or is a whole word `\bword\b`,
# which matches exactly when `word` is one of the text's maximal runs of word characters.
_REPLACED_WORDS = frozenset(p[2:-2] for p, _ in _REPLACEMENTS if "'" not in p)
if not all(re.fullmatch(r"\w+", w) for w in _REPLACED_WORDS):  # the skip below relies on it
    raise AssertionError("every replacement without an apostrophe must be a whole-word pattern")
_WORD_RUN = re.compile(r"\w+")
_SPACE_APOSTROPHE = re.compile(r"\s+'")
_THOUSANDS_COMMA = re.compile(r"(\d),(\d)")
_NON_DECIMAL_POINT = re.compile(r"\.([^0-9]|$)")
_DANGLING_SIGN = re.compile(r"[.$¢€£]([^0-9])")
_PERCENT_AFTER_WORD = re.compile(r"([^0-9])%")

# British -> American stems; inflected forms are derived with the suffixes below.
_SPELLING_STEMS = {
    "colour": "color", "favour": "favor", "honour": "honor", "labour": "labor", "neighbour": "neighbor",
    "behaviour": "behavior", "flavour": "flavor", "humour": "humor", "rumour": "rumor", "harbour": "harbor",
    "armour": "armor", "vapour": "vapor", "savour": "savor", "endeavour": "endeavor", "parlour": "parlor",
    "vigour": "vigor", "odour": "odor", "glamour": "glamor", "saviour": "savior", "clamour": "clamor",
    "organis": "organiz", "realis": "realiz", "recognis": "recogniz", "apologis": "apologiz", "criticis": "criticiz",
    "emphasis": "emphasiz", "memoris": "memoriz", "summaris": "summariz", "prioritis": "prioritiz",
    "specialis": "specializ", "minimis": "minimiz", "maximis": "maximiz", "categoris": "categoriz",
    "visualis": "visualiz", "normalis": "normaliz", "authoris": "authoriz", "characteris": "characteriz",
    "analys": "analyz", "paralys": "paralyz", "travell": "travel", "cancell": "cancel", "modell": "model",
    "labell": "label", "levell": "level", "fuell": "fuel", "signall": "signal", "channell": "channel",
}  # fmt: skip
_SPELLING_SUFFIXES = ("", "s", "ed", "ing", "er", "ers", "ful", "fully", "less", "able", "ation", "ations", "e", "es")
_SPELLING_WORDS = {
    "centre": "center", "centres": "centers", "theatre": "theater", "theatres": "theaters", "metre": "meter",
    "metres": "meters", "litre": "liter", "litres": "liters", "fibre": "fiber", "fibres": "fibers",
    "calibre": "caliber", "sombre": "somber", "spectre": "specter", "catalogue": "catalog", "catalogues": "catalogs",
    "programme": "program", "programmes": "programs", "grey": "gray", "greys": "grays", "jewellery": "jewelry",
    "defence": "defense", "offence": "offense", "licence": "license", "practise": "practice", "practised": "practiced",
    "practising": "practicing", "aluminium": "aluminum", "tyre": "tire", "tyres": "tires", "plough": "plow",
    "sceptical": "skeptical", "sceptic": "skeptic", "aeroplane": "airplane", "aeroplanes": "airplanes",
    "ageing": "aging", "judgement": "judgment", "moustache": "mustache", "pyjamas": "pajamas",
    "manoeuvre": "maneuver", "manoeuvres": "maneuvers", "encyclopaedia": "encyclopedia", "paediatric": "pediatric",
    "anaemia": "anemia", "haemoglobin": "hemoglobin", "oestrogen": "estrogen", "foetus": "fetus",
    "enrol": "enroll", "enrolment": "enrollment", "fulfil": "fulfill", "fulfilment": "fulfillment",
    "instalment": "installment", "skilful": "skillful", "wilful": "willful", "cheque": "check", "cheques": "checks",
    "kerb": "curb", "draught": "draft", "draughts": "drafts", "mould": "mold", "smoulder": "smolder",
    "storey": "story", "storeys": "stories", "whisky": "whiskey", "doughnut": "donut", "doughnuts": "donuts",
    "okay": "ok", "alright": "all right",
}  # fmt: skip


def _spelling_table() -> dict[str, str]:
    table = {}
    for stem, american in _SPELLING_STEMS.items():
        for suffix in _SPELLING_SUFFIXES:
            table[stem + suffix] = american + suffix
    table.update(_SPELLING_WORDS)
    return table


class EnglishSpellingNormalizer:
    """Map British spellings to American ones, word by word (a built-in table; pass ``extra`` to extend it)."""

    def __init__(self, extra: Mapping[str, str] | None = None):
        self.table = _spelling_table()
        if extra:
            self.table.update({k.lower(): v.lower() for k, v in extra.items()})

    def __call__(self, text: str) -> str:
        return " ".join(self.table.get(word, word) for word in text.split())


class EnglishTextNormalizer:
    """Whisper-style English normalization for WER (implemented here; no download, no external table).

    Args:
        spelling (`Mapping[str, str]`, *optional*): extra British → American (or other canonical) spellings.

    >>> normalize = EnglishTextNormalizer()
    >>> normalize("Mr. Smith's colour TV cost twenty-five dollars [laughter], um, didn't it?")
    'mister smith is color tv cost $25 did not it'
    >>> normalize("I'll be there at nineteen ninety-nine Main St. — ok?")
    'i will be there at 1999 main saint ok'
    """

    def __init__(self, spelling: Mapping[str, str] | None = None):
        self.numbers = EnglishNumberNormalizer()
        self.spelling = EnglishSpellingNormalizer(spelling)

    def __call__(self, text: str) -> str:
        text = text.lower().replace("’", "'").replace("‘", "'")
        text = _PARENTHESIZED.sub(" ", _BRACKETED.sub(" ", text))
        text = _HESITATIONS.sub(" ", text)
        text = _SPACE_APOSTROPHE.sub("'", text)
        if "'" in text or not _REPLACED_WORDS.isdisjoint(_WORD_RUN.findall(text)):
            for pattern, replacement in _COMPILED:
                text = pattern.sub(replacement, text)
        text = _THOUSANDS_COMMA.sub(r"\1\2", text)  # 1,000 -> 1000
        text = _NON_DECIMAL_POINT.sub(r" \1", text)  # a period that is not a decimal point
        text = remove_symbols_and_diacritics(text, keep=".%$¢€£")
        text = self.numbers(collapse_spaces(text))
        text = self.spelling(text)
        text = _DANGLING_SIGN.sub(r" \1", text)  # currency signs / points not followed by a digit
        text = _PERCENT_AFTER_WORD.sub(r"\1 ", text)
        return collapse_spaces(text)
