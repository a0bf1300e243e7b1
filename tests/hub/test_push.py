"""`uas-hf push`: complete Hub-ready export folders, and an immediate, clear failure when offline."""

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from huggingface_hub import DatasetCard, ModelCard, SpaceCard

from uas_hf.cli.main import main
from uas_hf.hub import HubOfflineError, StageSummary, TrainingSummary, push_folder


REPO_ROOT = Path(__file__).resolve().parents[2]
SPACE_DIR = REPO_ROOT / "spaces" / "uas-audio-demo"


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def model_dir(tmp_path):
    """A saved-model-shaped folder (config, weights, remote code) plus trainer leftovers that must not be exported."""
    from safetensors.numpy import save_file

    src = tmp_path / "model"
    src.mkdir()
    config = {"architectures": ["UASAudioForCausalLM"], "model_type": "uas_audio", "auto_map": {"AutoConfig": "x"}}
    (src / "config.json").write_text(json.dumps(config))
    save_file({"w": np.zeros((2, 3), np.float32)}, str(src / "model.safetensors"))
    (src / "modeling_uas_audio.py").write_text("# remote code\n")
    (src / "optimizer.pt").write_bytes(b"\0")
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    TrainingSummary(stages=[StageSummary("stage1", trainable="projector")]).save(src / "training_summary.json")
    return src


@pytest.fixture
def eval_file(tmp_path):
    path = tmp_path / "mmsu.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": "mmsu",
                "scoring": "official",
                "overall": 0.375,
                "n": 8,
                "breakdown": {"category": {"Perception": 0.25, "Reasoning": 0.5}},
                "native_breakdown": ["category"],
            }
        )
    )
    return path


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_push_model_offline_exports_complete_folder_and_fails_fast(tmp_path, model_dir, eval_file, offline, capsys):
    out = tmp_path / "export"
    start = time.perf_counter()
    rc = main(
        [
            "push",
            "model",
            str(model_dir),
            "--repo-id",
            "me/uas-audio-tiny",
            "--export-dir",
            str(out),
            "--eval-results",
            str(eval_file),
            "--datasets",
            "me/uas-corpus",
        ]
    )
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert rc == 1 and elapsed < 10
    assert "Offline mode is on (HF_HUB_OFFLINE=1): nothing was pushed." in err
    assert f"The Hub-ready folder is complete at {out.resolve()}" in err
    assert f"hf upload me/uas-audio-tiny {out.resolve()} . --repo-type model" in err

    assert _files(out) == {
        "README.md",
        "config.json",
        "model.safetensors",
        "modeling_uas_audio.py",
        "training_summary.json",
        "eval_results/mmsu.json",
    }
    card = ModelCard.load(out / "README.md")
    result = json.loads(eval_file.read_text())
    values = {r.metric_name: r.metric_value for r in card.data.eval_results}
    assert values == {
        "Accuracy (official)": result["overall"],
        "Accuracy: category: Perception (official)": 0.25,
        "Accuracy: category: Reasoning (official)": 0.5,
    }
    assert card.data.datasets == ["me/uas-corpus"] and "trust_remote_code=True" in card.text
    assert "| stage1 |  | projector |" in card.text  # training details from SRC/training_summary.json


def test_push_folder_unreachable_hub_fails_fast(tmp_path, monkeypatch):
    from huggingface_hub import constants

    with socket.socket() as s:  # a port nobody listens on: connection refused at once, traffic stays on 127.0.0.1
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    start = time.perf_counter()
    with pytest.raises(HubOfflineError, match=r"unreachable: nothing was pushed\. The Hub-ready folder is complete"):
        push_folder(tmp_path, "me/x", "model")
    assert time.perf_counter() - start < 5


def test_push_space_offline_vendors_package_and_renders_readme(tmp_path, model_dir, offline, capsys):
    out = tmp_path / "space"
    rc = main(
        [
            "push",
            "space",
            str(SPACE_DIR),
            "--repo-id",
            "me/uas-demo",
            "--export-dir",
            str(out),
            "--model",
            str(model_dir),
        ]
    )
    assert rc == 1 and "--repo-type space" in capsys.readouterr().err
    files = _files(out)
    assert {
        "app.py",
        "requirements.txt",
        "README.md",
        "uas_hf/__init__.py",
        "uas_hf/space/app.py",
        "model/config.json",
        "model/model.safetensors",
    } <= files
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files) and "model/optimizer.pt" not in files
    card = SpaceCard.load(out / "README.md")
    assert (card.data.sdk, card.data.app_file, card.data.license) == ("gradio", "app.py", "apache-2.0")

    rc = main(
        [
            "push",
            "space",
            str(SPACE_DIR),
            "--repo-id",
            "me/uas-demo",
            "--export-dir",
            str(out),
            "--model",
            "me/uas-audio-tiny",
            "--no-push",
        ]
    )
    assert rc == 0 and SpaceCard.load(out / "README.md").data.models == ["me/uas-audio-tiny"]
    assert not (out / "model").exists()  # the export folder is rebuilt, never mixed with a previous one


