"""UASGRPOTrainer: the audio reaches generation AND every log-prob pass (policy, old policy, reference model).

The `vanilla` cases run TRL's own `GRPOTrainer` on the same model and data and are expected to FAIL (strict xfail):
TRL generates with the audio but scores the completions without it, so its log-probs are those of a deaf model and
its loss sends no gradient to the projector. The same assertions pass with `UASGRPOTrainer`.
"""

import os

import pytest
import torch
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio
from uas_hf.rewards import multiple_choice_accuracy_reward
from uas_hf.trainers import UASGRPOConfig, UASGRPOTrainer
from uas_hf.trainers.callbacks import TRAINING_CURVES_FILE


VANILLA_FAILS = pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="vanilla TRL GRPO computes log-probs without the audio features (the gap this trainer closes)",
)
KINDS = [pytest.param("vanilla", marks=VANILLA_FAILS), "uas"]


def alternating_reward(completions, **kwargs):
    """0, 1, 0, 1, ...: every group of two gets a non-zero advantage, so the loss has a gradient."""
    return [float(i % 2) for i in range(len(completions))]


def _with_embedded_audio(row):
    """Vanilla TRL reads audio only from inside the prompt messages (the processor loads it from there)."""
    content = [{"type": "audio", "audio": row["audio"]["array"]}, row["prompt"][0]["content"][1]]
    return {**row, "prompt": [{"role": "user", "content": content}]}


def build(kind, model, processor, dataset, output_dir, cpu_args, **kwargs):
    common = {"num_generations": 2, "max_completion_length": 5, "per_device_train_batch_size": 4}
    common.update(kwargs)
    if kind == "uas":
        args = cpu_args(UASGRPOConfig, output_dir, **common)
        return UASGRPOTrainer(model, alternating_reward, args=args, train_dataset=dataset, processing_class=processor)
    args = cpu_args(GRPOConfig, output_dir, bf16=False, **common)
    return GRPOTrainer(model, alternating_reward, args=args, train_dataset=dataset, processing_class=processor)


def rollout_inputs(kind, rows):
    rows = [dict(r) for r in rows for _ in range(2)]  # each prompt twice: one group of num_generations=2
    return [_with_embedded_audio(r) for r in rows] if kind == "vanilla" else rows


def audio_forward_logps(model, processor, rows, batch):
    """Reference: per-token log-probs of the completions from a plain forward WITH the audio features."""
    clips = [r["audio"]["array"] for r in rows for _ in range(2)]
    texts = ["<|audio_bos|><|AUDIO|><|audio_eos|>"] * len(clips)
    features = processor(text=texts, audio=clips, return_tensors="pt")
    input_ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], dim=1)
    attention_mask = torch.cat([batch["prompt_mask"], batch["completion_mask"]], dim=1)
    with torch.no_grad():
        logits = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            input_features=features["input_features"],
            feature_attention_mask=features["feature_attention_mask"],
            use_cache=False,
        ).logits
    n = batch["completion_ids"].shape[1]
    logps = torch.log_softmax(logits[:, -n - 1 : -1].float(), dim=-1)
    return logps.gather(-1, batch["completion_ids"].unsqueeze(-1)).squeeze(-1)


@pytest.mark.parametrize("kind", KINDS)
def test_old_policy_and_reference_logps_see_the_audio(kind, tmp_path, make_grpo_rows, cpu_args):
    model, processor = build_tiny_uas_audio(seed=1)
    model.save_pretrained(tmp_path / "policy")  # beta > 0: TRL rebuilds the reference model from this path
    processor.save_pretrained(tmp_path / "policy")
    model = type(model).from_pretrained(tmp_path / "policy")
    rows = make_grpo_rows(2)
    trainer = build(
        kind,
        model,
        processor,
        Dataset.from_list(make_grpo_rows()),
        tmp_path / "out",
        cpu_args,
        beta=0.1,
        num_iterations=2,
    )
    trainer.model.train()
    batch = trainer._generate_and_score_completions(rollout_inputs(kind, rows))
    expected = audio_forward_logps(trainer.model, processor, rows, batch)
    mask = batch["completion_mask"].bool()
    # old-policy pass (num_iterations=2 makes TRL compute it) and reference-model pass (beta > 0)
    assert torch.allclose(batch["old_per_token_logps"][mask], expected[mask], atol=1e-4)
    assert torch.allclose(batch["ref_per_token_logps"][mask], expected[mask], atol=1e-4)


