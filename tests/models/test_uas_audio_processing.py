"""UASAudioProcessor: audio normalisation, placeholder expansion, batching, labels, chat template, bad input."""

import numpy as np
import pytest
import soundfile
import torch

from conftest import user_turn
from uas_hf.models.uas_audio import UASAudioProcessor
from uas_hf.models.uas_audio.processing_uas_audio import resample
from uas_hf.models.uas_audio.tiny import SAMPLING_RATE, build_tiny_processor, synthetic_clip


@pytest.fixture(scope="module")
def processor():
    return build_tiny_processor("whisper")


def _prompt(processor, n_audio=1):
    return processor.apply_chat_template(user_turn("What is it?", n_audio), add_generation_prompt=True)


def test_chat_template_matches_qwen2_audio_layout(processor):
    assert _prompt(processor) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
        "Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>\nWhat is it?<|im_end|>\n<|im_start|>assistant\n"
    )


@pytest.mark.parametrize("role", ["tool", "narrator", "User"])
def test_chat_template_raises_on_unknown_role(processor, role):
    with pytest.raises(Exception, match=f"Unknown chat role {role}"):
        processor.apply_chat_template([{"role": role, "content": "hi"}])


def test_chat_template_raises_on_unknown_content_type(processor):
    with pytest.raises(Exception, match="Unknown content type image"):
        processor.apply_chat_template([{"role": "user", "content": [{"type": "image"}]}])


def test_placeholders_expand_to_formula_count(processor):
    clips = [synthetic_clip(s, seed=i) for i, s in enumerate((0.2, 1.0, 6.3))]
    inputs = processor(text=[_prompt(processor)] * 3, audio=clips, return_tensors="pt")
    audio_id = processor.audio_token_id
    for row, clip in zip(inputs["input_ids"], clips):
        assert int((row == audio_id).sum()) == processor.num_audio_embeddings(clip.shape[0])
    assert inputs["input_features"].shape == (3, 80, 1000)  # the 6.3-s clip spans two 5-s windows
    assert inputs["feature_attention_mask"].sum(-1).tolist() == [20, 100, 630]


def test_several_clips_in_one_prompt(processor):
    inputs = processor(text=_prompt(processor, n_audio=2), audio=[synthetic_clip(0.5), synthetic_clip(1.5, seed=1)])
    assert inputs["input_ids"][0].count(processor.audio_token_id) == 13 + 38
    assert len(inputs["input_features"]) == 2


def test_resampling_any_rate(processor):
    clip = synthetic_clip(1.0)
    for rate in (8000, 22050, 44100, 48000):
        resampled = resample(clip, SAMPLING_RATE, rate)
        inputs = processor(text=_prompt(processor), audio=resampled, sampling_rate=rate)
        assert inputs["feature_attention_mask"][0].sum() == 100, rate  # 1 s at 16 kHz: 100 frames


def test_stereo_is_downmixed(processor):
    left, right = synthetic_clip(1.0, seed=1), synthetic_clip(1.0, seed=2)
    mono = processor(text=_prompt(processor), audio=(left + right) / 2, return_tensors="np")["input_features"]
    for stereo in (np.stack([left, right]), np.stack([left, right], axis=1)):
        features = processor(text=_prompt(processor), audio=stereo, return_tensors="np")["input_features"]
        np.testing.assert_allclose(features, mono, atol=1e-5)


def test_file_paths_and_torch_tensors(processor, tmp_path):
    clip = synthetic_clip(0.7)
    path = tmp_path / "clip_44k.wav"
    soundfile.write(path, resample(clip, SAMPLING_RATE, 44100), 44100)
    from_path = processor(text=_prompt(processor), audio=str(path), return_tensors="np")
    from_tensor = processor(text=_prompt(processor), audio=torch.from_numpy(clip), return_tensors="np")
    assert from_path["input_ids"].tolist() == from_tensor["input_ids"].tolist()
    # Equal up to the resampler's roll-off near Nyquist (the top mel bins) and 16-bit WAV quantisation.
    np.testing.assert_allclose(from_path["input_features"][:, :70], from_tensor["input_features"][:, :70], atol=0.05)


def test_a_list_of_paths_is_one_clip_per_path(processor, tmp_path):
    # regression: np.isscalar("a.wav") is True, so a list of paths was once read as one clip of floats
    clips = [synthetic_clip(0.6, seed=3), synthetic_clip(1.1, seed=4)]
    paths = []
    for i, clip in enumerate(clips):
        paths.append(str(tmp_path / f"clip_{i}.wav"))
        soundfile.write(paths[-1], clip, SAMPLING_RATE, subtype="FLOAT")
    text = [_prompt(processor), _prompt(processor)]
    from_paths = processor(text=text, audio=paths, return_tensors="np")
    from_arrays = processor(text=text, audio=clips, return_tensors="np")
    assert from_paths["input_ids"].tolist() == from_arrays["input_ids"].tolist()
    np.testing.assert_allclose(from_paths["input_features"], from_arrays["input_features"], atol=1e-5)


def test_batched_padding_is_left_for_generation(processor):
    inputs = processor(
        text=[_prompt(processor), "Short " + processor.audio_token],
        audio=[synthetic_clip(0.5), synthetic_clip(0.5)],
        return_tensors="pt",
    )
    assert inputs["attention_mask"][1, 0] == 0 and inputs["attention_mask"][1, -1] == 1
    assert inputs["input_ids"][1, 0] == processor.tokenizer.pad_token_id


