"""A `datasets` builder for the embedded corpus and for the `uas` / `qa` configs of an `uas-hf annotate` folder.

`datasets` 5 no longer runs loading scripts, so `load_dataset(DIR, "qa")` reads the Parquet files an annotate folder's
README lists; this `GeneratorBasedBuilder` is the in-package route, used directly:

```python
>>> from uas_hf.data.builder import UASBuilder
>>> builder = UASBuilder(config_name="qa", data_dir="annotated/")  # doctest: +SKIP
>>> builder.download_and_prepare()  # doctest: +SKIP
>>> builder.as_dataset()["train"][0]["question"]  # doctest: +SKIP
'What is the speaker's gender?'

```

Configs:

| config | `data_dir` | rows |
|---|---|---|
| `corpus` | a corpus folder (`uas-hf corpus build`): `{split}/metadata.jsonl` + WAVs | one per clip, `audio` + every label column |
| `uas` | an annotate output folder | one per accepted clip (see `uas_hf.pipeline.runner.uas_features`) |
| `qa` | an annotate output folder | one per UAS-QA item |
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets

from ..pipeline.runner import qa_features, uas_features
from ..pipeline.sources import SPLIT_ORDER


_DESCRIPTION = {
    "corpus": "The embedded labelled corpus: clips with construction-truth labels and UAS records.",
    "uas": "UAS annotations (paper §2.2) produced by `uas-hf annotate`.",
    "qa": "UAS-QA question-answer pairs (paper §2.3) produced by `uas-hf annotate`.",
}
_PAPER = "https://arxiv.org/abs/2604.12506"
#: Metadata rows read to infer the corpus columns' types (the corpus schema is the corpus builder's to evolve).
_INFER_ROWS = 2_000


def _ordered(splits):
    known = [s for s in SPLIT_ORDER if s in splits]
    return known + sorted(s for s in splits if s not in SPLIT_ORDER)


def _corpus_splits(data_dir: Path) -> dict[str, Path]:
    found = {p.parent.name: p for p in data_dir.glob("*/metadata.jsonl")}
    return {s: found[s] for s in _ordered(found)}


def _corpus_features(data_dir: Path) -> datasets.Features:
    """`audio` + the metadata columns, typed from the first rows (all-null columns become strings)."""
    import pyarrow as pa

    rows = []
    for meta in _corpus_splits(data_dir).values():
        with open(meta, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rows.append(json.loads(line))
                if len(rows) >= _INFER_ROWS:
                    break
    if not rows:
        raise ValueError(f"`data_dir` {str(data_dir)!r} has no rows in its {{split}}/metadata.jsonl files.")
    schema = pa.Table.from_pylist(rows).schema
    fields = []
    for f in schema:
        if f.name == "file_name":
            continue
        fields.append(pa.field(f.name, pa.string() if pa.types.is_null(f.type) else f.type))
    features = datasets.Features.from_arrow_schema(pa.schema(fields))
    return datasets.Features({"audio": datasets.Audio(), **features})


class UASBuilderConfig(datasets.BuilderConfig):
    """A `UASBuilder` config; ``data_dir`` is required (a corpus folder or an annotate output folder)."""


class UASBuilder(datasets.GeneratorBasedBuilder):
    """Build the embedded corpus (`corpus`) or an annotate folder's `uas` / `qa` configs as Arrow datasets.

    Args:
        config_name (`str`): `"corpus"`, `"uas"` or `"qa"`.
        data_dir (`str`): the folder to read (see the module table).
        **kwargs: other `datasets.GeneratorBasedBuilder` arguments (``cache_dir``, ...).

    Example:

    ```python
    >>> builder = UASBuilder(config_name="corpus", data_dir="corpus/")  # doctest: +SKIP
    >>> builder.download_and_prepare(); builder.as_dataset()["test"].features["audio"]  # doctest: +SKIP
    Audio(sampling_rate=None, decode=True, ...)

    ```
    """

    VERSION = datasets.Version("1.0.0")
    BUILDER_CONFIG_CLASS = UASBuilderConfig
    BUILDER_CONFIGS = [UASBuilderConfig(name=name, description=text) for name, text in _DESCRIPTION.items()]
    DEFAULT_CONFIG_NAME = "uas"

    def _data_dir(self) -> Path:
        if not self.config.data_dir:
            raise ValueError(
                f"`data_dir` is required for the {self.config.name!r} config: pass "
                f"UASBuilder(config_name={self.config.name!r}, data_dir=FOLDER)."
            )
        path = Path(self.config.data_dir)
        if not path.is_dir():
            raise FileNotFoundError(f"`data_dir` {str(path)!r} is not a folder.")
        return path

    def _info(self) -> datasets.DatasetInfo:
        name = self.config.name
        if name == "corpus":
            features = _corpus_features(self._data_dir())
        else:
            features = uas_features() if name == "uas" else qa_features()
        return datasets.DatasetInfo(description=_DESCRIPTION[name], features=features, homepage=_PAPER)

    def _split_generators(self, dl_manager):
        data_dir = self._data_dir()
        name = self.config.name
        if name == "corpus":
            splits = {s: {"metadata": str(p)} for s, p in _corpus_splits(data_dir).items()}
        else:
            found: dict[str, list[str]] = {}
            for path in sorted((data_dir / name).glob("*.parquet")):
                found.setdefault(path.name.rsplit("-", 3)[0], []).append(str(path))
            splits = {s: {"files": found[s]} for s in _ordered(found)}
        if not splits:
            raise FileNotFoundError(
                f"No {name!r} data in {str(data_dir)!r}: expected "
                + ("{split}/metadata.jsonl files." if name == "corpus" else f"{name}/{{split}}-*.parquet files.")
            )
        return [datasets.SplitGenerator(name=split, gen_kwargs=kwargs) for split, kwargs in splits.items()]

    def _generate_examples(self, metadata: str | None = None, files: list[str] | None = None):
        if metadata is not None:
            folder = Path(metadata).parent
            columns = [c for c in self.info.features if c != "audio"]
            with open(metadata, encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    row = json.loads(line)
                    example = {c: row.get(c) for c in columns}
                    example["audio"] = str(folder / row["file_name"])
                    yield row.get("id") or row["file_name"], example
            return
        import pyarrow.parquet as pq

        for path in files or []:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=256):  # streams: constant memory
                for example in batch.to_pylist():
                    yield example["id"], example
