"""Prompt templates of the evaluation runner: each benchmark's own convention, by name, or a format string of yours.

The audio is not part of the text: the processor's chat template puts it before the prompt (one user turn, audio
first, as every harness below does). A template is a Python format string over these fields:

| field | value |
|---|---|
| `{question}` | the record's question |
| `{options}` | lettered options, one per line: `A. text` (MMSU: always A-D; a null option shows as `None`) |
| `{choices}` | the option texts, one per line, without letters |
| `{n}` | the number of options |
| `{letters}` | `A, B, C, and D` (as many letters as options) |

`asr` and `uas` templates take no field (the same instruction for every clip).

| name | benchmarks | text (`\\n` = newline) | source |
|---|---|---|---|
| `uas` (default) | mmsu, mmau, mmar | `{question}\\n\\n{options}` | Tencent UAS evaluator, prompt for the UAS model (benchmarks.md §1.5, §2.5, §3.4) |
| `uas-qa` | mmsu, mmau, mmar | `{question}\\n{options}` | UAS-QA training format (`uas_hf.data.qa`) |
| `mmsu-official` | mmsu | `Choose the most suitable answer from options A, B, C, and D. You must respond with only A, B, C, or D.\\n\\nQuestion: {question}\\n\\n{options}` | MMSU 2026 `mmsu_inference.py` (§1.3) |
| `mmsu-official-2025` | mmsu | `Choose the most suitable answer from options A, B, C, and D to respond the question in next line, **you should only choose A or B or C or D.** Do not provide any additional explanations or content.\\n\\nQuestion: {question}\\n\\n{options}` | MMSU_Bench 2025 (§1.3) |
| `choice-text` | mmau, mmar | `{question}\\n\\nChoice: \\n{choices}\\n\\nChoose a choices from the given {n} choices. Do not provide any additional explanations or content. Output must match exactly one of the listed choices.` | Tencent / MiMo prompt for non-UAS models (§2.5, §3.4); their `<sound>` marker is the audio, placed by the chat template here |
| `transcribe` (default) | asr | `Transcribe any speech in this audio.` | UAS-QA direct question for `transcription` |
| `holistic` (default) | uas | `Describe this audio in the Unified Audio Schema as one JSON object.` | `uas_hf.models.uas_audio.inference.HOLISTIC_PROMPT` |

Scoring consequences (benchmarks.md §0): the official MMAU/MMAR scorers match the whole response against the option
*text*, so a model that answers a lettered prompt with a bare letter scores 0 there while Tencent's MMAU scorer
accepts it. The runner always reports both scorings.

>>> template = get_prompt_template("mmau")
>>> template.name
'uas'
>>> print(template.format(question="What is heard?", choices=["A dog", "A cat"]))
What is heard?
<BLANKLINE>
A. A dog
B. A cat
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass


LETTERS = string.ascii_uppercase
MULTIPLE_CHOICE = ("mmsu", "mmau", "mmar")
BENCHMARKS = (*MULTIPLE_CHOICE, "asr", "uas")
FIELDS = ("question", "options", "choices", "n", "letters")

HOLISTIC_INSTRUCTION = "Describe this audio in the Unified Audio Schema as one JSON object."
TRANSCRIBE_INSTRUCTION = "Transcribe any speech in this audio."


@dataclass(frozen=True)
class PromptTemplate:
    """A named prompt convention.

    Attributes:
        name (`str`): the name given to `--prompt-template` (`"custom"` for a format string of yours).
        text (`str`): the format string.
        benchmarks (`tuple[str, ...]`): benchmarks it is meant for.
        source (`str`): where the convention comes from.

    >>> PromptTemplate("custom", "Q: {question}\\n{options}", ("mmau",)).format(question="Q?", choices=["x", "y"])
    'Q: Q?\\nA. x\\nB. y'
    """

    name: str
    text: str
    benchmarks: tuple[str, ...]
    source: str = ""

    def format(self, question: str | None = None, choices: Sequence[str | None] | None = None) -> str:
        """The prompt for one record (`question` and `choices` are ignored by templates without those fields)."""
        if choices is None:
            if _fields(self.text):
                raise ValueError(f"prompt template {self.name!r} needs `question` and `choices`; got none.")
            return self.text.format()  # turns escaped {{ }} into literal braces
        shown = ["None" if c is None else str(c) for c in choices]  # MMSU null options, as the official script
        letters = LETTERS[: len(shown)]
        letter_list = ", ".join(letters[:-1]) + (", and " if len(letters) > 2 else " and ") + letters[-1]
        return self.text.format(
            question=question or "",
            options="\n".join(f"{letter}. {text}" for letter, text in zip(letters, shown)),
            choices="\n".join(shown),
            n=len(shown),
            letters=letter_list,
        )


PROMPT_TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t
    for t in (
        PromptTemplate(
            "uas", "{question}\n\n{options}", MULTIPLE_CHOICE, "Tencent UAS evaluator, prompt for the UAS model"
        ),
        PromptTemplate("uas-qa", "{question}\n{options}", MULTIPLE_CHOICE, "UAS-QA training format"),
        PromptTemplate(
            "mmsu-official",
            "Choose the most suitable answer from options A, B, C, and D. You must respond with only A, B, C, or D."
            "\n\nQuestion: {question}\n\n{options}",
            ("mmsu",),
            "MMSU 2026 mmsu_inference.py",
        ),
        PromptTemplate(
            "mmsu-official-2025",
            "Choose the most suitable answer from options A, B, C, and D to respond the question in next line, "
            "**you should only choose A or B or C or D.** Do not provide any additional explanations or content."
            "\n\nQuestion: {question}\n\n{options}",
            ("mmsu",),
            "MMSU_Bench 2025 mmsu_inference.py",
        ),
        PromptTemplate(
            "choice-text",
            "{question}\n\nChoice: \n{choices}\n\nChoose a choices from the given {n} choices. Do not provide any "
            "additional explanations or content. Output must match exactly one of the listed choices.",
            ("mmau", "mmar"),
            "Tencent / MiMo-Audio-Eval prompt for non-UAS models",
        ),
        PromptTemplate("transcribe", TRANSCRIBE_INSTRUCTION, ("asr",), "UAS-QA direct question for `transcription`"),
        PromptTemplate("holistic", HOLISTIC_INSTRUCTION, ("uas",), "UAS-Audio holistic mode (paper App. D)"),
    )
}
DEFAULT_TEMPLATES = {"mmsu": "uas", "mmau": "uas", "mmar": "uas", "asr": "transcribe", "uas": "holistic"}


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as e:
        raise ValueError(
            f"`prompt_template` {text!r} is not a valid format string ({e}); write literal braces as {{{{ and }}}}."
        ) from e


def get_prompt_template(benchmark: str, template: str | None = None) -> PromptTemplate:
    """Resolve ``template`` (a name from `PROMPT_TEMPLATES`, a format string, or `None` for the default) for
    ``benchmark``.

    Raises:
        `ValueError`: an unknown name, a name meant for other benchmarks, a format string with unknown fields, or
        fields in an `asr` / `uas` template.

    >>> get_prompt_template("mmsu", "mmsu-official").source
    'MMSU 2026 mmsu_inference.py'
    >>> get_prompt_template("mmar", "Q: {question} {choices}").name
    'custom'
    """
    if benchmark not in BENCHMARKS:
        raise ValueError(f"`benchmark` must be one of {', '.join(BENCHMARKS)}; got {benchmark!r}.")
    if template is None:
        return PROMPT_TEMPLATES[DEFAULT_TEMPLATES[benchmark]]
    if template in PROMPT_TEMPLATES:
        named = PROMPT_TEMPLATES[template]
        if benchmark not in named.benchmarks:
            fitting = [name for name, t in PROMPT_TEMPLATES.items() if benchmark in t.benchmarks]
            raise ValueError(
                f"`prompt_template` {template!r} is meant for {', '.join(named.benchmarks)}, not {benchmark}; use one "
                f"of {', '.join(fitting)} or a format string."
            )
        return named
    fields = _fields(template)
    if benchmark in MULTIPLE_CHOICE:
        unknown = sorted(fields - set(FIELDS))
        if unknown:
            raise ValueError(
                f"`prompt_template` {template!r} uses unknown field(s) {unknown}; a {benchmark} template may use "
                f"{', '.join('{' + f + '}' for f in FIELDS)}, or be one of the names {', '.join(PROMPT_TEMPLATES)}."
            )
        if not fields & {"question"} or not fields & {"options", "choices"}:
            raise ValueError(
                f"`prompt_template` {template!r} must show the question and the options: include {{question}} and "
                "{options} (lettered) or {choices} (bare texts)."
            )
    elif fields:
        raise ValueError(
            f"`prompt_template` for {benchmark} is one instruction for every clip and takes no fields; got "
            f"{sorted(fields)} in {template!r}."
        )
    return PromptTemplate("custom", template, (benchmark,), "given on the command line")


__all__ = [
    "BENCHMARKS",
    "DEFAULT_TEMPLATES",
    "HOLISTIC_INSTRUCTION",
    "MULTIPLE_CHOICE",
    "PROMPT_TEMPLATES",
    "TRANSCRIBE_INSTRUCTION",
    "PromptTemplate",
    "get_prompt_template",
]
