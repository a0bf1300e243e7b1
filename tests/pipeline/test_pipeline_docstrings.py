"""The `>>>` examples in the pipeline's docstrings run and say what they show."""

import doctest
import importlib

import pytest


MODULES = [
    "uas_hf.pipeline.base",
    "uas_hf.pipeline.audio",
    "uas_hf.pipeline.captioners",
    "uas_hf.pipeline.captioners.analyzer",
    "uas_hf.pipeline.synthesizers",
    "uas_hf.pipeline.synthesizers.rule_based",
    "uas_hf.pipeline.openai_client",
    "uas_hf.pipeline.prompts",
    "uas_hf.pipeline.sources",
    "uas_hf.pipeline.runner",
    "uas_hf.data.builder",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
