"""`uas-hf corpus build --out DIR [--size small|default] [--seed N]`: build the embedded labelled corpus.

Real offline audio from Debian packages (espeak-ng / flite / festival voices, recorded speech, events, music and
ambiences fetched with `apt-get download` into a cache, never installed) mixed into clips whose labels are known by
construction. The output is an audiofolder: `load_dataset("audiofolder", data_dir=DIR)` loads it.
"""

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "corpus",
        help="build the embedded labelled corpus (real Debian audio, labels from construction)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="build (or reuse) the corpus in --out")
    build.add_argument("--out", required=True, metavar="DIR", help="output folder (new, empty, or a previous build)")
    build.add_argument(
        "--size", default="default", choices=["small", "default"], help="small: 150 clips; default: 2400"
    )
    build.add_argument("--seed", type=int, default=0, help="which clips are drawn (held-out voices do not change)")
    build.add_argument("--n-clips", type=int, default=None, help="override the clip count of --size (>= 15)")
    build.add_argument("--workers", type=int, default=2, help="worker processes")
    build.add_argument(
        "--cache-dir", default=None, help="cache for .deb files (default: $UAS_HF_CACHE or ~/.cache/uas_hf)"
    )
    build.add_argument("--force", action="store_true", help="rebuild even if --out already holds this corpus")
    build.add_argument("--no-progress", action="store_true", help="no progress bars")
    build.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.corpus import CorpusBuildError, build_corpus

    try:
        info = build_corpus(
            args.out,
            size=args.size,
            seed=args.seed,
            n_clips=args.n_clips,
            num_workers=args.workers,
            cache_dir=args.cache_dir,
            progress=not args.no_progress,
            force=args.force,
        )
    except CorpusBuildError as e:
        print(f"uas-hf corpus: error: {e}", file=sys.stderr)
        return 1
    for split, stats in info["splits"].items():
        print(
            f"{split:>10}: {stats['clips']:5d} clips ({stats['speech_clips']} with speech), "
            f"{len(stats['speakers'])} speakers, {stats['voices']} voices, {stats['sentences']} sentences"
        )
    print(f"corpus {info['corpus_version']} (size {info['size']}, seed {info['seed']}) in {args.out}")
    print(f'load it with: datasets.load_dataset("audiofolder", data_dir={args.out!r})')
    return 0
