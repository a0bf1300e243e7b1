"""The embedded labelled corpus: real offline audio from Debian packages, mixed into clips whose labels (gender, age
group, accent, speaking rate, pitch, loudness, events with times, background and SNR, and the full UAS record) are
known by construction. `uas-hf corpus build --out DIR [--size small|default]` calls `build_corpus`.
"""

from ._inventory import combine_licenses
from ._plan import SIZES, SPLIT_SEED, SPLITS
from ._voices import CorpusBuildError, check_tools
from .builder import COLUMNS, CORPUS_VERSION, build_corpus


__all__ = [
    "COLUMNS",
    "CORPUS_VERSION",
    "SIZES",
    "SPLITS",
    "SPLIT_SEED",
    "CorpusBuildError",
    "build_corpus",
    "check_tools",
    "combine_licenses",
]
