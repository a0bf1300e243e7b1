"""The two inference modes of UAS-Audio (paper App. D), batched with left padding.

- **Holistic**: generate the whole UAS JSON for a clip, then parse (`uas_hf.schema.parse_uas`) and validate it
  (`uas_hf.schema.UASValidator`).
- **Targeted**: ask about one field or a multiple-choice question; a short answer.

>>> from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio, synthetic_clip
>>> model, processor = build_tiny_uas_audio()
>>> answers = targeted_inference(model, processor, [synthetic_clip(1.0)], ["What is the speaker's gender?"],
...                              max_new_tokens=4)
>>> len(answers)
1
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...utils.generation import DEFAULT_CACHE_IMPLEMENTATION, cache_kwargs
from ...utils.logging import get_logger


logger = get_logger(__name__)

HOLISTIC_PROMPT = "Describe this audio in the Unified Audio Schema as one JSON object."
MULTIPLE_CHOICE_INSTRUCTION = "Answer with the letter of the correct option."
DEFAULT_HOLISTIC_MAX_NEW_TOKENS = 512  # a full UAS record is ~150-400 tokens
DEFAULT_TARGETED_MAX_NEW_TOKENS = 32


@dataclass
class HolisticResult:
    """One holistic generation: the raw ``text``, the parsed and normalized ``record`` (or `None`) and ``validation``
    (a `uas_hf.schema.ValidationResult`: `.accepted`, `.record`, `.reasons`)."""

    text: str
    record: Any
    validation: Any


def load_for_inference(model_dir: str | os.PathLike, *, device=None, dtype=None):
    """Load a saved UAS-Audio folder for generation: `(model in eval mode, processor)` with left padding."""
    import torch
    from transformers import AutoModelForCausalLM, AutoProcessor

    from .registration import register_auto_classes

    register_auto_classes()
    model_dir = Path(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype or "auto").eval()
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = model.to(device)
    processor = AutoProcessor.from_pretrained(model_dir)
    processor.tokenizer.padding_side = "left"
    return model, processor


def _user_turn(question: str) -> list[dict]:
    return [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": question}]}]


def generate_responses(
    model,
    processor,
    audios: Sequence,
    prompts: Sequence[str],
    *,
    sampling_rate: int | None = None,
    max_new_tokens: int = DEFAULT_TARGETED_MAX_NEW_TOKENS,
    batch_size: int = 16,
    cache_implementation: str = DEFAULT_CACHE_IMPLEMENTATION,
    **generate_kwargs,
) -> list[str]:
    """Greedy (by default) generation for one clip + one question each, in left-padded batches.

    Batching does not change the answers: they equal the batch-size-1 answers (tested).

    Args:
        model (`UASAudioForCausalLM`), processor (`UASAudioProcessor`): as loaded by `load_for_inference`.
        audios (`Sequence`): clips (arrays, paths, `datasets` audio dicts), one per prompt.
        prompts (`Sequence[str]`): the user question for each clip (the chat template adds the audio).
        sampling_rate (`int`, *optional*): rate of array clips; defaults to the feature extractor's.
        max_new_tokens (`int`, *optional*, defaults to 32), batch_size (`int`, *optional*, defaults to 16).
        cache_implementation (`str`, *optional*, defaults to `"static"`): the KV cache, `"static"` or `"dynamic"`
            (see `uas_hf.utils.generation`).
        **generate_kwargs: passed to `model.generate` (`do_sample=False` unless given).

    Returns:
        `list[str]`: the decoded answers, special tokens removed.
    """
    import torch

    if len(audios) != len(prompts):
        raise ValueError(f"Got {len(audios)} audio clips but {len(prompts)} prompts; pass one prompt per clip.")
    generate_kwargs.setdefault("do_sample", False)
    generate_kwargs = {**cache_kwargs(cache_implementation), **generate_kwargs}
    device = next(model.parameters()).device
    answers: list[str] = []
    for start in range(0, len(prompts), batch_size):
        texts = [
            processor.apply_chat_template(_user_turn(p), add_generation_prompt=True)
            for p in prompts[start : start + batch_size]
        ]
        inputs = processor(
            text=texts,
            audio=list(audios[start : start + batch_size]),
            sampling_rate=sampling_rate,
            padding_side="left",
            return_tensors="pt",
        ).to(device)
        inputs["input_features"] = inputs["input_features"].to(model.dtype)
        with torch.inference_mode():
            output = model.generate(**inputs, max_new_tokens=max_new_tokens, **generate_kwargs)
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        answers.extend(processor.batch_decode(new_tokens, skip_special_tokens=True))
    return answers


def holistic_inference(
    model,
    processor,
    audios: Sequence,
    *,
    sampling_rate: int | None = None,
    prompt: str = HOLISTIC_PROMPT,
    max_new_tokens: int = DEFAULT_HOLISTIC_MAX_NEW_TOKENS,
    validator=None,
    durations: Sequence[float] | None = None,
    **generate_kwargs,
) -> list[HolisticResult]:
    """Holistic mode: generate a full UAS record per clip, parse it leniently and validate it.

    Args:
        validator (`uas_hf.schema.UASValidator`, *optional*): defaults to `UASValidator()` (paper rules).
        durations (`Sequence[float]`, *optional*): clip lengths in seconds, for the duration rules.
        Other arguments as in `generate_responses`.
    """
    from ...schema import UASParseError, UASValidator, parse_uas

    validator = validator or UASValidator()
    texts = generate_responses(
        model,
        processor,
        audios,
        [prompt] * len(audios),
        sampling_rate=sampling_rate,
        max_new_tokens=max_new_tokens,
        **generate_kwargs,
    )
    results = []
    for i, text in enumerate(texts):
        try:
            record = parse_uas(text, lenient=True)
        except UASParseError:
            record = None
        duration = durations[i] if durations is not None else None
        results.append(
            HolisticResult(text=text, record=record, validation=validator.validate(text, duration=duration))
        )
    return results


def format_multiple_choice(question: str, options: Sequence[str]) -> str:
    """`question` + lettered options (`"A. text"`, as UAS-QA) + the answer-with-a-letter instruction."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if not 2 <= len(options) <= len(letters):
        raise ValueError(f"`options` must hold 2 to {len(letters)} choices, got {len(options)}.")
    lines = [o if o[:2] == f"{letters[i]}." else f"{letters[i]}. {o}" for i, o in enumerate(options)]
    return "\n".join([question, *lines, MULTIPLE_CHOICE_INSTRUCTION])


