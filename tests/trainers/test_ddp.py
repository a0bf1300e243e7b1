"""Two-process data-parallel training on CPU (gloo): replicas see different data and end with identical weights."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "scripts" / "ddp_sync_check.py"
ACCELERATE = Path(sys.executable).with_name("accelerate")


@pytest.mark.skipif(not ACCELERATE.exists(), reason="accelerate CLI not installed next to the interpreter")
def test_two_process_ddp_keeps_replicas_in_sync(tmp_path):
    # The documented command: `--multi_gpu` is what starts 2 gloo processes on a GPU-less machine
    command = [
        str(ACCELERATE),
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        str(SCRIPT),
        "--out_dir",
        str(tmp_path),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert {r["rank"] for r in ranks} == {0, 1}
    assert ranks[0]["local_batches"] != ranks[1]["local_batches"]  # each replica trained on its own shard
    assert ranks[0]["checksums"] != ranks[0]["initial_checksums"]  # training moved the weights
    assert ranks[0]["checksums"] == ranks[1]["checksums"]  # ... identically on both replicas
