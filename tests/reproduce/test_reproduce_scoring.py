"""Option-likelihood scoring and the clip bootstrap."""

from types import SimpleNamespace

import pytest


torch = pytest.importorskip("torch")

from uas_hf.reproduce.scoring import (  # noqa: E402
    bootstrap_ci,
    continuation_logprobs,
    option_continuations,
    predict_by_likelihood,
)


RECORD = {
    "id": "q1",
    "question": "Which sound do you hear?",
    "choice_a": "Car horn",
    "choice_b": "Dog barking",
    "choice_c": "Laughter",
    "choice_d": None,
    "answer_gt": "Dog barking",
}


class PreferringModel(torch.nn.Module):
    """A hand-built language model that puts extra probability on a fixed set of tokens, whatever the input."""

    def __init__(self, vocab_size: int, preferred: set[int]):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(vocab_size))
        with torch.no_grad():
            self.bias[sorted(preferred)] = 8.0

    def forward(self, input_ids, **kwargs):
        return SimpleNamespace(logits=self.bias.expand(*input_ids.shape, -1))


@pytest.mark.parametrize("preferred_index", [0, 1, 2])
def test_likelihood_picks_the_option_the_model_prefers(preferred_index):
    from uas_hf.data.collators import UASAudioCollator
    from uas_hf.models.uas_audio.tiny import build_tiny_processor, synthetic_clip

    processor = build_tiny_processor()
    collator = UASAudioCollator(processor)
    preferred_text = option_continuations(RECORD)[preferred_index]
    preferred = set(processor.tokenizer(preferred_text, add_special_tokens=False)["input_ids"])
    model = PreferringModel(len(processor.tokenizer), preferred)
    clip = {"array": synthetic_clip(1.0), "sampling_rate": 16_000}

    def score(examples):
        return continuation_logprobs(model, collator, examples, batch_size=2)

    (prediction,) = predict_by_likelihood([RECORD], score, lambda r: clip)
    assert len(prediction["scores"]) == 3  # the empty choice_d is no option
    assert prediction["prediction"] == ["Car horn", "Dog barking", "Laughter"][preferred_index]
    assert prediction["correct"] == (preferred_index == 1)


def test_predict_by_likelihood_rejects_a_scorer_that_drops_examples():
    with pytest.raises(ValueError, match="scores for 3 examples"):
        predict_by_likelihood([RECORD], lambda examples: [0.0], lambda r: "a.wav")


def test_bootstrap_ci_contains_the_point_estimate():
    correct = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1] * 3
    clusters = [f"clip{i // 2}" for i in range(len(correct))]
    stats = bootstrap_ci(correct, clusters, n_resamples=500)
    assert stats["acc"] == pytest.approx(0.7)
    assert stats["ci"][0] <= stats["acc"] <= stats["ci"][1]
    assert stats["n"] == 30 and stats["clips"] == 15


def test_bootstrap_resamples_whole_clips():
    # Two clips of ten items each: one all right, one all wrong. Resampling clips can draw either clip twice
    # (0 % or 100 %); resampling items as if independent would give a narrow interval around 50 %.
    correct = [1] * 10 + [0] * 10
    by_clip = bootstrap_ci(correct, ["a"] * 10 + ["b"] * 10, n_resamples=400)
    by_item = bootstrap_ci(correct, [str(i) for i in range(20)], n_resamples=400)
    assert by_clip["ci"] == [0.0, 1.0]
    assert by_item["ci"][0] > 0.2 and by_item["ci"][1] < 0.8


def test_bootstrap_is_deterministic_and_checks_its_input():
    args = ([1, 0, 1, 1], ["a", "b", "c", "d"])
    assert bootstrap_ci(*args, seed=3) == bootstrap_ci(*args, seed=3)
    assert bootstrap_ci([], [])["acc"] is None
    with pytest.raises(ValueError, match="same length"):
        bootstrap_ci([1, 0], ["a"])
