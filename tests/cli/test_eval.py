"""`uas-hf eval`: flags from `EvalConfig`, a run + resume on the corpus, exit code 2 for bad data and bad flags."""

import json

import pytest

from uas_hf.cli.main import build_parser, main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio

    model, processor = build_tiny_uas_audio()
    folder = tmp_path_factory.mktemp("tiny-model")
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def test_help_lists_eval_with_flags_from_the_config():
    assert "eval" in build_parser().format_help()
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--help"])
    assert exit_info.value.code == 0


def test_eval_runs_resumes_and_prints_a_summary(model_dir, small_corpus, tmp_path, capsys):
    out = tmp_path / "asr"
    argv = ["eval", "--model", str(model_dir), "--benchmark", "asr", "--data", str(small_corpus), "--out", str(out)]
    argv += ["--limit", "4", "--max-new-tokens", "4", "--batch-size", "2", "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "asr · " in printed and "WER" in printed and f"wrote {out / 'results.json'}" in printed
    first = json.loads((out / "results.json").read_text())
    assert first["n"] == 4 and first["timings"]["n_generated"] == 4

    assert main(argv) == 0  # everything is done: re-scored from the saved predictions, nothing generated again
    again = json.loads((out / "results.json").read_text())
    assert again["timings"]["n_generated"] == 4 and again["asr"] == first["asr"]
    assert (out / "predictions.jsonl").read_text().count("\n") == 4


def test_bad_data_and_flags_exit_with_code_2(model_dir, tmp_path, capsys):
    record = {
        "id": "q1",
        "audio_id": "./test-mini-audios/q1.wav",
        "question": "What is heard?",
        "choices": ["A dog", "A cat"],
        "answer": "A cat",
        "task": "sound",
        "difficulty": "easy",
        "sub-category": "Sound-Based Event Recognition",
        "category": "Information Extraction",
    }
    (tmp_path / "mmau.json").write_text(json.dumps([record]))
    base = ["eval", "--model", str(model_dir), "--benchmark", "mmau", "--data", str(tmp_path / "mmau.json")]
    assert main([*base, "--out", str(tmp_path / "out")]) == 2
    assert "audio files are missing" in capsys.readouterr().err and not (tmp_path / "out").exists()
    assert main([*base, "--out", str(tmp_path / "out"), "--batch-size", "0"]) == 2
    assert "`batch_size` must be >= 1" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "out"), "--split", "test"]) == 2
    assert "`split` is for the asr/uas benchmarks" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--model", str(model_dir), "--benchmark", "mmlu", "--data", "x", "--out", "y"])
    assert exit_info.value.code == 2
