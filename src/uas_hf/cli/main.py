"""`uas-hf` entry point.

Each subcommand lives in its own module under `uas_hf.cli` and exposes ``register(subparsers)``, which adds its
parser and sets ``func`` (a callable taking the parsed namespace and returning an exit code). Modules must not
import heavy libraries (torch, transformers) at import time so that ``uas-hf --help`` stays fast; import them
inside the command.

Exit codes: 0 success (bad *records* are rejections, not failures), 2 usage errors (bad arguments, missing files),
1 unexpected failures.
"""

import argparse
import importlib
import sys

from .. import __version__
from ..utils.logging import configure_cli_logging


# Subcommand name -> module. Order is the order shown in `uas-hf --help`.
SUBCOMMANDS: dict[str, str] = {
    "e2e": "uas_hf.cli.e2e",
    "corpus": "uas_hf.cli.corpus",
    "validate": "uas_hf.cli.validate",
    "qa": "uas_hf.cli.qa",
    "annotate": "uas_hf.cli.annotate",
    "convert": "uas_hf.cli.convert",
    "train": "uas_hf.cli.train",
    "eval": "uas_hf.cli.eval",
    "score": "uas_hf.cli.score",
    "push": "uas_hf.cli.push",
    "reproduce": "uas_hf.cli.reproduce",
}


class UsageError(Exception):
    """A problem with what the user asked for (exit code 2), reported as one readable line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uas-hf",
        description="Unified Audio Schema tools for the Hugging Face stack.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"uas_hf {__version__}")
    parser.add_argument(
        "--verbosity", default=None, choices=["debug", "info", "warning", "error"], help="log level (default: info)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS.values():
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    configure_cli_logging(args.verbosity)
    try:
        return int(args.func(args) or 0)
    except UsageError as e:
        print(f"uas-hf {args.command}: error: {e}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, FileNotFoundError, ImportError) as e:
        # Typed errors from the library carry a message that names the parameter and the fix.
        print(f"uas-hf {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"uas-hf {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
