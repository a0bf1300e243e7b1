"""Qwen2-Audio -> UAS-Audio conversion (same logits, same greedy generation) and the builder from pretrained parts."""

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoProcessor

from uas_hf.cli.main import main as cli_main
from uas_hf.models.uas_audio.convert_qwen2_audio import rename_qwen2_audio_key
from uas_hf.models.uas_audio.tiny import build_tiny_qwen2_audio, synthetic_clip


@pytest.fixture(scope="module")
def qwen2_audio_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qwen2-audio")
    model, processor = build_tiny_qwen2_audio()
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder, model, processor


def test_convert_same_logits_and_generation(qwen2_audio_dir, tmp_path):
    src, reference, reference_processor = qwen2_audio_dir
    dst = tmp_path / "uas-audio"
    assert cli_main(["convert", "qwen2-audio", str(src), str(dst)]) == 0
    model = AutoModelForCausalLM.from_pretrained(dst).eval()
    processor = AutoProcessor.from_pretrained(dst)
    assert type(model).__name__ == "UASAudioForCausalLM" and model.config.projector_type == "linear"

    messages = [
        [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": f"Describe {i}."}]}]
        for i in range(3)
    ]
    prompts = [processor.apply_chat_template(m, add_generation_prompt=True) for m in messages]
    assert prompts == [reference_processor.apply_chat_template(m, add_generation_prompt=True) for m in messages]
    clips = [synthetic_clip(s, seed=i) for i, s in enumerate((0.4, 2.3, 4.99))]
    theirs = reference_processor(text=prompts, audio=clips, sampling_rate=16000, return_tensors="pt", padding=True)
    ours = processor(text=prompts, audio=clips, sampling_rate=16000, return_tensors="pt")
    assert torch.equal(theirs["input_ids"], ours["input_ids"])
    torch.testing.assert_close(theirs["input_features"], ours["input_features"], rtol=0, atol=1e-6)

    with torch.no_grad():
        expected = reference(**theirs).logits
        assert (model(**theirs).logits - expected).abs().max() <= 1e-4
        assert (model(**ours).logits - expected).abs().max() <= 1e-4
    kwargs = {"max_new_tokens": 12, "min_new_tokens": 12, "do_sample": False}
    assert torch.equal(model.generate(**ours, **kwargs), reference.generate(**theirs, **kwargs))


def test_convert_rejects_other_models(tmp_path, tiny_model):
    model, _ = tiny_model("whisper")
    model.save_pretrained(tmp_path / "not-qwen2-audio")
    from uas_hf.models.uas_audio.convert_qwen2_audio import convert_qwen2_audio

    with pytest.raises(ValueError, match=r"must hold a Qwen2-Audio model .* got 'uas_audio'"):
        convert_qwen2_audio(tmp_path / "not-qwen2-audio", tmp_path / "out")
    assert cli_main(["convert", "qwen2-audio", str(tmp_path / "missing"), str(tmp_path / "out")]) == 2


@pytest.mark.parametrize(
    "key, expected",
    [
        ("model.audio_tower.layers.0.fc1.weight", "model.audio_encoder.layers.0.fc1.weight"),
        ("audio_tower.conv1.weight", "model.audio_encoder.conv1.weight"),
        ("multi_modal_projector.linear.bias", "model.projector.linear_1.bias"),
        ("language_model.model.layers.0.mlp.up_proj.weight", "model.language_model.layers.0.mlp.up_proj.weight"),
        ("language_model.lm_head.weight", "lm_head.weight"),
        ("model.language_model.norm.weight", "model.language_model.norm.weight"),
    ],
)
def test_key_renames_cover_both_layouts(key, expected):
    assert rename_qwen2_audio_key(key) == expected


def test_build_from_pretrained_parts(tmp_path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, WhisperForConditionalGeneration

    from uas_hf.models.uas_audio.tiny import tiny_audio_config, tiny_feature_extractor, tiny_text_config

    torch.manual_seed(0)
    whisper = WhisperForConditionalGeneration(tiny_audio_config("whisper"))
    whisper.save_pretrained(tmp_path / "encoder")
    tiny_feature_extractor().save_pretrained(tmp_path / "encoder")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer, bpe.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=270, special_tokens=["<eos>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(["a plain language model without audio tokens"], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<eos>")
    tokenizer.save_pretrained(tmp_path / "lm")
    lm = AutoModelForCausalLM.from_config(tiny_text_config("qwen2", vocab_size=len(tokenizer), eos_token_id=0))
    lm.save_pretrained(tmp_path / "lm")

    args = ["convert", "from-parts", "--encoder", str(tmp_path / "encoder"), "--lm", str(tmp_path / "lm")]
    assert cli_main([*args, "--out", str(tmp_path / "uas"), "--projector", "mlp", "--downsample", "2"]) == 0
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "uas").eval()
    processor = AutoProcessor.from_pretrained(tmp_path / "uas")
    vocab = len(processor.tokenizer)
    assert vocab > len(tokenizer) and model.config.text_config.vocab_size == vocab
    assert processor.tokenizer.convert_tokens_to_ids("<|AUDIO|>") == model.config.audio_token_id
    for name, tensor in whisper.model.encoder.state_dict().items():
        torch.testing.assert_close(model.model.audio_encoder.state_dict()[name], tensor, rtol=0, atol=0)
    ids = torch.tensor([tokenizer("a plain model")["input_ids"]])
    with torch.no_grad():  # the LM is unchanged on its original vocabulary
        torch.testing.assert_close(model(input_ids=ids).logits[..., : len(tokenizer)], lm(ids).logits)
    prompt = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": "hi"}]}], add_generation_prompt=True
    )
    inputs = processor(text=prompt, audio=synthetic_clip(2.0), return_tensors="pt")
    assert model.generate(**inputs, max_new_tokens=3).shape[1] <= inputs["input_ids"].shape[1] + 3
