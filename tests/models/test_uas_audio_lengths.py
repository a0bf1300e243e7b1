"""The one token-count formula (`num_audio_embeddings`) against what the real encoders produce, up to 10 minutes."""

import numpy as np
import pytest
import torch

from uas_hf.models.uas_audio import num_audio_embeddings
from uas_hf.models.uas_audio.configuration_uas_audio import encoder_block_tokens
from uas_hf.models.uas_audio.tiny import SAMPLING_RATE


TEN_MINUTES = 10 * 60 * 100  # mel frames (10 ms each)
# 1 frame, around the 100-frame AuT chunk, the 500-frame tiny Whisper/Qwen2-Audio window, the 800-frame AuT window,
# multi-window clips, 30 s, 5 min and 10 min.
FRAME_LENGTHS = (
    1, 2, 3, 7, 99, 100, 101, 249, 250, 251, 499, 500, 501, 799, 800, 801,
    999, 1000, 1001, 1500, 3001, 12345, 30000, TEN_MINUTES,
)  # fmt: skip


def _real_block_tokens(encoder, model_type: str, frames: int) -> int:
    """Run the encoder's own layers on exactly ``frames`` frames and count what comes out."""
    features = torch.randn(1, encoder.config.num_mel_bins, frames)
    with torch.no_grad():
        if model_type == "qwen3_omni_moe_audio_encoder":  # AuT takes any length natively
            return encoder(input_features=features[0], feature_lens=torch.tensor([frames])).last_hidden_state.shape[0]
        hidden = torch.nn.functional.gelu(encoder.conv2(torch.nn.functional.gelu(encoder.conv1(features))))
        if model_type == "qwen2_audio_encoder":
            if hidden.shape[-1] < 2:  # AvgPool1d(2, 2) has no output for a single frame
                return 0
            hidden = encoder.avg_pooler(hidden)
        return hidden.shape[-1]


@pytest.mark.parametrize("encoder", ["whisper", "qwen2_audio", "qwen3_omni"])
def test_formula_equals_real_encoder(tiny_model, encoder):
    model, processor = tiny_model(encoder)
    config, backbone = model.config, model.model
    model_type = config.audio_config.model_type
    block = config.audio_block_frames

    # Per encoder block: the formula equals the encoder's own layers on every short length.
    for frames in (1, 2, 3, 7, 99, 100, 101, 249, 250, 251, 499, 500):
        if frames <= block:
            assert encoder_block_tokens(frames, model_type) == _real_block_tokens(
                backbone.audio_encoder, model_type, frames
            ), frames
    if model_type != "qwen3_omni_moe_audio_encoder":  # a full window: the encoder's fixed output length
        with torch.no_grad():
            out = backbone.audio_encoder(torch.zeros(1, config.audio_config.num_mel_bins, block)).last_hidden_state
        assert out.shape[1] == encoder_block_tokens(block, model_type)

    # Whole clips through the model's windowed encoding, up to 10 minutes.
    assert len(FRAME_LENGTHS) >= 20
    for frames in FRAME_LENGTHS:
        expected = num_audio_embeddings(frames, **config.audio_length_kwargs)
        assert expected == processor.num_audio_embeddings(frames * 160) == config.num_audio_embeddings(frames)
        if expected == 0:
            continue  # too short for this encoder: the processor refuses it (see test_too_short_audio)
        window = config.audio_window_frames
        total = -(-frames // window) * window
        features = torch.randn(1, config.audio_config.num_mel_bins, total)
        mask = (torch.arange(total) < frames).long()[None]
        with torch.no_grad():
            embeds, lengths = backbone.get_audio_features(features, mask)
        assert lengths.tolist() == [expected] == [embeds.shape[0]], frames


def test_formula_known_values():
    # Whisper-large-v3: 30 s -> 1500 frames; Qwen2-Audio: 30 s -> 750; AuT: 13 per second.
    assert num_audio_embeddings(3000, encoder_type="whisper", block_frames=3000, downsample_factor=1) == 1500
    assert (
        num_audio_embeddings(3000, encoder_type="qwen2_audio_encoder", block_frames=3000, downsample_factor=1) == 750
    )
    aut = {"encoder_type": "qwen3_omni_moe_audio_encoder", "block_frames": 100, "downsample_factor": 1}
    assert num_audio_embeddings(TEN_MINUTES, **aut) == 600 * 13
    # 10 min of Whisper windows, stacked by 4: 20 windows x 1500 / 4.
    assert num_audio_embeddings(TEN_MINUTES, encoder_type="whisper", block_frames=3000, downsample_factor=4) == 7500


def test_ten_minute_clip_through_processor_and_model(tiny_model):
    model, processor = tiny_model("whisper")
    clip = (0.1 * np.sin(np.arange(TEN_MINUTES * 160) / 7.0)).astype(np.float32)
    inputs = processor(text=f"Listen: {processor.audio_token}", audio=clip, sampling_rate=SAMPLING_RATE)
    n_placeholders = inputs["input_ids"][0].count(processor.audio_token_id)
    assert n_placeholders == processor.num_audio_embeddings(clip.shape[0]) == 15000  # 30000 frames, stacked by 2
    with torch.no_grad():
        embeds, lengths = model.model.get_audio_features(
            torch.tensor(inputs["input_features"]), torch.tensor(inputs["feature_attention_mask"])
        )
    assert lengths.tolist() == [n_placeholders] and embeds.shape == (
        n_placeholders,
        model.config.text_config.hidden_size,
    )
