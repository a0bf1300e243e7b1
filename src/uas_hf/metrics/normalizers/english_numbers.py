"""Spelled-out English numbers to digits ("twenty one" → "21", "nineteen ninety nine" → "1999"), for WER.

Our own implementation of what Whisper-style English normalization does with numbers: cardinals with hundreds and
scale words, "and" inside numbers, decimals ("three point one four"), ordinals ("twenty first" → "21st"), decade
plurals ("the nineties" → "the 90s"), year-style pairs, signs, currencies and percent.
"""

from decimal import Decimal


_ONES_NAMES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_TENS_NAMES = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
ONES = {name: value for value, name in enumerate(_ONES_NAMES)}
TENS = {name: 10 * (i + 2) for i, name in enumerate(_TENS_NAMES)}
SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12, "quadrillion": 10**15}
ONES_ORDINAL = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
}  # fmt: skip
TENS_ORDINAL = {name[:-1] + "ieth": value for name, value in TENS.items()}
TENS_PLURAL = {name[:-1] + "ies": value for name, value in TENS.items()}
SCALES_ORDINAL = {"hundredth": 100, **{name + "th": value for name, value in SCALES.items()}}
CURRENCY_AFTER = {"dollar": "$", "dollars": "$", "pound": "£", "pounds": "£", "euro": "€", "euros": "€"}
CENTS = ("cent", "cents")
PERCENT = ("percent",)
SIGNS = {"minus": "-", "negative": "-"}


def _is_digits(token: str) -> bool:
    if not token or not token[0].isdigit():
        return False  # the common case (a word), answered without the cost of a failed Decimal parse
    try:
        Decimal(token)
    except ArithmeticError:
        return False
    return token[0].isdigit() and token.replace(".", "", 1).isdigit()


