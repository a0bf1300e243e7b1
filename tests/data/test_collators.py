"""The audio collator: assistant-only labels, audio never in the loss, padding-free packing equal to padded batches."""

import numpy as np
import pytest
import soundfile as sf
import torch

from uas_hf.data.collators import IGNORE_INDEX, UASAudioCollator, load_audio, pack_lengths
from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio, synthetic_clip


@pytest.fixture(scope="module")
def tiny():
    model, processor = build_tiny_uas_audio()
    return model, processor


def example(seconds: float, answer: str, seed: int = 0, question: str = "What is the emotion?") -> dict:
    return {
        "messages": [
            {"role": "user", "content": [{"type": "audio", "text": None}, {"type": "text", "text": question}]},
            {"role": "assistant", "content": [{"type": "text", "text": answer}]},
        ],
        "audio": {"array": synthetic_clip(seconds, seed=seed), "sampling_rate": 16000},
    }


TEXT_ONLY = {"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "hello there"}]}


def test_labels_are_the_assistant_turn_only(tiny):
    _, processor = tiny
    sample = UASAudioCollator(processor).encode(example(1.0, "happy"))
    trained = [t for t in sample["labels"] if t != IGNORE_INDEX]
    assert processor.tokenizer.decode(trained) == "happy<|im_end|>"
    audio_positions = [i for i, t in enumerate(sample["input_ids"]) if t == processor.audio_token_id]
    assert len(audio_positions) == processor.num_audio_embeddings(16000)
    assert all(sample["labels"][i] == IGNORE_INDEX for i in audio_positions)


def test_labels_match_the_processor_generation_masks(tiny):
    _, processor = tiny
    ex = example(1.5, "a dog barks twice", seed=3)
    sample = UASAudioCollator(processor).encode(ex)
    messages = [dict(m) for m in ex["messages"]]
    messages[0] = {
        "role": "user",
        "content": [{"type": "audio", "audio": ex["audio"]["array"]}, messages[0]["content"][1]],
    }
    reference = processor.apply_chat_template(messages, return_labels=True)
    assert sample["labels"] == reference["labels"][0].tolist()
    assert sample["input_ids"] == reference["input_ids"][0].tolist()


def test_padded_batch_carries_features_in_order(tiny):
    _, processor = tiny
    batch = UASAudioCollator(processor)([example(1.0, "happy"), TEXT_ONLY, example(2.5, "sad", seed=1)])
    assert set(batch) == {"input_ids", "labels", "attention_mask", "input_features", "feature_attention_mask"}
    assert batch["input_ids"].shape[0] == 3
    assert batch["input_features"].shape[0] == 2  # the text-only example has no clip
    assert batch["feature_attention_mask"].sum(-1).tolist() == [100, 250]  # 10-ms frames, in example order
    assert (batch["labels"][batch["attention_mask"] == 0] == IGNORE_INDEX).all()


@pytest.mark.parametrize("attention", ["sdpa", "sdpa_varlen"])
def test_packing_gives_the_same_loss_and_logits_as_padding(tiny, attention):
    """`sdpa`: block-diagonal mask from the position ids; `sdpa_varlen`: per-sample SDPA over `cu_seq_lens_q`."""
    _, processor = tiny
    model, _ = build_tiny_uas_audio()
    if attention == "sdpa_varlen":
        from uas_hf.trainers.varlen_attention import register_varlen_sdpa

        model.set_attn_implementation(register_varlen_sdpa())
    examples = [example(1.0, "happy", 0), example(2.5, "a long answer about the voice", 1), TEXT_ONLY]
    examples.append(example(0.5, "sad", 2))
    padded = UASAudioCollator(processor)(examples)
    packed = UASAudioCollator(processor, packing=True)(examples)
    encode = lambda ex: UASAudioCollator(processor).encode(ex)["input_ids"]  # noqa: E731
    assert "attention_mask" not in packed and packed["input_ids"].shape[0] == 1
    assert packed["use_cache"] is False
    assert packed["cu_seq_lens_q"].tolist() == [0, *np.cumsum([len(s) for s in map(encode, examples)]).tolist()]
    # position ids restart at every sample; no sample is trained to predict the next one's first token
    starts = (packed["position_ids"][0] == 0).nonzero().flatten().tolist()
    assert len(starts) == len(examples)
    assert (packed["labels"][0, starts] == IGNORE_INDEX).all()
    with torch.no_grad():
        out_padded = model(**padded, use_cache=False)
        out_packed = model(**packed)
    assert torch.allclose(out_padded.loss, out_packed.loss, atol=1e-5)
    # token-level: every real token's logits agree between the padded row and its slice of the packed row
    cursor = 0
    for row in range(len(examples)):
        n = int(padded["attention_mask"][row].sum())
        assert torch.allclose(out_padded.logits[row, :n], out_packed.logits[0, cursor : cursor + n], atol=1e-4)
        cursor += n


def test_packing_attention_is_separated(tiny):
    """Changing one packed sample must not change another sample's logits (no cross-sample attention)."""
    model, processor = tiny
    collator = UASAudioCollator(processor, packing=True)
    first = example(1.0, "happy", 0)
    a = collator([first, example(1.0, "sad", 1)])
    b = collator([first, example(1.0, "angry and loud", 5, question="Who speaks?")])
    n = len(collator.encode(first)["input_ids"])
    with torch.no_grad():
        la = model(**a).logits[0, :n]
        lb = model(**b).logits[0, :n]
    assert torch.allclose(la, lb, atol=1e-5)


def test_max_packed_length_makes_several_rows(tiny):
    _, processor = tiny
    examples = [example(1.0, "happy", i) for i in range(4)]
    n = len(UASAudioCollator(processor).encode(examples[0])["input_ids"])
    batch = UASAudioCollator(processor, packing=True, max_packed_length=2 * n)(examples)
    assert batch["input_ids"].shape == (2, 2 * n)
    assert batch["input_features"].shape[0] == 4


def test_pack_lengths_first_fit_decreasing():
    assert pack_lengths([5, 3, 4, 2], 7) == [[0, 3], [1, 2]]
    assert pack_lengths([1, 1, 1], None) == [[0, 1, 2]]
    with pytest.raises(ValueError, match="max_packed_length"):
        pack_lengths([9], 8)


def test_loss_on_every_token_when_assistant_only_loss_is_off(tiny):
    _, processor = tiny
    sample = UASAudioCollator(processor, assistant_only_loss=False).encode(example(1.0, "happy"))
    non_audio = [t for t in sample["input_ids"] if t != processor.audio_token_id]
    assert [t for t in sample["labels"] if t != IGNORE_INDEX] == non_audio


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: {**example(1.0, "x"), "audio": [example(1.0, "x")["audio"]] * 2}, r"1 audio placeholder.*2 audio"),
        (lambda: {"text": "hello"}, r"no `messages` column"),
        (lambda: {"messages": [{"role": "user", "content": "hi"}]}, r"no assistant turn"),
        (lambda: {**example(1.0, "x"), "audio": None}, r"1 audio placeholder.*0 audio"),
    ],
)
def test_bad_examples_name_the_problem(tiny, make, match):
    _, processor = tiny
    with pytest.raises(ValueError, match=match):
        UASAudioCollator(processor)([make()])


