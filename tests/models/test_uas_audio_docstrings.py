"""The `>>>` examples in the UAS-Audio docstrings run as written."""

import doctest
import importlib

import pytest


MODULES = [
    "uas_hf.models.uas_audio.configuration_uas_audio",
    "uas_hf.models.uas_audio.modeling_uas_audio",
    "uas_hf.models.uas_audio.processing_uas_audio",
    "uas_hf.models.uas_audio.stages",
    "uas_hf.models.uas_audio.tiny",
    "uas_hf.models.uas_audio.inference",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    result = doctest.testmod(importlib.import_module(module_name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
