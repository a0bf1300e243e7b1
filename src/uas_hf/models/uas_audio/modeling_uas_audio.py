# Copyright 2026 the uas_hf developers. Licensed under the Apache License, Version 2.0.
"""UAS-Audio: audio encoder -> projector -> causal LM, with audio embeddings merged at placeholder positions.

This module must stay importable on its own (only relative imports of this folder): `save_pretrained` copies it next
to the weights so that `trust_remote_code=True` loads work where `uas_hf` is not installed.
"""

from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoModel, GenerationMixin, PreTrainedModel
from transformers.activations import ACT2FN
from transformers.cache_utils import Cache
from transformers.masking_utils import create_bidirectional_mask
from transformers.modeling_outputs import BaseModelOutputWithPast, ModelOutput
from transformers.modeling_utils import slice_logits_to_keep
from transformers.utils import can_return_tuple

from .configuration_uas_audio import (
    AUDIO_ENCODER_TYPES,
    UASAudioConfig,
    audio_encoder_output_size,
    num_audio_embeddings,
)


@dataclass
class UASAudioModelOutputWithPast(BaseModelOutputWithPast):
    r"""
    audio_hidden_states (`torch.FloatTensor` of shape `(num_audio_embeddings, hidden_size)`, *optional*):
        Projected audio embeddings that replaced the audio placeholders (prefill only).
    """

    audio_hidden_states: torch.FloatTensor | None = None


