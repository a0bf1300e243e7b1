"""What the embedded corpus is made of: Debian packages, their licences, the recordings used per sound class, and
the voices.

Everything here was checked by hand against the packages' ``/usr/share/doc/PKG/copyright`` files (Debian bookworm).
A recording's licence decides which other recordings it may be mixed with (see ``combine_licenses``), so that every
clip can be redistributed under one licence.
"""

from __future__ import annotations

from dataclasses import dataclass, field


# --------------------------------------------------------------------------------------------------------------
# Licences
# --------------------------------------------------------------------------------------------------------------

CC_BY_SA_3 = "CC-BY-SA-3.0"
GPL_2_PLUS = "GPL-2.0-or-later"
GPL_2_ONLY = "GPL-2.0-only"  # Battle Tanks: GPL-2 plus an exception that only grants extra rights to its authors
GPL_3_PLUS = "GPL-3.0-or-later"
SYNTHETIC = "synthetic"  # no third-party recording in the clip (TTS output and/or generated noise only)

LICENSE_URLS = {
    CC_BY_SA_3: "https://creativecommons.org/licenses/by-sa/3.0/",
    GPL_2_PLUS: "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
    GPL_2_ONLY: "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
    GPL_3_PLUS: "https://www.gnu.org/licenses/gpl-3.0.html",
}


def combine_licenses(licenses: set[str] | frozenset[str]) -> str | None:
    """The licence a mix of recordings under ``licenses`` can be distributed under, or `None` if they don't mix.

    CC-BY-SA-3.0 and the GPL are not compatible with each other, and GPL-2.0-only cannot be combined with
    GPL-3.0-or-later, so such clips are never constructed.

    >>> combine_licenses({"GPL-2.0-or-later", "GPL-3.0-or-later"})
    'GPL-3.0-or-later'
    >>> combine_licenses({"CC-BY-SA-3.0", "GPL-2.0-or-later"}) is None
    True
    """
    lic = set(licenses) - {SYNTHETIC}
    if not lic:
        return SYNTHETIC
    if lic == {CC_BY_SA_3}:
        return CC_BY_SA_3
    if CC_BY_SA_3 in lic:
        return None
    if GPL_2_ONLY in lic:
        return None if GPL_3_PLUS in lic else GPL_2_ONLY
    return GPL_3_PLUS if GPL_3_PLUS in lic else GPL_2_PLUS


# --------------------------------------------------------------------------------------------------------------
# Debian packages
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    name: str
    description: str
    copyright_file: str  # inside the .deb
    upstream: str


PACKAGES: dict[str, Package] = {
    p.name: p
    for p in [
        Package(
            "scratch",
            "Scratch 1.4 media library (sound effects, music loops)",
            "usr/share/doc/scratch/copyright",
            "http://download.scratch.mit.edu/",
        ),
        Package(
            "scorched3d-data",
            "Scorched 3D game data (sound effects, ambience, music)",
            "usr/share/doc/scorched3d-data/copyright",
            "https://sourceforge.net/projects/scorched3d/",
        ),
        Package(
            "btanks-data",
            "Battle Tanks game data (sound effects, ambience loops, music)",
            "usr/share/doc/btanks-data/copyright",
            "http://sourceforge.net/projects/btanks",
        ),
        Package(
            "etw-data",
            "Eat the Whistle game data (crowd loops, music)",
            "usr/share/doc/etw-data/copyright",
            "http://www.ggsoft.org/etw/",
        ),
        Package(
            "qabcs-data",
            "qABCs data (named animal, vehicle and instrument sounds)",
            "usr/share/doc/qabcs-data/copyright",
            "https://bitbucket.org/admsasha/qabcs/",
        ),
        Package(
            "asterisk-moh-opsound-wav",
            "Asterisk music on hold (five music tracks, 8 kHz)",
            "usr/share/doc/asterisk-moh-opsound-wav/copyright",
            "http://downloads.asterisk.org/pub/telephony/sounds/",
        ),
        Package(
            "asterisk-core-sounds-en-wav",
            "Asterisk core prompts in US English: real recorded speech of one speaker (8 kHz)",
            "usr/share/doc/asterisk-core-sounds-en-wav/copyright",
            "http://downloads.asterisk.org/pub/telephony/sounds/",
        ),
        Package(
            "asterisk-core-sounds-en",
            "Transcripts of the Asterisk core prompts (core-sounds-en.txt)",
            "usr/share/doc/asterisk-core-sounds-en/copyright",
            "http://downloads.asterisk.org/pub/telephony/sounds/",
        ),
    ]
}


