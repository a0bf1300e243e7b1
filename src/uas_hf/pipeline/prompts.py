"""Prompts of the model-backed stages (our own wording of what paper §2.2 and App. H Fig. 6 require).

Stage 1 asks an audio model for the descriptive caption the paper's captioner writes (speaker age, gender, emotion,
accent, prosody, timbre; background, discrete and continuous sounds). Stage 2 turns caption + ground-truth transcript
into UAS JSON under Fig. 6's rules: the transcript copied verbatim, closed sets for age / gender / emotion, unique
event labels, JSON only.
"""

from __future__ import annotations

import json


CAPTION_PROMPT = (
    "Listen to the recording and describe it in detail, in plain sentences.\n"
    "If a human voice is present, describe the speaker: apparent age group (child, adult or elderly), gender, "
    "emotional state, accent or language variety, prosody (pace, pitch range, intonation, rhythm, emphasis) and "
    "timbre (the texture of the voice, e.g. breathy, nasal, warm, bright, hoarse).\n"
    "Then describe everything that is not speech: the overall acoustic environment, each distinct one-off sound "
    "(what it is, when it happens, how it sounds) and each continuous sound or music in the background.\n"
    "If there is no human voice, say so. Describe only what can be heard; say 'unclear' rather than guess."
)


def synthesis_prompt(caption: str, transcription: str | None) -> str:
    """The Stage-2 instruction for one sample: Fig. 6's requirements, the caption and the ground-truth transcript.

    Example:

    ```python
    >>> "verbatim" in synthesis_prompt("A man speaks calmly.", "Hello.")
    True

    ```
    """
    from ..schema import AGE_VALUES, EMOTION_VALUES, GENDER_VALUES

    def options(values):
        return ", ".join(f'"{v}"' for v in values)

    if transcription is None:
        transcript_block = "GROUND-TRUTH TRANSCRIPT: none (the recording contains no speech)."
    else:
        transcript_block = "GROUND-TRUTH TRANSCRIPT (copy it verbatim):\n" + json.dumps(
            transcription, ensure_ascii=False
        )
    return (
        "You convert a description of an audio recording into one JSON object in the Unified Audio Schema.\n\n"
        "Fields:\n"
        '- "transcription": the ground-truth transcript below, copied verbatim: same words, spelling, casing and '
        "punctuation; do not correct, translate or paraphrase it. Use null when there is no speech.\n"
        '- "paralinguistics": an object describing the speaker, or all fields null when there is no speech:\n'
        f'  - "age": exactly one of {options(AGE_VALUES)}, or null if the description does not say;\n'
        f'  - "gender": exactly one of {options(GENDER_VALUES)}, or null if the description does not say;\n'
        f'  - "emotion": exactly one of {options(EMOTION_VALUES)}; no other word is allowed; null if the '
        "description does not say;\n"
        '  - "accent": the accent or language variety in a few words (e.g. "Scottish English"), or null;\n'
        '  - "prosody": how it is said: pace, pitch movement, intonation, rhythm, emphasis;\n'
        '  - "timbre": the quality or colour of the voice (e.g. "breathy", "warm", "nasal"); timbre is not '
        "prosody.\n"
        '- "nonLinguisticEvents": an object with\n'
        '  - "description": one sentence about the non-speech content and the setting;\n'
        '  - "discreteEvents": a list of one-off sounds (e.g. a door slam, a car horn), each '
        '{"label": ..., "characteristic": ...} with a brief characteristic (intensity, duration, quality);\n'
        '  - "continuousEvents": a list of sounds lasting through the recording (engine noise, rain, music), '
        "same item format.\n\n"
        "Rules:\n"
        "- No speech: transcription null and every paralinguistics field null.\n"
        "- Every event label is unique and names the kind of sound; never repeat a label.\n"
        "- Use only information in the description and the transcript; do not invent attributes.\n"
        "- Answer with the JSON object only: no preamble, no explanation, no Markdown fences.\n\n"
        f"DESCRIPTION:\n{caption}\n\n{transcript_block}"
    )
