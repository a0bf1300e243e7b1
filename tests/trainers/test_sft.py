"""UASSFTTrainer / UASSFTConfig: Table 8 defaults, stage trainability, packing, plain Trainer, resume, bad input."""

import os

import pytest
import torch
from datasets import Dataset
from transformers import Trainer, TrainingArguments

from uas_hf.data.collators import UASAudioCollator
from uas_hf.trainers import UASSFTConfig, UASSFTTrainer
from uas_hf.trainers.callbacks import TRAINING_CURVES_FILE


def snapshot(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def changed_parameters(model, before):
    return {n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n])}


# ------------------------------------------------------------------------------------------------------------ config


def test_config_table8_defaults(tmp_path):
    args = UASSFTConfig(output_dir=str(tmp_path), report_to="none", use_cpu=True)
    assert (args.adam_beta1, args.adam_beta2, args.weight_decay, args.max_grad_norm) == (0.9, 0.95, 0.1, 1.0)
    assert args.lr_scheduler_type.value == "cosine"
    assert args.bf16 is False  # no GPU: fp32
    assert args.learning_rate == 1e-4 and args.warmup_steps == 0
    assert args.remove_unused_columns is False and args.dataset_kwargs == {"skip_prepare_dataset": True}


@pytest.mark.parametrize(("stage", "lr", "warmup"), [(1, 5e-4, 500), (2, 2e-4, 1000), (3, 1e-4, 1000)])
def test_config_stage_defaults_and_overrides(tmp_path, stage, lr, warmup):
    args = UASSFTConfig(output_dir=str(tmp_path), stage=stage, report_to="none")
    assert (args.learning_rate, args.warmup_steps) == (lr, warmup)
    args = UASSFTConfig(output_dir=str(tmp_path), stage=stage, learning_rate=3e-3, warmup_steps=7, report_to="none")
    assert (args.learning_rate, args.warmup_steps) == (3e-3, 7)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stage": 4}, "UASGRPOConfig"),
        ({"stage": 7}, r"`stage` must be one of \[1, 2, 3, 4\]"),
        ({"max_packed_length": 128}, "packing=True"),
        ({"packing": True, "max_packed_length": 64, "max_length": 128}, "max_length <= max_packed_length"),
        ({"padding_free": True}, "packing=True"),
        ({"remove_unused_columns": True}, "remove_unused_columns"),
        ({"adam_beta2": 1.5}, "adam_beta2"),
    ],
)
def test_config_rejects_bad_settings(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        UASSFTConfig(output_dir=str(tmp_path), report_to="none", **kwargs)


# ------------------------------------------------------------------------------------------------------------ stages


def _groups(names):
    """Parameter name -> group: audio_encoder / projector / embed_tokens / language_model / lm_head."""
    groups = set()
    for n in names:
        if n.startswith("lm_head"):
            groups.add("lm_head")
        elif "embed_tokens" in n:
            groups.add("embed_tokens")
        else:
            groups.add(n.split(".")[1])
    return groups


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (1, {"embed_tokens", "lm_head"}),
        (2, {"projector"}),
        (3, {"projector", "embed_tokens", "language_model", "lm_head"}),
    ],
)
def test_stage_trains_exactly_its_groups(tmp_path, tiny, sft_dataset, cpu_args, stage, expected):
    model, processor = tiny
    before = snapshot(model)
    args = cpu_args(UASSFTConfig, tmp_path, stage=stage, packing=True)
    trainer = UASSFTTrainer(model, args=args, train_dataset=sft_dataset, processing_class=processor)
    trainable = {n for n, p in trainer.model.named_parameters() if p.requires_grad}
    trainer.train()
    changed = changed_parameters(trainer.model, before)
    assert changed == trainable  # every trainable tensor moved, nothing frozen did
    assert _groups(changed) == expected
    assert not any(n.startswith("model.audio_encoder") for n in changed)
    assert os.path.isfile(tmp_path / TRAINING_CURVES_FILE)


def test_plain_transformers_trainer_with_the_collator(tmp_path, tiny, sft_dataset):
    model, processor = tiny
    model.train()
    before = snapshot(model)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        remove_unused_columns=False,
        use_cpu=True,
        report_to="none",
        max_steps=2,
        per_device_train_batch_size=4,
        learning_rate=1e-2,
        save_strategy="no",
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=sft_dataset, data_collator=UASAudioCollator(processor, packing=True)
    )
    trainer.train()
    changed = changed_parameters(model, before)
    assert any(n.startswith("model.projector") for n in changed)
    assert any(n.startswith("model.audio_encoder") for n in changed)  # no stage given: everything trains