@dataclass(frozen=True)
class FileFamily:
    """A set of files of one package under one licence and copyright (one row of ATTRIBUTION.md)."""

    package: str
    root: str  # directory inside the .deb; recording ids are "package:<path relative to root>"
    license: str
    copyright: str


FAMILIES: dict[str, FileFamily] = {
    "scratch": FileFamily(
        "scratch", "usr/share/scratch/Media/Sounds", CC_BY_SA_3, "2011 Massachusetts Institute of Technology"
    ),
    "scorched3d-apoc": FileFamily(
        "scorched3d-data",
        "usr/share/games/scorched3d/data/globalmods/apoc/data",
        CC_BY_SA_3,
        "Apocalypse mod team (see /usr/share/doc/scorched3d-data/authors.txt)",
    ),
    "scorched3d": FileFamily(
        "scorched3d-data",
        "usr/share/games/scorched3d/data/globalmods/none/data",
        GPL_2_PLUS,
        "2001-2014 Gavin Camp",
    ),
    "btanks": FileFamily(
        "btanks-data",
        "usr/share/games/btanks/data",
        GPL_2_ONLY,
        "2005-2008 Vladimir Menshakov, 2006-2009 Battle Tanks Team (GPL-2 with the Battle Tanks exception)",
    ),
    "etw": FileFamily("etw-data", "usr/share/games/etw", GPL_2_PLUS, "1997-2011 Gabriele Greco"),
    "qabcs": FileFamily("qabcs-data", "usr/share/qabcs/abcs/all", GPL_3_PLUS, "2019-2020 DanSoft"),
    "moh": FileFamily(
        "asterisk-moh-opsound-wav",
        "usr/share/asterisk/moh",
        CC_BY_SA_3,
        "2009 Paul Shuler (Macroform); 2009 Manolo Camp; 2008 Reno Project",
    ),
    "allison": FileFamily(
        "asterisk-core-sounds-en-wav",
        "usr/share/asterisk/sounds/en_US_f_Allison",
        CC_BY_SA_3,
        "2003-2010 Allison Smith (recorded by), Digium, Inc.",
    ),
}

ASTERISK_TRANSCRIPTS = ("asterisk-core-sounds-en", "usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")


# --------------------------------------------------------------------------------------------------------------
# Sound classes and the recordings of each
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoundClass:
    name: str  # machine name (metadata `event_classes`, `background_class`)
    label: str  # UAS label
    kind: str  # "event" (discrete, placed at a known time) or "background" (continuous, the whole clip)
    files: tuple[tuple[str, str], ...] = ()  # (family key, path relative to the family root)
    vocal: bool = False  # a human vocal sound: never used in no-speech clips (UAS: no voice => no paralinguistics)
    synthetic: bool = False  # generated noise, no recording
    conflicts: tuple[str, ...] = field(default=())  # classes never combined with this one in a clip


def _f(family: str, *paths: str) -> tuple[tuple[str, str], ...]:
    return tuple((family, p) for p in paths)


