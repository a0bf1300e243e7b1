#!/usr/bin/env bash
# The main job (README, first command): set everything up, then run the end-to-end job on the embedded
# default corpus: build corpus -> annotate (Stage 1-3) -> UAS-QA -> train a tiny UAS-Audio on CPU -> evaluate
# -> render cards -> launch the Space. Re-running reuses finished steps. Extra arguments go to `uas-hf e2e`,
# e.g. `bash scripts/run.sh --no-launch` to stop before launching the Space.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/uas-hf e2e --out runs/e2e "$@"