def test_labels_cover_assistant_tokens_only(processor):
    conversations = [
        user_turn("Describe.") + [{"role": "assistant", "content": '{"transcription": null}'}],
        [{"role": "system", "content": "Be brief."}]
        + user_turn("Who speaks?")
        + [{"role": "assistant", "content": [{"type": "text", "text": "A child."}]}],
    ]
    for conversation, clip in zip(conversations, (synthetic_clip(1.0), synthetic_clip(2.0, seed=1))):
        conversation[-2]["content"][0]["audio"] = clip
    out = processor.apply_chat_template(conversations, return_labels=True, return_tensors="pt")
    assert set(out) == {"input_ids", "attention_mask", "input_features", "feature_attention_mask", "labels"}
    decoded = [processor.decode(ids[labels != -100]) for ids, labels in zip(out["input_ids"], out["labels"])]
    assert decoded == ['{"transcription": null}<|im_end|>', "A child.<|im_end|>"]
    audio = out["input_ids"] == processor.audio_token_id
    assert audio.any() and (out["labels"][audio] == -100).all()
    assert (out["labels"][out["attention_mask"] == 0] == -100).all()


def test_save_load_round_trip(processor, tmp_path):
    processor.save_pretrained(tmp_path)
    loaded = UASAudioProcessor.from_pretrained(tmp_path)
    assert loaded.audio_length_kwargs == processor.audio_length_kwargs
    assert loaded.window_frames == processor.window_frames and loaded.chat_template == processor.chat_template
    clip = synthetic_clip(1.3)
    a = processor(text=_prompt(processor), audio=clip, return_tensors="np")
    b = loaded(text=_prompt(processor), audio=clip, return_tensors="np")
    assert a["input_ids"].tolist() == b["input_ids"].tolist()
    np.testing.assert_array_equal(a["input_features"], b["input_features"])


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "text_audios, n_placeholders, n_clips",
    [((1, 2), 1, 2), ((2, 1), 2, 1), ((0, 1), 0, 1), ((1, 0), 1, 0)],
)
def test_placeholder_clip_count_mismatch(processor, text_audios, n_placeholders, n_clips):
    n_in_text, n_audio = text_audios
    audio = [synthetic_clip(0.5, seed=i) for i in range(n_audio)] or None
    with pytest.raises(ValueError, match=rf"Got {n_placeholders} .* placeholder\(s\) in `text` but {n_clips} audio"):
        processor(text="x " + processor.audio_token * n_in_text, audio=audio)


@pytest.mark.parametrize(
    "audio, error, pattern",
    [
        (np.zeros(0, dtype=np.float32), ValueError, r"`audio\[0\]` is empty \(0 samples\)"),
        (np.zeros(16000, dtype=np.float32), ValueError, r"`audio\[0\]` is digital silence.*allow_silent_audio=True"),
        (np.array([0.1, np.nan] * 800, dtype=np.float32), ValueError, r"`audio\[0\]` contains NaN or inf"),
        (np.array([0.1, np.inf] * 800, dtype=np.float32), ValueError, r"`audio\[0\]` contains NaN or inf"),
        (np.ones((2, 2, 800), dtype=np.float32), ValueError, r"must be 1-D .* or 2-D .*got shape \(2, 2, 800\)"),
        (np.ones(800, dtype=np.complex64), TypeError, r"real-valued samples, got dtype complex64"),
        (np.array(["a", "b"]), TypeError, r"real-valued samples, got dtype <U1"),
        (12345, TypeError, r"`audio` must be an array, a path or a list of them, got int"),
        ("/no/such/file.wav", FileNotFoundError, r"`audio` path '/no/such/file.wav' does not exist"),
    ],
)
def test_bad_audio(processor, audio, error, pattern):
    with pytest.raises(error, match=pattern):
        processor(text=processor.audio_token, audio=audio)


def test_silent_audio_allowed_when_asked(processor):
    inputs = processor(text=processor.audio_token, audio=np.zeros(1600, dtype=np.float32), allow_silent_audio=True)
    assert inputs["input_ids"][0].count(processor.audio_token_id) == 3  # 10 frames -> 5 -> stacked by 2


def test_bad_sampling_rate(processor):
    with pytest.raises(ValueError, match=r"`sampling_rate` must be a positive integer in Hz, got -5"):
        processor(text=processor.audio_token, audio=synthetic_clip(0.5), sampling_rate=-5)


def test_over_long_audio_names_the_limit_and_the_fix():
    processor = build_tiny_processor("whisper", max_audio_seconds=2.0)
    with pytest.raises(ValueError, match=r"is 3\.0 s long, above .*`max_audio_seconds` = 2 s.*max_audio_seconds = 3"):
        processor(text=processor.audio_token, audio=synthetic_clip(3.0))
    processor.max_audio_seconds = 3
    assert processor(text=processor.audio_token, audio=synthetic_clip(3.0))["input_ids"]


def test_too_short_audio():
    processor = build_tiny_processor("qwen2_audio", downsample_factor=1)  # 2 frames -> 1 conv frame -> 0 after pooling
    with pytest.raises(ValueError, match=r"too short \(1 samples at 16000 Hz\).*at least 321 samples"):
        processor(text=processor.audio_token, audio=np.full(1, 0.5, dtype=np.float32))
    assert processor(text=processor.audio_token, audio=np.full(321, 0.5, dtype=np.float32))["input_ids"]


def test_unknown_encoder_type_in_processor(processor):
    with pytest.raises(ValueError, match=r"`encoder_type` must be one of .*'hubert'"):
        UASAudioProcessor(processor.feature_extractor, processor.tokenizer, encoder_type="hubert")