EVENT_CLASSES: tuple[SoundClass, ...] = (
    SoundClass(
        "dog_bark",
        "Dog barking",
        "event",
        _f("scratch", "Animal/Dog1.wav", "Animal/Dog2.wav")
        + _f("scorched3d-apoc", "wav/misc/dog.wav", "wav/misc/dog2.wav", "wav/misc/dog3.wav")
        + _f("etw", "snd/dog.wav")
        + _f("qabcs", "noises/dog.ogg"),
    ),
    SoundClass(
        "bird_chirp",
        "Bird chirping",
        "event",
        _f("scorched3d", *(f"wav/misc/birdchirp{i}.wav" for i in range(1, 7)))
        + _f("scratch", "Animal/Bird.wav")
        + _f("qabcs", "noises/bird.ogg", "noises/sparrow.ogg"),
        conflicts=("nature",),
    ),
    SoundClass(
        "car_horn",
        "Car horn",
        "event",
        _f("scorched3d-apoc", *(f"wav/misc/carhorn{i}.wav" for i in range(1, 7))) + _f("btanks", "sounds/klaxon.ogg"),
    ),
    SoundClass(
        "explosion",
        "Explosion",
        "event",
        _f("scorched3d", *(f"wav/explosions/{n}.wav" for n in ("large", "medium", "small", "xlarge")))
        + _f("scorched3d-apoc", "wav/explosions/exp.wav", "wav/explosions/tank.wav")
        + _f(
            "btanks",
            "sounds/explosion.ogg",
            "sounds/building-explosion1.ogg",
            "sounds/building-explosion2.ogg",
            "sounds/vehicle-explosion2.ogg",
        ),
    ),
    SoundClass(
        "laughter",
        "Laughter",
        "event",
        _f(
            "scratch",
            "Human/Laugh-female.wav",
            "Human/Laugh-male1.wav",
            "Human/Laugh-male2.wav",
            "Human/Laugh-male3.mp3",
        )
        + _f("btanks", "sounds/laugh01.ogg", "sounds/laugh02.ogg"),
        vocal=True,
    ),
    SoundClass(
        "scream",
        "Screaming",
        "event",
        _f("scratch", "Human/Scream-female.wav", "Human/Scream-male1.wav", "Human/Scream-male2.mp3")
        + _f("scorched3d-apoc", *(f"wav/misc/scream{i}.wav" for i in range(1, 5)), "wav/misc/screaming.wav"),
        vocal=True,
    ),
    SoundClass(
        "aircraft",
        "Aircraft passing",
        "event",
        _f("scorched3d", *(f"wav/misc/{n}.wav" for n in ("f16_1", "f16_2", "f18_1", "f18_2", "jet", "t38")))
        + _f("scorched3d-apoc", "wav/misc/cessna.wav")
        + _f("qabcs", "noises/airplane.ogg"),
    ),
)

_SCRATCH_LOOPS = (
    "Cave", "DripDrop", "Drum", "DrumMachine", "DrumSet1", "DrumSet2", "Eggs", "Garden", "GuitarChords1",
    "GuitarChords2", "HipHop", "Jungle", "Medieval1", "Medieval2", "Techno", "Techno2", "Triumph", "Xylo1", "Xylo2",
    "Xylo3", "xylo4",
)  # fmt: skip

BACKGROUND_CLASSES: tuple[SoundClass, ...] = (
    SoundClass(
        "music",
        "Music",
        "background",
        _f(
            "moh",
            "macroform-cold_day.wav",
            "macroform-robot_dity.wav",
            "macroform-the_simplicity.wav",
            "manolo_camp-morning_coffee.wav",
            "reno_project-system.wav",
        )
        + _f("scratch", *(f"Music Loops/{n}.mp3" for n in _SCRATCH_LOOPS))
        + _f("scorched3d", *(f"music/mix3_loop{i}.ogg" for i in range(1, 4)))
        + _f(
            "btanks",
            *(
                f"tunes/{n}.ogg"
                for n in ("batterie", "boss-1", "boss-2", "gameboy", "glory", "karbofos", "nostalgy", "utrennik")
            ),
        )
        + _f("etw", *(f"music/back{i}.wav" for i in range(15))),
    ),
    SoundClass(
        "crowd",
        "Crowd noise",
        "background",
        _f("etw", *(f"crowd/crowd{i:02d}.wav" for i in range(1, 18)))
        + _f("scorched3d-apoc", "wav/misc/cheeringloop.wav")
        + _f("qabcs", "sounds/cheering.ogg")
        + _f("scratch", "Human/PartyNoise.wav"),
    ),
    SoundClass(
        "engine",
        "Engine rumble",
        "background",
        _f("btanks", "sounds/train.ogg", "sounds/tank-move.ogg", "sounds/vehicle-sound.ogg", "sounds/engine-start.ogg")
        + _f("scorched3d", "wav/movement/tankmove.wav")
        + _f("qabcs", "noises/tractor.ogg", "noises/excavator.ogg", "noises/train.ogg")
        + _f("scratch", "Effects/MotorcyclePassing.wav", "Effects/CarPassing.wav"),
    ),
    SoundClass(
        "nature",
        "Nature ambience",
        "background",
        _f("btanks", "sounds/ambient/forest.ogg", "sounds/ambient/country.ogg", "sounds/ambient/swamp.ogg")
        + _f("scorched3d", "wav/misc/frogs.wav", "wav/misc/birds1.wav", "wav/misc/birds2.wav")
        + _f("scratch", "Animal/Crickets.wav"),
        conflicts=("bird_chirp",),
    ),
    SoundClass("hiss", "Background hiss", "background", synthetic=True),
)

