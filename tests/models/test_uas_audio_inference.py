"""The two inference modes (paper App. D): holistic UAS JSON (parsed + validated) and targeted short answers."""

import pytest

from uas_hf.models.uas_audio.inference import (
    format_multiple_choice,
    generate_holistic,
    generate_responses,
    generate_targeted,
    holistic_inference,
    load_for_inference,
    targeted_inference,
)
from uas_hf.models.uas_audio.tiny import synthetic_clip


def test_holistic_mode_parses_and_validates(tiny_model):
    model, processor = tiny_model("whisper")
    results = holistic_inference(
        model, processor, [synthetic_clip(1.0), synthetic_clip(2.0, seed=1)], max_new_tokens=8
    )
    assert len(results) == 2
    for result in results:
        assert isinstance(result.text, str)
        # A random tiny model writes no valid UAS: the validator says why instead of raising.
        assert result.record is None and not result.validation.accepted
        assert result.validation.reasons and result.validation.reasons[0].code.startswith("parse.")


def test_targeted_mode_short_answers_and_multiple_choice(tiny_model):
    model, processor = tiny_model("qwen2_audio")
    clips = [synthetic_clip(1.0), synthetic_clip(0.5, seed=2)]
    answers = targeted_inference(
        model,
        processor,
        clips,
        ["What is the gender of the speaker?", "Which sound is it?"],
        options=[None, ["dog", "rain", "siren"]],
        max_new_tokens=4,
    )
    assert len(answers) == 2 and all(isinstance(a, str) for a in answers)
    assert format_multiple_choice("Which sound is it?", ["dog", "B. rain"]) == (
        "Which sound is it?\nA. dog\nB. rain\nAnswer with the letter of the correct option."
    )


def test_batched_helpers_equal_one_at_a_time(tiny_model, clips):
    model, processor = tiny_model("qwen3_omni")
    prompts = [f"Question {i}?" for i in range(len(clips))]
    kwargs = {"max_new_tokens": 6, "min_new_tokens": 6}
    batched = generate_responses(model, processor, clips, prompts, batch_size=8, **kwargs)
    assert batched == [generate_responses(model, processor, [c], [p], **kwargs)[0] for c, p in zip(clips, prompts)]


@pytest.mark.parametrize("encoder", ["whisper", "qwen3_omni"])
def test_static_and_dynamic_kv_cache_give_the_same_answers(tiny_model, clips, encoder):
    """The batched paths default to a preallocated StaticCache (no per-step cache copy); greedy answers must equal
    transformers' DynamicCache ones, batched and one at a time."""
    model, processor = tiny_model(encoder)
    prompts = [f"Question {i}?" for i in range(len(clips))]
    kwargs = {"max_new_tokens": 12, "min_new_tokens": 12, "batch_size": 8}
    static = generate_responses(model, processor, clips, prompts, cache_implementation="static", **kwargs)
    dynamic = generate_responses(model, processor, clips, prompts, cache_implementation="dynamic", **kwargs)
    assert static == dynamic
    assert static[:2] == [
        generate_responses(model, processor, [c], [p], cache_implementation="dynamic", **kwargs)[0]
        for c, p in zip(clips[:2], prompts[:2])
    ]
    with pytest.raises(ValueError, match="`cache_implementation` must be one of static, dynamic; got 'paged'"):
        generate_responses(model, processor, clips[:1], prompts[:1], cache_implementation="paged")


def test_single_clip_helpers_and_loading(tiny_model, tmp_path):
    model, processor = tiny_model("whisper")
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    loaded, loaded_processor = load_for_inference(tmp_path, device="cpu")
    clip = synthetic_clip(1.0)
    assert generate_holistic(loaded, loaded_processor, clip, 16000, max_new_tokens=5) == generate_holistic(
        model, processor, clip, 16000, max_new_tokens=5
    )
    assert isinstance(generate_targeted(loaded, loaded_processor, clip, 16000, "Gender?", max_new_tokens=3), str)


def test_mismatched_lengths(tiny_model):
    model, processor = tiny_model("whisper")
    with pytest.raises(ValueError, match="Got 1 audio clips but 2 prompts"):
        generate_responses(model, processor, [synthetic_clip(1.0)], ["a", "b"])
    with pytest.raises(ValueError, match="`options` must hold 2 to 26 choices, got 1"):
        format_multiple_choice("q", ["only"])
