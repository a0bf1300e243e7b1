# Copyright 2026 the uas_hf developers. Licensed under the Apache License, Version 2.0.
"""UASAudioProcessor: Whisper-style feature extractor + tokenizer + Jinja chat template.

This module must stay importable on its own (only relative imports of this folder): `save_pretrained` copies it next
to the weights so that `trust_remote_code=True` loads work where `uas_hf` is not installed.
"""

import math
import os
from math import gcd

import numpy as np
from transformers.feature_extraction_utils import BatchFeature
from transformers.processing_utils import ProcessorMixin

from .configuration_uas_audio import AUDIO_ENCODER_TYPES, num_audio_embeddings


IGNORE_INDEX = -100  # label value that carries no loss (PyTorch cross-entropy default)
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."
DEFAULT_MAX_AUDIO_SECONDS = 1200.0  # 20 min; raise with `max_audio_seconds=`


def default_chat_template(
    audio_token: str = "<|AUDIO|>",
    audio_bos_token: str = "<|audio_bos|>",
    audio_eos_token: str = "<|audio_eos|>",
    system_prompt: str = DEFAULT_SYSTEM_PROMPT,
) -> str:
    """ChatML template (the Qwen2-Audio layout) that raises on unknown roles and content types.

    Assistant turns (content and `<|im_end|>`) sit in `{% generation %}` blocks, so
    `apply_chat_template(..., return_assistant_tokens_mask=True)` marks exactly the tokens that carry loss.
    """
    audio = f"'Audio ' ~ audio_count.value ~ ': {audio_bos_token}{audio_token}{audio_eos_token}\\n'"
    # fmt: off
    return (
        "{%- set audio_count = namespace(value=0) -%}"
        "{%- for message in messages -%}"
            "{%- if message['role'] not in ['system', 'user', 'assistant'] -%}"
                "{{- raise_exception('Unknown chat role ' ~ message['role'] ~ ': UAS-Audio messages must have role "
                "system, user or assistant.') -}}"
            "{%- endif -%}"
            "{%- if loop.first and message['role'] != 'system' -%}"
                "{{- '<|im_start|>system\\n" + system_prompt + "<|im_end|>\\n' -}}"
            "{%- endif -%}"
            "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
            "{%- if message['role'] == 'assistant' -%}{%- generation -%}"
                "{%- if message['content'] is string -%}{{- message['content'] -}}"
                "{%- else -%}{%- for content in message['content'] -%}"
                    "{%- if content['type'] == 'text' -%}{{- content['text'] -}}"
                    "{%- else -%}{{- raise_exception('Assistant content must be text, got type ' ~ content['type']) -}}"
                    "{%- endif -%}"
                "{%- endfor -%}{%- endif -%}"
                "{{- '<|im_end|>' -}}"
            "{%- endgeneration -%}{{- '\\n' -}}"
            "{%- else -%}"
                "{%- if message['content'] is string -%}{{- message['content'] -}}"
                "{%- else -%}{%- for content in message['content'] -%}"
                    "{%- if content['type'] == 'audio' -%}"
                        "{%- set audio_count.value = audio_count.value + 1 -%}"
                        "{{- " + audio + " -}}"
                    "{%- elif content['type'] == 'text' -%}{{- content['text'] -}}"
                    "{%- else -%}{{- raise_exception('Unknown content type ' ~ content['type'] ~ ': use audio or text.') -}}"
                    "{%- endif -%}"
                "{%- endfor -%}{%- endif -%}"
                "{{- '<|im_end|>\\n' -}}"
            "{%- endif -%}"
        "{%- endfor -%}"
        "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
    )
    # fmt: on


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Polyphase resampling (`scipy.signal.resample_poly`) from ``orig_sr`` to ``target_sr``."""
    if orig_sr == target_sr:
        return audio
    from scipy.signal import resample_poly

    g = gcd(int(orig_sr), int(target_sr))
    return resample_poly(audio, int(target_sr) // g, int(orig_sr) // g).astype(np.float32)


def load_audio_file(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read an audio file as `(float32 array, sampling_rate)`; soundfile first, transformers' loader as fallback."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"`audio` path {path!r} does not exist. Pass an existing audio file or an array.")
    try:
        import soundfile

        array, sampling_rate = soundfile.read(path, dtype="float32", always_2d=False)
        return array, int(sampling_rate)
    except Exception:  # formats soundfile cannot read (mp3/m4a in old libsndfile): torchcodec via transformers
        from transformers.audio_utils import load_audio

        return np.asarray(load_audio(path, sampling_rate=16000), dtype=np.float32), 16000


class UASAudioProcessor(ProcessorMixin):
    r"""
    Processor of [`UASAudioForCausalLM`]: a Whisper feature extractor, a tokenizer with the audio special tokens, and a
    Jinja chat template.

    Each `<|AUDIO|>` placeholder in `text` is expanded to exactly as many placeholders as the model produces audio
    embeddings for its clip (`num_audio_embeddings`), audio is converted to mono float32 at the feature extractor's
    rate (resampled from any `sampling_rate`, stereo downmixed, file paths read), and each clip's features are padded
    to a whole number of encoder windows so long clips are encoded window by window.

    Args:
        feature_extractor (`WhisperFeatureExtractor`):
            Log-mel feature extractor; `feature_size` must equal the encoder's `num_mel_bins`.
        tokenizer (`PreTrainedTokenizerBase`):
            Tokenizer that knows `audio_token`, `audio_bos_token`, `audio_eos_token`, `<|im_start|>`, `<|im_end|>`.
        chat_template (`str`, *optional*):
            Jinja template; defaults to `default_chat_template(...)` (ChatML, raises on unknown roles).
        audio_token (`str`, *optional*, defaults to `"<|AUDIO|>"`): the audio placeholder.
        audio_bos_token (`str`, *optional*, defaults to `"<|audio_bos|>"`): opens an audio span in the template.
        audio_eos_token (`str`, *optional*, defaults to `"<|audio_eos|>"`): closes an audio span in the template.
        encoder_type (`str`, *optional*, defaults to `"whisper"`): `UASAudioConfig.audio_config.model_type`.
        block_frames (`int`, *optional*, defaults to `3000`): `UASAudioConfig.audio_block_frames`.
        window_frames (`int`, *optional*): `UASAudioConfig.audio_window_frames`; defaults to `block_frames`.
        downsample_factor (`int`, *optional*, defaults to `1`): `UASAudioConfig.downsample_factor`.
        max_audio_seconds (`float`, *optional*, defaults to `1200.0`): longest clip accepted.

    Example:

    ```python
    >>> import numpy as np
    >>> from uas_hf.models.uas_audio.tiny import build_tiny_processor

    >>> processor = build_tiny_processor(encoder="whisper")
    >>> messages = [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": "Describe it."}]}]
    >>> prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    >>> inputs = processor(text=prompt, audio=np.zeros(8000, dtype=np.float32) + 0.1, sampling_rate=8000)
    >>> sorted(inputs.keys())
    ['attention_mask', 'feature_attention_mask', 'input_features', 'input_ids']

    ```"""

    def __init__(
        self,
        feature_extractor=None,
        tokenizer=None,
        chat_template=None,
        audio_token: str = "<|AUDIO|>",
        audio_bos_token: str = "<|audio_bos|>",
        audio_eos_token: str = "<|audio_eos|>",
        encoder_type: str = "whisper",
        block_frames: int = 3000,
        window_frames: int | None = None,
        downsample_factor: int = 1,
        max_audio_seconds: float = DEFAULT_MAX_AUDIO_SECONDS,
    ):
        self.audio_token = getattr(tokenizer, "audio_token", None) or audio_token
        self.audio_bos_token = getattr(tokenizer, "audio_bos_token", None) or audio_bos_token
        self.audio_eos_token = getattr(tokenizer, "audio_eos_token", None) or audio_eos_token
        if encoder_type not in AUDIO_ENCODER_TYPES:
            raise ValueError(
                f"`encoder_type` must be one of {AUDIO_ENCODER_TYPES}, got {encoder_type!r}. Use the model's "
                "`config.audio_config.model_type`."
            )
        window_frames = block_frames if window_frames is None else window_frames
        if block_frames < 1 or window_frames % block_frames:
            raise ValueError(
                f"`window_frames` ({window_frames}) must be a positive multiple of `block_frames` ({block_frames}). "
                "Take both from the model config (`audio_window_frames`, `audio_block_frames`)."
            )
        self.encoder_type = encoder_type
        self.block_frames = int(block_frames)
        self.window_frames = int(window_frames)
        self.downsample_factor = int(downsample_factor)
        self.max_audio_seconds = float(max_audio_seconds)
        if chat_template is None:
            chat_template = default_chat_template(self.audio_token, self.audio_bos_token, self.audio_eos_token)
        super().__init__(feature_extractor, tokenizer, chat_template=chat_template)

    # ------------------------------------------------------------------ lengths
    @property
    def audio_token_id(self) -> int:
        return self.tokenizer.convert_tokens_to_ids(self.audio_token)

    @property
    def audio_length_kwargs(self) -> dict:
        """Keyword arguments of `num_audio_embeddings`; equal to `UASAudioConfig.audio_length_kwargs` of the model."""
        return {
            "encoder_type": self.encoder_type,
            "block_frames": self.block_frames,
            "downsample_factor": self.downsample_factor,
        }

    def num_frames(self, num_samples: int) -> int:
        """Valid mel frames of ``num_samples`` samples at the feature extractor rate (the last frame may be partial)."""
        return math.ceil(num_samples / self.feature_extractor.hop_length)

    def num_audio_embeddings(self, num_samples: int) -> int:
        """Audio placeholders one clip of ``num_samples`` samples (at the feature extractor rate) expands to."""
        return num_audio_embeddings(self.num_frames(num_samples), **self.audio_length_kwargs)

    # ------------------------------------------------------------------ audio
    def _to_mono(self, audio, index: int, sampling_rate: int | None) -> np.ndarray:
        target_sr = self.feature_extractor.sampling_rate
        if isinstance(audio, (str, os.PathLike)):
            audio, sampling_rate = load_audio_file(audio)
        elif isinstance(audio, dict) and "array" in audio:  # `datasets.Audio` decoded example
            sampling_rate = audio.get("sampling_rate", sampling_rate)
            audio = audio["array"]
        if hasattr(audio, "detach"):  # torch tensor
            audio = audio.detach().cpu().numpy()
        if isinstance(audio, (list, tuple)):
            audio = np.asarray(audio)
        if not isinstance(audio, np.ndarray):
            raise TypeError(
                f"`audio[{index}]` must be a numpy array, torch tensor, list of floats or file path, got "
                f"{type(audio).__name__}."
            )
        if audio.dtype.kind not in "fiu":
            raise TypeError(
                f"`audio[{index}]` must hold real-valued samples, got dtype {audio.dtype}. Pass float32 samples in "
                "[-1, 1] (or integer PCM)."
            )
        if audio.dtype.kind in "iu":  # integer PCM -> [-1, 1]
            audio = audio.astype(np.float32) / float(np.iinfo(audio.dtype).max)
        audio = audio.astype(np.float32, copy=False)
        if audio.ndim == 2:  # stereo/multichannel: the channel axis is the short one
            audio = audio.mean(axis=0 if audio.shape[0] < audio.shape[1] else 1)
        elif audio.ndim != 1:
            raise ValueError(
                f"`audio[{index}]` must be 1-D (samples) or 2-D (channels x samples), got shape {audio.shape}. "
                "Pass one clip per list entry."
            )
        if audio.size == 0:
            raise ValueError(f"`audio[{index}]` is empty (0 samples). Remove the clip and its audio placeholder.")
        if not np.isfinite(audio).all():
            raise ValueError(
                f"`audio[{index}]` contains NaN or inf samples. Clean the signal (e.g. `np.nan_to_num`) before "
                "processing."
            )
        if sampling_rate is None:
            sampling_rate = target_sr
        elif not isinstance(sampling_rate, (int, np.integer)) or sampling_rate <= 0:
            raise ValueError(f"`sampling_rate` must be a positive integer in Hz, got {sampling_rate!r}.")
        return resample(audio, int(sampling_rate), target_sr)

    def _prepare_audio(self, audio, sampling_rate, allow_silent_audio: bool) -> list[np.ndarray]:
        if isinstance(audio, (str, os.PathLike, np.ndarray, dict)) or hasattr(audio, "detach"):
            clips = [audio]
        elif (
            isinstance(audio, (list, tuple))
            and audio
            and all(
                np.isscalar(x) and not isinstance(x, (str, bytes))
                for x in audio  # np.isscalar('a.wav') is True
            )
        ):
            clips = [np.asarray(audio, dtype=np.float32)]  # one clip given as a list of floats
        elif isinstance(audio, (list, tuple)):
            clips = list(audio)
        else:
            raise TypeError(
                f"`audio` must be an array, a path or a list of them, got {type(audio).__name__}. Pass one entry per "
                f"`{self.audio_token}` placeholder."
            )
        rates = sampling_rate if isinstance(sampling_rate, (list, tuple)) else [sampling_rate] * len(clips)
        if len(rates) != len(clips):
            raise ValueError(
                f"Got {len(rates)} `sampling_rate` values for {len(clips)} audio clips; pass one or one per clip."
            )
        target_sr = self.feature_extractor.sampling_rate
        mono = []
        for index, (clip, rate) in enumerate(zip(clips, rates)):
            clip = self._to_mono(clip, index, rate)
            seconds = clip.shape[0] / target_sr
            if seconds > self.max_audio_seconds:
                raise ValueError(
                    f"`audio[{index}]` is {seconds:.1f} s long, above this processor's `max_audio_seconds` = "
                    f"{self.max_audio_seconds:g} s. Split the clip, or raise the limit with "
                    f"`processor.max_audio_seconds = {math.ceil(seconds)}` (or `max_audio_seconds=` when loading)."
                )
            if not allow_silent_audio and not np.any(clip):
                raise ValueError(
                    f"`audio[{index}]` is digital silence (all samples are 0). Pass `allow_silent_audio=True` if "
                    "silent clips are intended."
                )
            if self.num_audio_embeddings(clip.shape[0]) < 1:
                raise ValueError(
                    f"`audio[{index}]` is too short ({clip.shape[0]} samples at {target_sr} Hz) to yield one audio "
                    f"embedding with the `{self.encoder_type}` encoder. Pad it to at least "
                    f"{self._min_samples()} samples."
                )
            mono.append(clip)
        return mono

    def _min_samples(self) -> int:
        hop = self.feature_extractor.hop_length
        frames = 1
        while num_audio_embeddings(frames, **self.audio_length_kwargs) < 1:
            frames += 1
        return (frames - 1) * hop + 1

    def _extract_features(self, clips: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Log-mel features per clip, each padded (with silence) to whole encoder windows, then batched."""
        hop = self.feature_extractor.hop_length
        features, frames = [], []
        for clip in clips:
            n_frames = self.num_frames(clip.shape[0])
            n_windows = math.ceil(n_frames / self.window_frames)
            padded = np.zeros(n_windows * self.window_frames * hop, dtype=np.float32)
            padded[: clip.shape[0]] = clip
            out = self.feature_extractor(
                padded,
                sampling_rate=self.feature_extractor.sampling_rate,
                padding="do_not_pad",
                truncation=False,
                return_attention_mask=False,
                return_tensors="np",
            )
            features.append(out["input_features"][0])
            frames.append(n_frames)
        max_frames = max(f.shape[-1] for f in features)
        batch = np.zeros((len(features), features[0].shape[0], max_frames), dtype=np.float32)
        mask = np.zeros((len(features), max_frames), dtype=np.int64)
        for i, (feature, n_frames) in enumerate(zip(features, frames)):
            batch[i, :, : feature.shape[-1]] = feature
            mask[i, :n_frames] = 1
        return batch, mask

    # ------------------------------------------------------------------ call
    def __call__(
        self,
        text: str | list[str] | None = None,
        audio=None,
        *,
        sampling_rate: int | list[int] | None = None,
        allow_silent_audio: bool = False,
        return_tensors=None,
        return_text_replacement_offsets: bool = False,
        images=None,
        videos=None,
        **kwargs,
    ) -> BatchFeature:
        """Tokenize ``text`` (expanding each audio placeholder) and extract features of ``audio``.

        Args:
            text (`str` or `list[str]`): prompts; each `<|AUDIO|>` consumes the next clip of ``audio`` in order.
            audio (array, tensor, path, `datasets` audio dict, or a list of them, *optional*): one clip per placeholder.
            sampling_rate (`int` or `list[int]`, *optional*): rate of array inputs; defaults to the extractor's rate.
            allow_silent_audio (`bool`, *optional*, defaults to `False`): accept all-zero clips.
            return_tensors (`str`, *optional*): `"pt"` or `"np"`.
            **kwargs: tokenizer arguments (`padding`, `padding_side`, `truncation`, `max_length`, ...).

        Returns:
            `BatchFeature` with `input_ids`, `attention_mask` and, with audio, `input_features`
            `(num_clips, mels, frames)` and `feature_attention_mask` `(num_clips, frames)`.
        """
        if images is not None or videos is not None:
            raise ValueError("UASAudioProcessor takes `text` and `audio` only; `images`/`videos` are not supported.")
        if text is None:
            raise ValueError("`text` is required: pass prompts that contain one audio placeholder per clip.")
        texts = [text] if isinstance(text, str) else list(text)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError("`text` must be a string or a list of strings.")
        n_placeholders = sum(t.count(self.audio_token) for t in texts)
        clips = [] if audio is None else self._prepare_audio(audio, sampling_rate, allow_silent_audio)
        if n_placeholders != len(clips):
            raise ValueError(
                f"Got {n_placeholders} `{self.audio_token}` placeholder(s) in `text` but {len(clips)} audio clip(s) "
                f"in `audio`; they must match 1:1. Put one `{self.audio_token}` in the prompt per clip (the chat "
                "template adds it for each `{'type': 'audio'}` content item)."
            )
        for key in (
            "audio_kwargs",
            "text_kwargs",
            "images_kwargs",
            "videos_kwargs",
        ):  # nested form of apply_chat_template
            kwargs.update(kwargs.pop(key, None) or {})
        for key in ("load_audio_backend", "do_sample_frames", "sanitize_control_tokens"):
            kwargs.pop(key, None)

        data = {}
        replacements = []
        if clips:
            features, mask = self._extract_features(clips)
            data["input_features"] = features
            data["feature_attention_mask"] = mask
            replacements = [
                self.audio_token * num_audio_embeddings(int(m.sum()), **self.audio_length_kwargs) for m in mask
            ]
        texts, offsets = self.get_text_with_replacements(texts, audio_replacements=replacements)
        kwargs.setdefault("padding", True)
        text_inputs = self.tokenizer(texts, **kwargs)
        self._check_special_mm_tokens(texts, text_inputs, modalities=["audio"])
        data.update(text_inputs)
        if return_text_replacement_offsets:
            data["text_replacement_offsets"] = offsets
        return BatchFeature(data, tensor_type=return_tensors, skip_tensor_conversion=self.skip_tensor_conversion)

    # ------------------------------------------------------------------ chat / training
    def apply_chat_template(self, conversation, *args, return_labels: bool = False, **kwargs):
        """`ProcessorMixin.apply_chat_template`, plus ``return_labels=True`` for training.

        With ``return_labels=True`` the output is tokenized and carries `labels`: the `input_ids` of assistant turns
        (content and end-of-turn token) and `-100` everywhere else (system and user prompts, audio placeholders,
        padding), so only assistant tokens carry loss.
        """
        if not return_labels:
            return super().apply_chat_template(conversation, *args, **kwargs)
        kwargs.update(tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
        return_tensors = kwargs.pop("return_tensors", None)
        out = super().apply_chat_template(conversation, *args, return_tensors="np", **kwargs)
        masks = np.asarray(out.pop("assistant_masks"))
        input_ids = np.asarray(out["input_ids"])
        keep = (masks == 1) & (np.asarray(out["attention_mask"]) == 1) & (input_ids != self.audio_token_id)
        out["labels"] = np.where(keep, input_ids, IGNORE_INDEX)
        out.pop("text_replacement_offsets", None)
        out.convert_to_tensors(tensor_type=return_tensors)
        return out

    def batch_decode(self, *args, **kwargs):
        return self.tokenizer.batch_decode(*args, **kwargs)

    def decode(self, *args, **kwargs):
        return self.tokenizer.decode(*args, **kwargs)

    @property
    def model_input_names(self) -> list[str]:
        return ["input_ids", "attention_mask", "input_features", "feature_attention_mask"]


__all__ = ["UASAudioProcessor", "default_chat_template"]