SOUND_CLASSES: dict[str, SoundClass] = {c.name: c for c in EVENT_CLASSES + BACKGROUND_CLASSES}


def recording_id(family: str, path: str) -> str:
    """Stable id of a recording: ``"<package>:<path inside the package>"``."""
    fam = FAMILIES[family]
    return f"{fam.package}:{fam.root}/{path}"


# --------------------------------------------------------------------------------------------------------------
# Voices
# --------------------------------------------------------------------------------------------------------------

# espeak-ng language variant -> (voice path, accent label). `gmw/...` paths are used because `en-gb+VARIANT`
# silently ignores the variant.
ESPEAK_ACCENTS: dict[str, tuple[str, str]] = {
    "en-us": ("gmw/en-US", "American English"),
    "en-us-nyc": ("gmw/en-US-nyc", "New York City English"),
    "en-gb": ("gmw/en", "British English"),
    "en-gb-x-rp": ("gmw/en-GB-x-rp", "Received Pronunciation British English"),
    "en-gb-scotland": ("gmw/en-GB-scotland", "Scottish English"),
    "en-gb-x-gbclan": ("gmw/en-GB-x-gbclan", "Lancastrian English"),
    "en-gb-x-gbcwmd": ("gmw/en-GB-x-gbcwmd", "West Midlands English"),
    "en-029": ("gmw/en-029", "Caribbean English"),
}


@dataclass(frozen=True)
class EspeakVariant:
    name: str
    gender: str  # as declared by the variant file (`gender male|female`), or by its name for grandpa
    group: str  # variants with near-identical parameters share a group and therefore a split
    f0_at_p50: float  # median F0 (Hz) at `-p 50`, measured with espeak-ng 1.51; used to aim at a target pitch
    age: str = "Adult"
    age_proxy: bool = False  # age other than Adult exists only as a proxy (a voice designed to sound old)
    timbre: str = "Synthetic formant voice, buzzy"


_BUZZY = "Synthetic formant voice, buzzy"
_BREATHY = "Synthetic formant voice, breathy"
_SHAKY = "Synthetic formant voice, shaky"

