"""Tiny random-weight checkpoints of real transformers classes, built offline for the model-backend tests.

Their output is garbage by construction: the point is that the pipeline drives the real classes end to end and that
Stage 3 rejects what they produce, with reasons, while the accounting holds.
"""

from __future__ import annotations

from pathlib import Path


# A text-only chat template for the tiny synthesis LM (Qwen-style turns; string content only).
TEXT_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
    "{{ raise_exception('Unknown role: ' + message['role']) }}"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
MAX_NEW_TOKENS = 12


def _text_config(vocab_size: int, max_positions: int) -> dict:
    return {
        "model_type": "qwen2",
        "vocab_size": vocab_size,
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "max_position_embeddings": max_positions,
    }


def build_tiny_qwen2_audio(folder: Path, seed: int = 0) -> Path:
    """A tiny `Qwen2AudioForConditionalGeneration` + `Qwen2AudioProcessor` saved to ``folder``."""
    import torch
    from transformers import (
        GenerationConfig,
        Qwen2AudioConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
    )

    from uas_hf.models.uas_audio.tiny import TINY_MAX_SOURCE_POSITIONS, tiny_feature_extractor, train_tokenizer

    tokenizer = train_tokenizer(vocab_size=320)
    processor = Qwen2AudioProcessor(feature_extractor=tiny_feature_extractor(), tokenizer=tokenizer)
    config = Qwen2AudioConfig(
        audio_config={
            "model_type": "qwen2_audio_encoder",
            "d_model": 16,
            "encoder_layers": 2,
            "encoder_attention_heads": 2,
            "encoder_ffn_dim": 32,
            "num_mel_bins": 80,
            "max_source_positions": TINY_MAX_SOURCE_POSITIONS,
        },
        text_config=_text_config(len(tokenizer), 1024),
        audio_token_id=tokenizer.convert_tokens_to_ids(tokenizer.audio_token),
    )
    torch.manual_seed(seed)
    model = Qwen2AudioForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(
        max_new_tokens=MAX_NEW_TOKENS,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def build_tiny_text_lm(folder: Path, seed: int = 0) -> Path:
    """A tiny `Qwen2ForCausalLM` + fast tokenizer with a chat template, saved to ``folder``."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    from uas_hf.models.uas_audio.tiny import train_tokenizer

    tokenizer = train_tokenizer(vocab_size=320, chat_template=TEXT_CHAT_TEMPLATE)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(Qwen2Config(**_text_config(len(tokenizer), 8192))).eval()
    model.generation_config = GenerationConfig(
        max_new_tokens=MAX_NEW_TOKENS,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
