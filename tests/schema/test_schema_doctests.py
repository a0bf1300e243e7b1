"""The `>>>` examples in the schema and UAS-QA docstrings run (so the documentation cannot drift from the code)."""

import doctest
import importlib

import pytest


MODULES = [
    "uas_hf.schema",
    "uas_hf.schema.errors",
    "uas_hf.schema.parsing",
    "uas_hf.schema.rendering",
    "uas_hf.schema.synthetic",
    "uas_hf.schema.types",
    "uas_hf.schema.validation",
    "uas_hf.schema.vocab",
    "uas_hf.data.qa",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
