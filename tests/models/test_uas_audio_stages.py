"""set_trainable_stage: gradients reach exactly the parameters each paper stage trains (§3.2, Table 8)."""

import pytest
import torch

from conftest import user_turn
from uas_hf.models.uas_audio import set_trainable_stage, trainable_parameter_names
from uas_hf.models.uas_audio.tiny import synthetic_clip


def _batch(processor):
    conversation = user_turn("Describe.") + [{"role": "assistant", "content": "A dog barks twice."}]
    conversation[0]["content"][0]["audio"] = synthetic_clip(1.0)
    return processor.apply_chat_template([conversation], return_labels=True, return_tensors="pt")


def _params_with_grad(model, batch) -> set[str]:
    model.zero_grad(set_to_none=True)
    model(**batch).loss.backward()
    return {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}


def _expected(model, stage) -> set[str]:
    names = {n for n, _ in model.named_parameters()}
    if stage == 1:
        return {"model.language_model.embed_tokens.weight", "lm_head.weight"}
    if stage == 2:
        return {n for n in names if n.startswith("model.projector.")}
    # Stages 3 and 4: everything but the audio encoder.
    return {n for n in names if not n.startswith("model.audio_encoder.")}


@pytest.mark.parametrize("encoder", ["whisper", "qwen3_omni"])
@pytest.mark.parametrize("stage", [1, 2, 3, 4])
def test_gradients_reach_exactly_the_stage_parameters(fresh_model, encoder, stage):
    model, processor = fresh_model(encoder)
    model.train()
    batch = _batch(processor)
    counts = set_trainable_stage(model, stage)
    expected = _expected(model, stage)
    assert set(trainable_parameter_names(model)) == expected
    assert _params_with_grad(model, batch) == expected
    assert counts["trainable"] == sum(p.numel() for n, p in model.named_parameters() if n in expected)
    assert not any(p.requires_grad for p in model.model.audio_encoder.parameters())


def test_stage_one_new_token_rows_only(fresh_model):
    model, processor = fresh_model("whisper")
    model.train()
    batch = _batch(processor)
    new_ids = [processor.audio_token_id, processor.tokenizer.convert_tokens_to_ids("<|audio_eos|>"), 7]
    set_trainable_stage(model, 1, new_token_ids=new_ids)
    _params_with_grad(model, batch)
    for weight in (model.get_input_embeddings().weight, model.lm_head.weight):
        rows = (weight.grad.abs().sum(-1) > 0).nonzero().flatten().tolist()
        assert rows and set(rows) <= set(new_ids)
    # A later stage removes the row hooks.
    set_trainable_stage(model, 3)
    _params_with_grad(model, batch)
    assert (model.lm_head.weight.grad.abs().sum(-1) > 0).sum() > len(new_ids)


def test_training_step_changes_only_trainable_parameters(fresh_model):
    model, processor = fresh_model("qwen2_audio")
    model.train()
    set_trainable_stage(model, 2)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model(**_batch(processor)).loss.backward()
    optimizer.step()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed == {n for n in before if n.startswith("model.projector.")}


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"stage": 5}, r"`stage` must be one of \[1, 2, 3, 4\].*got 5"),
        ({"stage": 2, "new_token_ids": [1]}, r"`new_token_ids` only applies to stage 1"),
        ({"stage": 1, "new_token_ids": [10**6]}, r"`new_token_ids` must be non-empty ids in \[0, "),
    ],
)
def test_bad_stage_arguments(tiny_model, kwargs, pattern):
    model, _ = tiny_model("whisper")
    with pytest.raises(ValueError, match=pattern):
        set_trainable_stage(model, **kwargs)
