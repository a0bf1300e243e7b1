"""Tiny UAS-Audio models, tokenizers and processors built offline, for tests, examples, CI training and benchmarks.

Everything here is random-weight and small (hidden 32, 2 layers, ~320-token byte-level BPE vocabulary) and never touches
the network, so other parts of uas_hf (trainers, evaluation, the Space) share one way to get a working model:

>>> from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio
>>> model, processor = build_tiny_uas_audio(encoder="qwen3_omni", text="qwen3")
>>> model.config.audio_config.model_type
'qwen3_omni_moe_audio_encoder'

Encoder aliases: `"whisper"`, `"qwen2_audio"` (`qwen2_audio_encoder`), `"qwen3_omni"` (`qwen3_omni_moe_audio_encoder`,
AuT). Text aliases: `"qwen2"`, `"qwen3"`, `"llama"`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

    from .configuration_uas_audio import UASAudioConfig
    from .modeling_uas_audio import UASAudioForCausalLM
    from .processing_uas_audio import UASAudioProcessor


ENCODER_ALIASES = {
    "whisper": "whisper",
    "qwen2_audio": "qwen2_audio_encoder",
    "qwen2_audio_encoder": "qwen2_audio_encoder",
    "qwen3_omni": "qwen3_omni_moe_audio_encoder",
    "aut": "qwen3_omni_moe_audio_encoder",
    "qwen3_omni_moe_audio_encoder": "qwen3_omni_moe_audio_encoder",
}
TEXT_MODEL_TYPES = ("qwen2", "qwen3", "llama")

AUDIO_TOKEN = "<|AUDIO|>"
AUDIO_BOS_TOKEN = "<|audio_bos|>"
AUDIO_EOS_TOKEN = "<|audio_eos|>"
PAD_TOKEN = "<|endoftext|>"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
# Order fixes the ids: 0 pad, 1 <|im_start|>, 2 <|im_end|>, 3 audio, 4 audio_bos, 5 audio_eos.
SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END, AUDIO_TOKEN, AUDIO_BOS_TOKEN, AUDIO_EOS_TOKEN)

SAMPLING_RATE = 16_000
HOP_LENGTH = 160  # 10 ms frames at 16 kHz, as Whisper
TINY_NUM_MEL_BINS = 80
# Whisper / Qwen2-Audio encoders need exactly 2 * max_source_positions frames: 250 -> 500 frames = 5-s windows.
TINY_MAX_SOURCE_POSITIONS = 250

# A small English + UAS-JSON corpus so the tiny tokenizer has sensible merges for prompts and schema output.
_DEFAULT_CORPUS = (
    "You are a helpful assistant.",
    "Describe the audio in the Unified Audio Schema as JSON.",
    "What is the emotion of the speaker? What is the gender of the speaker? What sounds can you hear?",
    "Answer with the letter of the correct option. A. male B. female C. child D. none",
    '{"transcription": "hello there, how are you today", "paralinguistics": {"age": "adult", "gender": "female", '
    '"emotion": "happy", "accent": "american", "prosody": "fast and rising", "timbre": "bright"}, '
    '"nonLinguisticEvents": {"description": "a dog barks in a busy street", "discreteEvents": [{"label": "dog bark", '
    '"characteristic": "loud"}], "continuousEvents": [{"label": "traffic", "characteristic": "steady hum"}]}}',
    '{"transcription": null, "paralinguistics": {"age": null, "gender": null, "emotion": null, "accent": null, '
    '"prosody": null, "timbre": null}, "nonLinguisticEvents": {"description": "rain on a window", '
    '"discreteEvents": [], "continuousEvents": [{"label": "rain", "characteristic": "soft"}]}}',
    "The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore.",
    "neutral sad angry surprised fearful disgusted calm british scottish indian australian child teenager elderly",
    "speech music noise silence siren bell laughter cough applause engine birds water wind crowd",
)


def _train_tokenizer_json(texts: tuple[str, ...], vocab_size: int) -> str:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer.to_str()


_cached_tokenizer_json = functools.lru_cache(maxsize=8)(_train_tokenizer_json)


def train_tokenizer(
    texts: Iterable[str] | None = None,
    *,
    vocab_size: int = 320,
    padding_side: str = "left",
    chat_template: str | None = None,
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer offline and wrap it with the UAS-Audio special tokens and chat template.

    Args:
        texts (`Iterable[str]`, *optional*): training text; defaults to a small built-in English + UAS-JSON corpus.
        vocab_size (`int`, *optional*, defaults to 320): at least 256 bytes + 6 special tokens.
        padding_side (`str`, *optional*, defaults to `"left"`): left padding suits batched generation.
        chat_template (`str`, *optional*): defaults to `default_chat_template()` (the processor's template).

    Returns:
        `PreTrainedTokenizerFast` with `pad_token="<|endoftext|>"`, `eos_token="<|im_end|>"` and
        `audio_token`/`audio_bos_token`/`audio_eos_token` (`extra_special_tokens`); the special tokens have ids 0-5.

    >>> tok = train_tokenizer()
    >>> tok.audio_token, tok.convert_tokens_to_ids(tok.audio_token)
    ('<|AUDIO|>', 3)
    """
    from transformers import PreTrainedTokenizerFast

    from .processing_uas_audio import default_chat_template

    minimum = 256 + len(SPECIAL_TOKENS)
    if vocab_size < minimum:
        raise ValueError(f"`vocab_size` must be at least {minimum} (256 bytes + special tokens), got {vocab_size}.")
    corpus = _DEFAULT_CORPUS if texts is None else tuple(texts)
    tokenizer_json = _cached_tokenizer_json(corpus, vocab_size)
    from tokenizers import Tokenizer

    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(tokenizer_json),
        pad_token=PAD_TOKEN,
        eos_token=IM_END,
        extra_special_tokens={
            "audio_token": AUDIO_TOKEN,
            "audio_bos_token": AUDIO_BOS_TOKEN,
            "audio_eos_token": AUDIO_EOS_TOKEN,
        },
        additional_special_tokens=[IM_START],
        padding_side=padding_side,
        chat_template=chat_template or default_chat_template(AUDIO_TOKEN, AUDIO_BOS_TOKEN, AUDIO_EOS_TOKEN),
    )


