"""Loading local transformers checkpoints for the model-backed stages, the way their own pipelines do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..utils import get_logger


logger = get_logger(__name__)

# Auto classes tried in order for an audio-text-to-text checkpoint (Qwen2-Audio, Voxtral, Qwen-Omni, AF3, ...).
AUDIO_TEXT_AUTO_CLASSES = (
    "AutoModelForMultimodalLM",
    "AutoModelForImageTextToText",
    "AutoModelForSpeechSeq2Seq",
    "AutoModelForSeq2SeqLM",
    "AutoModelForCausalLM",
)
TEXT_AUTO_CLASSES = ("AutoModelForCausalLM", "AutoModelForSeq2SeqLM")


def pick_device(device: str | None) -> str:
    """``device`` if given, else CUDA when available, else CPU (never a CUDA default)."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def check_local_folder(path: str | Path, parameter: str) -> Path:
    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"`{parameter}` must be a local model folder containing config.json; got {str(path)!r}. "
            "Download the checkpoint first (e.g. `hf download ORG/MODEL --local-dir DIR`) and pass DIR."
        )
    return folder


def load_model(path: Path, auto_classes: tuple[str, ...], device: str, dtype: str | None, trust_remote_code: bool):
    """Load the first Auto class in ``auto_classes`` that knows this checkpoint's config."""
    import transformers

    kwargs: dict[str, Any] = {"local_files_only": True, "trust_remote_code": trust_remote_code}
    if dtype:
        kwargs["dtype"] = dtype
    tried = []
    for name in auto_classes:
        auto = getattr(transformers, name, None)
        if auto is None:
            continue
        try:
            model = auto.from_pretrained(path, **kwargs)
        except ValueError as e:  # "Unrecognized configuration class ... for this kind of AutoModel"
            tried.append(f"{name}: {str(e).splitlines()[0][:120]}")
            continue
        logger.info(f"loaded {type(model).__name__} from {path} with {name}")
        return model.to(device).eval()
    raise ValueError(
        f"No transformers Auto class can load {str(path)!r} as a generative model; tried {', '.join(auto_classes)}. "
        "Details: " + " | ".join(tried)
    )


def generate_text(model, processor_or_tokenizer, inputs, max_new_tokens: int) -> list[str]:
    """Greedy generation; decode only the new tokens of each row."""
    import torch

    tokenizer = getattr(processor_or_tokenizer, "tokenizer", processor_or_tokenizer)
    inputs = inputs.to(model.device)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad_id)
    if not model.config.is_encoder_decoder:
        out = out[:, inputs["input_ids"].shape[1] :]
    return [t.strip() for t in tokenizer.batch_decode(out, skip_special_tokens=True)]


def package_version(dist: str) -> str | None:
    import importlib.metadata as md

    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def model_provenance(path: Path, model) -> dict[str, Any]:
    return {
        "model_path": str(path),
        "model_class": type(model).__name__,
        "model_type": getattr(model.config, "model_type", None),
        "name_or_path": getattr(model.config, "_name_or_path", None),
        "transformers": package_version("transformers"),
    }
