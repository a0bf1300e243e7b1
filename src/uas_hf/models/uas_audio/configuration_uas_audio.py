# Copyright 2026 the uas_hf developers. Licensed under the Apache License, Version 2.0.
"""UAS-Audio configuration, and the one formula for how many audio embeddings a clip becomes.

This module must stay importable on its own (no `uas_hf` imports): `save_pretrained` copies it next to the weights so
that `trust_remote_code=True` loads work where `uas_hf` is not installed.
"""

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec


# `audio_config.model_type` -> how its encoder turns mel frames into hidden states (see `num_audio_embeddings`).
AUDIO_ENCODER_TYPES = ("whisper", "qwen2_audio_encoder", "qwen3_omni_moe_audio_encoder")
PROJECTOR_TYPES = ("linear", "mlp")
# The Qwen3-Omni AuT encoder in transformers hard-codes 13 output frames per full 100-frame chunk (n_window=50).
AUT_SUPPORTED_N_WINDOW = 50


def _conv_out(length: int, *, stride: int = 2, kernel: int = 3, padding: int = 1) -> int:
    """Output length of one `Conv1d/2d(kernel, stride, padding)` over ``length`` frames."""
    return (length + 2 * padding - kernel) // stride + 1


def encoder_block_tokens(num_frames: int, encoder_type: str) -> int:
    """Hidden states one encoder block (at most `block_frames` mel frames) yields from ``num_frames`` valid frames."""
    if num_frames <= 0:
        return 0
    if encoder_type == "whisper":
        return _conv_out(num_frames)  # conv1 keeps the length, conv2 has stride 2
    if encoder_type == "qwen2_audio_encoder":
        return _conv_out(num_frames) // 2  # conv2 stride 2, then AvgPool1d(kernel=2, stride=2) floors
    if encoder_type == "qwen3_omni_moe_audio_encoder":
        return _conv_out(_conv_out(_conv_out(num_frames)))  # three stride-2 Conv2d over time
    raise ValueError(
        f"`encoder_type` must be one of {AUDIO_ENCODER_TYPES}, got {encoder_type!r}. "
        "Use one of these audio encoders in `audio_config`."
    )


