"""Deterministic planning: which voices, sentences and recordings belong to which split, and what each clip is.

Split membership depends only on ``SPLIT_SEED`` (fixed), so the held-out voices and recordings are the same for
every build seed; the build seed only changes which clips are drawn. Every random number a clip needs is drawn
here, so rendering is a pure function of the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from ._inventory import (
    BACKGROUND_CLASSES,
    ESPEAK_ACCENTS,
    ESPEAK_VARIANTS,
    EVENT_CLASSES,
    FAMILIES,
    FIXED_SPEAKER_SPLITS,
    FIXED_VARIANT_SPLITS,
    FIXED_VOICES,
    SOUND_CLASSES,
    SYNTHETIC,
    EspeakVariant,
    FixedVoice,
    combine_licenses,
    recording_id,
)


SPLITS = ("train", "validation", "test")
SPLIT_SEED = 4_2024  # fixed on purpose: see the module docstring
SIZES = {"small": 150, "default": 2400}
MIN_CLIPS = 15  # every split needs one clip of each type so that all splits have the same column types
SPLIT_FRACTIONS = (0.70, 0.15, 0.15)
HOLDOUT_FRACTION = 0.22  # share of voice groups (per gender) held out for validation and for test, each
RECORDING_HOLDOUT_FRACTION = 0.2  # share of a class's recordings held out for validation and for test, each
CLIP_TYPES = {  # clip type -> (share, has speech, has background, has events)
    "speech_clean": (0.15, True, False, False),
    "speech_bg": (0.30, True, True, False),
    "speech_events": (0.15, True, False, True),
    "speech_bg_events": (0.28, True, True, True),
    "no_speech": (0.12, False, True, True),
}
ENGINE_WEIGHTS = {"espeak-ng": 0.72, "tts": 0.18, "recorded": 0.10}
CHILD_PROXY_PROBABILITY = 0.2  # share of adult female espeak-ng clips rendered as a child-like proxy
CHILD_SPEEDUP = 1.25  # child proxy: pitch and formants (and rate) raised by playing 1.25x faster

# Targets. The labels themselves come from measuring the constructed speech (see _render.py).
RATE_CLASSES = ("slow", "normal", "fast")
RATE_TARGET_WPM = {"slow": 125.0, "normal": 195.0, "fast": 275.0}
PITCH_CLASSES = ("low", "medium", "high")
# Target median F0 ranges (Hz) per gender and pitch class; the label is the class of the *measured* F0.
PITCH_TARGET_HZ = {
    "Male": {"low": (72.0, 86.0), "medium": (96.0, 114.0), "high": (128.0, 150.0)},
    "Female": {"low": (150.0, 172.0), "medium": (190.0, 218.0), "high": (242.0, 275.0)},
}
# espeak-ng -p moves F0 roughly exponentially: about one octave per 70 steps above 50 and per 85 steps below.
ESPEAK_P_PER_OCTAVE = (85.0, 70.0)
LOUDNESS_CLASSES = ("quiet", "normal", "loud")
LOUDNESS_TARGET_DB = {"quiet": -38.0, "normal": -28.0, "loud": -19.0}
SNR_RANGE_DB = (3.0, 20.0)
NO_SPEECH_BACKGROUND_DB = (-34.0, -22.0)
EVENT_REL_DB = (-6.0, 3.0)  # event active level relative to the speech level
NO_SPEECH_EVENT_DB = (-28.0, -16.0)
PAD_RANGE_S = (0.2, 0.8)
NO_SPEECH_DURATION_S = (3.0, 6.0)
TWO_EVENTS_PROBABILITY = 0.35
# espeak-ng: measured words per minute of the active speech span ~= 1.25 * (-s value) + 5 (calibrated on this pool)
ESPEAK_WPM_SLOPE, ESPEAK_WPM_OFFSET = 1.25, 5.0


# ------------------------------------------------------------------------------------------ sentences


def load_sentences() -> list[tuple[str, str]]:
    """The authored sentence pool as ``[(sentence_id, text), ...]`` (ids ``s0001`` ... in file order)."""
    text = resources.files(__package__).joinpath("sentences.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    sentences = [line for line in lines if line and not line.startswith("#")]
    return [(f"s{i + 1:04d}", s) for i, s in enumerate(sentences)]


# ------------------------------------------------------------------------------------------ split assignment


@dataclass(frozen=True)
class Recording:
    id: str
    family: str
    path: str
    license: str
    sound_class: str


@dataclass
class SplitAssignment:
    variants: dict[str, str]  # espeak-ng variant -> split
    fixed_voices: dict[str, str]  # FixedVoice.voice -> split
    sentences: dict[str, list[tuple[str, str]]]  # split -> [(sentence_id, text)]
    recordings: dict[str, dict[str, list[Recording]]]  # split -> class -> recordings
    allison: dict[str, list[tuple[str, str]]]  # split -> [(prompt name, transcript)]


def _holdout_counts(n: int, fraction: float, minimum: int) -> int:
    return max(minimum, round(n * fraction))


def assign_splits(sentences: list[tuple[str, str]], allison_prompts: dict[str, str]) -> SplitAssignment:
    """Partition voices (by variant group / speaker), sentences and recordings into disjoint splits."""
    variants: dict[str, str] = {}
    for gender_index, gender in enumerate(("Female", "Male")):
        groups = sorted(
            {v.group for v in ESPEAK_VARIANTS if v.gender == gender and v.name not in FIXED_VARIANT_SPLITS}
        )
        order = np.random.default_rng([SPLIT_SEED, 1, gender_index]).permutation(len(groups))
        n_hold = _holdout_counts(len(groups), HOLDOUT_FRACTION, 1)
        group_split = {}
        for rank, i in enumerate(order):
            group_split[groups[i]] = "validation" if rank < n_hold else "test" if rank < 2 * n_hold else "train"
        for v in ESPEAK_VARIANTS:
            if v.gender == gender and v.name not in FIXED_VARIANT_SPLITS:
                variants[v.name] = group_split[v.group]
    variants.update(FIXED_VARIANT_SPLITS)
    fixed = {v.voice: FIXED_SPEAKER_SPLITS[v.speaker] for v in FIXED_VOICES}

    order = np.random.default_rng([SPLIT_SEED, 2]).permutation(len(sentences))
    n_val = round(len(sentences) * SPLIT_FRACTIONS[1])
    n_test = round(len(sentences) * SPLIT_FRACTIONS[2])
    by_split_sent = {"validation": [], "test": [], "train": []}
    for rank, i in enumerate(order):
        split = "validation" if rank < n_val else "test" if rank < n_val + n_test else "train"
        by_split_sent[split].append(sentences[i])

    recordings: dict[str, dict[str, list[Recording]]] = {s: {} for s in SPLITS}
    for class_index, cls in enumerate(EVENT_CLASSES + BACKGROUND_CLASSES):
        if cls.synthetic:
            continue
        recs = sorted(
            (Recording(recording_id(f, p), f, p, FAMILIES[f].license, cls.name) for f, p in cls.files),
            key=lambda r: r.id,
        )
        if len(recs) < 3:
            raise ValueError(f"class {cls.name!r} has {len(recs)} recordings; every split needs its own (>= 3).")
        n_hold = _holdout_counts(len(recs), RECORDING_HOLDOUT_FRACTION, 2 if len(recs) >= 6 else 1)
        order = np.random.default_rng([SPLIT_SEED, 3, class_index]).permutation(len(recs))
        for rank, i in enumerate(order):
            split = "validation" if rank < n_hold else "test" if rank < 2 * n_hold else "train"
            recordings[split].setdefault(cls.name, []).append(recs[i])
    allison_split = FIXED_SPEAKER_SPLITS["asterisk:allison"]
    allison = {s: (sorted(allison_prompts.items()) if s == allison_split else []) for s in SPLITS}
    return SplitAssignment(variants, fixed, by_split_sent, recordings, allison)


# ------------------------------------------------------------------------------------------ clip planning


class _Cycler:
    """Yields the items of a list in random order, reshuffling after each pass: balanced and deterministic."""

    def __init__(self, items: list, rng: np.random.Generator):
        self.items, self.rng, self.queue = list(items), rng, []

    def next(self):
        if not self.queue:
            self.queue = [self.items[i] for i in self.rng.permutation(len(self.items))]
        return self.queue.pop()


def _least_used(candidates: list, counts: dict, rng: np.random.Generator, key=lambda c: c):
    low = min(counts.get(key(c), 0) for c in candidates)
    tied = [c for c in candidates if counts.get(key(c), 0) == low]
    return tied[int(rng.integers(len(tied)))]


def _allocate(n: int, shares: list[float], minimum: int) -> list[int]:
    """Integer counts proportional to ``shares`` summing to ``n``, each at least ``minimum``."""
    raw = [max(minimum, n * s) for s in shares]
    counts = [int(r) for r in raw]
    rest = sorted(range(len(shares)), key=lambda i: raw[i] - counts[i], reverse=True)
    i = 0
    while sum(counts) < n:
        counts[rest[i % len(rest)]] += 1
        i += 1
    while sum(counts) > n:
        j = max(range(len(counts)), key=lambda k: counts[k])
        counts[j] -= 1
    return counts


def clip_counts(n_clips: int) -> dict[str, int]:
    if n_clips < MIN_CLIPS:
        raise ValueError(f"`n_clips` must be at least {MIN_CLIPS} (one clip of each type per split); got {n_clips}.")
    return dict(zip(SPLITS, _allocate(n_clips, list(SPLIT_FRACTIONS), len(CLIP_TYPES))))


def espeak_pitch_param(variant: EspeakVariant, target_hz: float) -> int:
    """The espeak-ng ``-p`` value (0-99) expected to give ``variant`` a median F0 of ``target_hz``."""
    octaves = float(np.log2(target_hz / variant.f0_at_p50))
    steps = ESPEAK_P_PER_OCTAVE[1] if octaves > 0 else ESPEAK_P_PER_OCTAVE[0]
    return int(np.clip(round(50 + octaves * steps), 0, 99))


def _speech_spec(split: str, rng: np.random.Generator, state: dict) -> dict:
    category = rng.choice(state["categories"], p=state["weights"])
    rate = RATE_CLASSES[int(rng.integers(3))]
    pitch = PITCH_CLASSES[int(rng.integers(3))]
    loud = LOUDNESS_CLASSES[int(rng.integers(3))]
    target_wpm = RATE_TARGET_WPM[rate] * float(rng.uniform(0.93, 1.07))
    spec = {
        "target_rate": rate,
        "target_pitch": pitch,
        "target_loudness": loud,
        "level_db": LOUDNESS_TARGET_DB[loud] + float(rng.uniform(-2.0, 2.0)),
        "pad_before": float(rng.uniform(*PAD_RANGE_S)),
        "pad_after": float(rng.uniform(*PAD_RANGE_S)),
        "child_proxy": False,
    }
    if category == "espeak-ng":
        gender = ("Female", "Male")[int(rng.integers(2))]  # balanced genders whatever the number of variants
        variant: EspeakVariant = state["variants"][gender].next()
        accent_code = state["accents"].next()
        voice_path, accent = ESPEAK_ACCENTS[accent_code]
        child = variant.gender == "Female" and not variant.age_proxy and rng.random() < CHILD_PROXY_PROBABILITY
        speedup = CHILD_SPEEDUP if child else 1.0
        speed = round((target_wpm / speedup - ESPEAK_WPM_OFFSET) / ESPEAK_WPM_SLOPE)
        if child:  # a child-like proxy is aimed at an adult female's medium-to-high pitch before the speed-up
            pitch = PITCH_CLASSES[1 + int(rng.integers(2))]
            spec["target_pitch"] = pitch
        target_hz = float(rng.uniform(*PITCH_TARGET_HZ[variant.gender][pitch]))
        sentence_id, text = state["sentences"].next()
        spec.update(
            engine="espeak-ng",
            voice=f"espeak-ng:{accent_code}:{variant.name}",
            speaker=f"espeak-ng-variant:{variant.group}",
            gender=variant.gender,
            age="Child" if child else variant.age,
            age_proxy=child or variant.age_proxy,
            age_source=(
                "proxy: adult female voice played 1.25x faster (pitch and formants raised)"
                if child
                else f"proxy: espeak-ng variant '{variant.name}' designed to sound elderly"
                if variant.age_proxy
                else "construction: adult voice"
            ),
            accent=accent,
            accent_code=accent_code,
            timbre=variant.timbre,
            child_proxy=child,
            params={
                "engine": "espeak-ng",
                "voice": f"{voice_path}+{variant.name}",
                "speed": int(np.clip(speed, 80, 450)),
                "pitch": espeak_pitch_param(variant, target_hz),
            },
            sentence_id=sentence_id,
            text=text,
        )
        return spec
    if category == "tts":
        fv: FixedVoice = state["fixed"].next()
        sentence_id, text = state["sentences"].next()
        params = {"engine": fv.engine, "voice": fv.name, "stretch": fv.base_wpm / target_wpm}
        params["f0"] = float(rng.uniform(*PITCH_TARGET_HZ[fv.gender][pitch]))  # flite and festival both take it
        spec.update(sentence_id=sentence_id, text=text, params=params)
    else:
        fv = next(v for v in FIXED_VOICES if v.engine == "recorded")
        name, text = state["allison"].next()
        rec = recording_id("allison", f"{name}.wav")
        spec.update(sentence_id=f"asterisk:{name}", text=text, params={"engine": "recorded", "recording": rec})
    spec.update(
        engine=fv.engine,
        voice=fv.voice,
        speaker=fv.speaker,
        gender=fv.gender,
        age="Adult",
        age_proxy=False,
        age_source="construction: adult voice",
        accent=fv.accent,
        accent_code=fv.accent_code,
        timbre=fv.timbre,
    )
    return spec


def _pick_sounds(spec: dict, split_recs: dict[str, list[Recording]], rng, state, has_bg: bool, has_events: bool):
    licenses = {FAMILIES["allison"].license} if spec.get("speech", {}).get("engine") == "recorded" else set()
    has_speech = "speech" in spec
    used_classes: list[str] = []

    def compatible(recs: list[Recording]) -> list[Recording]:
        return [r for r in recs if combine_licenses(licenses | {r.license}) is not None]

    if has_bg:
        options = [c.name for c in BACKGROUND_CLASSES if c.synthetic or compatible(split_recs.get(c.name, []))]
        cls = _least_used(sorted(options), state["class_counts"], rng)
        bg = {"class": cls, "label": SOUND_CLASSES[cls].label, "u_start": float(rng.random())}
        if SOUND_CLASSES[cls].synthetic:
            color = ("white", "pink", "brown")[int(rng.integers(3))]
            # generated per clip (seeded by the clip), so no two clips share this "recording"
            bg.update(recording=f"synthetic:{color}-noise:{state['noise_prefix']}-{spec['index']}", license=SYNTHETIC)
            bg["color"] = color
        else:
            rec = _least_used(compatible(split_recs[cls]), state["rec_counts"], rng, key=lambda r: r.id)
            bg.update(recording=rec.id, license=rec.license)
            licenses.add(rec.license)
            state["rec_counts"][rec.id] = state["rec_counts"].get(rec.id, 0) + 1
        if has_speech:
            bg["snr_db"] = float(rng.uniform(*SNR_RANGE_DB))
        else:
            bg["level_db"] = float(rng.uniform(*NO_SPEECH_BACKGROUND_DB))
        state["class_counts"][cls] = state["class_counts"].get(cls, 0) + 1
        used_classes.append(cls)
        spec["background"] = bg
    events = []
    if has_events:
        k = 2 if rng.random() < TWO_EVENTS_PROBABILITY else 1
        for _ in range(k):
            options = []
            for c in EVENT_CLASSES:
                if c.name in used_classes or (c.vocal and not has_speech):
                    continue
                if any(u in c.conflicts or c.name in SOUND_CLASSES[u].conflicts for u in used_classes):
                    continue
                if compatible(split_recs.get(c.name, [])):
                    options.append(c.name)
            if not options:
                break
            cls = _least_used(sorted(options), state["class_counts"], rng)
            rec = _least_used(compatible(split_recs[cls]), state["rec_counts"], rng, key=lambda r: r.id)
            ev = {"class": cls, "label": SOUND_CLASSES[cls].label, "recording": rec.id, "license": rec.license}
            ev["u_window"] = float(rng.random())
            if has_speech:
                ev["rel_db"] = float(rng.uniform(*EVENT_REL_DB))
            else:
                ev["level_db"] = float(rng.uniform(*NO_SPEECH_EVENT_DB))
            events.append(ev)
            licenses.add(rec.license)
            used_classes.append(cls)
            state["class_counts"][cls] = state["class_counts"].get(cls, 0) + 1
            state["rec_counts"][rec.id] = state["rec_counts"].get(rec.id, 0) + 1
        spec["event_gaps"] = [float(g) for g in rng.random(len(events) + 1)]
    spec["events"] = events
    spec["license"] = combine_licenses(licenses)


def plan_clips(seed: int, n_clips: int, assignment: SplitAssignment) -> list[dict]:
    """Every clip of the corpus as a plain-data spec, in output order (deterministic for ``seed``)."""
    specs = []
    for split_index, (split, n) in enumerate(clip_counts(n_clips).items()):
        rng = np.random.default_rng([seed, split_index])
        type_names = list(CLIP_TYPES)
        counts = _allocate(n, [CLIP_TYPES[t][0] for t in type_names], 1)
        types = [t for t, c in zip(type_names, counts) for _ in range(c)]
        types = [types[i] for i in rng.permutation(len(types))]
        split_variants = [v for v in ESPEAK_VARIANTS if assignment.variants[v.name] == split]
        split_fixed = [v for v in FIXED_VOICES if v.engine != "recorded" and assignment.fixed_voices[v.voice] == split]
        categories = (
            ["espeak-ng"] + (["tts"] if split_fixed else []) + (["recorded"] if assignment.allison[split] else [])
        )
        weights = np.array([ENGINE_WEIGHTS[c] for c in categories])
        state = {
            "categories": categories,
            "weights": weights / weights.sum(),
            "variants": {g: _Cycler([v for v in split_variants if v.gender == g], rng) for g in ("Female", "Male")},
            "accents": _Cycler(sorted(ESPEAK_ACCENTS), rng),
            "fixed": _Cycler(split_fixed, rng),
            "sentences": _Cycler(assignment.sentences[split], rng),
            "allison": _Cycler(assignment.allison[split], rng),
            "class_counts": {},
            "rec_counts": {},
            "noise_prefix": f"seed{seed}-{split}",
        }
        for index, clip_type in enumerate(types):
            _, has_speech, has_bg, has_events = CLIP_TYPES[clip_type]
            spec = {"id": f"{split}-{index:05d}", "split": split, "index": index, "clip_type": clip_type}
            if has_speech:
                spec["speech"] = _speech_spec(split, rng, state)
            else:
                spec["duration"] = float(rng.uniform(*NO_SPEECH_DURATION_S))
            _pick_sounds(spec, assignment.recordings[split], rng, state, has_bg, has_events)
            spec["noise_seed"] = [int(seed), split_index, index]
            specs.append(spec)
    return specs
