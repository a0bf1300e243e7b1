"""The annotate runner end to end: Hub-ready folder, fresh-process `load_dataset`, bad input, sharding, sources."""

import contextlib
import io
import json
import subprocess
import sys
import textwrap

import pyarrow.parquet as pq
import pytest
import yaml
from pipeline_helpers import BAD_INPUTS, BAD_MAX_DURATION, run_cli

from uas_hf.cli.main import main
from uas_hf.data.qa import generate_qa
from uas_hf.pipeline.runner import AnnotateConfig, annotate


def table_rows(folder, config):
    rows = []
    for path in sorted((folder / config).glob("*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


@pytest.fixture(scope="module")
def annotated(speech_folder, tmp_path_factory):
    """`uas-hf annotate` run once through the CLI entry point on the espeak folder (10 inputs)."""
    out = tmp_path_factory.mktemp("annotated") / "ds"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # in-process: the fresh-process checks are the load_dataset tests
        code = main(["annotate", str(speech_folder), "--out", str(out), "--batch-size", "4", "--no-progress"])
    assert code == 0
    return out, json.loads(printed.getvalue())


def test_cli_summary_and_folder_layout(annotated):
    out, printed = annotated
    summary = json.loads((out / "summary.json").read_text())
    assert printed["inputs"] == summary["inputs"] == 10
    assert summary["accepted"] + summary["rejected"] == summary["inputs"]
    assert summary["accepted"] == 10, (out / "rejected.jsonl").read_text()
    assert summary["qa_items"] > 0 and summary["clips_per_second"] > 0
    assert sorted(p.name for p in (out / "uas").iterdir()) == [
        "test-00000-of-00001.parquet",
        "train-00000-of-00001.parquet",
    ]
    assert (out / "rejected.jsonl").read_text() == ""


def test_card_yaml_lists_configs_features_sizes_licence_and_provenance(annotated):
    out, _ = annotated
    text = (out / "README.md").read_text()
    meta = yaml.safe_load(text.split("---")[1])
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert set(configs) == {"uas", "qa"}
    assert configs["uas"]["data_files"] == [
        {"split": "train", "path": "uas/train-*.parquet"},
        {"split": "test", "path": "uas/test-*.parquet"},
    ]
    infos = {i["config_name"]: i for i in meta["dataset_info"]}
    assert {f["name"] for f in infos["qa"]["features"]} >= {"audio", "question", "answer", "messages"}
    assert {s["name"]: s["num_examples"] for s in infos["uas"]["splits"]} == {"train": 5, "test": 5}
    assert meta["license"] == "other"
    assert "praat-parselmouth" in text and "silero-vad" in text and "Stage 3" in text


def test_fresh_process_load_dataset_decodes_audio(annotated):
    out, _ = annotated
    code = textwrap.dedent(
        f"""
        import json
        from datasets import get_dataset_config_names, load_dataset
        folder = {str(out)!r}
        report = {{"configs": get_dataset_config_names(folder)}}
        for name in ("uas", "qa"):
            ds = load_dataset(folder, name)
            row = ds["test"][0]
            samples = row["audio"].get_all_samples()
            report[name] = {{"rows": {{s: len(ds[s]) for s in ds}}, "sr": samples.sample_rate,
                            "frames": int(samples.data.shape[-1])}}
            if name == "uas":
                report["uas_json"] = json.loads(row["uas"])
            else:
                report["messages"] = row["messages"]
        print(json.dumps(report))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env={"HF_HUB_OFFLINE": "1"}
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["configs"] == ["uas", "qa"]
    assert report["uas"]["rows"] == {"train": 5, "test": 5}
    assert report["uas"]["sr"] == 16_000 and report["uas"]["frames"] > 16_000
    assert report["qa"]["frames"] > 0 and sum(report["qa"]["rows"].values()) > 10
    assert report["messages"][0]["content"][0]["type"] == "audio"
    assert set(report["uas_json"]) == {"transcription", "paralinguistics", "nonLinguisticEvents"}


def test_rule_based_records_match_construction(annotated):
    out, _ = annotated
    for row in table_rows(out, "uas"):
        truth = json.loads(row["source_metadata"])
        record = json.loads(row["uas"])
        para = record["paralinguistics"]
        assert record["transcription"] == row["transcription"]
        if row["transcription"] is None:
            assert all(v is None for v in para.values())
        else:
            assert para["gender"] == truth["gender"]
            assert para["emotion"] is None and para["accent"] is None and para["age"] is None
        # The click after the speech is reported as a discrete event.
        assert record["nonLinguisticEvents"]["discreteEvents"], row["id"]


def test_bad_inputs_become_recorded_rejections(bad_folder, tmp_path):
    out = tmp_path / "bad"
    summary = annotate(
        AnnotateConfig(str(bad_folder), str(out), max_duration_s=BAD_MAX_DURATION, batch_size=4, progress=False),
        qa_generator=generate_qa,
    )
    assert summary["inputs"] == len(BAD_INPUTS)
    assert summary["accepted"] + summary["rejected"] == summary["inputs"]
    rejected = {json.loads(line)["id"]: json.loads(line) for line in (out / "rejected.jsonl").open()}
    accepted = {row["id"] for row in table_rows(out, "uas")}
    for name, code in BAD_INPUTS.items():
        key = f"train/{name}"
        if code is None:
            assert key in accepted, rejected.get(key)
        else:
            assert key in rejected, f"{name} should be rejected with {code}"
            assert rejected[key]["reasons"][0]["code"] == code, rejected[key]
            assert rejected[key]["reasons"][0]["message"]
    meta = {json.loads(r["source_metadata"]).get("x") for r in table_rows(out, "uas")}
    assert meta == {None}
    assert summary["rejection_reasons"]["audio.empty"] == 2


def test_shards_merge_to_the_same_dataset(speech_folder, annotated, tmp_path):
    reference, _ = annotated
    out = tmp_path / "sharded"
    base = {"source": str(speech_folder), "output_dir": str(out), "batch_size": 4, "progress": False}
    # Two "nodes" run their shards one after the other; the last to finish merges.
    assert annotate(AnnotateConfig(**base, num_shards=2, shard_index=1), qa_generator=generate_qa) is None
    summary = annotate(AnnotateConfig(**base, num_shards=2, shard_index=0), qa_generator=generate_qa)
    assert summary["inputs"] == 10 and summary["num_shards"] == 2
    for config in ("uas", "qa"):
        assert table_rows(out, config) == table_rows(reference, config)


def test_rank_and_world_size_from_the_environment(speech_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setenv("RANK", "2")
    config = AnnotateConfig(str(speech_folder), str(tmp_path / "x"))
    assert (config.num_shards, config.shard_index) == (3, 2)


def test_local_worker_processes(speech_folder, tmp_path):
    # The energy VAD keeps the two spawned workers light (no torch import); the sharding logic is the same.
    reference = tmp_path / "one"
    annotate(
        AnnotateConfig(str(speech_folder), str(reference), captioner_kwargs={"vad": "energy"}, progress=False),
        qa_generator=generate_qa,
    )
    out = tmp_path / "procs"
    result = run_cli(
        "annotate", str(speech_folder), "--out", str(out), "--num-proc", "2", "--vad", "energy", "--no-progress"
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert json.loads((out / "summary.json").read_text())["num_shards"] == 2
    for config in ("uas", "qa"):
        assert table_rows(out, config) == table_rows(reference, config)


def test_resume_refuses_changed_settings_and_rerun_is_idempotent(speech_folder, annotated, tmp_path):
    reference, _ = annotated
    log = reference / ".work" / "shard-00000-of-00001.jsonl"
    before = log.read_bytes()
    again = annotate(
        AnnotateConfig(str(speech_folder), str(reference), batch_size=4, progress=False), qa_generator=generate_qa
    )
    assert again["inputs"] == 10 and log.read_bytes() == before
    with pytest.raises(ValueError, match="`captioner_kwargs`"):
        annotate(AnnotateConfig(str(speech_folder), str(reference), captioner_kwargs={"vad": "energy"}))


def test_saved_dataset_source(speech_folder, tmp_path):
    from datasets import Audio, Dataset, DatasetDict

    rows = [json.loads(line) for line in (speech_folder / "test" / "metadata.jsonl").open()]
    ds = Dataset.from_dict(
        {
            "audio": [str(speech_folder / "test" / r["file_name"]) for r in rows],
            "text": [r["transcription"] for r in rows],
            "speaker": [r["voice"] for r in rows],
        }
    ).cast_column("audio", Audio())
    DatasetDict({"validation": ds}).save_to_disk(tmp_path / "saved")  # embeds the audio bytes
    out = tmp_path / "from_saved"
    summary = annotate(
        AnnotateConfig(str(tmp_path / "saved"), str(out), captioner_kwargs={"vad": "energy"}, progress=False)
    )
    assert summary["accepted"] == len(rows)
    rows_out = table_rows(out, "uas")
    assert [r["id"] for r in rows_out] == [f"validation/{i}" for i in range(len(rows))]
    assert [json.loads(r["source_metadata"])["speaker"] for r in rows_out] == [r["voice"] for r in rows]
    assert all(r["audio"]["bytes"] for r in rows_out)


def test_no_embed_audio_stores_source_paths(speech_folder, tmp_path):
    from datasets import load_dataset

    out = tmp_path / "paths"
    annotate(
        AnnotateConfig(
            str(speech_folder), str(out), captioner_kwargs={"vad": "energy"}, embed_audio=False, progress=False
        )
    )
    rows_out = table_rows(out, "uas")
    assert all(r["audio"]["bytes"] is None and r["audio"]["path"].startswith(str(speech_folder)) for r in rows_out)
    # a private cache: the Parquet rows hold absolute paths, and a shared cache may hold an earlier session's copy
    loaded = load_dataset(str(out), "uas", cache_dir=str(tmp_path / "hf_cache"))["test"]
    assert loaded[0]["audio"].get_all_samples().sample_rate == 16_000


def test_usage_errors_exit_2(speech_folder, tmp_path):
    result = run_cli("annotate", str(speech_folder), "--out", str(tmp_path / "o"), "--captioner", "transformers")
    assert result.returncode == 2 and "--captioner-model" in result.stderr
    result = run_cli(
        "annotate", str(speech_folder), "--out", str(tmp_path / "o"), "--captioner", "openai", "--synthesizer", "rules"
    )
    assert result.returncode == 2
    result = run_cli("annotate", str(tmp_path / "missing"), "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "`source`" in result.stderr


def test_csv_metadata_source(speech_folder, tmp_path):
    import csv
    import shutil

    root = tmp_path / "csv_source"
    (root / "train").mkdir(parents=True)
    rows = [json.loads(line) for line in (speech_folder / "test" / "metadata.jsonl").open()]
    with open(root / "train" / "metadata.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file_name", "transcription", "voice"])
        for row in rows:
            shutil.copy(speech_folder / "test" / row["file_name"], root / "train" / row["file_name"])
            writer.writerow([row["file_name"], row["transcription"] or "", row["voice"] or ""])
        writer.writerow([rows[0]["file_name"]])  # a short row: no transcription cell at all, and a repeated file
    summary = annotate(AnnotateConfig(str(root), str(tmp_path / "out"), captioner_kwargs={"vad": "energy"}, qa=False))
    assert summary["inputs"] == len(rows) + 1 and summary["accepted"] == len(rows)
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").open()]
    assert [r["reasons"][0]["code"] for r in rejected] == ["metadata.duplicate_file_name"]
    by_id = {r["id"]: r for r in table_rows(tmp_path / "out", "uas")}
    assert by_id["train/test_nospeech.wav"]["transcription"] is None  # an empty cell means no speech
