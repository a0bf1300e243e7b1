"""`UASBuilder`: the corpus and an annotate folder's `uas` / `qa` configs as `datasets` Arrow datasets."""

import json

import pytest

from uas_hf.data.builder import UASBuilder
from uas_hf.data.qa import generate_qa
from uas_hf.pipeline.runner import AnnotateConfig, annotate


@pytest.fixture(scope="module")
def annotated(small_corpus, tmp_path_factory):
    """The corpus test split annotated with the default stages (energy VAD: no torch needed for this check)."""
    out = tmp_path_factory.mktemp("builder") / "annotated"
    annotate(
        AnnotateConfig(
            str(small_corpus), str(out), splits=["test"], captioner_kwargs={"vad": "energy"}, progress=False
        ),
        qa_generator=generate_qa,
    )
    return out


def build(config_name, data_dir, cache_dir):
    builder = UASBuilder(config_name=config_name, data_dir=str(data_dir), cache_dir=str(cache_dir))
    builder.download_and_prepare()
    return builder.as_dataset()


@pytest.mark.parametrize("config_name", ["uas", "qa"])
def test_uas_and_qa_configs_match_the_parquet_files(annotated, config_name, tmp_path):
    from datasets import load_dataset

    built = build(config_name, annotated, tmp_path / "cache")
    loaded = load_dataset(str(annotated), config_name, cache_dir=str(tmp_path / "hf"))
    assert list(built) == list(loaded) == ["test"]
    assert built["test"].features == loaded["test"].features
    assert built["test"].num_rows == loaded["test"].num_rows > 0
    drop = ["audio"]
    assert built["test"].remove_columns(drop).to_list() == loaded["test"].remove_columns(drop).to_list()
    assert built["test"][0]["audio"].get_all_samples().data.shape[-1] > 0
    summary = json.loads((annotated / "summary.json").read_text())
    expected = summary["accepted"] if config_name == "uas" else summary["qa_items"]
    assert built["test"].num_rows == expected


def test_corpus_config_has_audio_and_every_label_column(small_corpus, tmp_path):
    ds = build("corpus", small_corpus, tmp_path / "cache")
    assert list(ds) == ["train", "validation", "test"]
    rows = [json.loads(line) for line in (small_corpus / "test" / "metadata.jsonl").open()]
    assert ds["test"].num_rows == len(rows)
    assert set(ds["test"].column_names) == {"audio", *rows[0]} - {"file_name"}
    first = ds["test"][0]
    assert first["id"] == rows[0]["id"] and first["uas"] == rows[0]["uas"]
    assert first["audio"].get_all_samples().sample_rate == 16_000


def test_missing_data_dir_names_the_parameter(tmp_path):
    with pytest.raises(ValueError, match="`data_dir`"):
        UASBuilder(config_name="uas", cache_dir=str(tmp_path)).download_and_prepare()
    with pytest.raises(ValueError, match="`data_dir`"):
        UASBuilder(config_name="corpus", cache_dir=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="No 'qa' data"):
        build("qa", tmp_path, tmp_path / "cache")
