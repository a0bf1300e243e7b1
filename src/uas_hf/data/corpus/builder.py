"""`build_corpus`: the embedded labelled corpus as an audiofolder (see docs/architecture.md)."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import shutil
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ... import __version__
from ...utils import get_logger, write_jsonl
from ._inventory import FAMILIES, FIXED_VOICES, LICENSE_URLS, PACKAGES, SOUND_CLASSES
from ._plan import CLIP_TYPES, SIZES, SPLIT_SEED, SPLITS, assign_splits, clip_counts, load_sentences, plan_clips
from ._render import (
    LOUDNESS_THRESHOLDS_DB,
    PITCH_THRESHOLDS_HZ,
    RATE_THRESHOLDS_WPM,
    Renderer,
    init_worker,
    render_in_worker,
)
from ._sources import (
    PREP_VERSION,
    default_cache_dir,
    ensure_packages,
    load_allison_prompts,
    package_versions,
    prepare_one,
    recording_jobs,
)
from ._voices import check_tools, festival_batch


logger = get_logger(__name__)

CORPUS_VERSION = "4"  # bump whenever the output for a given (size, seed) changes
STAMP_FILE = ".uas_hf_corpus.json"
INFO_FILE = "corpus_info.json"
ATTRIBUTION_FILE = "ATTRIBUTION.md"
_OWN_ENTRIES = {*SPLITS, INFO_FILE, ATTRIBUTION_FILE, STAMP_FILE}

COLUMNS: dict[str, str] = {
    "file_name": "WAV file (16 kHz mono PCM16) next to metadata.jsonl",
    "id": "clip id, '<split>-<index>'",
    "clip_type": f"one of {list(CLIP_TYPES)}",
    "duration": "clip length in seconds",
    "transcription": "the words spoken (null when there is no speech)",
    "sentence_id": "sentence pool id ('s0001'...) or 'asterisk:<prompt>' for recorded speech; splits share none",
    "has_speech": "whether the clip contains speech",
    "voice": "engine:voice[:variant]; splits share no voice",
    "voice_engine": "espeak-ng | flite | festival | recorded",
    "speaker": "the voice identity behind the voice (espeak-ng variant group or human speaker); splits share none",
    "gender": "Male | Female, from the voice's construction (espeak-ng variant file / the voice's speaker)",
    "age_group": "Adult, or Child / Elderly as proxies (see age_is_proxy)",
    "age_is_proxy": "true when age_group is a constructed proxy, not a real speaker's age",
    "age_source": "how age_group was constructed",
    "accent": "accent label from the voice's construction (espeak-ng language variant / voice origin)",
    "accent_code": "espeak-ng language variant or fixed voice id",
    "speaking_rate_wpm": "words per minute over the active speech span of the constructed (dry) speech",
    "speaking_rate": f"slow | normal | fast (thresholds {RATE_THRESHOLDS_WPM} wpm)",
    "pitch_hz": "median F0 of the constructed speech measured before mixing (YIN)",
    "pitch": f"low | medium | high relative to gender (thresholds {PITCH_THRESHOLDS_HZ} Hz)",
    "loudness_db": "active speech level in dBFS as mixed",
    "loudness": f"quiet | normal | loud (thresholds {LOUDNESS_THRESHOLDS_DB} dBFS)",
    "speech_onset": "start of the speech in seconds",
    "speech_offset": "end of the speech in seconds",
    "events": "discrete events: [{label, event_class, onset, offset, level_db, source}] in time order",
    "event_labels": "labels of `events`",
    "event_sources": "recording ids of `events`; splits share none",
    "background": "continuous background label (null for none)",
    "background_class": f"one of {[c.name for c in SOUND_CLASSES.values() if c.kind == 'background']}",
    "background_source": "recording id, or synthetic:<color>-noise:<clip> (generated per clip); splits share none",
    "background_level_db": "background RMS level in dBFS as mixed",
    "snr_db": "speech-to-background ratio in dB (speech active level vs background RMS)",
    "license": "licence the clip can be redistributed under (see ATTRIBUTION.md)",
    "uas": "canonical UAS JSON of the construction truth (emotion is never constructed: null)",
}


def _check_args(size: str, seed: Any, n_clips: Any, num_workers: Any) -> int:
    if size not in SIZES:
        raise ValueError(f"`size` must be one of {sorted(SIZES)}; got {size!r}.")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer; got {seed!r}.")
    if not isinstance(num_workers, int) or num_workers < 1:
        raise ValueError(f"`num_workers` must be a positive integer; got {num_workers!r}.")
    n = SIZES[size] if n_clips is None else n_clips
    if not isinstance(n, int) or isinstance(n, bool):
        raise ValueError(f"`n_clips` must be an integer or None; got {n_clips!r}.")
    clip_counts(n)  # validates the minimum
    return n


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_complete(out: Path, key: dict) -> bool:
    stamp = _read_json(out / STAMP_FILE)
    if stamp is None or stamp.get("key") != key:
        return False
    return all((out / s / "metadata.jsonl").is_file() for s in SPLITS) and (out / INFO_FILE).is_file()


def _owned_or_empty(out: Path) -> bool:
    if not out.exists():
        return True
    if not out.is_dir():
        return False
    entries = {p.name for p in out.iterdir()}
    return STAMP_FILE in entries or entries <= _OWN_ENTRIES


def build_corpus(
    out_dir: str | os.PathLike,
    size: str = "default",
    seed: int = 0,
    *,
    n_clips: int | None = None,
    num_workers: int = 2,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
    force: bool = False,
) -> dict[str, Any]:
    """Build the embedded labelled corpus into ``out_dir`` (an audiofolder) and return its ``corpus_info.json``.

    Real audio from Debian packages (voices from espeak-ng, flite and festival; recorded speech, music, events and
    ambiences from the packages listed in `PACKAGES`) is mixed into clips whose labels are known by construction.
    Splits share no voice, speaker, sentence or recording. Rebuilding with the same ``size``/``seed``/``n_clips``
    reuses a complete ``out_dir``; a partial or different one is rebuilt from scratch.

    Args:
        out_dir (`str` or `os.PathLike`):
            Output folder: ``{train,validation,test}/*.wav`` + ``metadata.jsonl``, ``ATTRIBUTION.md``,
            ``corpus_info.json``. Must be new, empty, or a previous corpus build.
        size (`str`, *optional*, defaults to `"default"`):
            ``"small"`` (150 clips, for tests) or ``"default"`` (2,400 clips).
        seed (`int`, *optional*, defaults to `0`):
            Which clips are drawn. Which voices, sentences and recordings are held out does not depend on it.
        n_clips (`int`, *optional*):
            Override the clip count of ``size`` (at least 15).
        num_workers (`int`, *optional*, defaults to `2`):
            Worker processes for decoding and synthesis (1 = in this process).
        cache_dir (`str` or `os.PathLike`, *optional*):
            Where the .deb files, their extracted contents and the prepared recordings are kept
            (defaults to ``$UAS_HF_CACHE`` or ``~/.cache/uas_hf``).
        progress (`bool`, *optional*, defaults to `True`):
            Show tqdm progress bars.
        force (`bool`, *optional*, defaults to `False`):
            Rebuild even when ``out_dir`` already holds this exact corpus.

    Raises:
        `CorpusBuildError`: a system tool is missing (run ``bash scripts/setup.sh``) or a Debian package cannot be
        downloaded (offline); the message names it.

    Example:

    ```python
    >>> from uas_hf.data.corpus import build_corpus
    >>> info = build_corpus("runs/uas_corpus", size="small", seed=0)  # doctest: +SKIP
    >>> info["splits"]["test"]["clips"]  # doctest: +SKIP
    22
    >>> from datasets import load_dataset  # doctest: +SKIP
    >>> ds = load_dataset("audiofolder", data_dir="runs/uas_corpus")  # doctest: +SKIP

    ```
    """
    n = _check_args(size, seed, n_clips, num_workers)
    out = Path(out_dir)
    key = {"corpus_version": CORPUS_VERSION, "prep_version": PREP_VERSION, "size": size, "seed": seed, "n_clips": n}
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent builds of one folder (parallel test sessions) take turns
        if not force and _is_complete(out, key):
            logger.info("reusing the complete corpus in %s (%s)", out, key)
            return _read_json(out / INFO_FILE)
        if not _owned_or_empty(out):
            raise ValueError(
                f"`out_dir` {str(out)!r} exists and is not a uas_hf corpus (it holds other files). Choose a new or "
                "empty folder; the builder only replaces folders it created."
            )
        return _build(out, key, seed, n, num_workers, cache_dir, progress)


def _build(out: Path, key: dict, seed: int, n: int, num_workers: int, cache_dir, progress: bool) -> dict[str, Any]:
    started = time.perf_counter()
    tools = check_tools()
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time fills the shared package / recording cache
        return _build_locked(out, key, seed, n, num_workers, cache, progress, started, tools)


def _build_locked(out, key, seed, n, num_workers, cache: Path, progress, started, tools) -> dict[str, Any]:
    logger.info("fetching Debian packages into %s", cache)
    roots = ensure_packages(cache)
    prompts = load_allison_prompts(roots)
    jobs = [j for j in recording_jobs(roots, cache, prompts) if not os.path.exists(j[1])]
    assignment = assign_splits(load_sentences(), prompts)
    specs = plan_clips(seed, n, assignment)

    tmp = out.parent / f".{out.name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    for split in SPLITS:
        (tmp / split).mkdir(parents=True)
    (cache / f"prepared-v{PREP_VERSION}").mkdir(parents=True, exist_ok=True)
    festival_jobs = _festival_jobs(specs, tmp / ".festival")
    rows = _run(jobs, festival_jobs, specs, str(cache), str(tmp), num_workers, progress)
    shutil.rmtree(tmp / ".festival", ignore_errors=True)

    by_split: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for spec, row in zip(specs, rows):
        by_split[spec["split"]].append(row)
    for split, split_rows in by_split.items():
        write_jsonl(tmp / split / "metadata.jsonl", split_rows)
    info = _corpus_info(key, by_split, tools, package_versions(cache), time.perf_counter() - started)
    (tmp / ATTRIBUTION_FILE).write_text(_attribution(by_split, info), encoding="utf-8")
    (tmp / INFO_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp / STAMP_FILE).write_text(json.dumps({"key": key, "complete": True}) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    logger.info("built %d clips into %s in %.1f s", n, out, info["build_seconds"])
    return info


FESTIVAL_BATCH = 40  # sentences per festival process (one start-up per batch)


def _festival_jobs(specs: list[dict], folder: Path) -> list[tuple[str, list[tuple[str, str, float, float]]]]:
    """Group festival clips into batches; each clip's params get the ``wav`` its batch will write."""
    by_voice: dict[str, list[tuple[str, str, float]]] = {}
    for spec in specs:
        params = spec.get("speech", {}).get("params", {})
        if params.get("engine") == "festival":
            params["wav"] = str(folder / f"{spec['id']}.wav")
            item = (params["wav"], spec["speech"]["text"], params["stretch"], params["f0"])
            by_voice.setdefault(params["voice"], []).append(item)
    if by_voice:
        folder.mkdir(parents=True, exist_ok=True)
    return [
        (voice, items[i : i + FESTIVAL_BATCH])
        for voice, items in sorted(by_voice.items())
        for i in range(0, len(items), FESTIVAL_BATCH)
    ]


def _run(
    jobs: list, festival_jobs: list, specs: list[dict], cache: str, out: str, num_workers: int, progress: bool
) -> list[dict]:
    from tqdm.auto import tqdm

    if num_workers == 1:
        for job in tqdm(jobs, desc="preparing recordings", disable=not progress or not jobs):
            prepare_one(job)
        for job in festival_jobs:
            festival_batch(job)
        renderer = Renderer(cache, out, None)
        return [renderer.render(s) for s in tqdm(specs, desc="rendering clips", disable=not progress)]
    # forkserver: workers start clean even when the parent has torch or arrow threads running
    ctx = multiprocessing.get_context("forkserver")
    with ctx.Pool(num_workers, initializer=init_worker, initargs=(cache, out, None)) as pool:
        if jobs:
            list(tqdm(pool.imap_unordered(prepare_one, jobs), total=len(jobs), desc="preparing recordings",
                      disable=not progress))  # fmt: skip
        pool.map(festival_batch, festival_jobs)
        return list(
            tqdm(pool.imap(render_in_worker, specs, chunksize=4), total=len(specs), desc="rendering clips",
                 disable=not progress)
        )  # fmt: skip


def _corpus_info(key: dict, by_split: dict, tools: dict, debs: dict, seconds: float) -> dict:
    splits = {}
    for split, rows in by_split.items():
        speech = [r for r in rows if r["has_speech"]]
        events = [e for r in rows for e in r["events"]]
        bg_rows = [r for r in rows if r["background_class"]]
        splits[split] = {
            "clips": len(rows),
            "speech_clips": len(speech),
            "no_speech_clips": len(rows) - len(speech),
            "hours": round(sum(r["duration"] for r in rows) / 3600, 3),
            "clip_types": dict(Counter(r["clip_type"] for r in rows)),
            "voices": len({r["voice"] for r in speech}),
            "speakers": sorted({r["speaker"] for r in speech}),
            "sentences": len({r["sentence_id"] for r in speech}),
            **{
                col: dict(sorted(Counter(str(r[col]) for r in speech).items()))
                for col in ("voice_engine", "gender", "age_group", "accent", "speaking_rate", "pitch", "loudness")
            },
            "events": dict(sorted(Counter(e["event_class"] for e in events).items())),
            "event_recordings": {
                c: len({e["source"] for e in events if e["event_class"] == c})
                for c in sorted({e["event_class"] for e in events})
            },
            "backgrounds": dict(sorted(Counter(r["background_class"] for r in bg_rows).items())),
            "background_recordings": {
                c: len({r["background_source"] for r in bg_rows if r["background_class"] == c})
                for c in sorted({r["background_class"] for r in bg_rows})
            },
            "license": dict(sorted(Counter(r["license"] for r in rows).items())),
        }
    return {
        "name": "uas_hf embedded labelled corpus",
        **key,
        "split_seed": SPLIT_SEED,
        "sample_rate": 16000,
        "splits": splits,
        "columns": COLUMNS,
        "label_thresholds": {
            "speaking_rate_wpm": RATE_THRESHOLDS_WPM,
            "pitch_hz": PITCH_THRESHOLDS_HZ,
            "loudness_dbfs": LOUDNESS_THRESHOLDS_DB,
        },
        "versions": {"uas_hf": __version__, "tools": tools, "debian_packages": debs},
        "build_seconds": round(seconds, 1),
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _attribution(by_split: dict, info: dict) -> str:
    used = sorted(
        {e["source"] for rows in by_split.values() for r in rows for e in r["events"]}
        | {r["background_source"] for rows in by_split.values() for r in rows if r["background_source"]}
        | {
            r["sentence_id"].replace("asterisk:", "asterisk-core-sounds-en-wav:" + FAMILIES["allison"].root + "/")
            + ".wav"
            for rows in by_split.values()
            for r in rows
            if r["voice_engine"] == "recorded"
        }
    )
    debs = info["versions"]["debian_packages"]
    tools = info["versions"]["tools"]
    lines = [
        "# Attribution and licences",
        "",
        f"Built by uas_hf {info['versions']['uas_hf']} (corpus version {info['corpus_version']}, size "
        f"{info['size']!r}, seed {info['seed']}) from the Debian packages and voices below. Every source recording "
        "was modified: decoded, resampled to 16 kHz mono, trimmed or cut, level-adjusted and mixed with other "
        "sounds and/or synthesized speech.",
        "",
        "Each clip's `license` column says under which licence that clip may be redistributed. Recordings are only "
        "mixed when their licences are compatible: `CC-BY-SA-3.0` clips contain only CC-BY-SA-3.0 recordings, GPL "
        "clips only GPL recordings (the version shown), and `synthetic` clips contain only synthesized speech and/or "
        "generated noise.",
        "",
        "## Voices (synthesized speech)",
        "",
        f"- **espeak-ng** (Debian {tools.get('espeak-ng', '?')}; GPL-3.0-or-later, https://github.com/espeak-ng/"
        "espeak-ng): English language variants and voice variants.",
        f"- **flite** (Debian {tools.get('flite', '?')}; Carnegie Mellon University, BSD-style licence, "
        "http://cmuflite.org): voices awb, rms, slt, kal16.",
        f"- **festival** (Debian {tools.get('festival', '?')}) with `festvox-kallpc16k` "
        f"({tools.get('festvox-kallpc16k', '?')}; kal_diphone; Alan W Black and Kevin Lenzo, 1998, free to use and "
        f"distribute with notice) and `festvox-kdlpc16k` ({tools.get('festvox-kdlpc16k', '?')}; ked_diphone; Centre "
        "for Speech Technology Research, University of Edinburgh, 1997, free to use and distribute with notice).",
        "",
        "## Sentences",
        "",
        "The sentence pool (`uas_hf/data/corpus/sentences.txt`) was written for uas_hf and is distributed with it "
        "under Apache-2.0. Recorded speech uses the transcripts shipped in `asterisk-core-sounds-en` (CC-BY-SA-3.0, "
        "Allison Smith / Digium, Inc.).",
        "",
        "## Recordings (file families)",
        "",
        "| family | Debian package (.deb) | files under | licence | copyright |",
        "|---|---|---|---|---|",
    ]
    for name, fam in FAMILIES.items():
        lines.append(
            f"| {name} | `{fam.package}` ({debs.get(fam.package, '?')}) | `{fam.root}` | "
            f"[{fam.license}]({LICENSE_URLS[fam.license]}) | {fam.copyright} |"
        )
    lines += [
        "",
        "The full licence and copyright texts are in each package's `/usr/share/doc/<package>/copyright` "
        f"({', '.join(f'`{p}`' for p in PACKAGES)}).",
        "",
        "## Every recording used in this build",
        "",
    ]
    fam_by_root = sorted(((f.package, f.root, f.license) for f in FAMILIES.values()), key=lambda t: -len(t[1]))
    for rec in used:
        package, path = rec.split(":", 1)
        lic = next((lic for p, root, lic in fam_by_root if p == package and path.startswith(root)), "?")
        lines.append(f"- `{rec}` — {lic}")
    lines.append("")
    lines.append(
        f"Speakers of the recorded speech: {', '.join(v.voice for v in FIXED_VOICES if v.engine == 'recorded')} "
        "(Allison Smith)."
    )
    return "\n".join(lines) + "\n"