def test_resume_from_checkpoint_gives_identical_next_losses(tmp_path, sft_dataset, cpu_args):
    from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio

    def run(output_dir, resume=None):
        model, processor = build_tiny_uas_audio(seed=0)
        args = cpu_args(
            UASSFTConfig,
            output_dir,
            stage=3,
            packing=True,
            max_steps=4,
            per_device_train_batch_size=2,
            save_strategy="steps",
            save_steps=2,
            learning_rate=5e-3,
            warmup_steps=1,
            plot_training_curves=False,
        )
        trainer = UASSFTTrainer(model, args=args, train_dataset=sft_dataset, processing_class=processor)
        trainer.train(resume_from_checkpoint=resume)
        return {h["step"]: h["loss"] for h in trainer.state.log_history if "loss" in h}

    full = run(tmp_path / "full")
    checkpoint = tmp_path / "full" / "checkpoint-2"
    assert checkpoint.is_dir()
    resumed = run(tmp_path / "resumed", resume=str(checkpoint))
    assert sorted(resumed) == [1, 2, 3, 4]  # steps 1-2 come from the checkpoint's trainer_state.json
    assert [resumed[3], resumed[4]] == [full[3], full[4]]  # bit-identical, not just close


# ------------------------------------------------------------------------------------------------------------ bad input


def test_missing_columns_are_named(tmp_path, tiny, cpu_args):
    model, processor = tiny
    bad = Dataset.from_dict({"text": ["hello"], "audio": [None]})
    with pytest.raises(ValueError, match=r"lacks the required column\(s\) `messages` or `prompt`\+`completion`"):
        UASSFTTrainer(model, args=cpu_args(UASSFTConfig, tmp_path), train_dataset=bad, processing_class=processor)


def test_audio_placeholder_mismatch_fails_before_training(tmp_path, tiny, cpu_args, make_sft_rows):
    model, processor = tiny
    rows = make_sft_rows(2)
    rows[0]["messages"][0]["content"].insert(0, {"type": "audio", "text": None})  # two parts, one clip
    with pytest.raises(ValueError, match=r"2 audio placeholder\(s\).*but 1 audio clip"):
        UASSFTTrainer(
            model,
            args=cpu_args(UASSFTConfig, tmp_path),
            train_dataset=Dataset.from_list(rows),
            processing_class=processor,
        )


def test_config_that_freezes_everything_is_refused(tmp_path, tiny, sft_dataset, cpu_args):
    model, processor = tiny
    model.requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        UASSFTTrainer(
            model, args=cpu_args(UASSFTConfig, tmp_path), train_dataset=sft_dataset, processing_class=processor
        )


def test_wrong_args_and_processor_types(tmp_path, tiny, sft_dataset, cpu_args):
    model, processor = tiny
    with pytest.raises(TypeError, match="UASSFTConfig"):
        UASSFTTrainer(model, args=TrainingArguments(output_dir=str(tmp_path)), train_dataset=sft_dataset)
    with pytest.raises(TypeError, match="multimodal processor"):
        UASSFTTrainer(
            model,
            args=cpu_args(UASSFTConfig, tmp_path),
            train_dataset=sft_dataset,
            processing_class=processor.tokenizer,
        )


# ------------------------------------------------------------------------------------------------------ text-only


def test_text_only_batches_keep_the_audio_branch_in_the_graph(tiny):
    """ZeRO-3 / DDP safety: a batch without audio still runs encoder + projector, adding exactly 0 to the loss."""
    from uas_hf.models.uas_audio import set_trainable_stage
    from uas_hf.trainers.audio_graph import keep_audio_graph_on_text_only

    model, processor = tiny
    set_trainable_stage(model, 3)
    model.train()
    text_only = {"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "hello"}]}
    batch = UASAudioCollator(processor)([text_only, text_only])
    assert "input_features" not in batch

    plain = model(**batch, use_cache=False).loss
    plain.backward()
    assert model.model.projector.linear_1.weight.grad is None  # the branch DDP / ZeRO-3 would miss
    model.zero_grad(set_to_none=True)

    assert keep_audio_graph_on_text_only(model)
    kept = model(**batch, use_cache=False).loss
    kept.backward()
    grad = model.model.projector.linear_1.weight.grad
    assert grad is not None and torch.count_nonzero(grad) == 0
    assert torch.equal(kept.detach(), plain.detach())
    assert keep_audio_graph_on_text_only(model)  # idempotent: one hook only
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(**batch, use_cache=False).loss, plain.detach())
