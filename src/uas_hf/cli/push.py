"""`uas-hf push {model,dataset,space} SRC --repo-id ID [--export-dir DIR]`: export a Hub-ready folder, then push it.

The export always happens (a complete folder with a rendered card); the push needs the network. Offline
(`HF_HUB_OFFLINE=1` or the Hub unreachable) the command stops at once with exit code 1 and says where the folder is
and how to push it later.
"""

import argparse
import sys
import tempfile
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "push",
        help="export a Hub-ready model / dataset / Space folder and push it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, help_text in (
        ("model", "a saved UAS-Audio folder (config.json + safetensors)"),
        ("dataset", "an `uas-hf annotate --out` folder (Parquet configs + summary.json)"),
        ("space", "the demo Space folder (spaces/uas-audio-demo)"),
    ):
        sub = kinds.add_parser(kind, help=help_text)
        sub.add_argument("src", metavar="SRC", help=help_text)
        sub.add_argument("--repo-id", required=True, help="Hub repository, 'user/name'")
        sub.add_argument(
            "--export-dir", default=None, help="where the Hub-ready folder is written (default: a temp dir)"
        )
        sub.add_argument("--private", action="store_true", help="create the repository as private")
        sub.add_argument("--no-push", action="store_true", help="only export the folder")
        default_license = "the annotate job's" if kind == "dataset" else "apache-2.0"
        sub.add_argument(
            "--license", default=None, help=f"licence identifier for the card (default: {default_license})"
        )
        if kind == "model":
            sub.add_argument("--eval-results", nargs="*", default=[], help="evaluation result JSON files")
            sub.add_argument("--training-summary", default=None, help="training_summary.json (default: SRC's)")
            sub.add_argument("--datasets", nargs="*", default=[], help="Hub ids of the training datasets")
        elif kind == "dataset":
            sub.add_argument("--attribution", default=None, help="ATTRIBUTION.md of the source corpus")
        else:
            sub.add_argument("--model", default=None, help="a model folder to bundle, or a Hub model id to reference")
            sub.add_argument("--datasets", nargs="*", default=[], help="Hub ids of datasets the Space uses")
        sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..hub.export import HubOfflineError, export_dataset, export_model, export_space, push_folder
    from .main import UsageError

    src = Path(args.src)
    if not src.is_dir():
        raise UsageError(f"SRC {args.src!r} is not a folder.")
    out = Path(args.export_dir) if args.export_dir else Path(tempfile.mkdtemp(prefix=f"uas-hf-{args.kind}-"))
    if args.kind == "model":
        folder = export_model(
            src,
            out,
            repo_id=args.repo_id,
            evaluations=args.eval_results,
            training_summary=args.training_summary,
            datasets=args.datasets,
            license=args.license or "apache-2.0",
        )
    elif args.kind == "dataset":
        folder = export_dataset(src, out, repo_id=args.repo_id, attribution=args.attribution, license=args.license)
    else:
        model_dir = args.model if args.model and Path(args.model).is_dir() else None
        models = [args.model] if args.model and model_dir is None else []
        folder = export_space(
            src, out, repo_id=args.repo_id, models=models, datasets=args.datasets, model_dir=model_dir
        )
    n_files = sum(1 for p in folder.rglob("*") if p.is_file())
    print(f"Exported {args.kind} to {folder} ({n_files} files).")
    if args.no_push:
        return 0
    try:
        url = push_folder(folder, args.repo_id, args.kind, private=args.private)
    except HubOfflineError as e:
        print(f"uas-hf push: {e}", file=sys.stderr)
        return 1
    print(f"Pushed to {url}")
    return 0
