#!/usr/bin/env bash
# The test command (README, and exactly what .ci/run calls): set up if needed, then run the default test suite.
# Long runs are behind `-m slow`; pass extra pytest arguments through, e.g. `bash scripts/test.sh -m slow`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/ruff check src tests benchmarks examples spaces
exec .venv/bin/python -m pytest "$@"