@pytest.mark.parametrize("kind", KINDS)
def test_policy_loss_depends_on_the_audio(kind, tmp_path, make_grpo_rows, cpu_args):
    model, processor = build_tiny_uas_audio(seed=2)
    trainer = build(kind, model, processor, Dataset.from_list(make_grpo_rows()), tmp_path, cpu_args)
    trainer.model.train()
    batch = trainer._generate_and_score_completions(rollout_inputs(kind, make_grpo_rows(2)))
    assert batch["advantages"].abs().sum() > 0
    trainer.current_gradient_accumulation_steps = 1  # set by Trainer's training loop, which we bypass here
    loss = trainer._compute_loss(trainer.model, batch)
    loss.backward()
    grad = trainer.model.model.projector.linear_1.weight.grad
    # the policy forward must run the projector on the audio: its gradient exists and is non-zero
    assert grad is not None and grad.abs().sum() > 0


def test_grpo_trains_stage4_groups_and_plots_rewards(tmp_path, tiny, grpo_dataset, cpu_args):
    model, processor = tiny
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    args = cpu_args(UASGRPOConfig, tmp_path, num_generations=2, max_completion_length=5, max_steps=2)
    trainer = UASGRPOTrainer(
        model,
        [multiple_choice_accuracy_reward, "format", alternating_reward],
        args=args,
        train_dataset=grpo_dataset,
        processing_class=processor,
    )
    trainer.train()
    changed = {n for n, p in trainer.model.named_parameters() if not torch.equal(p.detach(), before[n])}
    assert any(n.startswith("model.projector") for n in changed)
    assert any(n.startswith("model.language_model") for n in changed)
    assert not any(n.startswith("model.audio_encoder") for n in changed)
    assert any("rewards/alternating_reward/mean" in h for h in trainer.state.log_history)
    assert os.path.isfile(tmp_path / TRAINING_CURVES_FILE)


# ------------------------------------------------------------------------------------------------------------ bad input


def bad_length_reward(completions, **kwargs):
    return [0.0]


@pytest.mark.parametrize(
    ("mutate", "rewards", "match"),
    [
        (
            lambda rows: [{k: v for k, v in r.items() if k != "audio"} for r in rows],
            [alternating_reward],
            r"`prompt`\+`audio`",
        ),
        (
            lambda rows: [
                {**r, "prompt": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]} for r in rows
            ],
            [alternating_reward],
            r"0 audio placeholder\(s\).*exactly one",
        ),
        (lambda rows: rows, [bad_length_reward], r"`bad_length_reward` returned 1 rewards for 2 completions"),
        (lambda rows: rows, ["no_such_reward"], r"not a known reward"),
    ],
)
def test_bad_input_fails_before_training(tmp_path, tiny, make_grpo_rows, cpu_args, mutate, rewards, match):
    model, processor = tiny
    dataset = Dataset.from_list(mutate(make_grpo_rows()))
    args = cpu_args(UASGRPOConfig, tmp_path, num_generations=2, max_completion_length=4)
    with pytest.raises(ValueError, match=match):
        UASGRPOTrainer(model, rewards, args=args, train_dataset=dataset, processing_class=processor)


def test_reference_model_needs_a_saved_policy(tmp_path, tiny, grpo_dataset, cpu_args):
    model, processor = tiny
    args = cpu_args(UASGRPOConfig, tmp_path, num_generations=2, max_completion_length=4, beta=0.04)
    with pytest.raises(ValueError, match=r"`beta`=0.04 needs a reference model"):
        UASGRPOTrainer(model, alternating_reward, args=args, train_dataset=grpo_dataset, processing_class=processor)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"use_vllm": True}, "use_vllm"),
        ({"remove_unused_columns": True}, "remove_unused_columns"),
        ({"stage": 2}, "UASSFTConfig"),
    ],
)
def test_grpo_config_rejects_audio_dropping_settings(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        UASGRPOConfig(output_dir=str(tmp_path), report_to="none", **kwargs)


def test_grpo_config_stage4_defaults(tmp_path):
    args = UASGRPOConfig(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    assert (args.stage, args.learning_rate, args.warmup_steps, args.bf16) == (4, 5e-6, 200, False)
    assert (args.adam_beta2, args.weight_decay, args.lr_scheduler_type.value) == (0.95, 0.1, "cosine")
