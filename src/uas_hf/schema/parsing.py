"""Parsing UAS records from what an LLM actually returns, without `eval`.

Two layers:

1. *Syntax* (`load_json_object`): a strict `json.loads` fast path, then a small tolerant tokenizer that re-emits
   strict JSON from fenced / prose-wrapped / Python-flavoured output (single quotes, ``None``/``True``/``False``,
   trailing or missing commas, comments, unquoted keys) before handing it to `json.loads`.
2. *Structure* (`normalize_mapping`): walks the mapping once, maps drifting key spellings
   (``"non_linguistic_events"``, ``"NonLinguisticEvents"``) and synonyms (``"happy"`` -> ``"Happiness"``) to the
   paper's form, and collects *every* problem as a `UASParseError` with a stable code and a field path.

`parse_uas` raises the first problem (all of them in ``.issues``); `UASValidator` turns them into rejections.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import UASParseError, shorten
from .types import (
    PARALINGUISTIC_KEYS,
    Event,
    NonLinguisticEvents,
    Paralinguistics,
    UASRecord,
    build_unchecked,
    check_text,
)
from .vocab import CLOSED_VALUES, NULL_SENTINELS, is_undetermined, normalize_closed


MAX_INPUT_CHARS = 200_000
"""Default size limit of a raw string input. A UAS record is ~0.5-4 kB; LLM output with prose around it stays far
below this, while a runaway generation (or a wrong file) is refused before any work is spent on it."""

_MAX_START_CANDIDATES = 8  # how many `{` positions in prose are tried before giving up (bounds the work per input)
_MAX_NESTED_DECODE = 1  # a JSON string that itself holds JSON (double-encoded output) is decoded once more, no deeper

UNKNOWN_KEY_POLICIES = ("error", "ignore")

# ----------------------------------------------------------------------------------------------------------------
# Key spellings. Exact paper keys hit the first dict; anything else is folded (lower case, alphanumerics only) and
# looked up in the alias table of its level.
# ----------------------------------------------------------------------------------------------------------------
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _fold(key: str) -> str:
    return _NON_ALNUM.sub("", key.lower())


def _aliases(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out = {}
    for canonical, spellings in table.items():
        for spelling in (canonical, *spellings):
            out[_fold(spelling)] = canonical
    return out


_TOP_EXACT = {k: k for k in ("transcription", "paralinguistics", "nonLinguisticEvents")}
_TOP_ALIASES = _aliases(
    {
        "transcription": ("transcript", "transcriptions", "asr", "asr_text", "speech_text", "verbatim"),
        "paralinguistics": ("paralinguistic", "paralinguistic_features", "paralinguistic_attributes", "para"),
        "nonLinguisticEvents": ( "non_linguistic_events", "nonlinguistic", "non_linguistic", "non_speech_events",
            "nonspeech_events", "acoustic_events", "non_linguistic_event", "nonLinguisticEvent", "events",
        ),
    }
)  # fmt: skip
_PARA_EXACT = {k: k for k in PARALINGUISTIC_KEYS}
_PARA_ALIASES = _aliases(
    {
        "age": ("age_group", "agegroup", "speaker_age"),
        "gender": ("sex", "speaker_gender"),
        "emotion": ("emotions", "emotional_state", "speaker_emotion"),
        "accent": ("accents", "dialect", "accent_dialect", "speaker_accent"),
        "prosody": ("prosodic", "prosodic_features", "speaking_style", "intonation"),
        "timbre": ("voice_quality", "voice_timbre", "timbre_description", "voice"),
    }
)
_NLE_EXACT = {"description": "description", "discreteEvents": "discreteEvents", "continuousEvents": "continuousEvents"}
_NLE_ALIASES = _aliases(
    {
        "description": ("desc", "summary", "scene", "scene_description", "overall_description", "environment"),
        "discreteEvents": ("discrete", "discrete_event", "discrete_sounds", "discrete_sound_events", "one_shot_events"),
        "continuousEvents": (
            "continuous", "continuous_event", "continuous_sounds", "continuous_sound_events", "background_events",
            "ambient_events", "background_sounds", "ambient_sounds",
        ),
    }
)  # fmt: skip
_EVENT_EXACT = {"label": "label", "characteristic": "characteristic"}
_EVENT_ALIASES = _aliases(
    {
        "label": ("name", "event", "sound", "event_label", "type"),
        "characteristic": (
            "characteristics",
            "description",
            "attribute",
            "attributes",
            "details",
            "detail",
            "quality",
        ),
    }
)

# ----------------------------------------------------------------------------------------------------------------
# Layer 1: syntax
# ----------------------------------------------------------------------------------------------------------------
_FENCE = re.compile(r"```[^\n`]*\n?(.*?)(?:```|\Z)", re.S)
_DQ_STRICT = r'"(?:[^"\\]|\\.)*"'
# Second attempt: a quote not followed by a structural character is taken as an unescaped quote inside the string.
_DQ_GREEDY = r'"(?:[^"\\]|\\.|"(?!\s*[,}\]:]))*"'
_SQ = r"'(?:[^'\\]|\\.|'(?!\s*[,}\]:]))*'"
_TOKEN_TEMPLATE = r"""
 (?P<ws>\s+)