def tiny_audio_config(encoder: str = "whisper", **overrides):
    """A tiny random audio-encoder config: hidden 32, 2 layers, 80 mel bins, 5-s windows (Whisper / Qwen2-Audio)."""
    model_type = _encoder_model_type(encoder)
    common = {"d_model": 32, "encoder_layers": 2, "encoder_attention_heads": 2, "encoder_ffn_dim": 64}
    common["num_mel_bins"] = TINY_NUM_MEL_BINS
    if model_type == "whisper":
        from transformers import WhisperConfig

        kwargs = {**common, "max_source_positions": TINY_MAX_SOURCE_POSITIONS, "decoder_layers": 1}
        kwargs.update(decoder_attention_heads=2, decoder_ffn_dim=64, vocab_size=64, max_target_positions=32)
        # The (unused) Whisper decoder's special ids must lie inside its tiny vocabulary.
        kwargs.update(pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
        kwargs.update(overrides)
        return WhisperConfig(**kwargs)
    if model_type == "qwen2_audio_encoder":
        from transformers import Qwen2AudioEncoderConfig

        return Qwen2AudioEncoderConfig(**{**common, "max_source_positions": TINY_MAX_SOURCE_POSITIONS, **overrides})
    from transformers.models.qwen3_omni_moe.configuration_qwen3_omni_moe import Qwen3OmniMoeAudioEncoderConfig

    kwargs = {**common, "output_dim": 32, "downsample_hidden_size": 8, "n_window": 50, "n_window_infer": 800}
    return Qwen3OmniMoeAudioEncoderConfig(**{**kwargs, **overrides})


def tiny_text_config(text: str = "qwen2", *, vocab_size: int = 320, **overrides):
    """A tiny random causal-LM config (`qwen2`, `qwen3` or `llama`): hidden 32, 2 layers, 4 heads (2 KV)."""
    if text not in TEXT_MODEL_TYPES:
        raise ValueError(f"`text` must be one of {TEXT_MODEL_TYPES}, got {text!r}.")
    from transformers import AutoConfig

    kwargs = {
        "vocab_size": vocab_size,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 32768,  # 10-min clips are ~15k audio embeddings with downsample 2
        "tie_word_embeddings": False,
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 2,
    }
    if text == "qwen3":
        kwargs["head_dim"] = 8
    return AutoConfig.for_model(text, **{**kwargs, **overrides})


def tiny_uas_audio_config(
    encoder: str = "whisper",
    text: str = "qwen2",
    *,
    tokenizer=None,
    vocab_size: int | None = None,
    projector_type: str = "mlp",
    downsample_factor: int = 2,
    audio_config_overrides: dict | None = None,
    text_config_overrides: dict | None = None,
    **config_kwargs,
) -> UASAudioConfig:
    """Tiny `UASAudioConfig` whose vocabulary matches ``tokenizer`` (default: `train_tokenizer()`).

    Args:
        encoder (`str`, *optional*, defaults to `"whisper"`): `"whisper"`, `"qwen2_audio"` or `"qwen3_omni"`.
        text (`str`, *optional*, defaults to `"qwen2"`): `"qwen2"`, `"qwen3"` or `"llama"`.
        tokenizer (*optional*): sets `vocab_size` and `audio_token_id`; defaults to `train_tokenizer()`.
        projector_type (`str`, *optional*, defaults to `"mlp"`), downsample_factor (`int`, *optional*, defaults to 2):
            see `UASAudioConfig`.
        audio_config_overrides, text_config_overrides (`dict`, *optional*): passed to the sub-config builders.
        **config_kwargs: other `UASAudioConfig` fields.
    """
    from .configuration_uas_audio import UASAudioConfig

    tokenizer = tokenizer if tokenizer is not None else train_tokenizer()
    text_overrides = {"vocab_size": vocab_size or len(tokenizer), "pad_token_id": tokenizer.pad_token_id}
    text_overrides.update(eos_token_id=tokenizer.eos_token_id, **(text_config_overrides or {}))
    return UASAudioConfig(
        audio_config=tiny_audio_config(encoder, **(audio_config_overrides or {})),
        text_config=tiny_text_config(text, **text_overrides),
        audio_token_id=tokenizer.convert_tokens_to_ids(tokenizer.audio_token),
        projector_type=projector_type,
        downsample_factor=downsample_factor,
        **config_kwargs,
    )


def tiny_feature_extractor(num_mel_bins: int = TINY_NUM_MEL_BINS, window_seconds: float = 5.0):
    """Whisper feature extractor with ``num_mel_bins`` bins whose chunk is one tiny encoder window."""
    from transformers import WhisperFeatureExtractor

    return WhisperFeatureExtractor(
        feature_size=num_mel_bins,
        sampling_rate=SAMPLING_RATE,
        hop_length=HOP_LENGTH,
        chunk_length=max(1, round(window_seconds)),
        n_fft=400,
    )


def build_processor_for_config(config, tokenizer, feature_extractor=None, **processor_kwargs) -> UASAudioProcessor:
    """A `UASAudioProcessor` whose audio-length arguments match ``config`` (any size, not only tiny)."""
    from .processing_uas_audio import UASAudioProcessor

    if feature_extractor is None:
        window_seconds = config.audio_window_frames * HOP_LENGTH / SAMPLING_RATE
        feature_extractor = tiny_feature_extractor(config.audio_config.num_mel_bins, window_seconds)
    return UASAudioProcessor(
        feature_extractor=feature_extractor,
        tokenizer=tokenizer,
        **{**config.processor_kwargs, **processor_kwargs},
    )


def build_tiny_processor(
    encoder: str = "whisper", *, tokenizer=None, config=None, downsample_factor: int = 2, **processor_kwargs
) -> UASAudioProcessor:
    """Tiny `UASAudioProcessor` (80-bin Whisper features + `train_tokenizer()`) matching ``config`` or ``encoder``.

    >>> processor = build_tiny_processor("whisper")
    >>> processor.num_audio_embeddings(16000)  # 1 s: 100 frames -> 50 encoder frames -> stacked by 2
    25
    """
    tokenizer = tokenizer if tokenizer is not None else train_tokenizer()
    if config is None:
        config = tiny_uas_audio_config(encoder, tokenizer=tokenizer, downsample_factor=downsample_factor)
    return build_processor_for_config(config, tokenizer, **processor_kwargs)


def build_tiny_uas_audio(
    encoder: str = "whisper",
    text: str = "qwen2",
    *,
    seed: int = 0,
    tokenizer=None,
    dtype=None,
    attn_implementation: str | None = "sdpa",
    **config_kwargs,
) -> tuple[UASAudioForCausalLM, UASAudioProcessor]:
    """A random tiny `UASAudioForCausalLM` (eval mode) and its matching processor; deterministic for a ``seed``.

    ``config_kwargs`` go to `tiny_uas_audio_config` (`projector_type`, `downsample_factor`, overrides, ...).
    """
    import torch

    from .modeling_uas_audio import UASAudioForCausalLM

    tokenizer = tokenizer if tokenizer is not None else train_tokenizer()
    config = tiny_uas_audio_config(encoder, text, tokenizer=tokenizer, **config_kwargs)
    if attn_implementation is not None:
        config._attn_implementation = attn_implementation
    torch.manual_seed(seed)
    model = UASAudioForCausalLM(config).eval()
    if dtype is not None:
        model = model.to(dtype)
    return model, build_processor_for_config(config, tokenizer)


def build_tiny_qwen2_audio(
    *,
    seed: int = 0,
    tokenizer=None,
    audio_config_overrides: dict | None = None,
    text_config_overrides: dict | None = None,
):
    """A random tiny transformers `Qwen2AudioForConditionalGeneration` and its `Qwen2AudioProcessor` (5-s windows).

    The reference for the Qwen2-Audio conversion and for `benchmarks/bench_model.py`.
    """
    import torch
    from transformers import Qwen2AudioConfig, Qwen2AudioForConditionalGeneration, Qwen2AudioProcessor

    tokenizer = tokenizer if tokenizer is not None else train_tokenizer()
    text_overrides = {"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id}
    text_overrides.update(eos_token_id=tokenizer.eos_token_id, **(text_config_overrides or {}))
    config = Qwen2AudioConfig(
        audio_config=tiny_audio_config("qwen2_audio", **(audio_config_overrides or {})).to_dict(),
        text_config=tiny_text_config("qwen2", **text_overrides).to_dict(),
        audio_token_index=tokenizer.convert_tokens_to_ids(tokenizer.audio_token),
    )
    torch.manual_seed(seed)
    model = Qwen2AudioForConditionalGeneration(config).eval()
    window_seconds = 2 * TINY_MAX_SOURCE_POSITIONS * HOP_LENGTH / SAMPLING_RATE
    processor = Qwen2AudioProcessor(
        feature_extractor=tiny_feature_extractor(TINY_NUM_MEL_BINS, window_seconds),
        tokenizer=tokenizer,
        chat_template=tokenizer.chat_template,
    )
    return model, processor


def _encoder_model_type(encoder: str) -> str:
    if encoder not in ENCODER_ALIASES:
        raise ValueError(
            f"`encoder` must be one of {sorted(ENCODER_ALIASES)}, got {encoder!r}. Use 'whisper', 'qwen2_audio' or "
            "'qwen3_omni'."
        )
    return ENCODER_ALIASES[encoder]


def synthetic_clip(seconds: float, *, seed: int = 0, sampling_rate: int = SAMPLING_RATE, channels: int = 1):
    """A deterministic non-silent test signal (tone + noise) of ``seconds`` seconds, float32 in [-1, 1]."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = max(1, round(seconds * sampling_rate))
    t = np.arange(n) / sampling_rate
    signal = 0.3 * np.sin(2 * np.pi * (200 + 40 * seed) * t) + 0.05 * rng.standard_normal(n)
    signal = signal.astype(np.float32)
    return signal if channels == 1 else np.stack([signal] * channels)


__all__: Sequence[str] = [
    "build_processor_for_config",
    "build_tiny_qwen2_audio",
    "build_tiny_processor",
    "build_tiny_uas_audio",
    "synthetic_clip",
    "tiny_audio_config",
    "tiny_feature_extractor",
    "tiny_text_config",
    "tiny_uas_audio_config",
    "train_tokenizer",
]