def test_truncation_never_cuts_audio(tiny):
    _, processor = tiny
    with pytest.raises(ValueError, match=r"`max_length`=20 would cut its audio placeholders"):
        UASAudioCollator(processor, max_length=20).encode(example(1.0, "happy"))
    n = len(UASAudioCollator(processor).encode(example(1.0, "happy"))["input_ids"])
    sample = UASAudioCollator(processor, max_length=n - 2).encode(example(1.0, "happy"))
    assert len(sample["input_ids"]) == n - 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_length": 0}, "max_length"),
        ({"max_packed_length": 64}, "packing=True"),
        ({"packing": True, "max_packed_length": 32, "max_length": 64}, "max_length"),
    ],
)
def test_bad_settings(tiny, kwargs, match):
    _, processor = tiny
    with pytest.raises(ValueError, match=match):
        UASAudioCollator(processor, **kwargs)


def test_load_audio_accepts_paths_dicts_and_arrays(tmp_path):
    clip = synthetic_clip(0.5)
    path = tmp_path / "clip.wav"
    sf.write(path, clip, 16000)
    assert np.allclose(load_audio(str(path), 16000), clip, atol=1e-4)
    assert np.allclose(load_audio({"path": str(path)}, 16000), clip, atol=1e-4)
    stereo_8k = np.stack([clip[::2], clip[::2]], axis=1)
    assert load_audio({"array": stereo_8k, "sampling_rate": 8000}, 16000).shape == (8000,)
    assert load_audio(clip, 16000) is not None
    with pytest.raises(TypeError, match="Cannot read audio"):
        load_audio(object(), 16000)


def test_cu_seq_lens_cover_rows_and_tail_padding(tiny):
    _, processor = tiny
    examples = [example(1.0, "happy", i) for i in range(3)]
    n = len(UASAudioCollator(processor).encode(examples[0])["input_ids"])
    batch = UASAudioCollator(processor, packing=True, max_packed_length=2 * n + 5)(examples)
    width = batch["input_ids"].shape[1]
    assert width == 2 * n  # two rows: [n, n] and [n] + tail padding
    assert batch["cu_seq_lens_q"].tolist() == [0, n, 2 * n, 3 * n, 4 * n]
    assert batch["max_length_q"] == n
