"""Speech synthesis with the Debian voices (espeak-ng, flite, festival) and the check that they are installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np

from ._audio import SAMPLE_RATE, load_audio


FESTIVAL_VOICE_DIRS = ("/usr/share/festival/voices/english", "/usr/lib/festival/voices/english")
SETUP_HINT = "Run `bash scripts/setup.sh` (it apt-installs espeak-ng, flite, festival and the festvox voices)."
_TIMEOUT_S = 60  # one synthesis call never takes more than a second; a hang is a broken install


class CorpusBuildError(RuntimeError):
    """The corpus cannot be built on this machine (missing tool, offline package download, ...)."""


def check_tools(festival_voices: tuple[str, ...] = ("kal_diphone", "ked_diphone")) -> dict[str, str]:
    """Raise `CorpusBuildError` naming every missing system tool; return their versions otherwise."""
    missing = [tool for tool in ("espeak-ng", "flite", "festival", "text2wave") if shutil.which(tool) is None]
    for voice in festival_voices:
        if not any(os.path.isdir(os.path.join(d, voice)) for d in FESTIVAL_VOICE_DIRS):
            missing.append(f"festival voice {voice} (Debian package festvox-{voice.split('_')[0]}pc16k)")
    if missing:
        raise CorpusBuildError(
            f"The corpus builder needs these system tools, which are missing: {missing}. {SETUP_HINT}"
        )
    return tool_versions()


def tool_versions() -> dict[str, str]:
    """Debian package versions of the synthesizers and voices (they decide the exact audio of a build)."""
    packages = ("espeak-ng", "espeak-ng-data", "flite", "festival", "festvox-kallpc16k", "festvox-kdlpc16k")
    return {package: _dpkg_version(package) for package in packages}


def _dpkg_version(package: str) -> str:
    try:
        return (
            subprocess.run(
                ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, timeout=_TIMEOUT_S
            ).stdout.strip()
            or "unknown"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _run(cmd: list[str], what: str) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_TIMEOUT_S)
    except FileNotFoundError as e:
        raise CorpusBuildError(f"{what}: `{cmd[0]}` is not installed. {SETUP_HINT}") from e
    except subprocess.TimeoutExpired as e:
        raise CorpusBuildError(f"{what}: `{' '.join(cmd[:3])} ...` did not finish in {_TIMEOUT_S} s.") from e
    if proc.returncode != 0:
        raise CorpusBuildError(f"{what} failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")


def synthesize(params: dict, text: str, workdir: str | None = None) -> np.ndarray:
    """Dry speech for one clip as float32 mono at 16 kHz. ``params["engine"]`` picks the synthesizer:

    - ``espeak-ng``: ``voice`` (e.g. ``gmw/en-US+f2``), ``speed`` (-s), ``pitch`` (-p, 0-99);
    - ``flite``: ``voice`` (awb/rms/slt/kal16), ``stretch`` (duration_stretch), ``f0`` (int_f0_target_mean, Hz);
    - ``festival``: ``voice`` (kal_diphone/ked_diphone), ``stretch`` (Duration_Stretch), ``f0`` (target mean F0);
    - ``recorded``: ``path`` of a prepared recording (``.npy``, 16 kHz).
    """
    engine = params["engine"]
    if engine == "festival" and "wav" in params:
        return load_audio(params["wav"], SAMPLE_RATE)  # synthesized ahead by `festival_batch`
    if engine == "recorded":
        return np.load(params["path"])
    with tempfile.TemporaryDirectory(dir=workdir, prefix="uas_tts_") as tmp:
        wav = os.path.join(tmp, "speech.wav")
        if engine == "espeak-ng":
            cmd = ["espeak-ng", "-v", params["voice"], "-s", str(params["speed"]), "-p", str(params["pitch"])]
            _run([*cmd, "-w", wav, "--", text], f"espeak-ng ({params['voice']})")
        elif engine == "flite":
            cmd = ["flite", "-voice", params["voice"], "--setf", f"duration_stretch={params['stretch']:.3f}"]
            cmd += ["--setf", f"int_f0_target_mean={params['f0']:.1f}"]
            _run([*cmd, "-t", text, "-o", wav], f"flite ({params['voice']})")
        elif engine == "festival":
            text_file = os.path.join(tmp, "text.txt")
            with open(text_file, "w", encoding="utf-8") as f:
                f.write(text + "\n")
            setup = f"(begin (voice_{params['voice']}) {_festival_settings(params['stretch'], params['f0'])})"
            _run(["text2wave", "-eval", setup, text_file, "-o", wav], f"festival ({params['voice']})")
        else:
            raise ValueError(f"`engine` must be espeak-ng, flite, festival or recorded; got {engine!r}.")
        return load_audio(wav, SAMPLE_RATE)


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _festival_settings(stretch: float, f0: float) -> str:
    """Scheme that sets the speaking rate and the mean F0 of festival's linear-regression intonation model."""
    model = "(list 'model_f0_mean 170) (list 'model_f0_std 34)"  # the kal/ked voices' own model statistics
    target = f"(list 'target_f0_mean {f0:.1f}) (list 'target_f0_std {0.14 * f0:.1f})"
    return f"(Parameter.set 'Duration_Stretch {stretch:.3f}) (set! int_lr_params (list {target} {model}))"


def festival_batch(job: tuple[str, list[tuple[str, str, float, float]]]) -> int:
    """Synthesize many utterances of one festival voice in one process: ``(voice, [(wav, text, stretch, f0)])``.

    Festival takes ~0.3 s to start and load a voice, and ~0.03 s per sentence after that, so clips are synthesized
    ahead in batches; the output is identical to one `text2wave` call per clip.
    """
    voice, items = job
    with tempfile.TemporaryDirectory(prefix="uas_festival_") as tmp:
        script = os.path.join(tmp, "batch.scm")
        with open(script, "w", encoding="utf-8") as f:
            f.write(f"(voice_{voice})\n")
            for wav, text, stretch, f0 in items:
                f.write(_festival_settings(stretch, f0) + "\n")
                f.write(
                    f"(utt.save.wave (utt.synth (Utterance Text {_scheme_string(text)})) {_scheme_string(wav)} 'riff)\n"
                )
        _run(["festival", "-b", script], f"festival batch ({voice}, {len(items)} sentences)")
    missing = [item[0] for item in items if not os.path.exists(item[0])]
    if missing:
        raise CorpusBuildError(f"festival ({voice}) did not write {len(missing)} files, e.g. {missing[0]}.")
    return len(items)
