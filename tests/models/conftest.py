"""Shared fixtures for the UAS-Audio model tests: tiny random models built once per session, never downloaded."""

import functools

import pytest

from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio, synthetic_clip, train_tokenizer


ENCODERS = ("whisper", "qwen2_audio", "qwen3_omni")


@functools.cache
def _cached_model(encoder: str, text: str = "qwen2", **kwargs):
    return build_tiny_uas_audio(encoder, text, **kwargs)


@pytest.fixture(scope="session")
def tokenizer():
    return train_tokenizer()


@pytest.fixture(scope="session")
def tiny_model():
    """``tiny_model(encoder, text="qwen2", **config_kwargs) -> (model, processor)``, cached: do not mutate the model."""
    return _cached_model


@pytest.fixture
def fresh_model():
    """``fresh_model(encoder="whisper", **kwargs)`` builds a new model, safe to train or modify."""
    return build_tiny_uas_audio


@pytest.fixture(scope="session")
def clips():
    """Eight clips of varied length (inside one 5-s window, at its edge, and spanning several windows)."""
    seconds = (0.3, 1.0, 2.7, 5.0, 5.01, 7.5, 0.05, 11.2)
    return [synthetic_clip(s, seed=i) for i, s in enumerate(seconds)]


def user_turn(question: str, n_audio: int = 1) -> list[dict]:
    content = [{"type": "audio"}] * n_audio + [{"type": "text", "text": question}]
    return [{"role": "user", "content": content}]