|(?P<comment>//[^\n]*|/\*.*?\*/)
|(?P<dq>{dq})
|(?P<sq>{sq})
|(?P<smart>[“”][^“”\n]*[”“])
|(?P<punct>[{{}}\[\]:,])
|(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
|(?P<word>[^\W\d][\w\-]*)
"""
_TOKEN_STRICT = re.compile(_TOKEN_TEMPLATE.format(dq=_DQ_STRICT, sq=_SQ), re.S | re.X)
_TOKEN_GREEDY = re.compile(_TOKEN_TEMPLATE.format(dq=_DQ_GREEDY, sq=_SQ), re.S | re.X)
_BARE_VALUE = re.compile(r"[^,}\]\n]*")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?\Z")
_BAD_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|U[0-9a-fA-F]{8}|[\"\\/bfnrt]|.|\Z)", re.S)
_LITERALS = {
    "true": "true", "True": "true", "TRUE": "true",
    "false": "false", "False": "false", "FALSE": "false",
    "null": "null", "None": "null", "NULL": "null", "Null": "null", "none": "null", "undefined": "null",
    "nil": "null", "NaN": "null", "nan": "null",
}  # fmt: skip


def _fix_escape(m: re.Match) -> str:
    seq = m.group(1)
    if len(seq) == 5 or (seq and seq in '"\\/bfnrt'):
        return m.group(0)
    if len(seq) == 3 and seq[0] == "x":  # Python repr: \xNN
        return "\\u00" + seq[1:]
    if len(seq) == 9 and seq[0] == "U":  # Python repr: \UNNNNNNNN, written as a JSON surrogate pair
        code = int(seq[1:], 16)
        if code > 0x10FFFF:
            return "\\\\" + seq
        if code < 0x10000:
            return f"\\u{code:04x}"
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    if seq == "'":
        return "'"
    return "\\\\" + seq  # an escape JSON does not know: keep the backslash literally


def _json_string_body(body: str, quote: str) -> str:
    """Turn the inside of a quoted string (any quote style) into the inside of a JSON string."""
    if "\\" in body:
        body = _BAD_ESCAPE.sub(_fix_escape, body)
    if quote != '"':
        body = body.replace("\\'", "'")
        body = re.sub(r'(?<!\\)((?:\\\\)*)"', r'\1\\"', body)
    elif '"' in body:  # greedy tokenizer: inner unescaped quotes
        body = re.sub(r'(?<!\\)((?:\\\\)*)"', r'\1\\"', body)
    return body


class _RepairFailed(Exception):
    pass


def _repair_from(text: str, start: int, token_re: re.Pattern) -> str:
    """Re-emit strict JSON for the object/array starting at ``text[start]``; raise `_RepairFailed` if impossible."""
    out: list[str] = []
    stack: list[str] = []
    prev = None  # kind of the last emitted token: open, close, value, colon, comma
    pos = start
    n = len(text)
    match = token_re.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            if text[pos] in "\"'":
                raise _RepairFailed(f"unterminated string at offset {pos} (truncated output?)")
            raise _RepairFailed(f"unexpected character {text[pos]!r} at offset {pos}")
        kind = m.lastgroup
        tok = m.group()
        end = m.end()
        if kind == "ws" or kind == "comment":
            pos = end
            continue
        if kind == "punct":
            if tok in "{[":
                if prev in ("value", "close"):
                    out.append(",")
                out.append(tok)
                stack.append("}" if tok == "{" else "]")
                prev = "open"
            elif tok in "}]":
                if not stack:
                    raise _RepairFailed(f"unbalanced {tok!r} at offset {pos}")
                if prev == "comma":
                    out.pop()  # trailing comma
                closer = stack.pop()
                out.append(closer)  # a mismatched closer is replaced by the right one
                prev = "close"
                if not stack:
                    return "".join(out)
            elif tok == ",":
                if prev not in ("comma", "open", None):
                    out.append(",")
                    prev = "comma"
            else:  # ":"
                out.append(":")
                prev = "colon"
            pos = end
            continue
        # a value-like token
        if prev in ("value", "close"):
            out.append(",")  # missing comma between two members
        if kind == "dq":
            body = tok[1:-1]
            if "\\" in body or (token_re is _TOKEN_GREEDY and '"' in body):
                body = _json_string_body(body, '"')
            out.append('"' + body + '"')
        elif kind == "sq" or kind == "smart":
            out.append('"' + _json_string_body(tok[1:-1], "'") + '"')
        elif kind == "num":
            if tok.startswith("+"):
                tok = tok[1:]
            if not _JSON_NUMBER.match(tok):
                tok = repr(float(tok))
            out.append(tok)
        else:  # word
            literal = _LITERALS.get(tok)
            rest = text[end : end + 64].lstrip()
            if rest.startswith(":") and stack and stack[-1] == "}":
                out.append(json.dumps(tok))  # an unquoted key
            elif literal is not None:
                out.append(literal)
            else:
                # an unquoted string value: up to the next structural character or line end
                bare = _BARE_VALUE.match(text, pos).group()
                end = pos + len(bare)
                out.append(json.dumps(bare.strip()))
        prev = "value"
        pos = end
    raise _RepairFailed("the JSON object is not closed (truncated output?)")


def _parse_error(code: str, message: str, value: Any = None) -> UASParseError:
    return UASParseError(message, code=code, path=None, value=shorten(value) if value is not None else None)


def load_json_object(
    obj: str | bytes | bytearray, *, lenient: bool = True, max_chars: int = MAX_INPUT_CHARS
) -> dict[str, Any]:
    """Decode the JSON object in ``obj`` (raw LLM output), repairing common defects when ``lenient``.

    Args:
        obj (`str` or `bytes`):
            The text. Bytes must be UTF-8.
        lenient (`bool`, *optional*, defaults to `True`):
            Repair code fences, prose around the object, single quotes, Python literals, trailing/missing commas,
            comments and unquoted keys. When `False` the text must be exactly one JSON object.
        max_chars (`int`, *optional*, defaults to `MAX_INPUT_CHARS`):
            Inputs longer than this are refused with ``parse.too_large``.

    Raises:
        `UASParseError` with code ``parse.encoding``, ``parse.empty``, ``parse.too_large``, ``parse.no_json``,
        ``parse.invalid_json`` or ``parse.not_object``.

    Example:

    ```python
    >>> load_json_object("Sure! ```json\\n{'age': 'Adult', 'ok': True,}\\n```")
    {'age': 'Adult', 'ok': True}

    ```
    """
    text = _prepare_text(obj, max_chars)
    first_error = None
    if text[0] in '{["':
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            first_error = f"{e.msg} at line {e.lineno} column {e.colno}"
        except RecursionError:
            raise _parse_error("parse.invalid_json", "the input is nested too deeply to be a UAS record.") from None
        else:
            return _as_object(data, lenient, max_chars)
    if not lenient:
        raise _parse_error(
            "parse.invalid_json",
            f"the input is not valid JSON ({first_error or 'it does not start with `{`'}); pass lenient=True to "
            "repair common LLM formatting defects.",
            obj,
        )
    return _repair(text, first_error, "{")


def load_json_array(obj: str | bytes, *, lenient: bool = True, max_chars: int = MAX_INPUT_CHARS) -> list[Any]:
    """Like `load_json_object`, for output whose payload is a JSON array (e.g. a list of chat messages)."""
    text = _prepare_text(obj, max_chars)
    first_error = None
    if text[0] == "[":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            first_error = f"{e.msg} at line {e.lineno} column {e.colno}"
        except RecursionError:
            raise _parse_error("parse.invalid_json", "the input is nested too deeply.") from None
        else:
            if isinstance(data, list):
                return data
    if not lenient:
        raise _parse_error("parse.invalid_json", f"the input is not a JSON array ({first_error}).", obj)
    return _repair(text, first_error, "[")


def _prepare_text(obj: Any, max_chars: int) -> str:
    """Decode, type-check and size-check raw input; return it stripped (never empty)."""
    if isinstance(obj, (bytes, bytearray)):
        if len(obj) > 4 * max_chars:  # a UTF-8 character is at most 4 bytes: cheap pre-check before decoding
            raise _parse_error(
                "parse.too_large", f"the input has {len(obj)} bytes; the limit is {max_chars} characters."
            )
        try:
            obj = bytes(obj).decode("utf-8")
        except UnicodeDecodeError as e:
            raise _parse_error(
                "parse.encoding",
                f"the input is not valid UTF-8 ({e.reason} at byte {e.start}); decode it with the right codec first.",
                bytes(obj[max(0, e.start - 10) : e.start + 10]),
            ) from None
    if not isinstance(obj, str):
        raise UASParseError(
            f"`obj` must be a str, bytes or a mapping; got {type(obj).__name__}.", code="parse.not_object", value=obj
        )
    if len(obj) > max_chars:
        raise _parse_error(
            "parse.too_large",
            f"the input has {len(obj)} characters; the limit is {max_chars}. Raise `max_chars` if this is intended.",
        )
    text = obj.strip().lstrip("\ufeff").strip()
    if not text:
        raise _parse_error("parse.empty", "the input is empty; expected a UAS JSON object.", obj)
    return text


def _as_object(data: Any, lenient: bool, max_chars: int, depth: int = 0) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    if lenient and isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        return data[0]  # `[ {...} ]`: a one-record list
    if lenient and isinstance(data, str) and depth < _MAX_NESTED_DECODE and "{" in data:
        return _as_object(load_json_object(data, lenient=True, max_chars=max_chars), lenient, max_chars, depth + 1)
    raise _parse_error(
        "parse.not_object",
        f"the input is a JSON {type(data).__name__}, expected an object with `transcription`, `paralinguistics` "
        "and `nonLinguisticEvents`.",
        data,
    )


def _candidates(text: str, opener: str) -> list[str]:
    """Texts to search for the payload: fenced blocks first (the LLM's own framing), then the whole text."""
    if "```" not in text:
        return [text]
    blocks = [m.group(1) for m in _FENCE.finditer(text) if opener in m.group(1)]
    return [*blocks, text]


def _repair(text: str, first_error: str | None, opener: str) -> Any:
    last_problem = first_error or "no JSON found"
    found_brace = False
    wanted = dict if opener == "{" else list
    for candidate in _candidates(text, opener):
        start = candidate.find(opener)
        tries = 0
        while start != -1 and tries < _MAX_START_CANDIDATES:
            found_brace = True
            tries += 1
            for token_re in (_TOKEN_STRICT, _TOKEN_GREEDY):
                try:
                    repaired = _repair_from(candidate, start, token_re)
                    data = json.loads(repaired, strict=False)
                except _RepairFailed as e:
                    last_problem = str(e)
                    continue
                except json.JSONDecodeError as e:
                    last_problem = f"{e.msg} after repair"
                    continue
                except RecursionError:
                    raise _parse_error(
                        "parse.invalid_json", "the input is nested too deeply to be a UAS record."
                    ) from None
                if isinstance(data, wanted):
                    return data
            start = candidate.find(opener, start + 1)
    what = "object (`{...}`)" if opener == "{" else "array (`[...]`)"
    if not found_brace:
        raise _parse_error("parse.no_json", f"no JSON {what} found in the input.", text)
    raise _parse_error("parse.invalid_json", f"the JSON {what} could not be repaired: {last_problem}.", text)


# ----------------------------------------------------------------------------------------------------------------
# Layer 2: structure
# ----------------------------------------------------------------------------------------------------------------
class Normalized:
    """The result of one structural pass: normalized values plus every problem found.

    Internal to the schema package (the validator runs its rules on it); `parse_uas` turns it into a `UASRecord`.
    Invalid closed values are stored as `None` with ``para_present`` still `True`, so logic rules see that the LLM
    did claim a speaker attribute.
    """

    __slots__ = (
        "continuous",
        "description",
        "discrete",
        "events_ok",
        "issues",
        "para",
        "para_ok",
        "para_present",
        "transcription",
        "transcription_ok",
    )

    def __init__(self) -> None:
        self.issues: list[UASParseError] = []
        self.transcription: str | None = None
        self.transcription_ok = False
        self.para: list[str | None] = [None] * 6
        self.para_present: list[bool] = [False] * 6
        self.para_ok = False
        self.description: str | None = None
        self.discrete: list[tuple[str, str | None]] = []
        self.continuous: list[tuple[str, str | None]] = []
        self.events_ok = False

    def record(self) -> UASRecord:
        return build_unchecked(
            self.transcription, tuple(self.para), self.description, tuple(self.discrete), tuple(self.continuous)
        )


def _issue(code: str, path: str | None, message: str, value: Any = None, allowed=None) -> UASParseError:
    return UASParseError(message, code=code, path=path, value=value, allowed=allowed)


def _map_keys(
    data: Mapping,
    exact: dict[str, str],
    aliases: dict[str, str],
    where: str,
    lenient: bool,
    unknown_keys: str,
    issues: list[UASParseError],
) -> dict[str, Any]:
    """Return ``{canonical_key: value}``; unknown and colliding keys become issues."""
    if type(data) is dict and data.keys() == exact.keys():
        return data  # fast path: already the paper's keys
    out: dict[str, Any] = {}
    for key, value in data.items():
        canonical = exact.get(key) if type(key) is str else None
        if canonical is None and lenient and type(key) is str:
            canonical = aliases.get(_fold(key))
        if canonical is None:
            if unknown_keys == "ignore":
                continue
            path = f"{where}.{key}" if where else str(key)
            allowed = tuple(dict.fromkeys(exact.values()))
            issues.append(
                _issue(
                    "schema.unknown_key",
                    path,
                    f"`{path}` is not a UAS key; allowed here: {list(allowed)}. Remove it, or parse with "
                    "unknown_keys='ignore'.",
                    key,
                    allowed,
                )
            )
            continue
        if canonical in out:
            path = f"{where}.{canonical}" if where else canonical
            issues.append(
                _issue(
                    "schema.duplicate_key",
                    path,
                    f"`{path}` is given twice (as {key!r} and an earlier spelling); keep one.",
                    key,
                )
            )
            continue
        out[canonical] = value
    return out


_TYPE_NAMES = {dict: "object", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}


def _type_issue(path: str, value: Any, expected: str) -> UASParseError:
    got = "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)
    return _issue("schema.type", path, f"`{path}` must be {expected}; got {got} {shorten(value)}.", value)


def _missing(path: str, issues: list[UASParseError]) -> None:
    issues.append(_issue("schema.missing_key", path, f"`{path}` is missing; every UAS record has it (null if empty)."))


_CLOSED_SETS = {name: frozenset(values) for name, values in CLOSED_VALUES.items()}
_AGE_SET, _GENDER_SET, _EMOTION_SET = _CLOSED_SETS["age"], _CLOSED_SETS["gender"], _CLOSED_SETS["emotion"]
_EVENT_KEYS = frozenset(("label", "characteristic"))
_MAX_SENTINEL_LEN = max(map(len, NULL_SENTINELS))


def _is_clean(value: Any) -> bool:
    """Fast check that ``value`` is already a normal-form open text (ASCII only; others take the full check)."""
    return (
        type(value) is str
        and value.isascii()
        and value != ""
        and not value[0].isspace()
        and not value[-1].isspace()
        and (len(value) > _MAX_SENTINEL_LEN or value.lower() not in NULL_SENTINELS)
    )


def _open_text(value: Any, path: str, lenient: bool, issues: list[UASParseError]) -> str | None:
    """Normalize an open free-text field; `None` for nulls (and on error, after recording the issue)."""
    if value is None:
        return None
    if _is_clean(value):
        return value
    if type(value) is str:
        if lenient:
            value = value.strip()
            if value.lower() in NULL_SENTINELS:
                return None
        try:
            check_text(value, path)
        except UASParseError as e:
            issues.append(e)
            return None
        return value
    if lenient and isinstance(value, list) and value and all(type(v) is str for v in value):
        # ["warm", "breathy"] -> "warm, breathy": a list of descriptors is still one description
        return _open_text(", ".join(v.strip() for v in value if v.strip()), path, lenient, issues)
    issues.append(_type_issue(path, value, "a string or null"))
    return None


def _closed(value: Any, name: str, path: str, lenient: bool, synonyms: bool, issues: list) -> str | None:
    """Normalize a closed-set field; record ``ontology.<name>`` or ``schema.type`` and return `None` on failure."""
    allowed = CLOSED_VALUES[name]
    if value is None or (type(value) is str and value in _CLOSED_SETS[name]):
        return value
    if lenient and isinstance(value, list) and len(value) == 1:
        return _closed(value[0], name, path, lenient, synonyms, issues)  # ["Neutral"]
    if type(value) is str:
        if lenient:
            stripped = value.strip()
            if stripped.lower() in NULL_SENTINELS or is_undetermined(stripped):
                return None
            if synonyms:
                hit = normalize_closed(name, stripped)
            else:
                hit = next((a for a in allowed if a.lower() == stripped.lower()), None)
            if hit is not None:
                return hit
    elif type(value) is int and name == "age":
        # A number of years ("age": 35) is an age *answer*, just not a closed-set one.
        hit = normalize_closed(name, value) if lenient and synonyms else None
        if hit is not None:
            return hit
    else:
        issues.append(_type_issue(path, value, f"one of {list(allowed)} or null"))
        return None
    hint = " (synonyms are mapped only with normalize_synonyms=True)" if lenient and not synonyms else ""
    issues.append(
        _issue(
            f"ontology.{name}",
            path,
            f"`{path}` is {shorten(value)}, which is not one of {list(allowed)}{hint}. Use one of those values or null.",
            value,
            allowed,
        )
    )
    return None


def _normalize_para(data: Any, lenient: bool, synonyms: bool, unknown_keys: str, norm: Normalized) -> None:
    issues = norm.issues
    if data is None:
        if lenient:
            norm.para_ok = True  # `"paralinguistics": null` is the no-speech form
        else:
            issues.append(_type_issue("paralinguistics", data, "an object (with null fields for no speech)"))
        return
    if type(data) is not dict and not isinstance(data, Mapping):
        issues.append(_type_issue("paralinguistics", data, "an object"))
        return
    if type(data) is dict and data.keys() == _PARA_EXACT.keys():
        values = [data["age"], data["gender"], data["emotion"], data["accent"], data["prosody"], data["timbre"]]
        a, g, e, ac, pr, ti = values
        if (
            (a is None or (type(a) is str and a in _CLOSED_SETS["age"]))
            and (g is None or (type(g) is str and g in _CLOSED_SETS["gender"]))
            and (e is None or (type(e) is str and e in _CLOSED_SETS["emotion"]))
            and (ac is None or _is_clean(ac))
            and (pr is None or _is_clean(pr))
            and (ti is None or _is_clean(ti))
        ):  # fast path: already canonical
            norm.para = values
            norm.para_present = [v is not None for v in values]
            norm.para_ok = True
            return
    mapped = _map_keys(data, _PARA_EXACT, _PARA_ALIASES, "paralinguistics", lenient, unknown_keys, issues)
    n_before = len(issues)
    para = norm.para
    present = norm.para_present
    for i, key in enumerate(PARALINGUISTIC_KEYS):
        path = "paralinguistics." + key
        if key not in mapped:
            if not lenient:
                _missing(path, issues)
            continue
        value = mapped[key]
        if i < 3:
            para[i] = _closed(value, key, path, lenient, synonyms, issues)
        else:
            para[i] = _open_text(value, path, lenient, issues)
        # A claimed attribute counts as present even when invalid (the logic rules need to know it was there).
        present[i] = para[i] is not None or (value is not None and len(issues) > n_before)
        n_before = len(issues)
    norm.para_ok = True


def _normalize_events(value: Any, path: str, lenient: bool, unknown_keys: str, issues: list) -> list | None:
    if value is None:
        if lenient:
            return []
        issues.append(_type_issue(path, value, "a list of events"))
        return None
    if lenient:
        if isinstance(value, Mapping):
            if any(_EVENT_EXACT.get(k) or (type(k) is str and _EVENT_ALIASES.get(_fold(k))) for k in value):
                value = [value]  # one event object instead of a list
            else:
                # {"Door slam": "sharp"}: labels mapped to characteristics
                value = [{"label": k, "characteristic": v} for k, v in value.items()]
        elif type(value) is str:
            value = [] if value.strip().lower() in NULL_SENTINELS else [value]
    if not isinstance(value, list):
        issues.append(_type_issue(path, value, "a list of events"))
        return None
    out = []
    for i, item in enumerate(value):
        if type(item) is dict and item.keys() == _EVENT_EXACT.keys():
            label = item["label"]
            characteristic = item["characteristic"]
            if _is_clean(label) and (characteristic is None or _is_clean(characteristic)):
                out.append((label, characteristic))  # fast path: a canonical event
                continue
        item_path = f"{path}[{i}]"
        if lenient and type(item) is str:
            item = {"label": item}
        if not isinstance(item, Mapping):
            issues.append(_type_issue(item_path, item, "an object with `label` and `characteristic`"))
            continue
        n_before = len(issues)
        if lenient or item.keys() - _EVENT_EXACT.keys():
            mapped = _map_keys(item, _EVENT_EXACT, _EVENT_ALIASES, item_path, lenient, unknown_keys, issues)
        else:
            mapped = item
        if "label" not in mapped:
            issues.append(
                _issue(
                    "schema.missing_key", item_path + ".label", f"`{item_path}.label` is missing; every event has one."
                )
            )
            label = None
        else:
            label = _open_text(mapped["label"], item_path + ".label", lenient, issues)
            if label is None and len(issues) == n_before:
                issues.append(
                    _issue(
                        "schema.blank",
                        item_path + ".label",
                        f"`{item_path}.label` is {shorten(mapped['label'])}; an event needs a label.",
                        mapped["label"],
                    )
                )
        if "characteristic" not in mapped:
            if not lenient:
                _missing(item_path + ".characteristic", issues)
            characteristic = None
        else:
            characteristic = _open_text(mapped["characteristic"], item_path + ".characteristic", lenient, issues)
        if len(issues) == n_before:
            out.append((label, characteristic))
    return out


def _normalize_nle(data: Any, lenient: bool, unknown_keys: str, norm: Normalized) -> None:
    issues = norm.issues
    if data is None or (type(data) is not dict and not isinstance(data, Mapping)):
        issues.append(_type_issue("nonLinguisticEvents", data, "an object"))
        return
    mapped = _map_keys(data, _NLE_EXACT, _NLE_ALIASES, "nonLinguisticEvents", lenient, unknown_keys, issues)
    n_before = len(issues)
    if "description" in mapped:
        norm.description = _open_text(mapped["description"], "nonLinguisticEvents.description", lenient, issues)
    elif not lenient:
        _missing("nonLinguisticEvents.description", issues)
    for key, attr in (("discreteEvents", "discrete"), ("continuousEvents", "continuous")):
        path = "nonLinguisticEvents." + key
        if key in mapped:
            events = _normalize_events(mapped[key], path, lenient, unknown_keys, issues)
            if events is not None:
                setattr(norm, attr, events)
        elif not lenient:
            _missing(path, issues)
    norm.events_ok = len(issues) == n_before


_TOP_KEYS = frozenset(("transcription", "paralinguistics", "nonLinguisticEvents"))
_NLE_KEYS = frozenset(("description", "discreteEvents", "continuousEvents"))


def _canonical_fast_path(data: dict) -> Normalized | None:
    """One pass over a record already in canonical form (what `uas-hf validate` mostly sees); `None` at the first
    deviation, and the general walk takes over. It accepts exactly what the general walk accepts unchanged."""
    if data.keys() != _TOP_KEYS:
        return None
    t = data["transcription"]
    if t is not None and not (type(t) is str and t.isascii() and t != "" and not t.isspace()):
        return None
    p = data["paralinguistics"]
    if type(p) is not dict or p.keys() != _PARA_EXACT.keys():
        return None
    para = [p["age"], p["gender"], p["emotion"], p["accent"], p["prosody"], p["timbre"]]
    a, g, e, ac, pr, ti = para
    if not (
        (a is None or (type(a) is str and a in _AGE_SET))
        and (g is None or (type(g) is str and g in _GENDER_SET))
        and (e is None or (type(e) is str and e in _EMOTION_SET))
        and (ac is None or _is_clean(ac))
        and (pr is None or _is_clean(pr))
        and (ti is None or _is_clean(ti))
    ):
        return None
    n = data["nonLinguisticEvents"]
    if type(n) is not dict or n.keys() != _NLE_KEYS:
        return None
    d = n["description"]
    if d is not None and not _is_clean(d):
        return None
    lists = []
    for events in (n["discreteEvents"], n["continuousEvents"]):
        if type(events) is not list:
            return None
        out = []
        for item in events:
            if type(item) is not dict or item.keys() != _EVENT_KEYS:
                return None
            label = item["label"]
            characteristic = item["characteristic"]
            if not _is_clean(label) or (characteristic is not None and not _is_clean(characteristic)):
                return None
            out.append((label, characteristic))
        lists.append(out)
    norm = Normalized()
    norm.transcription = t
    norm.transcription_ok = True
    norm.para = para
    norm.para_present = [v is not None for v in para]
    norm.para_ok = True
    norm.description = d
    norm.discrete, norm.continuous = lists
    norm.events_ok = True
    return norm


def normalize_mapping(
    data: Mapping,
    *,
    lenient: bool = True,
    normalize_synonyms: bool = True,
    unknown_keys: str = "error",
) -> Normalized:
    """Walk one decoded record, normalizing keys and values and collecting every problem (never raises for data)."""
    if type(data) is dict:
        norm = _canonical_fast_path(data)
        if norm is not None:
            return norm
    norm = Normalized()
    issues = norm.issues
    top = _map_keys(data, _TOP_EXACT, _TOP_ALIASES, "", lenient, unknown_keys, issues)
    if "transcription" in top:
        value = top["transcription"]
        if value is None:
            norm.transcription_ok = True
        elif type(value) is str and value.isascii() and not value.isspace() and value != "":
            norm.transcription = value  # fast path: verbatim ASCII text
            norm.transcription_ok = True
        elif type(value) is str:
            if lenient and not value.strip():
                value = None  # an empty transcription is the no-speech form (paper §2.2, rule 3)
            try:
                check_text(value, "transcription", verbatim=True)
            except UASParseError as e:
                issues.append(e)
            else:
                norm.transcription = value
                norm.transcription_ok = True
        else:
            issues.append(_type_issue("transcription", value, "a string or null"))
    else:
        _missing("transcription", issues)
    if "paralinguistics" in top:
        _normalize_para(top["paralinguistics"], lenient, normalize_synonyms, unknown_keys, norm)
    else:
        _missing("paralinguistics", issues)
    if "nonLinguisticEvents" in top:
        _normalize_nle(top["nonLinguisticEvents"], lenient, unknown_keys, norm)
    else:
        _missing("nonLinguisticEvents", issues)
    return norm


def _raise_first(issues: list[UASParseError]) -> None:
    first = issues[0]
    if len(issues) > 1:
        others = "; ".join(f"{e.code} at {e.path or 'input'}" for e in issues[1:4])
        more = f" and {len(issues) - 4} more" if len(issues) > 4 else ""
        error = UASParseError(
            f"{first.message} ({len(issues) - 1} more problem(s): {others}{more})",
            code=first.code,
            path=first.path,
            value=first.value,
            allowed=first.allowed,
        )
        error.issues = list(issues)
        raise error
    raise first


def parse_uas(
    obj: str | bytes | Mapping | UASRecord,
    *,
    lenient: bool = True,
    normalize_synonyms: bool = True,
    unknown_keys: str = "error",
    max_chars: int = MAX_INPUT_CHARS,
) -> UASRecord:
    """Parse one UAS record from raw LLM output, JSON text, bytes or a mapping.

    Args:
        obj (`str`, `bytes`, `Mapping` or `UASRecord`):
            The record. A `UASRecord` is returned unchanged.
        lenient (`bool`, *optional*, defaults to `True`):
            Repair formatting defects (see `load_json_object`), accept drifting key spellings
            (``"non_linguistic_events"``), null spellings (``"N/A"``), surrounding whitespace, missing optional
            sub-fields, and map synonyms of closed values. `False` accepts only the canonical form.
        normalize_synonyms (`bool`, *optional*, defaults to `True`):
            Map synonyms of closed values (``"happy"`` -> ``"Happiness"``); with `False` only case variants of the
            canonical values pass (the paper's stricter "discard synonyms").
        unknown_keys (`str`, *optional*, defaults to `"error"`):
            ``"error"`` or ``"ignore"`` keys that are not part of the schema.
        max_chars (`int`, *optional*, defaults to `MAX_INPUT_CHARS`):
            Size limit for string/bytes input.

    Returns:
        `UASRecord`: the normalized record.

    Raises:
        `UASParseError` (a `ValueError`): with ``.code``, ``.path``, ``.value``, ``.allowed`` of the first problem
        and ``.issues`` listing all of them.

    Example:

    ```python
    >>> raw = '''Here you go:
    ... ```json
    ... {'transcription': 'Hi!', 'paralinguistics': {'age': 'kid', 'gender': 'girl', 'emotion': 'happy'},
    ...  'non_linguistic_events': {'description': None, 'discreteEvents': [], 'continuousEvents': [],},}
    ... ```'''
    >>> parse_uas(raw).paralinguistics
    Paralinguistics(age='Child', gender='Female', emotion='Happiness', accent=None, prosody=None, timbre=None)

    ```
    """
    if isinstance(obj, UASRecord):
        return obj
    if unknown_keys not in UNKNOWN_KEY_POLICIES:
        raise ValueError(f"`unknown_keys` must be one of {list(UNKNOWN_KEY_POLICIES)}; got {unknown_keys!r}.")
    data = obj if isinstance(obj, Mapping) else load_json_object(obj, lenient=lenient, max_chars=max_chars)
    norm = normalize_mapping(data, lenient=lenient, normalize_synonyms=normalize_synonyms, unknown_keys=unknown_keys)
    if norm.issues:
        _raise_first(norm.issues)
    return norm.record()


def parse_event(data: Any, *, lenient: bool = False) -> Event:
    """Parse one event object (strict by default)."""
    issues: list[UASParseError] = []
    events = _normalize_events([data], "event", lenient, "error", issues)
    if issues:
        _raise_first(issues)
    label, characteristic = events[0]
    return Event(label, characteristic)


def parse_paralinguistics(data: Any, *, lenient: bool = False) -> Paralinguistics:
    """Parse the `paralinguistics` object (strict by default)."""
    norm = Normalized()
    _normalize_para(data, lenient, True, "error", norm)
    if norm.issues:
        _raise_first(norm.issues)
    return Paralinguistics(*norm.para)


def parse_non_linguistic_events(data: Any, *, lenient: bool = False) -> NonLinguisticEvents:
    """Parse the `nonLinguisticEvents` object (strict by default)."""
    norm = Normalized()
    _normalize_nle(data, lenient, "error", norm)
    if norm.issues:
        _raise_first(norm.issues)
    return NonLinguisticEvents(
        norm.description,
        tuple(Event(label, ch) for label, ch in norm.discrete),
        tuple(Event(label, ch) for label, ch in norm.continuous),
    )
