"""`uas-hf annotate SOURCE --out DIR`: Stage 1 → 2 → 3 → UAS-QA into a Hub-ready dataset folder (resumable)."""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "annotate",
        help="annotate an audio corpus with UAS + UAS-QA (resumable, sharded)",
        description=(
            "Run the UAS pipeline (paper §2.2) on SOURCE, an audiofolder (metadata.jsonl/csv with file_name + "
            "transcription, splits as subfolders) or a `save_to_disk` dataset, and write a dataset folder that "
            "`load_dataset(DIR, 'uas')` / `load_dataset(DIR, 'qa')` load. Re-running the same command resumes."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("source", metavar="SOURCE", help="audiofolder or save_to_disk dataset folder")
    p.add_argument("--out", required=True, help="output dataset folder (also the resume point)")
    stages = p.add_argument_group("stages")
    stages.add_argument("--captioner", default="analyzer", choices=["analyzer", "transformers", "openai"])
    stages.add_argument("--captioner-model", help="local checkpoint folder (transformers) or served model name")
    stages.add_argument("--captioner-url", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1")
    stages.add_argument("--synthesizer", default="rules", choices=["rules", "transformers", "openai"])
    stages.add_argument("--synthesizer-model", help="local checkpoint folder (transformers) or served model name")
    stages.add_argument("--synthesizer-url", help="OpenAI-compatible base URL")
    stages.add_argument("--vad", default="auto", choices=["auto", "silero", "energy"], help="analyzer VAD")
    stages.add_argument("--device", help="torch device for transformers backends (default: cuda if available)")
    stages.add_argument("--max-new-tokens", type=int, default=None, help="generation budget of model backends")
    stages.add_argument("--timeout", type=float, default=120.0, help="seconds per server request")
    stages.add_argument("--max-retries", type=int, default=3, help="retries per server request")
    stages.add_argument("--concurrency", type=int, default=8, help="server requests in flight")
    stages.add_argument(
        "--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the server's API key, if any"
    )
    run = p.add_argument_group("run")
    run.add_argument("--batch-size", type=int, default=32)
    run.add_argument("--num-shards", type=int, default=None, help="default: $WORLD_SIZE, --num-proc or 1")
    run.add_argument("--shard-index", type=int, default=None, help="default: $RANK or 0")
    run.add_argument("--num-proc", type=int, default=1, help="local worker processes (one shard each)")
    run.add_argument("--no-merge", action="store_true", help="only process this shard; merge later")
    run.add_argument("--merge-only", action="store_true", help="merge finished shards without processing")
    run.add_argument("--overwrite", action="store_true", help="discard a previous job in --out")
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")
    data = p.add_argument_group("data")
    data.add_argument("--audio-column", help="audio column of a saved dataset")
    data.add_argument("--text-column", help="transcript column (default: transcription/text/sentence/...)")
    data.add_argument("--splits", nargs="+", help="only these splits")
    data.add_argument("--max-duration", type=float, default=60.0, help="reject longer inputs (seconds)")
    data.add_argument("--no-embed-audio", action="store_true", help="store source paths instead of audio bytes")
    data.add_argument("--no-qa", action="store_true", help="skip UAS-QA")
    data.add_argument("--qa-seed", type=int, default=0)
    data.add_argument("--license", default="other", help="licence of the output (that of the source)")
    data.add_argument("--license-note", help="where the licence comes from")
    p.set_defaults(func=run_annotate)


def _backend_kwargs(kind: str, model: str | None, url: str | None, args, stage: str) -> dict:
    from .main import UsageError

    flag = f"--{stage}"
    if kind in ("analyzer", "rules"):
        if model or url:
            raise UsageError(f"{flag}-model/{flag}-url apply to the transformers and openai backends, not {kind!r}.")
        # Only non-default settings go into the job identity, so CLI and Python runs of one job agree.
        return {"vad": args.vad} if kind == "analyzer" and args.vad != "auto" else {}
    if kind == "transformers":
        if not model:
            raise UsageError(f"`{flag} transformers` needs {flag}-model LOCAL_FOLDER.")
        kwargs = {"model": model, "device": args.device}
        if args.max_new_tokens:
            kwargs["max_new_tokens"] = args.max_new_tokens
        return kwargs
    if not (url and model):
        raise UsageError(f"`{flag} openai` needs {flag}-url URL and {flag}-model NAME.")
    kwargs = {
        "base_url": url,
        "model": model,
        "timeout_s": args.timeout,
        "max_retries": args.max_retries,
        "concurrency": args.concurrency,
        "api_key_env": args.api_key_env,
    }
    if args.max_new_tokens:
        kwargs["max_tokens"] = args.max_new_tokens
    return kwargs


def run_annotate(args) -> int:
    from ..data.qa import generate_qa
    from ..pipeline.runner import AnnotateConfig, annotate, merge
    from .main import UsageError

    if args.no_merge and args.merge_only:
        raise UsageError("--no-merge and --merge-only contradict each other; pass one.")
    captioner_kwargs = _backend_kwargs(args.captioner, args.captioner_model, args.captioner_url, args, "captioner")
    synthesizer_kwargs = _backend_kwargs(
        args.synthesizer, args.synthesizer_model, args.synthesizer_url, args, "synthesizer"
    )
    config = AnnotateConfig(
        source=args.source,
        output_dir=args.out,
        captioner=args.captioner,
        captioner_kwargs=captioner_kwargs,
        synthesizer=args.synthesizer,
        synthesizer_kwargs=synthesizer_kwargs,
        batch_size=args.batch_size,
        num_shards=args.num_shards,
        shard_index=args.shard_index,
        num_proc=args.num_proc,
        merge=not args.no_merge,
        embed_audio=not args.no_embed_audio,
        max_duration_s=args.max_duration,
        audio_column=args.audio_column,
        text_column=args.text_column,
        splits=args.splits,
        qa=not args.no_qa,
        qa_seed=args.qa_seed,
        license=args.license,
        license_note=args.license_note,
        progress=not args.no_progress,
        overwrite=args.overwrite,
    )
    if args.merge_only:
        summary = merge(config, generate_qa)
        if summary is None:
            raise UsageError(f"cannot merge {args.out!r} yet: some shards are unfinished (or another merge runs).")
    else:
        summary = annotate(config, qa_generator=generate_qa)
    if summary is None:
        print(f"shard {config.shard_index} of {config.num_shards} done; the last shard to finish merges.")
        return 0
    short = {k: summary[k] for k in ("inputs", "accepted", "rejected", "qa_items", "clips_per_second")}
    short["rejection_reasons"] = summary["rejection_reasons"]
    print(json.dumps(short, indent=2))
    return 0
