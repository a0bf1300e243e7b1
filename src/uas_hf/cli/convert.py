"""`uas-hf convert`: make UAS-Audio folders from existing checkpoints.

uas-hf convert qwen2-audio SRC_DIR DST_DIR
    A saved `Qwen2AudioForConditionalGeneration` folder (weights, config, processor) -> UAS-Audio (same logits).
uas-hf convert from-parts --encoder ENCODER_DIR --lm LM_DIR --out DST_DIR [--projector linear|mlp] [--downsample N]
    A pretrained audio encoder (Whisper / Qwen2-Audio / Qwen3-Omni AuT) + a causal LM -> a ready UAS-Audio folder
    (tokenizer extended with the audio tokens, embeddings resized, new projector).
"""

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert Qwen2-Audio, or assemble encoder + LM, into a UAS-Audio folder",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)

    qwen2 = kinds.add_parser("qwen2-audio", help="convert a saved Qwen2-Audio folder")
    qwen2.add_argument("src", help="Qwen2-Audio folder (config.json, safetensors weights, processor files)")
    qwen2.add_argument("dst", help="output UAS-Audio folder")
    qwen2.add_argument("--max-audio-seconds", type=float, default=None, help="processor limit on clip length")
    qwen2.set_defaults(func=_run_qwen2_audio)

    parts = kinds.add_parser("from-parts", help="assemble a pretrained audio encoder and a causal LM")
    parts.add_argument("--encoder", required=True, help="audio encoder folder (Whisper, Qwen2-Audio, Qwen3-Omni)")
    parts.add_argument("--lm", required=True, help="causal LM folder with its tokenizer")
    parts.add_argument("--out", required=True, help="output UAS-Audio folder")
    parts.add_argument("--projector", default="linear", choices=["linear", "mlp"], help="projector type")
    parts.add_argument("--downsample", type=int, default=1, help="encoder frames stacked per audio embedding")
    parts.add_argument("--max-audio-seconds", type=float, default=None, help="processor limit on clip length")
    parts.set_defaults(func=_run_from_parts)


def _check_dir(path: str, name: str) -> None:
    from .main import UsageError

    if not Path(path).is_dir():
        raise UsageError(f"{name} {path!r} is not a folder; pass a local model folder saved with save_pretrained.")


def _run_qwen2_audio(args: argparse.Namespace) -> int:
    _check_dir(args.src, "SRC")
    from ..models.uas_audio.convert_qwen2_audio import convert_qwen2_audio

    dst = convert_qwen2_audio(args.src, args.dst, max_audio_seconds=args.max_audio_seconds)
    print(f"UAS-Audio folder written to {dst}")
    return 0


def _run_from_parts(args: argparse.Namespace) -> int:
    _check_dir(args.encoder, "--encoder")
    _check_dir(args.lm, "--lm")
    from ..models.uas_audio.builder import build_uas_audio_from_parts

    dst = build_uas_audio_from_parts(
        args.encoder,
        args.lm,
        args.out,
        projector_type=args.projector,
        downsample_factor=args.downsample,
        max_audio_seconds=args.max_audio_seconds,
    )
    print(f"UAS-Audio folder written to {dst}")
    return 0
