"""UASAudioConfig: sub-configs from objects or dicts, projector options, typed errors, serialization."""

import pytest

from uas_hf.models.uas_audio import UASAudioConfig, UASAudioForCausalLM
from uas_hf.models.uas_audio.tiny import tiny_audio_config, tiny_text_config


@pytest.mark.parametrize("encoder", ["whisper", "qwen2_audio", "qwen3_omni"])
@pytest.mark.parametrize("text", ["qwen2", "qwen3", "llama"])
def test_sub_configs_from_objects_and_dicts(encoder, text):
    audio, lm = tiny_audio_config(encoder), tiny_text_config(text)
    from_objects = UASAudioConfig(audio_config=audio, text_config=lm, audio_token_id=3)
    from_dicts = UASAudioConfig(audio_config=audio.to_dict(), text_config=lm.to_dict(), audio_token_id=3)
    for config in (from_objects, from_dicts):
        assert config.audio_config.model_type == audio.model_type
        assert config.text_config.model_type == text
    assert from_objects.to_dict() == from_dicts.to_dict()


@pytest.mark.parametrize("projector_type, factor", [("linear", 1), ("linear", 3), ("mlp", 1), ("mlp", 2)])
def test_projector_options_build(projector_type, factor):
    config = UASAudioConfig(
        audio_config=tiny_audio_config("whisper"),
        text_config=tiny_text_config("qwen2"),
        audio_token_id=3,
        projector_type=projector_type,
        downsample_factor=factor,
    )
    projector = UASAudioForCausalLM(config).model.projector
    assert projector.linear_1.in_features == 32 * factor
    assert hasattr(projector, "linear_2") == (projector_type == "mlp")


def test_save_load_round_trip(tmp_path):
    config = UASAudioConfig(
        audio_config=tiny_audio_config("qwen3_omni"), text_config=tiny_text_config("llama"), audio_token_id=3
    )
    config.save_pretrained(tmp_path)
    loaded = UASAudioConfig.from_pretrained(tmp_path)
    assert loaded.to_dict()["audio_config"] == config.to_dict()["audio_config"]
    assert loaded.audio_length_kwargs == config.audio_length_kwargs
    assert loaded.image_token_id == 3  # TRL reads the placeholder id under this name


def test_tie_word_embeddings_from_text_config():
    config = UASAudioConfig(
        audio_config=tiny_audio_config(), text_config=tiny_text_config(tie_word_embeddings=True), audio_token_id=3
    )
    assert config.tie_word_embeddings
    model = UASAudioForCausalLM(config)
    assert model.lm_head.weight is model.get_input_embeddings().weight


def test_unsupported_encoder_type_names_value_and_choices():
    with pytest.raises(ValueError, match=r"`audio_config.model_type` must be one of .*'wav2vec2'") as info:
        UASAudioConfig(audio_config={"model_type": "wav2vec2"}, text_config=tiny_text_config())
    assert "whisper" in str(info.value) and "qwen2_audio_encoder" in str(info.value)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"projector_type": "conv"}, r"`projector_type` must be one of .*'conv'"),
        ({"downsample_factor": 0}, r"`downsample_factor` must be a positive integer.*0"),
    ],
)
def test_bad_projector_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        UASAudioConfig(audio_config=tiny_audio_config(), text_config=tiny_text_config(), **kwargs)


def test_aut_window_rules():
    with pytest.raises(ValueError, match=r"`audio_config.n_window` must be 50"):
        UASAudioConfig(audio_config=tiny_audio_config("qwen3_omni", n_window=25), text_config=tiny_text_config())
    with pytest.raises(ValueError, match=r"`audio_config.n_window_infer` must be a multiple of"):
        UASAudioConfig(
            audio_config=tiny_audio_config("qwen3_omni", n_window_infer=750), text_config=tiny_text_config()
        )
