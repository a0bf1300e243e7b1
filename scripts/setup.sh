#!/usr/bin/env bash
# Set up everything uas_hf needs on a fresh Debian machine, idempotently:
#   1. system packages (apt-get): FFmpeg for audio decoding, the voices and tools the embedded corpus uses;
#   2. a virtual environment at .venv/ in the repository root;
#   3. the package with all extras, at the exact versions of requirements/constraints.txt.
# Re-running is cheap: each step is skipped when already done (the pip step is keyed on a hash of
# pyproject.toml + the constraints file).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(
  ffmpeg            # torchcodec (datasets.Audio decoding) needs the FFmpeg shared libraries
  libsndfile1       # soundfile
  sox               # audio conversion for the corpus builder
  espeak-ng         # voices: 8 English accents, ~100 variants
  flite             # voices: awb (Scottish male), rms (US male), slt (US female)
  festival festvox-kallpc16k festvox-kdlpc16k   # voices: festival diphone voices
  chromium          # headless browser for the Space's end-to-end test (never a downloaded browser)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing system packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "[setup] error: need root (or sudo) to apt-get install: ${missing[*]}" >&2; exit 2
    fi
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi

stamp_file=.venv/.uas_hf-install-stamp
stamp=$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
  echo "[setup] installing uas_hf[all] with pinned versions (first run: a few minutes, ~6 GB)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c requirements/constraints.txt -e ".[all]"
  echo "$stamp" > "$stamp_file"
fi
echo "[setup] ready: $(.venv/bin/python -c 'import uas_hf, torch, transformers; print(f"uas_hf {uas_hf.__version__}, torch {torch.__version__}, transformers {transformers.__version__}")')"