def num_audio_embeddings(num_frames: int, *, encoder_type: str, block_frames: int, downsample_factor: int) -> int:
    """Number of audio embeddings (= audio placeholder tokens) a clip of ``num_frames`` valid mel frames becomes.

    The single source of truth: the processor expands placeholders with it and the model checks the encoder output
    against it. A clip is cut into blocks of ``block_frames`` frames that the encoder treats independently (a 30-s
    Whisper window, a 1-s AuT chunk); the per-block outputs are concatenated, then the projector stacks
    ``downsample_factor`` consecutive frames into one embedding (the last group is zero-padded).

    Args:
        num_frames (`int`): valid mel frames of the clip (`ceil(num_samples / hop_length)`).
        encoder_type (`str`): one of `AUDIO_ENCODER_TYPES`.
        block_frames (`int`): frames per independently encoded block (`UASAudioConfig.audio_block_frames`).
        downsample_factor (`int`): frames stacked per embedding by the projector.

    >>> num_audio_embeddings(3000, encoder_type="whisper", block_frames=3000, downsample_factor=1)
    1500
    >>> num_audio_embeddings(100, encoder_type="qwen3_omni_moe_audio_encoder", block_frames=100, downsample_factor=1)
    13
    """
    full_blocks, rest = divmod(int(num_frames), block_frames)
    frames = full_blocks * encoder_block_tokens(block_frames, encoder_type) + encoder_block_tokens(rest, encoder_type)
    return -(-frames // downsample_factor)  # ceil: the projector zero-pads the last group


def audio_block_frames(audio_config) -> int:
    """Mel frames per independently encoded block of ``audio_config`` (see `num_audio_embeddings`)."""
    if audio_config.model_type in ("whisper", "qwen2_audio_encoder"):
        return 2 * audio_config.max_source_positions  # the encoder requires exactly this many frames (conv2 stride 2)
    if audio_config.model_type == "qwen3_omni_moe_audio_encoder":
        return 2 * audio_config.n_window  # AuT encodes 1-s chunks of 2 * n_window frames independently
    raise ValueError(_unsupported_encoder_message(audio_config.model_type))


def audio_window_frames(audio_config) -> int:
    """Mel frames the model hands to the encoder per window (a multiple of `audio_block_frames`)."""
    if audio_config.model_type == "qwen3_omni_moe_audio_encoder":
        return audio_config.n_window_infer  # AuT attention never crosses n_window_infer frames
    return audio_block_frames(audio_config)


def audio_encoder_output_size(audio_config) -> int:
    """Width of the hidden states the audio encoder hands to the projector."""
    if audio_config.model_type == "qwen3_omni_moe_audio_encoder":
        return audio_config.output_dim
    return audio_config.d_model


def _unsupported_encoder_message(model_type) -> str:
    return (
        f"`audio_config.model_type` must be one of {AUDIO_ENCODER_TYPES}, got {model_type!r}. Pass the config of a "
        "Whisper encoder (`WhisperConfig`), the Qwen2-Audio encoder (`Qwen2AudioEncoderConfig`) or the Qwen3-Omni "
        "AuT encoder (`Qwen3OmniMoeAudioEncoderConfig`), as an object or a dict with `model_type`."
    )


@strict
class UASAudioConfig(PreTrainedConfig):
    r"""
    Configuration of a [`UASAudioForCausalLM`]: audio encoder -> projector -> causal language model (paper §3).

    Args:
        audio_config (`dict` or `PreTrainedConfig`, *optional*):
            Config of the audio encoder, as an object or a dict with `model_type` in `AUDIO_ENCODER_TYPES`
            (`"whisper"`, `"qwen2_audio_encoder"`, `"qwen3_omni_moe_audio_encoder"`). Defaults to a Whisper config.
        text_config (`dict` or `PreTrainedConfig`, *optional*):
            Config of any decoder-only causal LM (`"qwen2"`, `"qwen3"`, `"llama"`, ...). Defaults to Qwen2.
        audio_token_id (`int`, *optional*):
            Id of the audio placeholder token (`<|AUDIO|>`) whose positions receive the audio embeddings.
        projector_type (`str`, *optional*, defaults to `"mlp"`):
            `"linear"` (one `Linear`, as in Qwen2-Audio and the paper) or `"mlp"` (`Linear -> act -> Linear`).
        projector_hidden_act (`str`, *optional*, defaults to `"gelu"`):
            Activation of the `"mlp"` projector.
        projector_bias (`bool`, *optional*, defaults to `True`):
            Whether the projector layers have biases.
        downsample_factor (`int`, *optional*, defaults to `1`):
            Consecutive encoder frames stacked into one embedding by the projector (frame stacking).
        tie_word_embeddings (`bool`, *optional*, defaults to `False`):
            Tie `lm_head` to the input embeddings; also turned on when `text_config.tie_word_embeddings` is set.

    Example:

    ```python
    >>> from transformers import Qwen2Config, WhisperConfig
    >>> from uas_hf import UASAudioConfig, UASAudioForCausalLM

    >>> audio_config = WhisperConfig(d_model=32, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=64,
    ...                              num_mel_bins=80, max_source_positions=250)
    >>> text_config = {"model_type": "qwen2", "vocab_size": 128, "hidden_size": 32, "num_hidden_layers": 2,
    ...                "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 64}
    >>> config = UASAudioConfig(audio_config=audio_config, text_config=text_config, audio_token_id=5,
    ...                         projector_type="mlp", downsample_factor=2)
    >>> model = UASAudioForCausalLM(config)  # random weights
    >>> config.num_audio_embeddings(500)  # 5 s at 100 frames/s: 250 encoder frames, stacked by 2
    125

    ```"""

    model_type = "uas_audio"
    # TRL's multimodal code paths read `image_token_id`; for us that is the audio placeholder.
    attribute_map = {"image_token_id": "audio_token_id"}
    sub_configs_defaults = {
        "audio_config": SubConfigSpec(config_class=AutoConfig, model_type="whisper"),
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="qwen2"),
    }

    audio_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    audio_token_id: int | None = None
    projector_type: str = "mlp"
    projector_hidden_act: str = "gelu"
    projector_bias: bool = True
    downsample_factor: int = 1
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs):
        if isinstance(self.audio_config, dict) and self.audio_config.get("model_type", "whisper") not in (
            AUDIO_ENCODER_TYPES
        ):
            raise ValueError(_unsupported_encoder_message(self.audio_config.get("model_type")))
        super().__post_init__(**kwargs)
        if self.audio_config.model_type not in AUDIO_ENCODER_TYPES:
            raise ValueError(_unsupported_encoder_message(self.audio_config.model_type))
        if self.projector_type not in PROJECTOR_TYPES:
            raise ValueError(
                f"`projector_type` must be one of {PROJECTOR_TYPES}, got {self.projector_type!r}. Use `'linear'` "
                "(paper, Qwen2-Audio) or `'mlp'` (two layers)."
            )
        if not isinstance(self.downsample_factor, int) or self.downsample_factor < 1:
            raise ValueError(
                f"`downsample_factor` must be a positive integer (frames stacked per embedding), got "
                f"{self.downsample_factor!r}. Use 1 for no stacking."
            )
        if self.audio_config.model_type == "qwen3_omni_moe_audio_encoder":
            if self.audio_config.n_window != AUT_SUPPORTED_N_WINDOW:
                raise ValueError(
                    f"`audio_config.n_window` must be {AUT_SUPPORTED_N_WINDOW} for the Qwen3-Omni AuT encoder, got "
                    f"{self.audio_config.n_window}: transformers' AuT counts 13 output frames per full chunk of "
                    f"{2 * AUT_SUPPORTED_N_WINDOW} mel frames. Keep the default `n_window`."
                )
            if self.audio_config.n_window_infer % (2 * self.audio_config.n_window):
                raise ValueError(
                    f"`audio_config.n_window_infer` must be a multiple of 2 * n_window = "
                    f"{2 * self.audio_config.n_window}, got {self.audio_config.n_window_infer}."
                )
        # Many checkpoints keep `tie_word_embeddings` on the text config only: honour it there too.
        if not self.tie_word_embeddings and getattr(self.text_config, "tie_word_embeddings", False):
            self.tie_word_embeddings = True

    @property
    def audio_block_frames(self) -> int:
        """Mel frames per independently encoded block (see `num_audio_embeddings`)."""
        return audio_block_frames(self.audio_config)

    @property
    def audio_window_frames(self) -> int:
        """Mel frames per encoder call window; longer clips are encoded window by window."""
        return audio_window_frames(self.audio_config)

    @property
    def audio_length_kwargs(self) -> dict:
        """The keyword arguments of `num_audio_embeddings` for this model (the processor stores the same)."""
        return {
            "encoder_type": self.audio_config.model_type,
            "block_frames": self.audio_block_frames,
            "downsample_factor": self.downsample_factor,
        }

    @property
    def processor_kwargs(self) -> dict:
        """Audio-length arguments a matching `UASAudioProcessor` is built with."""
        return {**self.audio_length_kwargs, "window_frames": self.audio_window_frames}

    def num_audio_embeddings(self, num_frames: int) -> int:
        """Audio embeddings a clip of ``num_frames`` valid mel frames becomes (see `num_audio_embeddings`)."""
        return num_audio_embeddings(num_frames, **self.audio_length_kwargs)


__all__ = ["UASAudioConfig", "num_audio_embeddings"]
