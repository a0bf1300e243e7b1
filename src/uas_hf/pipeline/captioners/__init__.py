"""Stage-1 captioners behind one interface (`uas_hf.pipeline.base.Captioner`).

| name | class | what it needs |
|---|---|---|
| `analyzer` (default) | `AcousticAnalyzerCaptioner` | nothing: praat-parselmouth + silero-vad, offline |
| `transformers` | `TransformersCaptioner` | a local audio-text-to-text checkpoint folder (`model=`) |
| `openai` | `OpenAICaptioner` | an OpenAI-compatible server (`base_url=`, `model=`) |
"""

import importlib


# name -> "module:Class"; imported on demand so that `import uas_hf.pipeline` stays light.
CAPTIONERS: dict[str, str] = {
    "analyzer": "uas_hf.pipeline.captioners.analyzer:AcousticAnalyzerCaptioner",
    "transformers": "uas_hf.pipeline.captioners.transformers_captioner:TransformersCaptioner",
    "openai": "uas_hf.pipeline.captioners.openai_captioner:OpenAICaptioner",
}


def captioner_class(name: str):
    """The captioner class registered as ``name``."""
    if name not in CAPTIONERS:
        raise ValueError(f"`captioner` must be one of {sorted(CAPTIONERS)}; got {name!r}.")
    module, cls = CAPTIONERS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def build_captioner(name: str = "analyzer", **kwargs):
    """Instantiate the captioner ``name`` with ``kwargs``.

    Example:

    ```python
    >>> build_captioner("analyzer", vad="energy").name
    'analyzer'

    ```
    """
    return captioner_class(name)(**kwargs)


__all__ = ["CAPTIONERS", "build_captioner", "captioner_class"]