def targeted_inference(
    model,
    processor,
    audios: Sequence,
    questions: Sequence[str],
    *,
    options: Sequence[Sequence[str] | None] | None = None,
    sampling_rate: int | None = None,
    max_new_tokens: int = DEFAULT_TARGETED_MAX_NEW_TOKENS,
    **generate_kwargs,
) -> list[str]:
    """Targeted mode: one short answer per (clip, question); with ``options`` the question becomes multiple choice.

    Args:
        questions (`Sequence[str]`): one question per clip (e.g. about one UAS field).
        options (`Sequence[Sequence[str] | None]`, *optional*): per question, the choices (or `None` for open).
        Other arguments as in `generate_responses`.
    """
    prompts = list(questions)
    if options is not None:
        if len(options) != len(prompts):
            raise ValueError(
                f"Got {len(options)} `options` entries for {len(prompts)} questions; pass one per question."
            )
        prompts = [q if o is None else format_multiple_choice(q, o) for q, o in zip(prompts, options)]
    answers = generate_responses(
        model,
        processor,
        audios,
        prompts,
        sampling_rate=sampling_rate,
        max_new_tokens=max_new_tokens,
        **generate_kwargs,
    )
    return [a.strip() for a in answers]


# Single-clip conveniences (used by the Space).
def generate_holistic(model, processor, audio, sampling_rate: int | None = None, **kwargs) -> str:
    """Holistic mode for one clip: the raw generated UAS text."""
    kwargs.setdefault("max_new_tokens", DEFAULT_HOLISTIC_MAX_NEW_TOKENS)
    prompt = kwargs.pop("prompt", HOLISTIC_PROMPT)
    return generate_responses(model, processor, [audio], [prompt], sampling_rate=sampling_rate, **kwargs)[0]


def generate_targeted(model, processor, audio, sampling_rate: int | None, question: str, **kwargs) -> str:
    """Targeted mode for one clip and one question: the short answer."""
    return targeted_inference(model, processor, [audio], [question], sampling_rate=sampling_rate, **kwargs)[0]


__all__ = [
    "HOLISTIC_PROMPT",
    "HolisticResult",
    "format_multiple_choice",
    "generate_holistic",
    "generate_responses",
    "generate_targeted",
    "holistic_inference",
    "load_for_inference",
    "targeted_inference",
]
