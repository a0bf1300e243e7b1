"""Shared fixtures for trainer tests: a fresh tiny UAS-Audio model per test and small synthetic audio datasets."""

import pytest

from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio, synthetic_clip


ANSWERS = ("happy", "sad", "a dog barks twice", "female", "rain on a roof")


def sft_rows(n: int = 8) -> list[dict]:
    rows = []
    for i in range(n):
        rows.append(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "audio", "text": None}, {"type": "text", "text": "Describe the audio."}],
                    },
                    {"role": "assistant", "content": [{"type": "text", "text": ANSWERS[i % len(ANSWERS)]}]},
                ],
                "audio": {"array": synthetic_clip(0.5 + 0.5 * (i % 3), seed=i), "sampling_rate": 16000},
            }
        )
    return rows


def grpo_rows(n: int = 4) -> list[dict]:
    prompt = [
        {
            "role": "user",
            "content": [{"type": "audio", "text": None}, {"type": "text", "text": "Gender? A. male B. female"}],
        }
    ]
    return [
        {
            "prompt": prompt,
            "audio": {"array": synthetic_clip(0.5 + 0.5 * (i % 2), seed=i), "sampling_rate": 16000},
            "answer": "B",
            "options": ["A. male", "B. female"],
            "type": "multiple_choice",
        }
        for i in range(n)
    ]


@pytest.fixture
def tiny():
    """A fresh random tiny model (train() later mutates it) and its processor."""
    return build_tiny_uas_audio()


@pytest.fixture(scope="module")
def sft_dataset():
    from datasets import Dataset

    return Dataset.from_list(sft_rows())


@pytest.fixture(scope="module")
def grpo_dataset():
    from datasets import Dataset

    return Dataset.from_list(grpo_rows())


def _cpu_args(config_cls, output_dir, **kwargs):
    """A CPU config for a few tiny steps: no saving, no reporting, no warm-up unless asked."""
    defaults = {
        "output_dir": str(output_dir),
        "use_cpu": True,
        "report_to": "none",
        "save_strategy": "no",
        "logging_steps": 1,
        "max_steps": 2,
        "per_device_train_batch_size": 4,
        "learning_rate": 1e-2,
        "warmup_steps": 0,
        "seed": 0,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
    }
    defaults.update(kwargs)
    return config_cls(**defaults)


@pytest.fixture
def cpu_args():
    """`cpu_args(ConfigClass, output_dir, **overrides)` -> a config for a few tiny CPU steps."""
    return _cpu_args


@pytest.fixture
def make_sft_rows():
    return sft_rows


@pytest.fixture
def make_grpo_rows():
    return grpo_rows
