"""Crash safety: SIGKILL `uas-hf annotate` at random points, resume, and get exactly the uninterrupted result."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
from pipeline_helpers import BAD_MAX_DURATION

from uas_hf.data.qa import generate_qa
from uas_hf.pipeline.runner import AnnotateConfig, annotate


MIN_KILLS = 5
# The energy VAD keeps each restart light (no torch import), so many kills fit in a short test; the runner logic
# under test is the same for every captioner.
ARGS = ["--vad", "energy", "--batch-size", "2", "--max-duration", str(BAD_MAX_DURATION), "--no-progress"]


@pytest.fixture(scope="module")
def mixed_source(bad_folder, speech_folder, tmp_path_factory):
    """20 inputs: the bad-input folder as `train` (good and bad files) and the espeak test split as `test`."""
    root = tmp_path_factory.mktemp("mixed")
    shutil.copytree(bad_folder / "train", root / "train")
    shutil.copytree(speech_folder / "test", root / "test")
    return root


def rows(folder, config):
    out = []
    for path in sorted((folder / config).glob("*.parquet")):
        out.extend(pq.read_table(path).to_pylist())
    return out


def logged_ids(folder):
    ids = []
    for log in sorted((folder / ".work").glob("shard-*.jsonl")):
        with open(log, "rb") as f:
            for raw in f:
                if raw.endswith(b"\n"):
                    ids.append(json.loads(raw)["id"])
    return ids


def source_ids(source):
    ids = []
    for split in ("train", "test"):
        for line in (source / split / "metadata.jsonl").read_bytes().splitlines():
            name = json.loads(line.decode("utf-8", "surrogateescape"))["file_name"]
            ids.append(f"{split}/{name}")
    return ids


def test_sigkill_at_random_points_then_resume_equals_uninterrupted(mixed_source, tmp_path):
    reference = tmp_path / "reference"
    ref_summary = annotate(
        AnnotateConfig(
            str(mixed_source),
            str(reference),
            captioner_kwargs={"vad": "energy"},
            batch_size=2,
            max_duration_s=BAD_MAX_DURATION,
            progress=False,
        ),
        qa_generator=generate_qa,
    )
    expected_ids = source_ids(mixed_source)
    assert ref_summary["inputs"] == len(expected_ids) == 20

    out = tmp_path / "killed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "uas_hf", "annotate", str(mixed_source), "--out", str(out), *ARGS]
    rng = random.Random(1234)
    kills, attempts, finished = 0, 0, False
    while kills < MIN_KILLS and attempts < 25:
        attempts += 1
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 4.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        else:
            assert proc.returncode == 0, proc.stderr.read().decode()[-3000:]
            finished = True
            shutil.rmtree(out)  # it outran the kill: start over so that every kill hits a live run
        proc.stderr.close()
        ids = logged_ids(out) if out.exists() else []
        assert len(ids) == len(set(ids)), "an input was logged twice"
        assert set(ids) <= set(expected_ids)
    assert kills >= MIN_KILLS, f"only {kills} kills landed in {attempts} attempts (finished early: {finished})"

    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-3000:]
    ids = logged_ids(out)
    assert sorted(ids) == sorted(expected_ids) and len(ids) == len(set(ids))  # every input exactly once

    summary = json.loads((out / "summary.json").read_text())
    for key in ("inputs", "accepted", "rejected", "qa_items", "rejection_reasons", "splits"):
        assert summary[key] == ref_summary[key], key
    assert summary["accepted"] + summary["rejected"] == summary["inputs"] == 20
    for config in ("uas", "qa"):
        assert rows(out, config) == rows(reference, config)
    assert (out / "rejected.jsonl").read_text() == (reference / "rejected.jsonl").read_text()
    accepted = {r["id"] for r in rows(out, "uas")}
    rejected = {json.loads(line)["id"] for line in (out / "rejected.jsonl").open()}
    assert accepted | rejected == set(expected_ids) and not accepted & rejected