def test_exported_space_app_starts_from_the_export_folder(tmp_path, offline):
    """The vendored package makes the exported Space import without this checkout (checked with -I, no site dirs)."""
    out = tmp_path / "space"
    assert (
        main(["push", "space", str(SPACE_DIR), "--repo-id", "me/uas-demo", "--export-dir", str(out), "--no-push"]) == 0
    )
    venv_python = REPO_ROOT / ".venv" / "bin" / "python"
    code = "import uas_hf, uas_hf.space.app as a; print(uas_hf.__file__)"
    proc = subprocess.run(
        [str(venv_python), "-c", code], cwd=out, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).resolve().is_relative_to(out.resolve())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["push", "model", "{tmp}", "--repo-id", "me/x"], "has no config.json"),
        (["push", "model", "{model}", "--repo-id", "not a repo id"], "is not a valid Hub repository id"),
        (["push", "model", "{model}", "--repo-id", "noslash"], "needs a namespace"),
        (["push", "dataset", "{tmp}", "--repo-id", "me/x"], "holds no data files"),
        (["push", "space", "{tmp}", "--repo-id", "me/x"], "has no app.py"),
        (["push", "model", "{model}", "--repo-id", "me/x", "--export-dir", "{model}/sub"], "must not be the source"),
    ],
)
def test_push_usage_errors_exit_2_with_a_reason(tmp_path, model_dir, offline, capsys, argv, message):
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = [a.format(tmp=empty, model=model_dir) for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    """A real `annotate` output folder of two espeak-ng clips, with the source's ATTRIBUTION.md."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    from uas_hf.pipeline.runner import AnnotateConfig, annotate

    root = tmp_path_factory.mktemp("annotate")
    src = root / "corpus"
    (src / "train").mkdir(parents=True)
    rows = [("a.wav", "en-us", "Good morning everyone."), ("b.wav", "en-gb", "The train leaves at noon.")]
    for name, voice, text in rows:
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(src / "train" / name), text], check=True)
    (src / "train" / "metadata.jsonl").write_text(
        "".join(json.dumps({"file_name": n, "transcription": t}) + "\n" for n, _, t in rows)
    )
    (src / "ATTRIBUTION.md").write_text("# Attribution\n\n- Speech synthesized with espeak-ng (GPL-3.0-or-later).\n")
    out = root / "annotated"
    annotate(AnnotateConfig(str(src), str(out), progress=False, license="gpl-3.0", license_note="espeak-ng output"))
    return out


def test_push_dataset_offline_exports_card_with_configs_sizes_provenance_and_attribution(
    tmp_path, annotated, offline, capsys
):
    out = tmp_path / "ds"
    rc = main(["push", "dataset", str(annotated), "--repo-id", "me/uas-ds", "--export-dir", str(out)])
    assert rc == 1 and "--repo-type dataset" in capsys.readouterr().err
    files = _files(out)
    assert {"README.md", "summary.json", "rejected.jsonl", "ATTRIBUTION.md"} <= files
    assert any(f.startswith("uas/") and f.endswith(".parquet") for f in files)
    assert not any(f.startswith(".work") for f in files)

    card = DatasetCard.load(out / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "gpl-3.0"  # the annotate job's licence, not a default
    assert data["configs"][0]["config_name"] == "uas"
    info = data["dataset_info"]
    assert info["splits"][0]["num_examples"] == json.loads((annotated / "summary.json").read_text())["accepted"]
    assert {f["name"] for f in info["features"]} >= {"audio", "uas", "transcription"}
    assert 'load_dataset("me/uas-ds", "uas")' in card.text
    assert "## Sources, licences and attribution" in card.text and "| caption | praat-parselmouth |" in card.text
    assert "### Attribution" in card.text and "espeak-ng (GPL-3.0-or-later)" in card.text
