"""Fetching the Debian packages (``apt-get download`` + ``dpkg-deb -x`` into a cache; nothing is installed into /)
and preparing their recordings as 16 kHz float32 arrays."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from ...utils import get_logger
from ._audio import SAMPLE_RATE, load_audio, trim
from ._inventory import ASTERISK_TRANSCRIPTS, FAMILIES, PACKAGES, SOUND_CLASSES, recording_id
from ._voices import CorpusBuildError


logger = get_logger(__name__)

CACHE_ENV = "UAS_HF_CACHE"
PREP_VERSION = "2"  # bump when the preparation below changes (invalidates the prepared arrays)
MAX_BACKGROUND_S = 60.0  # longer background recordings are cut: a minute is plenty to draw stretches from
_APT_TIMEOUT_S = 600


def default_cache_dir() -> Path:
    """``$UAS_HF_CACHE`` or ``~/.cache/uas_hf``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "uas_hf")


def _apt_get(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["apt-get", *args], cwd=cwd, capture_output=True, text=True, timeout=_APT_TIMEOUT_S)


def _download(package: str, debs: Path) -> Path:
    """``apt-get download PACKAGE`` into ``debs`` (running ``apt-get update`` once if the package is unknown)."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise CorpusBuildError(
            f"Debian package `{package}` is needed and `apt-get`/`dpkg-deb` are not available on this machine. "
            f"Place {package}_*.deb in {debs} yourself, or build on Debian/Ubuntu."
        )
    proc = _apt_get(["download", package], debs)
    unknown = re.search(r"Unable to locate package|has no installation candidate|Can't select", proc.stderr or "")
    if proc.returncode != 0 and unknown:
        logger.info("apt-get does not know %s yet; running apt-get update", package)
        if os.geteuid() != 0:
            raise CorpusBuildError(
                f"`apt-get download {package}` failed: apt's package lists are missing or stale and updating them "
                f"needs root. Run `sudo apt-get update` once, then build again. apt said: {proc.stderr.strip()[-300:]}"
            )
        _apt_get(["update", "-qq"], debs)
        proc = _apt_get(["download", package], debs)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if proc.returncode != 0 or not found:
        raise CorpusBuildError(
            f"Could not download the Debian package `{package}` (`apt-get download {package}` exited "
            f"{proc.returncode}; offline or no Debian mirror?). apt said: {(proc.stderr or '').strip()[-400:]}\n"
            f"Fix: connect to a Debian mirror, or copy {package}_*.deb into {debs} and build again."
        )
    return found[-1]


def _members(package: str) -> list[str]:
    paths = {f"usr/share/doc/{package}"} | {f.root for f in FAMILIES.values() if f.package == package}
    if package == ASTERISK_TRANSCRIPTS[0]:
        paths.add(os.path.dirname(ASTERISK_TRANSCRIPTS[1]))
    return sorted(f"./{p}" for p in paths)


def ensure_package(package: str, cache: Path) -> Path:
    """Extract the parts of ``package`` the corpus uses into ``cache/pkgs/PACKAGE`` (downloading its .deb if
    needed); return that root."""
    root = cache / "pkgs" / package
    stamp = root / ".uas_hf_extracted"
    if stamp.exists():
        return root
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    deb = found[-1] if found else _download(package, debs)
    tmp = root.with_name(root.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    # only the folders the corpus reads (+ the copyright): the game packages are mostly images and models
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE) as unpack:
        proc = subprocess.run(
            ["tar", "-x", "-C", str(tmp), *_members(package)], stdin=unpack.stdout, capture_output=True, text=True
        )
        unpack.stdout.close()
    if proc.returncode != 0 or unpack.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CorpusBuildError(
            f"Extracting package `{package}` from {deb} failed: {proc.stderr.strip()[-300:]}. "
            f"Delete {deb} (it may be truncated or a different version) and build again."
        )
    (tmp / ".uas_hf_extracted").write_text(deb.name + "\n")
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    return root


def ensure_packages(cache: Path) -> dict[str, Path]:
    return {name: ensure_package(name, cache) for name in PACKAGES}


def package_versions(cache: Path) -> dict[str, str]:
    """The .deb each package was extracted from (name_version_arch.deb)."""
    out = {}
    for name in PACKAGES:
        stamp = cache / "pkgs" / name / ".uas_hf_extracted"
        out[name] = stamp.read_text().strip() if stamp.exists() else "missing"
    return out


# ------------------------------------------------------------------------------------------ recordings


def prepared_path(cache: Path, rec_id: str) -> Path:
    digest = hashlib.sha1(rec_id.encode()).hexdigest()[:20]
    return cache / f"prepared-v{PREP_VERSION}" / f"{digest}.npy"


def source_file(roots: dict[str, Path], family: str, path: str) -> Path:
    fam = FAMILIES[family]
    return roots[fam.package] / fam.root / path


def prepare_one(job: tuple[str, str, str, str]) -> str:
    """Decode one recording to 16 kHz mono float32 (events and speech trimmed, backgrounds capped) as ``.npy``."""
    src, dst, kind, rec_id = job
    if os.path.exists(dst):
        return dst
    try:
        x = load_audio(src, SAMPLE_RATE)
    except Exception as e:  # a broken file in a package: name it
        raise CorpusBuildError(f"Could not decode recording {rec_id} ({src}): {e}") from e
    if kind in ("event", "speech"):
        x = trim(x)
    else:
        x = x[: int(MAX_BACKGROUND_S * SAMPLE_RATE)]
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak <= 0 or not np.isfinite(peak):
        raise CorpusBuildError(f"Recording {rec_id} ({src}) is silent or not finite; it cannot be used.")
    tmp = dst + ".tmp.npy"
    np.save(tmp, (x / peak * 0.5).astype(np.float32))  # peak-normalized; levels are set at mixing time
    os.replace(tmp, dst)
    return dst


def recording_jobs(roots: dict[str, Path], cache: Path, allison: dict[str, str]) -> list[tuple[str, str, str, str]]:
    jobs = []
    for cls in SOUND_CLASSES.values():
        for family, path in cls.files:
            rec_id = recording_id(family, path)
            src = source_file(roots, family, path)
            if not src.exists():
                raise CorpusBuildError(
                    f"Recording {rec_id} is missing from the extracted package ({src}). The package version may "
                    f"differ from the one this builder was written for; delete {roots[FAMILIES[family].package]} "
                    "and build again, or report it."
                )
            jobs.append((str(src), str(prepared_path(cache, rec_id)), cls.kind, rec_id))
    for name in allison:
        rec_id = recording_id("allison", f"{name}.wav")
        src = source_file(roots, "allison", f"{name}.wav")
        jobs.append((str(src), str(prepared_path(cache, rec_id)), "speech", rec_id))
    return jobs


# ------------------------------------------------------------------------------------------ Asterisk transcripts

_ALLOWED_TEXT = re.compile(r"^[A-Za-z][A-Za-z ,.'?!-]*$")
MIN_PROMPT_WORDS, MAX_PROMPT_WORDS = 3, 14


def _clean_prompt(text: str) -> str | None:
    text = re.sub(r"\s+", " ", text.replace("...", " ")).strip(" -")
    if not text or not _ALLOWED_TEXT.match(text):
        return None  # tones in [brackets], digits, key names (#, *) or symbols: not verbatim-transcribable
    if not MIN_PROMPT_WORDS <= len(text.split()) <= MAX_PROMPT_WORDS:
        return None
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + "."


def load_allison_prompts(roots: dict[str, Path]) -> dict[str, str]:
    """``{prompt name: transcript}`` for the top-level Allison recordings whose transcript is plain words."""
    package, path = ASTERISK_TRANSCRIPTS
    audio_root = roots[FAMILIES["allison"].package] / FAMILIES["allison"].root
    prompts = {}
    with gzip.open(roots[package] / path, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(";") or ":" not in line:
                continue
            name, text = line.split(":", 1)
            name = name.strip()
            if "/" in name or not (audio_root / f"{name}.wav").exists():
                continue
            clean = _clean_prompt(text)
            if clean:
                prompts[name] = clean
    if not prompts:
        raise CorpusBuildError(f"No usable transcripts found in {roots[package] / path}.")
    return dict(sorted(prompts.items()))