# (name, gender, group, F0 at -p 50, timbre); the F0 column was measured on one sentence per variant (en-US).
_VARIANT_TABLE = (
    ("m1", "Male", "m1", 94, _BUZZY), ("m2", "Male", "m2", 100, _BUZZY), ("m3", "Male", "m3", 104, _BUZZY),
    ("m4", "Male", "m4", 92, _BUZZY), ("m5", "Male", "m5", 102, _BUZZY), ("m6", "Male", "m6", 100, _BUZZY),
    ("m7", "Male", "m7", 105, _BUZZY), ("m8", "Male", "m8", 85, _BUZZY), ("Andy", "Male", "Andy", 95, _BUZZY),
    ("Lee", "Male", "Andy", 95, _BUZZY), ("Denis", "Male", "Denis", 98, _BUZZY),
    ("Diogo", "Male", "Diogo", 104, _BUZZY), ("Henrique", "Male", "Henrique", 108, _BUZZY),
    ("Hugo", "Male", "Hugo", 108, _BUZZY), ("Marco", "Male", "Marco", 134, _BUZZY),
    ("michel", "Male", "michel", 104, _BUZZY), ("miguel", "Male", "miguel", 110, _BUZZY),
    ("travis", "Male", "travis", 101, _BUZZY), ("victor", "Male", "victor", 94, _BUZZY),
    ("antonio", "Male", "antonio", 110, _BUZZY), ("sandro", "Male", "sandro", 98, _BREATHY),
    ("croak", "Male", "croak", 102, "Synthetic formant voice, rough and croaky"),
    ("f1", "Female", "f1", 178, _BUZZY), ("f4", "Female", "f4", 178, _BUZZY),
    ("Andrea", "Female", "Andrea", 243, _BUZZY), ("Annie", "Female", "Annie", 254, _BUZZY),
    ("anika", "Female", "anika", 273, _BUZZY), ("aunty", "Female", "aunty", 174, _BUZZY),
    ("linda", "Female", "linda", 227, _BUZZY), ("belinda", "Female", "linda", 228, _BUZZY),
    ("steph", "Female", "steph", 183, _BUZZY), ("steph2", "Female", "steph", 183, _BUZZY),
    ("steph3", "Female", "steph", 183, _BUZZY), ("f2", "Female", "f2", 193, _BREATHY),
    ("f3", "Female", "f3", 209, _BREATHY), ("f5", "Female", "f5", 204, _BREATHY),
    ("Alicia", "Female", "Alicia", 250, _BREATHY),
)  # fmt: skip
ESPEAK_VARIANTS: tuple[EspeakVariant, ...] = tuple(
    [EspeakVariant(n, g, grp, f0, timbre=t) for n, g, grp, f0, t in _VARIANT_TABLE]
    + [
        EspeakVariant("grandma", "Female", "grandma", 205, age="Elderly", age_proxy=True, timbre=_SHAKY),
        EspeakVariant("grandpa", "Male", "grandpa", 106, age="Elderly", age_proxy=True, timbre=_SHAKY),
    ]
)


@dataclass(frozen=True)
class FixedVoice:
    """A voice with one accent: flite / festival voices and the recorded Asterisk speaker."""

    voice: str  # metadata `voice`
    engine: str  # "flite" | "festival" | "recorded"
    name: str  # engine voice name (flite -voice, festival voice_NAME) or the recording family
    speaker: str  # the human behind the voice; voices of one speaker always share a split
    gender: str
    accent: str
    accent_code: str
    timbre: str
    base_wpm: float = 0.0  # measured words per minute of active speech at default settings (flite/festival)


FIXED_VOICES: tuple[FixedVoice, ...] = (
    FixedVoice("flite:awb", "flite", "awb", "cmu:awb", "Male", "Scottish English", "flite-awb",
               "Synthetic statistical-parametric voice, slightly muffled", 205),
    FixedVoice("flite:rms", "flite", "rms", "cmu:rms", "Male", "American English", "flite-rms",
               "Synthetic statistical-parametric voice, slightly muffled", 176),
    FixedVoice("flite:slt", "flite", "slt", "cmu:slt", "Female", "American English", "flite-slt",
               "Synthetic statistical-parametric voice, slightly muffled", 193),
    FixedVoice("flite:kal16", "flite", "kal16", "cmu:kal", "Male", "American English", "flite-kal16",
               "Synthetic diphone voice, choppy", 235),
    FixedVoice("festival:kal_diphone", "festival", "kal_diphone", "cmu:kal", "Male", "American English",
               "festival-kal", "Synthetic diphone voice, choppy", 212),
    FixedVoice("festival:ked_diphone", "festival", "ked_diphone", "cmu:ked", "Male", "American English",
               "festival-ked", "Synthetic diphone voice, choppy", 220),
    FixedVoice("recorded:allison", "recorded", "allison", "asterisk:allison", "Female", "American English",
               "asterisk-allison", "Natural voice, clear, narrow-band telephone quality"),
)  # fmt: skip

# Which split each fixed-voice speaker belongs to (few speakers: chosen by hand so that every split has some).
FIXED_SPEAKER_SPLITS: dict[str, str] = {
    "cmu:kal": "train",
    "cmu:rms": "train",
    "asterisk:allison": "train",
    "cmu:ked": "validation",
    "cmu:slt": "test",
    "cmu:awb": "test",
}
# Elderly proxies: one variant each, so they cannot be in every split.
FIXED_VARIANT_SPLITS: dict[str, str] = {"grandma": "train", "grandpa": "test"}