@dataclass
class UASAudioCausalLMOutputWithPast(ModelOutput):
    r"""
    loss (`torch.FloatTensor` of shape `(1,)`, *optional*, returned when `labels` is provided):
        Next-token prediction loss over the positions whose label is not `-100`.
    logits (`torch.FloatTensor` of shape `(batch_size, sequence_length, vocab_size)`):
        Prediction scores of the language modeling head.
    past_key_values (`Cache`, *optional*):
        KV cache of the language model.
    audio_hidden_states (`torch.FloatTensor`, *optional*):
        Projected audio embeddings that replaced the audio placeholders (prefill only).
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    past_key_values: Cache | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    audio_hidden_states: torch.FloatTensor | None = None


def _build_audio_encoder(audio_config) -> PreTrainedModel:
    """Instantiate only the encoder of ``audio_config`` (a full `WhisperConfig` would also build a decoder)."""
    model_type = audio_config.model_type
    if model_type == "whisper":
        from transformers.models.whisper.modeling_whisper import WhisperEncoder

        return WhisperEncoder(audio_config)
    if model_type == "qwen2_audio_encoder":
        from transformers.models.qwen2_audio.modeling_qwen2_audio import Qwen2AudioEncoder

        return Qwen2AudioEncoder(audio_config)
    if model_type == "qwen3_omni_moe_audio_encoder":
        from transformers.models.qwen3_omni_moe.modeling_qwen3_omni_moe import Qwen3OmniMoeAudioEncoder

        return Qwen3OmniMoeAudioEncoder(audio_config)
    raise ValueError(f"`audio_config.model_type` must be one of {AUDIO_ENCODER_TYPES}, got {model_type!r}.")


class UASAudioProjector(nn.Module):
    """Stacks `downsample_factor` consecutive encoder frames and maps them to the LM width (`linear` or 2-layer `mlp`)."""

    def __init__(self, config: UASAudioConfig):
        super().__init__()
        self.downsample_factor = config.downsample_factor
        in_features = audio_encoder_output_size(config.audio_config) * config.downsample_factor
        hidden_size = config.text_config.hidden_size
        self.linear_1 = nn.Linear(in_features, hidden_size, bias=config.projector_bias)
        if config.projector_type == "mlp":
            self.act = ACT2FN[config.projector_hidden_act]
            self.linear_2 = nn.Linear(hidden_size, hidden_size, bias=config.projector_bias)

    def forward(self, audio_frames: torch.Tensor) -> torch.Tensor:
        """``audio_frames``: `(..., frames, D)` with frames a multiple of `downsample_factor` -> `(..., frames/k, H)`."""
        *lead, frames, width = audio_frames.shape
        hidden_states = self.linear_1(audio_frames.reshape(*lead, frames // self.downsample_factor, -1))
        if hasattr(self, "linear_2"):
            hidden_states = self.linear_2(self.act(hidden_states))
        return hidden_states


class UASAudioPreTrainedModel(PreTrainedModel):
    config: UASAudioConfig
    config_class = UASAudioConfig
    base_model_prefix = "model"
    input_modalities = ("audio", "text")
    supports_gradient_checkpointing = True
    _skip_keys_device_placement = ["past_key_values"]
    _supports_flash_attn = True
    _supports_sdpa = True
    _supports_flex_attn = True
    _supports_attention_backend = True
    _can_compile_fullgraph = False


class UASAudioModel(UASAudioPreTrainedModel):
    """The UAS-Audio backbone (audio encoder, projector, language model without head); returns `last_hidden_state`."""

    def __init__(self, config: UASAudioConfig):
        super().__init__(config)
        self.audio_encoder = _build_audio_encoder(config.audio_config)
        self.projector = UASAudioProjector(config)
        self.language_model = AutoModel.from_config(config.text_config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.language_model.set_input_embeddings(value)

    # ---------------------------------------------------------------- audio
    def _check_audio_inputs(self, input_features: torch.Tensor, feature_attention_mask: torch.Tensor | None):
        if not isinstance(input_features, torch.Tensor):
            raise TypeError(
                f"`input_features` must be a torch.Tensor of shape (num_clips, num_mel_bins, frames), got "
                f"{type(input_features).__name__}. Build it with `UASAudioProcessor(..., return_tensors='pt')`."
            )
        num_mel_bins = self.config.audio_config.num_mel_bins
        if input_features.ndim != 3 or input_features.shape[1] != num_mel_bins:
            raise ValueError(
                f"`input_features` must have shape (num_clips, {num_mel_bins}, frames) for this encoder, got "
                f"{tuple(input_features.shape)}. Use the feature extractor saved with the model (its `feature_size` "
                f"must be {num_mel_bins})."
            )
        if not input_features.is_floating_point():
            raise TypeError(
                f"`input_features` must be a floating-point tensor (log-mel features), got dtype "
                f"{input_features.dtype}. Pass the processor output unchanged."
            )
        if not torch.isfinite(input_features).all():
            raise ValueError(
                "`input_features` contains NaN or inf values. Check the audio for NaN/inf samples before processing "
                "(`UASAudioProcessor` rejects them)."
            )
        if feature_attention_mask is not None and feature_attention_mask.shape != (
            input_features.shape[0],
            input_features.shape[2],
        ):
            raise ValueError(
                f"`feature_attention_mask` must have shape (num_clips, frames) = "
                f"{(input_features.shape[0], input_features.shape[2])} to match `input_features`, got "
                f"{tuple(feature_attention_mask.shape)}."
            )

    def _split_windows(self, input_features: torch.Tensor, num_frames: torch.Tensor):
        """Cut each clip into encoder windows: `(num_windows, mels, W)` and each window's valid frames, clip-major."""
        window = self.config.audio_window_frames
        num_clips, num_mel_bins, total_frames = input_features.shape
        windows_per_clip = (num_frames + window - 1) // window
        max_windows = int(windows_per_clip.max())
        if total_frames < max_windows * window:
            raise ValueError(
                f"`input_features` has {total_frames} frames, but a clip with {int(num_frames.max())} valid frames "
                f"needs {max_windows} encoder windows of {window} frames ({max_windows * window} frames). Pad each "
                f"clip's features to a multiple of {window} frames, as `UASAudioProcessor` does."
            )
        features = input_features[..., : max_windows * window].reshape(num_clips, num_mel_bins, max_windows, window)
        features = features.permute(0, 2, 1, 3)
        starts = torch.arange(max_windows, device=num_frames.device) * window
        window_frames = (num_frames[:, None] - starts[None, :]).clamp(0, window)
        keep = window_frames > 0
        clip_index = torch.arange(num_clips, device=num_frames.device)[:, None].expand(-1, max_windows)[keep]
        return features[keep.to(features.device)], window_frames[keep], clip_index

    def _encode_windows(self, windows: torch.Tensor, window_frames: torch.Tensor):
        """Run the encoder on full windows; return the valid frames (flat, window-major) and their count per window."""
        encoder = self.audio_encoder
        model_type = self.config.audio_config.model_type
        windows = windows.to(dtype=encoder.dtype)
        if model_type == "whisper":
            hidden_states = encoder(windows).last_hidden_state
            lengths = encoder._get_feat_extract_output_lengths(window_frames)
        elif model_type == "qwen2_audio_encoder":
            conv_lengths, lengths = encoder._get_feat_extract_output_lengths(window_frames)
            conv_frames = (windows.shape[-1] - 1) // 2 + 1  # after conv2 downsampling
            frame_mask = torch.arange(conv_frames, device=conv_lengths.device)[None, :] < conv_lengths[:, None]
            attention_mask = create_bidirectional_mask(
                config=encoder.config,
                inputs_embeds=windows.new_zeros(windows.shape[0], conv_frames, 1),
                attention_mask=frame_mask.to(windows.device),
            )
            hidden_states = encoder(windows, attention_mask=attention_mask).last_hidden_state
        else:
            return self._encode_windows_aut(windows, window_frames)
        valid = torch.arange(hidden_states.shape[1], device=lengths.device)[None, :] < lengths[:, None]
        return hidden_states[valid.to(hidden_states.device)], lengths

    def _encode_windows_aut(self, windows: torch.Tensor, window_frames: torch.Tensor):
        """Qwen3-Omni AuT: cut windows into chunks that are always zero-padded to full length (batch-invariant)."""
        from transformers.models.qwen3_omni_moe.modeling_qwen3_omni_moe import _get_feat_extract_output_lengths

        encoder = self.audio_encoder
        n_window = encoder.config.n_window
        chunk = 2 * n_window
        num_windows, num_mel_bins, window = windows.shape
        chunks_per_window = window // chunk
        starts = torch.arange(chunks_per_window, device=window_frames.device) * chunk
        chunk_frames = (window_frames[:, None] - starts[None, :]).clamp(0, chunk)
        keep = chunk_frames > 0
        chunks = windows.reshape(num_windows, num_mel_bins, chunks_per_window, chunk).permute(0, 2, 1, 3)
        chunks = chunks[keep.to(chunks.device)]
        chunk_lengths = chunk_frames[keep]
        # Upstream pads chunk tails with zeros; do the same whatever else is in the batch.
        frame_mask = torch.arange(chunk, device=chunk_lengths.device)[None, :] < chunk_lengths[:, None]
        chunks = chunks * frame_mask[:, None, :].to(chunks.device, chunks.dtype)
        chunk_tokens = _get_feat_extract_output_lengths(chunk_lengths, n_window)
        max_chunk_tokens = int(_get_feat_extract_output_lengths(torch.tensor([chunk]), n_window)[0])
        token_mask = torch.arange(max_chunk_tokens, device=chunk_tokens.device)[None, :] < chunk_tokens[:, None]
        window_index = torch.arange(num_windows, device=keep.device)[:, None].expand(-1, chunks_per_window)[keep]
        lengths = torch.zeros(num_windows, dtype=chunk_tokens.dtype, device=chunk_tokens.device)
        lengths = lengths.index_add(0, window_index, chunk_tokens)
        # One attention segment per window: a window never exceeds `n_window_infer` frames.
        cu_seqlens = nn.functional.pad(lengths.cumsum(0), (1, 0)).to(torch.int32)
        hidden_states = encoder(
            padded_feature=chunks,
            chunk_lengths=chunk_lengths,
            valid_indices=token_mask.flatten().nonzero().squeeze(-1).to(chunks.device),
            cu_seqlens=cu_seqlens.to(chunks.device),
        ).last_hidden_state
        return hidden_states, lengths

    def get_audio_features(
        self, input_features: torch.Tensor, feature_attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode and project audio clips.

        Args:
            input_features (`torch.FloatTensor` of shape `(num_clips, num_mel_bins, frames)`):
                Log-mel features; each clip padded to a multiple of the encoder window (see `UASAudioProcessor`).
            feature_attention_mask (`torch.LongTensor` of shape `(num_clips, frames)`, *optional*):
                1 for valid frames. Defaults to all frames valid.

        Returns:
            `(audio_embeds, lengths)`: `audio_embeds` of shape `(total_embeddings, hidden_size)`, the clips one after
            the other, and `lengths` of shape `(num_clips,)`, the embeddings of each clip.
        """
        self._check_audio_inputs(input_features, feature_attention_mask)
        if feature_attention_mask is None:
            num_frames = torch.full((input_features.shape[0],), input_features.shape[-1], dtype=torch.long)
        else:
            num_frames = feature_attention_mask.sum(-1).long()
        num_frames = num_frames.to(input_features.device)
        if (num_frames <= 0).any():
            empty = (num_frames <= 0).nonzero().flatten().tolist()
            raise ValueError(
                f"Audio clips {empty} have no valid frames in `feature_attention_mask` (empty audio). Remove them "
                "and their audio placeholders, or pass non-empty audio."
            )
        windows, window_frames, clip_index = self._split_windows(input_features, num_frames)
        frames, window_lengths = self._encode_windows(windows, window_frames)
        clip_lengths = torch.zeros_like(num_frames).index_add(0, clip_index, window_lengths.to(num_frames.dtype))

        factor = self.config.downsample_factor
        if factor == 1:
            return self.projector(frames), clip_lengths
        # Frame stacking per clip: zero-pad every clip to a multiple of `factor` so groups never straddle clips.
        per_clip = torch.split(frames, clip_lengths.tolist())
        padded = nn.utils.rnn.pad_sequence(per_clip, batch_first=True)
        padded = nn.functional.pad(padded, (0, 0, 0, (-padded.shape[1]) % factor))
        embeds = self.projector(padded)
        embed_lengths = (clip_lengths + factor - 1) // factor
        valid = torch.arange(embeds.shape[1], device=embed_lengths.device)[None, :] < embed_lengths[:, None]
        return embeds[valid.to(embeds.device)], embed_lengths

    def _placeholder_mismatch(self, input_ids, n_placeholders, lengths, feature_attention_mask) -> ValueError:
        formula = None
        if feature_attention_mask is not None:
            kwargs = self.config.audio_length_kwargs
            formula = [num_audio_embeddings(int(n), **kwargs) for n in feature_attention_mask.sum(-1).tolist()]
        return ValueError(
            f"Audio placeholders and audio embeddings do not match: `input_ids` holds {n_placeholders} audio "
            f"placeholder tokens (id {self.config.audio_token_id}) but the encoder produced "
            f"{int(lengths.sum())} embeddings for {len(lengths)} clips (per clip: encoder {lengths.tolist()}, "
            f"`num_audio_embeddings` formula {formula}). Build the inputs with `UASAudioProcessor` whose "
            f"`audio_length_kwargs` equal the model's {self.config.audio_length_kwargs}, with one audio per "
            "placeholder."
        )

    # ---------------------------------------------------------------- forward
    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        input_features: torch.FloatTensor | None = None,
        feature_attention_mask: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        use_cache: bool | None = None,
        **kwargs,
    ) -> UASAudioModelOutputWithPast:
        r"""
        input_features (`torch.FloatTensor` of shape `(num_clips, num_mel_bins, frames)`, *optional*):
            Log-mel features of every audio clip in the batch, in placeholder order. Used at prefill only.
        feature_attention_mask (`torch.LongTensor` of shape `(num_clips, frames)`, *optional*):
            1 for valid mel frames, 0 for padding.
        """
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of `input_ids` and `inputs_embeds`.")
        if use_cache is None and self.training:
            # Training never reuses a cache, and with one transformers stops building the per-sample mask of packed rows.
            use_cache = False
        if inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)

        audio_embeds = None
        if input_features is not None:
            if input_ids is None:
                raise ValueError(
                    "`input_features` needs `input_ids` to locate the audio placeholders; pass `input_ids` instead "
                    "of `inputs_embeds`."
                )
            audio_embeds, lengths = self.get_audio_features(input_features, feature_attention_mask)
            placeholder_mask = input_ids == self.config.audio_token_id
            n_placeholders = int(placeholder_mask.sum())
            if n_placeholders != audio_embeds.shape[0]:
                raise self._placeholder_mismatch(input_ids, n_placeholders, lengths, feature_attention_mask)
            inputs_embeds = inputs_embeds.masked_scatter(
                placeholder_mask.unsqueeze(-1).to(inputs_embeds.device),
                audio_embeds.to(inputs_embeds.device, inputs_embeds.dtype),
            )

        outputs = self.language_model(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            use_cache=use_cache,
            **kwargs,
        )
        return UASAudioModelOutputWithPast(
            last_hidden_state=outputs.last_hidden_state,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            audio_hidden_states=audio_embeds,
        )


class UASAudioForCausalLM(UASAudioPreTrainedModel, GenerationMixin):
    r"""
    UAS-Audio for generation and training: [`UASAudioModel`] (`self.model`) plus `lm_head`.

    Example:

    ```python
    >>> import torch
    >>> from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio

    >>> model, processor = build_tiny_uas_audio(encoder="whisper")
    >>> audio = torch.randn(16000).numpy()  # 1 s at 16 kHz
    >>> inputs = processor(text="<|audio_bos|><|AUDIO|><|audio_eos|>Describe:", audio=audio, sampling_rate=16000,
    ...                    return_tensors="pt")
    >>> out = model.generate(**inputs, max_new_tokens=4, do_sample=False)
    >>> out.shape[1] <= inputs["input_ids"].shape[1] + 4
    True

    ```"""

    _tied_weights_keys = {"lm_head.weight": "model.language_model.embed_tokens.weight"}

    def __init__(self, config: UASAudioConfig):
        super().__init__(config)
        self.model = UASAudioModel(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.model.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module:
        return self.lm_head

    def set_output_embeddings(self, new_embeddings: nn.Module) -> None:
        self.lm_head = new_embeddings

    def get_audio_features(self, input_features, feature_attention_mask=None):
        return self.model.get_audio_features(input_features, feature_attention_mask)

    def save_pretrained(self, save_directory, *args, **kwargs):
        # `register_for_auto_class` records one Auto class; `AutoModel` should resolve to this class too.
        if self._auto_class is not None:
            auto_map = dict(getattr(self.config, "auto_map", None) or {})
            auto_map["AutoModel"] = f"{type(self).__module__.rsplit('.', 1)[-1]}.{type(self).__name__}"
            self.config.auto_map = auto_map
        return super().save_pretrained(save_directory, *args, **kwargs)

    @can_return_tuple
    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        input_features: torch.FloatTensor | None = None,
        feature_attention_mask: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        **kwargs,
    ) -> UASAudioCausalLMOutputWithPast:
        r"""
        input_features (`torch.FloatTensor` of shape `(num_clips, num_mel_bins, frames)`, *optional*):
            Log-mel features of every audio clip in the batch, in placeholder order. Used at prefill only.
        feature_attention_mask (`torch.LongTensor` of shape `(num_clips, frames)`, *optional*):
            1 for valid mel frames, 0 for padding.
        labels (`torch.LongTensor` of shape `(batch_size, sequence_length)`, *optional*):
            Target ids, `-100` where no loss is taken (prompt, audio placeholders, padding). Shifted inside.
        """
        outputs = self.model(
            input_ids=input_ids,
            input_features=input_features,
            feature_attention_mask=feature_attention_mask,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            **kwargs,
        )
        hidden_states = slice_logits_to_keep(outputs.last_hidden_state, logits_to_keep)
        logits = self.lm_head(hidden_states)

        loss = None
        if labels is not None:
            loss = self.loss_function(
                logits=logits, labels=labels, vocab_size=self.config.text_config.vocab_size, **kwargs
            )
        return UASAudioCausalLMOutputWithPast(
            loss=loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            audio_hidden_states=outputs.audio_hidden_states,
        )


__all__ = ["UASAudioForCausalLM", "UASAudioModel", "UASAudioPreTrainedModel"]