def _format(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def ordinal_suffix(value: int) -> str:
    if value % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


def _numberish(token: str | None) -> bool:
    return token is not None and (
        token in ONES or token in TENS or token in ONES_ORDINAL or token in TENS_ORDINAL or _is_digits(token)
    )


class _Number:
    """A number being read: `total` holds completed scale groups, `current` the part below the next scale."""

    def __init__(self, value: Decimal, kind: str):
        self.total = Decimal(0)
        self.current = value
        self.kind = kind  # "ones", "teens", "tens", "tens+ones", "hundred", "scale", "digits", "year"
        self.last_scale: int | None = None
        self.has_hundred = False

    @property
    def value(self) -> Decimal:
        return self.total + self.current


class EnglishNumberNormalizer:
    """Convert spelled-out numbers in a lower-cased, space-separated string to digits.

    >>> n = EnglishNumberNormalizer()
    >>> n("one hundred and five people in twenty twenty one")
    '105 people in 2021'
    >>> n("three point one four percent of two million three thousand dollars")
    '3.14% of $2003000'
    >>> n("minus five on the twenty first of may in the nineties one two three")
    '-5 on the 21st of may in the 90s 1 2 3'
    """

    def __call__(self, text: str) -> str:
        return " ".join(self._post(self._numbers(text.split())))

    def _numbers(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        number: _Number | None = None
        sign = ""

        def flush(suffix: str = "") -> None:
            nonlocal number, sign
            if number is None:
                return
            out.append(sign + _format(number.value) + suffix)
            number, sign = None, ""

        i = 0
        while i < len(tokens):
            token, nxt = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else None
            i += 1
            if token in SIGNS and number is None and _numberish(nxt):
                sign = SIGNS[token]
                continue
            if token in ONES or token in ONES_ORDINAL:
                ordinal = token in ONES_ORDINAL
                # A bare "second" is nearly always the time unit; only read it as an ordinal after a tens word.
                if token == "second" and not (number is not None and number.kind == "tens"):
                    flush()
                    out.append(token)
                    continue
                value = ONES_ORDINAL[token] if ordinal else ONES[token]
                kind = "teens" if value >= 10 else "ones"
                if number is not None and (
                    (kind == "ones" and number.kind in ("tens", "hundred", "scale", "year"))
                    or (kind == "teens" and number.kind in ("hundred", "scale"))
                ):
                    number.current += value
                    number.kind = "tens+ones" if number.kind in ("tens", "year") else kind
                else:
                    flush()
                    number = _Number(Decimal(value), kind)
                if ordinal:
                    flush(ordinal_suffix(int(number.value)))
                continue
            if token in TENS or token in TENS_ORDINAL or token in TENS_PLURAL:
                value = TENS.get(token) or TENS_ORDINAL.get(token) or TENS_PLURAL[token]
                if number is not None and number.kind in ("hundred", "scale"):
                    number.current += value
                    number.kind = "tens"
                elif (
                    number is not None
                    and number.kind in ("teens", "tens")
                    and not number.has_hundred
                    and number.last_scale is None
                ):
                    # Year-style pairs: "nineteen ninety" -> 1990, "twenty twenty" -> 2020.
                    number.current = number.current * 100 + value
                    number.kind = "year"
                else:
                    flush()
                    number = _Number(Decimal(value), "tens")
                if token in TENS_ORDINAL:
                    flush(ordinal_suffix(int(number.value)))
                elif token in TENS_PLURAL:
                    flush("s")
                continue
            if token in ("hundred", "hundreds", "hundredth"):
                if number is not None and number.current < 100 and not number.has_hundred and number.kind != "digits":
                    number.current = (number.current or 1) * 100
                elif number is not None and number.kind == "digits" and number.current < 100:
                    number.current *= 100
                else:
                    flush()
                    number = _Number(Decimal(100), "hundred")
                number.kind, number.has_hundred = "hundred", True
                if token != "hundred":
                    flush("th" if token == "hundredth" else "s")
                continue
            if token in SCALES or token in SCALES_ORDINAL:
                scale = SCALES.get(token) or SCALES_ORDINAL[token]
                if number is None:
                    number = _Number(Decimal(0), "scale")
                    number.current = Decimal(1)
                if number.last_scale is not None and scale > number.last_scale and number.current == 0:
                    number.total *= scale
                else:
                    number.total += (number.current or 1) * scale
                number.current, number.kind, number.last_scale, number.has_hundred = Decimal(0), "scale", scale, False
                if token in SCALES_ORDINAL:
                    flush("th")
                continue
            if token == "and" and number is not None and number.kind in ("hundred", "scale") and _numberish(nxt):
                continue
            if token == "point" and number is not None and nxt is not None and (nxt in ONES or nxt.isdigit()):
                digits = []
                while i < len(tokens) and (tokens[i] in ONES and ONES[tokens[i]] < 10 or tokens[i].isdigit()):
                    digits.append(str(ONES[tokens[i]]) if tokens[i] in ONES else tokens[i])
                    i += 1
                number.current += Decimal("0." + "".join(digits))
                number.kind = "digits"
                continue
            if _is_digits(token) and (number is None or number.kind not in ("digits",)) and nxt in SCALES:
                flush()
                number = _Number(Decimal(token), "digits")
                continue
            flush()
            out.append(token)
        flush()
        return out

    @staticmethod
    def _post(tokens: list[str]) -> list[str]:
        """Attach units: "5 percent" → "5%", "20 dollars (and) 50 cents" → "$20.50", "50 cents" → "¢50"."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if _is_digits(token.lstrip("-")) and nxt in PERCENT:
                out.append(token + "%")
                i += 2
                continue
            if _is_digits(token.lstrip("-")) and nxt in CURRENCY_AFTER:
                amount, i = token, i + 2
                rest = tokens[i : i + 3]
                if len(rest) >= 2 and rest[0] == "and" and rest[1].isdigit() and len(rest) > 2 and rest[2] in CENTS:
                    cents = int(rest[1])
                    if cents < 100 and "." not in amount:
                        amount, i = f"{amount}.{cents:02d}", i + 3
                elif len(rest) >= 2 and rest[0].isdigit() and rest[1] in CENTS and "." not in amount:
                    cents = int(rest[0])
                    if cents < 100:
                        amount, i = f"{amount}.{cents:02d}", i + 2
                sign = "-" if amount.startswith("-") else ""
                out.append(sign + CURRENCY_AFTER[nxt] + amount.lstrip("-"))
                continue
            if token.isdigit() and nxt in CENTS:
                out.append("¢" + token)
                i += 2
                continue
            out.append(token)
            i += 1
        return out
