"""Every metric folder loads with `evaluate.load` in a fresh, offline process and has a card."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from uas_hf.metrics import METRIC_NAMES, metric_path


# Runs in a fresh interpreter: evaluate copies each script into its module cache and imports it from there.
_SCRIPT = r"""
import json, sys
import evaluate

paths = json.loads(sys.argv[1])
mmau_ref = {"id": "q", "choices": ["dog", "cat"], "answer": "cat", "task": "sound", "difficulty": "easy",
            "sub-category": "S", "question": "extra keys are ignored", "category": ["Reasoning"]}
mmar_ref = {"id": "q", "choices": ["dog", "cat"], "answer": "cat", "modality": "sound",
            "category": "Perception Layer", "sub-category": "S"}
mmsu_ref = {"id": "q", "choice_a": "dog", "choice_b": "cat", "choice_c": None, "choice_d": None, "answer_gt": "cat",
            "category": "Perception", "sub-category": "P", "sub-sub-category": "S", "task_name": "t"}
uas = json.dumps({"transcription": None, "paralinguistics": None, "nonLinguisticEvents": {"description": "Rain.",
                  "discreteEvents": [{"label": "Thunder", "characteristic": None}], "continuousEvents": []}})
out = {}
m = evaluate.load(paths["mmau"])
out["mmau"] = [m.compute(predictions=[None, "B"], references=[mmau_ref, mmau_ref], scoring=s)["correct"]
               for s in ("official", "tencent")]
out["mmau_module_file"] = sys.modules[type(m).__module__].__file__
m = evaluate.load(paths["mmar"])
out["mmar"] = [m.compute(predictions=["cat\nnot a dog"], references=[mmar_ref], scoring=s)["correct"]
               for s in ("official", "tencent")]
m = evaluate.load(paths["mmsu"])
out["mmsu"] = [m.compute(predictions=["xyz", None, "B"], references=[mmsu_ref] * 3, scoring=s)["n"]
               for s in ("official", "tencent")]
m = evaluate.load(paths["wer"])
out["wer"] = m.compute(predictions=["it is 21", "你好世届"], references=["It's twenty-one!", "你好"])["wer"]
out["wer_zh"] = m.compute(predictions=["你好世届"], references=["你好，世界"], language="zh")["cer"]
m = evaluate.load(paths["uas_schema"])
out["uas_schema"] = m.compute(predictions=[uas, "garbage"], references=[uas, uas])["valid_json_rate"]
print(json.dumps(out))
"""


def test_evaluate_load_offline_in_fresh_process(tmp_path):
    pytest.importorskip("evaluate")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_EVALUATE_OFFLINE="1", HF_HOME=str(tmp_path))
    env.pop("HF_MODULES_CACHE", None)
    paths = json.dumps({name: metric_path(name) for name in METRIC_NAMES})
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, paths], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["mmau"] == [0, 1]  # bare letter: wrong officially, right for Tencent; None is unparseable
    assert out["mmar"] == [0, 1]  # a distractor after the first line: only Tencent's extraction ignores it
    assert out["mmsu"] == [1, 3]  # "xyz" and null dropped officially; Tencent keeps them (n=3)
    assert out["wer"] == pytest.approx(1 / 4)  # 4 reference words ("it is 21", "你好"), 1 substitution
    assert out["wer_zh"] == pytest.approx(1 / 4)
    assert out["uas_schema"] == 0.5
    # The script ran from evaluate's module cache (a standalone copy), not from the package folder.
    assert out["mmau_module_file"].startswith(str(tmp_path))


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_metric_card(name):
    folder = metric_path(name)
    assert os.path.isfile(os.path.join(folder, f"{name}.py"))
    with open(os.path.join(folder, "README.md"), encoding="utf-8") as f:
        text = f.read()
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert {"evaluate", "metric"} <= set(meta["tags"]) and meta["description"] and meta["license"] == "apache-2.0"
    for section in ("## Metric description", "## How to use", "### Inputs", "### Output values", "## Citation"):
        assert section in text, f"{name} card lacks {section!r}"
    assert f'metric_path("{name}")' in text


def test_metric_path_rejects_unknown():
    with pytest.raises(ValueError, match="`name` must be one of"):
        metric_path("accuracy")
