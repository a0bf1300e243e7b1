"""Convert a `Qwen2AudioForConditionalGeneration` folder (weights, config, processor) into a UAS-Audio folder.

Qwen2-Audio is UAS-Audio with the Qwen2-Audio encoder, a linear projector and no frame stacking, so the conversion is
a renaming of weights; the converted model gives the same logits and greedy generations on the same inputs.

    uas-hf convert qwen2-audio SRC_DIR DST_DIR
    python -m uas_hf.models.uas_audio.convert_qwen2_audio SRC_DIR DST_DIR
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from ...utils.logging import get_logger


logger = get_logger(__name__)

# Source key pattern -> UAS-Audio key prefix; covers the transformers 5 layout and the legacy (4.x Hub) layout.
KEY_RENAMES: tuple[tuple[str, str], ...] = (
    (r"^language_model\.lm_head\.", "lm_head."),
    (r"^language_model\.model\.", "model.language_model."),
    (r"^(model\.)?audio_tower\.", "model.audio_encoder."),
    (r"^(model\.)?multi_modal_projector\.linear\.", "model.projector.linear_1."),
    (r"^model\.language_model\.", "model.language_model."),
    (r"^lm_head\.", "lm_head."),
)


def rename_qwen2_audio_key(key: str) -> str:
    """UAS-Audio name of a Qwen2-Audio weight; raises `ValueError` for weights UAS-Audio has no place for."""
    for pattern, replacement in KEY_RENAMES:
        if re.match(pattern, key):
            return re.sub(pattern, replacement, key, count=1)
    raise ValueError(f"Unexpected Qwen2-Audio weight {key!r}: no UAS-Audio counterpart. Is SRC a Qwen2-Audio folder?")


def _read_state_dict(src: Path) -> dict:
    from safetensors.torch import load_file

    index = src / "model.safetensors.index.json"
    if index.exists():
        files = sorted(set(json.loads(index.read_text())["weight_map"].values()))
    elif (src / "model.safetensors").exists():
        files = ["model.safetensors"]
    else:
        raise FileNotFoundError(
            f"No safetensors weights in {str(src)!r} (model.safetensors or model.safetensors.index.json). Re-save the "
            "Qwen2-Audio model with `save_pretrained` (safetensors is the default)."
        )
    state_dict = {}
    for name in files:
        state_dict.update(load_file(src / name))
    return state_dict


def convert_qwen2_audio_config(src_config):
    """`UASAudioConfig` equivalent to a `Qwen2AudioConfig`."""
    from .configuration_uas_audio import UASAudioConfig

    return UASAudioConfig(
        audio_config=src_config.audio_config.to_dict(),
        text_config=src_config.text_config.to_dict(),
        audio_token_id=src_config.audio_token_id,
        projector_type="linear",
        projector_bias=True,
        downsample_factor=1,
        tie_word_embeddings=bool(getattr(src_config, "tie_word_embeddings", False)),
    )


def convert_qwen2_audio(
    src: str | os.PathLike, dst: str | os.PathLike, *, max_audio_seconds: float | None = None
) -> Path:
    """Convert the Qwen2-Audio folder ``src`` (config, safetensors weights, processor) into a UAS-Audio folder ``dst``.

    Args:
        src (`str` or `os.PathLike`): a folder saved by `Qwen2AudioForConditionalGeneration.save_pretrained` (+ its
            processor's `save_pretrained`).
        dst (`str` or `os.PathLike`): output folder (created); holds safetensors weights, config, processor and the
            remote-code files.
        max_audio_seconds (`float`, *optional*): processor limit; defaults to `UASAudioProcessor`'s.

    Returns:
        `Path` of ``dst``.
    """
    import torch
    from transformers import AutoConfig, AutoProcessor

    from .modeling_uas_audio import UASAudioForCausalLM
    from .processing_uas_audio import UASAudioProcessor

    src, dst = Path(src), Path(dst)
    if not (src / "config.json").exists():
        raise FileNotFoundError(f"`src` {str(src)!r} has no config.json; pass a saved Qwen2-Audio folder.")
    src_config = AutoConfig.from_pretrained(src)
    if src_config.model_type != "qwen2_audio":
        raise ValueError(
            f"`src` must hold a Qwen2-Audio model (config `model_type` 'qwen2_audio'), got {src_config.model_type!r}."
        )
    config = convert_qwen2_audio_config(src_config)
    state_dict = {rename_qwen2_audio_key(k): v for k, v in _read_state_dict(src).items()}
    if config.tie_word_embeddings:
        state_dict.pop("lm_head.weight", None)

    model = UASAudioForCausalLM(config)
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
    if missing or unexpected:
        raise ValueError(
            f"Qwen2-Audio weights do not fit UAS-Audio: missing {missing[:5]}, unexpected {unexpected[:5]}."
        )
    dtype = getattr(src_config, "dtype", None) or getattr(src_config.text_config, "dtype", None)
    if isinstance(dtype, torch.dtype):
        model = model.to(dtype)
    dst.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(dst)

    src_processor = AutoProcessor.from_pretrained(src)
    processor_kwargs = dict(config.processor_kwargs)
    if max_audio_seconds is not None:
        processor_kwargs["max_audio_seconds"] = max_audio_seconds
    processor = UASAudioProcessor(
        feature_extractor=src_processor.feature_extractor,
        tokenizer=src_processor.tokenizer,
        audio_token=src_processor.audio_token,
        audio_bos_token=src_processor.audio_bos_token,
        audio_eos_token=src_processor.audio_eos_token,
        **processor_kwargs,
    )
    processor.save_pretrained(dst)
    logger.info("Converted Qwen2-Audio %s -> UAS-Audio %s (%d tensors)", src, dst, len(state_dict))
    return dst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", help="Qwen2-Audio folder (config.json, safetensors, processor files)")
    parser.add_argument("dst", help="output UAS-Audio folder")
    args = parser.parse_args(argv)
    convert_qwen2_audio(args.src, args.dst)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
