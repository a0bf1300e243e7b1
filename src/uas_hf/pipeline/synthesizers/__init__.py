"""Stage-2 synthesizers behind one interface (`uas_hf.pipeline.base.Synthesizer`).

| name | class | what it needs |
|---|---|---|
| `rules` (default) | `RuleBasedSynthesizer` | the offline analyzer's measurements (`--captioner analyzer`) |
| `transformers` | `TransformersSynthesizer` | a local instruction-tuned text checkpoint folder (`model=`) |
| `openai` | `OpenAISynthesizer` | an OpenAI-compatible server (`base_url=`, `model=`) |
"""

import importlib


SYNTHESIZERS: dict[str, str] = {
    "rules": "uas_hf.pipeline.synthesizers.rule_based:RuleBasedSynthesizer",
    "transformers": "uas_hf.pipeline.synthesizers.llm:TransformersSynthesizer",
    "openai": "uas_hf.pipeline.synthesizers.llm:OpenAISynthesizer",
}


def synthesizer_class(name: str):
    """The synthesizer class registered as ``name``."""
    if name not in SYNTHESIZERS:
        raise ValueError(f"`synthesizer` must be one of {sorted(SYNTHESIZERS)}; got {name!r}.")
    module, cls = SYNTHESIZERS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def build_synthesizer(name: str = "rules", **kwargs):
    """Instantiate the synthesizer ``name`` with ``kwargs``.

    Example:

    ```python
    >>> build_synthesizer("rules").name
    'rules'

    ```
    """
    return synthesizer_class(name)(**kwargs)


__all__ = ["SYNTHESIZERS", "build_synthesizer", "synthesizer_class"]
