"""LoRA on the language model with the projector trained in full; merge -> same outputs; bad PEFT targets."""

import pytest
import torch
from peft import LoraConfig

from uas_hf.data.collators import UASAudioCollator
from uas_hf.models.uas_audio import UASAudioForCausalLM
from uas_hf.trainers import UASSFTConfig, UASSFTTrainer, merge_and_save, uas_lora_config


def test_lora_train_merge_save_gives_the_same_outputs(tmp_path, tiny, sft_dataset, cpu_args):
    model, processor = tiny
    base_projector = model.model.projector.linear_1.weight.detach().clone()
    args = cpu_args(UASSFTConfig, tmp_path / "run", packing=True, max_steps=3)
    config = uas_lora_config(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"])
    trainer = UASSFTTrainer(
        model, args=args, train_dataset=sft_dataset, processing_class=processor, peft_config=config
    )
    trainable = {n for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "projector" in n for n in trainable)
    assert not any("audio_encoder" in n and "lora_" in n for n, _ in trainer.model.named_parameters())
    trainer.train()

    peft_model = trainer.model.eval()
    batch = UASAudioCollator(processor)(list(sft_dataset.select(range(3))))
    with torch.no_grad():
        expected = peft_model(**batch, use_cache=False).logits
    merged = merge_and_save(peft_model, str(tmp_path / "merged"), processor=processor)
    assert not any("lora_" in n for n, _ in merged.named_parameters())
    reloaded = UASAudioForCausalLM.from_pretrained(tmp_path / "merged").eval()
    with torch.no_grad():
        got = reloaded(**batch, use_cache=False).logits
    assert torch.allclose(got, expected, atol=1e-5)
    # the projector (modules_to_save) was trained and its trained weights are what got saved
    assert not torch.equal(reloaded.model.projector.linear_1.weight, base_projector)


@pytest.mark.parametrize(
    ("config", "match"),
    [
        (LoraConfig(r=4, target_modules=["q_proj", "v_proj"]), r"also matches \d+ audio-encoder modules"),
        (LoraConfig(r=4, target_modules=r".*language_model.*\.nope"), "matches no Linear/Embedding module"),
        (LoraConfig(r=4, target_modules="all-linear"), "all-linear"),
        (LoraConfig(r=4, target_modules=["lm_head"]), "matches `lm_head`"),
    ],
)
def test_incompatible_peft_targets_fail_before_training(tmp_path, tiny, sft_dataset, cpu_args, config, match):
    model, processor = tiny
    with pytest.raises(ValueError, match=match):
        UASSFTTrainer(
            model,
            args=cpu_args(UASSFTConfig, tmp_path),
            train_dataset=sft_dataset,
            processing_class=processor,
            peft_config=config,
        )


def test_merge_and_save_needs_a_peft_model(tmp_path, tiny):
    model, _ = tiny
    with pytest.raises(TypeError, match="peft.PeftModel"):
        merge_and_save(model, str(tmp_path))
