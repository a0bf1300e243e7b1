"""UASAudioForCausalLM: forward/loss, Auto classes, save/load, remote code, batched generation, errors."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import uas_hf
from conftest import ENCODERS, user_turn
from uas_hf.models.uas_audio import UASAudioForCausalLM
from uas_hf.models.uas_audio.tiny import synthetic_clip


def _inputs(processor, clips, questions=None, **kwargs):
    questions = questions or [f"Question {i}: what do you hear?" * (1 + i % 3) for i in range(len(clips))]
    prompts = [processor.apply_chat_template(user_turn(q), add_generation_prompt=True) for q in questions]
    return processor(text=prompts, audio=clips, return_tensors="pt", **kwargs)


@pytest.mark.parametrize(
    "encoder, text", [(e, "qwen2") for e in ENCODERS] + [("whisper", "qwen3"), ("qwen3_omni", "llama")]
)
def test_forward_and_loss(tiny_model, encoder, text):
    model, processor = tiny_model(encoder, text)
    conversation = user_turn("Describe.") + [{"role": "assistant", "content": "A dog barks."}]
    conversation[0]["content"][0]["audio"] = synthetic_clip(1.5)
    batch = processor.apply_chat_template([conversation], return_labels=True, return_tensors="pt")
    out = model(**batch)
    assert out.logits.shape == (*batch["input_ids"].shape, model.config.text_config.vocab_size)
    # The loss is the mean next-token cross-entropy over assistant tokens only.
    labels = batch["labels"][0, 1:]
    keep = labels != -100
    manual = torch.nn.functional.cross_entropy(out.logits[0, :-1][keep], labels[keep])
    torch.testing.assert_close(out.loss, manual)
    assert out.audio_hidden_states.shape[0] == int((batch["input_ids"] == model.config.audio_token_id).sum())


def test_backbone_and_head_layout(tiny_model):
    model, _ = tiny_model("whisper")
    assert model.base_model_prefix == "model" and model.base_model is model.model
    assert {n for n, _ in model.model.named_children()} == {"audio_encoder", "projector", "language_model"}
    assert isinstance(model._tied_weights_keys, dict) and model._supports_sdpa
    assert model.config._attn_implementation == "sdpa"


def test_save_load_round_trip_safetensors_only(tiny_model, tmp_path):
    from transformers import AutoModel, AutoModelForCausalLM, AutoProcessor

    model, processor = tiny_model("qwen3_omni")
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    files = set(os.listdir(tmp_path))
    assert "model.safetensors" in files and not any(f.endswith((".bin", ".pt", ".pth")) for f in files)
    assert {"configuration_uas_audio.py", "modeling_uas_audio.py", "processing_uas_audio.py"} <= files
    inputs = _inputs(processor, [synthetic_clip(1.2), synthetic_clip(9.0, seed=3)])
    with torch.no_grad():
        expected = model(**inputs).logits
        for loader in (AutoModel, AutoModelForCausalLM, UASAudioForCausalLM):
            loaded = loader.from_pretrained(tmp_path).eval()
            assert type(loaded) is UASAudioForCausalLM
            torch.testing.assert_close(loaded(**inputs).logits, expected, rtol=0, atol=0)
    assert type(AutoProcessor.from_pretrained(tmp_path)).__name__ == "UASAudioProcessor"


def test_trust_remote_code_without_uas_hf(tiny_model, tmp_path):
    model, processor = tiny_model("whisper")
    folder = tmp_path / "uas-audio"
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    auto_map = json.loads((folder / "config.json").read_text())["auto_map"]
    assert set(auto_map) == {"AutoConfig", "AutoModel", "AutoModelForCausalLM"}
    clip = synthetic_clip(2.0)
    np.save(tmp_path / "clip.npy", clip)
    inputs = _inputs(processor, [clip], ["Question 0: what do you hear?"])
    with torch.no_grad():
        expected = model(**inputs).logits[0, -1, :5].tolist()
    # `-S` skips site-packages' .pth files (the editable install of uas_hf); only the venv's packages are added back.
    site_packages = next(p for p in sys.path if p.endswith("site-packages") and os.path.isdir(p))
    script = textwrap.dedent(
        f"""
        import sys, json
        sys.path.append({site_packages!r})
        try:
            import uas_hf
            raise SystemExit("uas_hf is importable: " + uas_hf.__file__)
        except ImportError:
            pass
        import numpy as np
        from transformers import AutoModel, AutoProcessor
        model = AutoModel.from_pretrained({str(folder)!r}, trust_remote_code=True).eval()
        processor = AutoProcessor.from_pretrained({str(folder)!r}, trust_remote_code=True)
        clip = np.load({str(tmp_path / "clip.npy")!r})
        messages = [{{"role": "user", "content": [{{"type": "audio"}}, {{"type": "text", "text": "Question 0: what do you hear?"}}]}}]
        prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
        out = model(**processor(text=[prompt], audio=[clip], return_tensors="pt")).logits[0, -1, :5].tolist()
        print(json.dumps({{"cls": type(model).__module__, "logits": out, "uas_hf": "uas_hf" in sys.modules}}))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_MODULES_CACHE=str(tmp_path / "modules"))
    result = subprocess.run(
        [sys.executable, "-S", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["cls"].startswith("transformers_modules.") and not report["uas_hf"]
    assert report["logits"] == pytest.approx(expected, abs=1e-5)


def test_import_uas_hf_is_light_and_registers(tmp_path):
    script = textwrap.dedent(
        """
        import sys, time
        start = time.perf_counter()
        import uas_hf
        elapsed = time.perf_counter() - start
        heavy = [m for m in ("torch", "transformers") if m in sys.modules]
        from transformers import AutoConfig, AutoModel, AutoProcessor
        from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING
        config = AutoConfig.for_model("uas_audio")
        print(elapsed, heavy, type(config).__name__, MODEL_FOR_CAUSAL_LM_MAPPING[type(config)].__name__)
        from uas_hf import UASAudioConfig, UASAudioForCausalLM, UASAudioProcessor
        print(UASAudioConfig is type(config))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    first, second = result.stdout.strip().splitlines()[-2:]
    elapsed, rest = first.split(" ", 1)
    assert float(elapsed) < 2.0 and rest == "[] UASAudioConfig UASAudioForCausalLM"
    assert second == "True"
    assert uas_hf.UASAudioProcessor.__name__ == "UASAudioProcessor"


@pytest.mark.parametrize("encoder", ENCODERS)
def test_batched_greedy_generation_equals_batch_size_one(tiny_model, clips, encoder):
    model, processor = tiny_model(encoder)
    questions = [f"Clip {i}: what is it?" * (1 + i % 3) for i in range(len(clips))]
    one_by_one = []
    for clip, question in zip(clips, questions):
        inputs = _inputs(processor, [clip], [question])
        out = model.generate(**inputs, max_new_tokens=10, min_new_tokens=10, do_sample=False)
        one_by_one.append(out[0, inputs["input_ids"].shape[1] :].tolist())
    inputs = _inputs(processor, clips, questions)
    assert inputs["attention_mask"][:, 0].min() == 0  # left padding is exercised
    out = model.generate(**inputs, max_new_tokens=10, min_new_tokens=10, do_sample=False)
    batched = [row[inputs["input_ids"].shape[1] :].tolist() for row in out]
    assert batched == one_by_one
    assert len({tuple(x) for x in one_by_one}) > 1  # the audio matters: answers differ between clips


def test_audio_encoded_once_at_prefill_with_kv_cache(tiny_model):
    model, processor = tiny_model("whisper")
    calls = []
    handle = model.model.audio_encoder.register_forward_hook(lambda *args: calls.append(1))
    try:
        inputs = _inputs(processor, [synthetic_clip(1.0), synthetic_clip(6.0, seed=1)])
        out = model.generate(
            **inputs, max_new_tokens=6, min_new_tokens=6, do_sample=False, return_dict_in_generate=True
        )
    finally:
        handle.remove()
    assert len(calls) == 1  # one encoder call (all windows of all clips) for the whole generation
    assert out.past_key_values.get_seq_length() == out.sequences.shape[1] - 1


def test_gradient_checkpointing_same_loss_and_grads(fresh_model):
    model, processor = fresh_model("qwen2_audio")
    conversation = user_turn("Describe.") + [{"role": "assistant", "content": "Rain on a roof."}]
    conversation[0]["content"][0]["audio"] = synthetic_clip(1.0)
    batch = processor.apply_chat_template([conversation], return_labels=True, return_tensors="pt")
    model.train()
    results = []
    for checkpointing in (False, True):
        model.zero_grad()
        if checkpointing:
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        loss = model(**batch).loss
        loss.backward()
        results.append((loss.detach(), model.model.projector.linear_1.weight.grad.clone()))
    assert model.is_activation_checkpointing
    torch.testing.assert_close(results[0][0], results[1][0])
    torch.testing.assert_close(results[0][1], results[1][1])


def test_bf16_autocast_and_eager_attention(tiny_model):
    model, processor = tiny_model("whisper")
    inputs = _inputs(processor, [synthetic_clip(1.0)])
    with torch.no_grad():
        sdpa = model(**inputs).logits
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = model(**inputs).logits
    assert torch.isfinite(bf16).all() and (bf16.float() - sdpa).abs().max() < 0.5
    eager = UASAudioForCausalLM._from_config(model.config, attn_implementation="eager")
    eager.load_state_dict(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(eager.eval()(**inputs).logits, sdpa, rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------------------------------------ bad input
def test_placeholder_mismatch_error_gives_both_numbers(tiny_model):
    model, processor = tiny_model("whisper")
    inputs = _inputs(processor, [synthetic_clip(1.0)])
    n = int((inputs["input_ids"] == model.config.audio_token_id).sum())
    inputs["input_ids"][0, -1] = model.config.audio_token_id  # one placeholder too many
    with pytest.raises(
        ValueError, match=rf"holds {n + 1} audio placeholder.*produced {n} embeddings.*formula \[{n}\]"
    ):
        model(**inputs)


@pytest.mark.parametrize(
    "mutate, error, pattern",
    [
        (
            lambda x: x.update(input_features=x["input_features"][:, :40]),
            ValueError,
            r"shape \(num_clips, 80, frames\)",
        ),
        (lambda x: x.update(input_features=x["input_features"].long()), TypeError, r"floating-point tensor.*int64"),
        (lambda x: x["input_features"].__setitem__((0, 0, 0), float("nan")), ValueError, r"NaN or inf"),
        (lambda x: x["input_features"].__setitem__((0, 0, 0), float("inf")), ValueError, r"NaN or inf"),
        (lambda x: x.update(input_features=x["input_features"].numpy()), TypeError, r"must be a torch.Tensor"),
        (
            lambda x: x.update(feature_attention_mask=x["feature_attention_mask"][:, :10]),
            ValueError,
            r"must have shape",
        ),
        (
            lambda x: x["feature_attention_mask"].zero_(),
            ValueError,
            r"clips \[0\] have no valid frames .*\(empty audio\)",
        ),
        (
            lambda x: x.update(
                input_features=x["input_features"][..., :300],
                feature_attention_mask=x["feature_attention_mask"][..., :300],
            ),
            ValueError,
            r"has 300 frames, but .* needs 1 encoder windows of 500 frames",
        ),
    ],
)
def test_bad_model_inputs(tiny_model, mutate, error, pattern):
    model, processor = tiny_model("whisper")
    inputs = dict(_inputs(processor, [synthetic_clip(1.0)]))
    mutate(inputs)
    with pytest.raises(error, match=pattern):
        model(**inputs)


def test_features_need_input_ids(tiny_model):
    model, processor = tiny_model("whisper")
    inputs = _inputs(processor, [synthetic_clip(1.0)])
    embeds = model.get_input_embeddings()(inputs.pop("input_ids"))
    with pytest.raises(ValueError, match="`input_features` needs `input_ids`"):
        model(inputs_embeds=embeds, **inputs)
