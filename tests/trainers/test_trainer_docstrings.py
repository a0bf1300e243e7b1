"""The `>>>` examples in the trainers' and the collator's docstrings run (TRL-style ``` fences stripped)."""

import doctest
import importlib
import re

import pytest


MODULES = [
    "uas_hf.trainers.uas_sft_config",
    "uas_hf.trainers.uas_grpo_config",
    "uas_hf.trainers.peft_utils",
    "uas_hf.trainers.audio_graph",
    "uas_hf.trainers.varlen_attention",
    "uas_hf.trainers.mixture",
    "uas_hf.data.collators",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that take an output_dir write nothing outside tmp
    module = importlib.import_module(name)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    found = 0
    for obj_name, obj in [(name, module), *vars(module).items()]:
        doc = getattr(obj, "__doc__", None)
        if not doc or (obj is not module and getattr(obj, "__module__", None) != name):
            continue
        doc = re.sub(r"^\s*```(python|yaml)?\s*$", "", doc, flags=re.MULTILINE)
        test = parser.get_doctest(doc, dict(vars(module)), obj_name, module.__file__, 0)
        found += len(test.examples)
        runner.run(test)
    assert found > 0
    assert runner.failures == 0
