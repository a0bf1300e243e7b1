"""Build a ready UAS-Audio folder from a pretrained audio encoder folder and a pretrained causal-LM folder.

At full scale: `build_uas_audio_from_parts("whisper-large-v3", "Qwen2.5-7B-Instruct", "uas-audio-init")`. The encoder
and LM weights are copied, the projector is randomly initialised (paper stage 2 trains it), the tokenizer gains the
audio special tokens and the embeddings are resized to match.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ...utils.logging import get_logger
from .tiny import AUDIO_BOS_TOKEN, AUDIO_EOS_TOKEN, AUDIO_TOKEN, IM_END, IM_START


logger = get_logger(__name__)

# Where an encoder's weights sit inside the checkpoints we accept, tried in order ("" = a bare encoder folder).
ENCODER_KEY_PREFIXES = ("model.encoder.", "encoder.", "model.audio_tower.", "audio_tower.", "thinker.audio_tower.", "")


def _audio_config_from(encoder_config):
    model_type = encoder_config.model_type
    if model_type in ("whisper", "qwen2_audio_encoder", "qwen3_omni_moe_audio_encoder"):
        return encoder_config
    if model_type == "qwen2_audio":
        return encoder_config.audio_config
    if model_type == "qwen3_omni_moe":
        return encoder_config.thinker_config.audio_config
    raise ValueError(
        f"The encoder folder holds a {model_type!r} model; use a Whisper, Qwen2-Audio (or its encoder) or Qwen3-Omni "
        "(or its AuT encoder) folder."
    )


def _read_safetensors(folder: Path) -> dict:
    from safetensors.torch import load_file

    index = folder / "model.safetensors.index.json"
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.exists() else []
    if not files and (folder / "model.safetensors").exists():
        files = ["model.safetensors"]
    if not files:
        raise FileNotFoundError(f"No safetensors weights in {str(folder)!r}; re-save it with `save_pretrained`.")
    state_dict = {}
    for name in files:
        state_dict.update(load_file(folder / name))
    return state_dict


def _encoder_state_dict(folder: Path, expected_keys: set[str]) -> dict:
    state_dict = _read_safetensors(folder)
    for prefix in ENCODER_KEY_PREFIXES:
        found = {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}
        if expected_keys <= set(found):
            return {k: found[k] for k in expected_keys}
    raise ValueError(
        f"Could not find the audio encoder weights in {str(folder)!r} under any of the prefixes "
        f"{ENCODER_KEY_PREFIXES}. Pass a folder saved by transformers for that encoder."
    )


def build_uas_audio_from_parts(
    encoder_path: str | os.PathLike,
    lm_path: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    projector_type: str = "linear",
    downsample_factor: int = 1,
    projector_hidden_act: str = "gelu",
    max_audio_seconds: float | None = None,
    seed: int = 0,
) -> Path:
    """Assemble encoder + new projector + LM into a saved UAS-Audio folder (model, processor, remote code).

    Args:
        encoder_path (`str` or `os.PathLike`): local folder of a Whisper model (e.g. whisper-large-v3), a Qwen2-Audio
            model or encoder, or a Qwen3-Omni model or AuT encoder. Its feature extractor is reused when present.
        lm_path (`str` or `os.PathLike`): local folder of a causal LM (`AutoModelForCausalLM`) and its tokenizer.
        output_dir (`str` or `os.PathLike`): where the UAS-Audio folder is written.
        projector_type (`str`, *optional*, defaults to `"linear"`): `"linear"` (paper) or `"mlp"`.
        downsample_factor (`int`, *optional*, defaults to 1): frames stacked per embedding.
        projector_hidden_act (`str`, *optional*, defaults to `"gelu"`): activation of the `"mlp"` projector.
        max_audio_seconds (`float`, *optional*): processor limit on clip length.
        seed (`int`, *optional*, defaults to 0): seed of the projector initialisation.

    Returns:
        `Path` of ``output_dir``; `AutoModel.from_pretrained(output_dir)` / `AutoProcessor.from_pretrained(output_dir)`
        load it (after `import uas_hf`, or with `trust_remote_code=True`).
    """
    import torch
    from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForCausalLM, AutoTokenizer

    from .configuration_uas_audio import UASAudioConfig
    from .modeling_uas_audio import UASAudioForCausalLM, _build_audio_encoder
    from .processing_uas_audio import UASAudioProcessor, default_chat_template
    from .tiny import tiny_feature_extractor

    encoder_path, lm_path, output_dir = Path(encoder_path), Path(lm_path), Path(output_dir)
    for name, folder in (("encoder_path", encoder_path), ("lm_path", lm_path)):
        if not (folder / "config.json").exists():
            raise FileNotFoundError(f"`{name}` {str(folder)!r} has no config.json; pass a local model folder.")
    audio_config = _audio_config_from(AutoConfig.from_pretrained(encoder_path))

    tokenizer = AutoTokenizer.from_pretrained(lm_path)
    new_tokens = [
        t for t in (AUDIO_TOKEN, AUDIO_BOS_TOKEN, AUDIO_EOS_TOKEN, IM_START, IM_END) if t not in tokenizer.get_vocab()
    ]
    added = tokenizer.add_tokens(new_tokens, special_tokens=True)
    lm = AutoModelForCausalLM.from_pretrained(lm_path, dtype=torch.float32)
    if len(tokenizer) > lm.get_input_embeddings().weight.shape[0]:
        lm.resize_token_embeddings(len(tokenizer))  # new rows get the mean embedding (transformers default)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token

    config = UASAudioConfig(
        audio_config=audio_config.to_dict(),
        text_config=lm.config.to_dict(),
        audio_token_id=tokenizer.convert_tokens_to_ids(AUDIO_TOKEN),
        projector_type=projector_type,
        projector_hidden_act=projector_hidden_act,
        downsample_factor=downsample_factor,
        tie_word_embeddings=bool(getattr(lm.config, "tie_word_embeddings", False)),
    )
    torch.manual_seed(seed)
    model = UASAudioForCausalLM(config)
    encoder_keys = set(_build_audio_encoder(config.audio_config).state_dict())
    model.model.audio_encoder.load_state_dict(_encoder_state_dict(encoder_path, encoder_keys))
    model.model.language_model.load_state_dict(lm.get_decoder().state_dict())
    if not config.tie_word_embeddings:
        model.lm_head.load_state_dict(lm.get_output_embeddings().state_dict())
    model.generation_config = lm.generation_config
    # Assistant turns end with <|im_end|> in the chat template: generation must stop there too.
    eos = model.generation_config.eos_token_id
    eos = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
    model.generation_config.eos_token_id = sorted({*eos, tokenizer.convert_tokens_to_ids(IM_END)})
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output_dir)

    try:
        feature_extractor = AutoFeatureExtractor.from_pretrained(encoder_path)
    except (OSError, ValueError):
        window_seconds = config.audio_window_frames * 160 / 16000  # Whisper frames are 10 ms
        feature_extractor = tiny_feature_extractor(config.audio_config.num_mel_bins, window_seconds)
    if feature_extractor.feature_size != config.audio_config.num_mel_bins:
        raise ValueError(
            f"The feature extractor in {str(encoder_path)!r} makes {feature_extractor.feature_size} mel bins but the "
            f"encoder expects {config.audio_config.num_mel_bins}; use the encoder's own preprocessor_config.json."
        )
    processor_kwargs = dict(config.processor_kwargs)
    if max_audio_seconds is not None:
        processor_kwargs["max_audio_seconds"] = max_audio_seconds
    processor = UASAudioProcessor(
        feature_extractor=feature_extractor,
        tokenizer=tokenizer,
        chat_template=default_chat_template(AUDIO_TOKEN, AUDIO_BOS_TOKEN, AUDIO_EOS_TOKEN),
        **processor_kwargs,
    )
    processor.save_pretrained(output_dir)
    logger.info("Built UAS-Audio in %s (%d tokens added to the tokenizer)", output_dir, added)
    return output_dir


__all__ = ["build_uas_audio_from_parts"]
