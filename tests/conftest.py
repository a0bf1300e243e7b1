"""Shared, expensive test fixtures (kept minimal; see docs/contributing.md)."""

import hashlib
import shutil
import time
from importlib import resources
from pathlib import Path

import pytest


_STALE_AFTER_S = 24 * 3600


def _corpus_fingerprint() -> str:
    """Hash of the corpus builder's code and data: a changed builder never reuses a stale test corpus."""
    digest = hashlib.sha256()
    package = resources.files("uas_hf.data.corpus")
    for entry in sorted(package.iterdir(), key=lambda p: p.name):
        if entry.name.endswith((".py", ".txt", ".json")):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def small_corpus() -> Path:
    """The `small` embedded corpus (150 clips, seed 0) as an audiofolder path: ``{train,validation,test}/``.

    Built once into ``$UAS_HF_CACHE/test-corpora`` (default ``~/.cache/uas_hf/test-corpora``) under a name keyed by
    the corpus version and the builder's code, and reused by later test runs (a rebuild takes ~10-40 s on 2 cores).
    """
    from uas_hf.data.corpus import CORPUS_VERSION, CorpusBuildError, build_corpus
    from uas_hf.data.corpus._sources import default_cache_dir

    root = default_cache_dir() / "test-corpora"
    name = f"small-seed0-v{CORPUS_VERSION}-{_corpus_fingerprint()}"
    out = root / name
    if root.is_dir():  # drop corpora of older builder code (~15 MB each) unused for a day
        for stale in root.glob("small-seed0-*"):
            if stale.is_dir() and stale.name != name and time.time() - stale.stat().st_mtime > _STALE_AFTER_S:
                shutil.rmtree(stale, ignore_errors=True)
    try:
        build_corpus(out, size="small", seed=0, progress=False)
    except CorpusBuildError as e:
        pytest.fail(f"the embedded test corpus could not be built: {e}")
    return out
