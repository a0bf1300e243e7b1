"""Audio chat collator for SFT: features carried through, assistant-only loss, optional padding-free packing.

The collator turns conversational examples (``messages`` with ``{"type": "audio"}`` parts, plus their audio) into
model inputs with the processor: ``input_ids``, ``labels``, ``input_features``, ``feature_attention_mask`` and either
``attention_mask`` (padded rows) or ``position_ids`` (packed rows). It works with `UASSFTTrainer`, TRL's
`SFTTrainer` (``dataset_kwargs={"skip_prepare_dataset": True}``, ``remove_unused_columns=False``) and plain
`transformers.Trainer` (``remove_unused_columns=False``).

Packing: several samples are concatenated into one row with ``position_ids`` restarting at 0 for each sample and no
``attention_mask``; transformers then builds a block-diagonal causal mask from the position resets (SDPA / eager) or
variable-length kernels (flash-attention), so samples never attend to each other. The first label of every sample is
``-100`` so no sample is trained to predict the next one's first token. Audio features keep the order in which their
placeholders appear in the flattened rows, the order the model scatters audio embeddings in.
"""

import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..utils.logging import get_logger


logger = get_logger(__name__)

IGNORE_INDEX = -100


# ---------------------------------------------------------------------------------------------------------------------
# Audio loading


def _resample(array: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    if orig_sr == target_sr:
        return array
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(orig_sr), int(target_sr))
    return resample_poly(array, target_sr // g, orig_sr // g).astype(np.float32)


def _to_mono(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 2:
        # soundfile gives (frames, channels); torchcodec gives (channels, frames): average the smaller axis
        array = array.mean(axis=int(np.argmin(array.shape)))
    return array


def load_audio(audio: Any, sampling_rate: int) -> np.ndarray:
    """Return ``audio`` as a mono float32 array at ``sampling_rate``.

    Accepts what `datasets` and users pass around: a ``{"array", "sampling_rate"}`` dict, a ``{"path"|"bytes"}`` dict,
    a file path, a torchcodec ``AudioDecoder`` (datasets 5 `Audio` columns) or a 1-D array (assumed to be at
    ``sampling_rate`` already).
    """
    if isinstance(audio, np.ndarray) or torch.is_tensor(audio):
        return _to_mono(np.asarray(audio))
    if isinstance(audio, (list, tuple)) and audio and isinstance(audio[0], (int, float)):
        return _to_mono(np.asarray(audio))
    if isinstance(audio, (str, os.PathLike)):
        import soundfile as sf

        data, sr = sf.read(os.fspath(audio), dtype="float32", always_2d=False)
        return _resample(_to_mono(data), sr, sampling_rate)
    if isinstance(audio, Mapping):
        if audio.get("array") is not None:
            sr = audio.get("sampling_rate") or sampling_rate
            return _resample(_to_mono(audio["array"]), int(sr), sampling_rate)
        if audio.get("bytes") is not None:
            import soundfile as sf

            data, sr = sf.read(io.BytesIO(audio["bytes"]), dtype="float32", always_2d=False)
            return _resample(_to_mono(data), sr, sampling_rate)
        if audio.get("path") is not None:
            return load_audio(audio["path"], sampling_rate)
    if hasattr(audio, "get_all_samples"):  # torchcodec.decoders.AudioDecoder
        samples = audio.get_all_samples()
        return _resample(_to_mono(samples.data.numpy()), int(samples.sample_rate), sampling_rate)
    raise TypeError(
        f"Cannot read audio of type {type(audio).__name__}. Pass a file path, a 1-D array, a "
        '{"array": ..., "sampling_rate": ...} dict, or a `datasets.Audio` column.'
    )


# ---------------------------------------------------------------------------------------------------------------------
# Messages


def normalize_messages(messages: Any) -> list[dict[str, Any]]:
    """Messages as a list of dicts (JSON strings decoded), without the `None` keys Arrow adds to content parts."""
    if isinstance(messages, str):
        messages = json.loads(messages)
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            # Arrow fills missing struct keys with None: drop them so the chat template sees clean parts
            content = [{k: v for k, v in part.items() if v is not None} for part in content]
        out.append({**message, "content": content})
    return out


def audio_parts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `{"type": "audio"}` content parts of ``messages``, in order."""
    return [
        part
        for message in messages
        if isinstance(message.get("content"), list)
        for part in message["content"]
        if part.get("type") == "audio"
    ]


def _strip_audio_payloads(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep only ``{"type": "audio"}`` placeholders in the messages (the audio itself travels separately)."""
    return [
        {
            **m,
            "content": [{"type": "audio"} if p.get("type") == "audio" else p for p in m["content"]]
            if isinstance(m.get("content"), list)
            else m.get("content"),
        }
        for m in messages
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Packing


def pack_lengths(lengths: Sequence[int], max_packed_length: int | None) -> list[list[int]]:
    """Group sample indices into rows of at most ``max_packed_length`` tokens (first-fit decreasing).

    With ``max_packed_length=None`` every sample goes into one row. Indices inside a row keep their original order.

    Example:
    ```python
    >>> pack_lengths([5, 3, 4, 2], max_packed_length=7)
    [[0, 3], [1, 2]]
    >>> pack_lengths([5, 3], max_packed_length=None)
    [[0, 1]]
    ```
    """
    if max_packed_length is None:
        return [list(range(len(lengths)))]
    rows: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        if lengths[i] > max_packed_length:
            raise ValueError(
                f"A sample has {lengths[i]} tokens, more than `max_packed_length`={max_packed_length}. Set "
                "`max_length` to at most `max_packed_length` so samples are truncated first, or raise "
                "`max_packed_length`."
            )
        for r, free in enumerate(room):
            if lengths[i] <= free:
                rows[r].append(i)
                room[r] -= lengths[i]
                break
        else:
            rows.append([i])
            room.append(max_packed_length - lengths[i])
    return [sorted(row) for row in sorted(rows, key=min)]


def _round_up(n: int, multiple: int | None) -> int:
    return n if not multiple else -(-n // multiple) * multiple


# ---------------------------------------------------------------------------------------------------------------------
# Collator


@dataclass
class UASAudioCollator:
    r"""
    Collate conversational audio examples into model inputs, with loss on assistant tokens only.

    Each example holds ``messages`` (chat turns whose user content has ``{"type": "audio"}`` parts) and the audio for
    those parts in ``audio`` (one clip or a list, in placeholder order; or inside the parts as ``"audio"`` /
    ``"path"``). ``prompt`` + ``completion`` conversational examples are accepted too. Text-only examples (no audio
    part) are fine.

    Args:
        processor ([`~transformers.ProcessorMixin`]):
            The model's processor (feature extractor + tokenizer + chat template), e.g. `UASAudioProcessor`. It must
            expand each audio placeholder token into a run of audio tokens and return ``input_features`` and
            ``feature_attention_mask``.
        max_length (`int`, *optional*):
            Truncate each sample to this many tokens (after audio expansion). Truncation that would cut audio tokens
            raises an error instead: the features would no longer match the placeholders.
        packing (`bool`, *optional*, defaults to `False`):
            Padding-free packing: concatenate samples into rows with ``position_ids`` restarting per sample and no
            ``attention_mask``, so attention stays within each sample.
        max_packed_length (`int`, *optional*):
            Token budget per packed row (first-fit decreasing); `None` puts the whole batch in one row.
        pad_to_multiple_of (`int`, *optional*):
            Pad row lengths to a multiple of this (tensor-core friendly shapes on GPU).
        assistant_only_loss (`bool`, *optional*, defaults to `True`):
            Compute the loss on assistant tokens only. `False` trains on every non-audio, non-padding token.
        messages_field (`str`, *optional*, defaults to `"messages"`):
            Column holding the conversation.
        audio_field (`str`, *optional*, defaults to `"audio"`):
            Column holding the audio clip(s).

    Example:
    ```python
    >>> from uas_hf.data.collators import UASAudioCollator
    >>> collator = UASAudioCollator(processor, packing=True)  # doctest: +SKIP
    >>> batch = collator([{"messages": messages, "audio": {"array": wav, "sampling_rate": 16000}}])  # doctest: +SKIP
    >>> sorted(batch)  # doctest: +SKIP
    ['feature_attention_mask', 'input_features', 'input_ids', 'labels', 'position_ids']
    ```
    """

    processor: Any
    max_length: int | None = None
    packing: bool = False
    max_packed_length: int | None = None
    pad_to_multiple_of: int | None = None
    assistant_only_loss: bool = True
    messages_field: str = "messages"
    audio_field: str = "audio"

    def __post_init__(self):
        tokenizer = getattr(self.processor, "tokenizer", None)
        if tokenizer is None:
            raise TypeError(
                f"`processor` must be a multimodal processor with a `tokenizer` (e.g. UASAudioProcessor), got "
                f"{type(self.processor).__name__}."
            )
        if not getattr(tokenizer, "is_fast", False):
            raise TypeError("`processor.tokenizer` must be a fast tokenizer: the loss mask needs offset mappings.")
        self.tokenizer = tokenizer
        self.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        if self.pad_token_id is None:
            raise ValueError("`processor.tokenizer` has neither a pad nor an eos token; set `tokenizer.pad_token`.")
        self.audio_token = getattr(self.processor, "audio_token", None) or getattr(tokenizer, "audio_token", None)
        if self.audio_token is None:
            raise ValueError(
                "`processor` declares no `audio_token`; the collator needs it to keep audio placeholders out of the "
                "loss. Set `processor.audio_token` (e.g. '<|AUDIO|>')."
            )
        self.audio_token_id = tokenizer.convert_tokens_to_ids(self.audio_token)
        feature_extractor = getattr(self.processor, "feature_extractor", None)
        self.sampling_rate = int(getattr(feature_extractor, "sampling_rate", 16000))
        for name in ("max_length", "max_packed_length", "pad_to_multiple_of"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ValueError(f"`{name}` must be a positive integer or None, got {value!r}.")
        if self.max_packed_length is not None and not self.packing:
            raise ValueError("`max_packed_length` is set but `packing=False`; set `packing=True` or drop it.")
        if (
            self.max_packed_length is not None
            and self.max_length is not None
            and self.max_length > self.max_packed_length
        ):
            raise ValueError(
                f"`max_length`={self.max_length} exceeds `max_packed_length`={self.max_packed_length}: a sample "
                "could not fit a row. Set `max_length <= max_packed_length`."
            )

    # -- per example --------------------------------------------------------------------------------------------------

    def _messages_and_audio(self, example: Mapping[str, Any], index: int) -> tuple[list[dict], list[np.ndarray]]:
        if self.messages_field in example and example[self.messages_field] is not None:
            messages = normalize_messages(example[self.messages_field])
        elif "prompt" in example and "completion" in example:
            messages = normalize_messages(example["prompt"]) + normalize_messages(example["completion"])
        else:
            raise ValueError(
                f"Example {index} has no `{self.messages_field}` column (nor `prompt` + `completion`); its columns "
                f"are {sorted(example)}. Format the dataset with `uas_hf.trainers.mixture` or set `messages_field`."
            )
        parts = audio_parts(messages)
        audios = example.get(self.audio_field)
        if audios is None:
            audios = [part.get("audio", part.get("path")) for part in parts if ("audio" in part or "path" in part)]
        elif not isinstance(audios, list) or (audios and isinstance(audios[0], (int, float))):
            audios = [audios]
        if len(audios) != len(parts):
            raise ValueError(
                f"Example {index} has {len(parts)} audio placeholder(s) ({{'type': 'audio'}} parts) in its messages "
                f"but {len(audios)} audio clip(s) in `{self.audio_field}`; they must match 1:1. Add or remove "
                "audio parts in the user turn, or fix the audio column."
            )
        return _strip_audio_payloads(messages), [load_audio(a, self.sampling_rate) for a in audios]

    def _render(self, messages: list[dict], add_generation_prompt: bool) -> str:
        return self.processor.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=add_generation_prompt
        )

    def _assistant_spans(self, messages: list[dict], text: str) -> list[tuple[int, int]]:
        spans = []
        for i, message in enumerate(messages):
            if message.get("role") != "assistant":
                continue
            before = self._render(messages[:i], add_generation_prompt=True) if i else ""
            through = self._render(messages[: i + 1], add_generation_prompt=False)
            if not text.startswith(before) or not text.startswith(through) or len(through) < len(before):
                raise ValueError(
                    "The chat template is not prefix-consistent: rendering the conversation up to an assistant turn "
                    "does not give a prefix of the full rendering, so assistant tokens cannot be located. Use a "
                    "template whose turns render independently, or set `assistant_only_loss=False`."
                )
            # The turn separator after the end-of-turn token ("\n" in ChatML) is not the assistant's to predict
            spans.append((len(before), len(through.rstrip())))
        if not spans and self.assistant_only_loss:
            raise ValueError(
                "An example has no assistant turn, so `assistant_only_loss=True` would train on nothing. Add the "
                "assistant answer to `messages`, or set `assistant_only_loss=False`."
            )
        return spans

    def encode(self, example: Mapping[str, Any], index: int = 0) -> dict[str, Any]:
        """Tokenize one example: ``input_ids``/``labels`` (1-D) and its ``input_features``/``feature_attention_mask``."""
        messages, audios = self._messages_and_audio(example, index)
        text = self._render(messages, add_generation_prompt=False)
        spans = self._assistant_spans(messages, text) if self.assistant_only_loss else None

        # Tokenize without audio expansion, with offsets, to find the assistant tokens
        plain = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        plain_ids, offsets = plain["input_ids"], plain["offset_mapping"]
        if spans is None:
            plain_mask = [1] * len(plain_ids)
        else:
            # A token is an assistant token when its character span overlaps an assistant turn's span
            plain_mask = [int(any(t0 < end and t1 > start for start, end in spans)) for t0, t1 in offsets]

        # The processor expands each audio placeholder into a run of audio tokens and extracts the features
        kwargs = {"text": [text], "return_tensors": "pt"}
        if audios:
            kwargs.update(audio=audios, sampling_rate=self.sampling_rate)
        processed = self.processor(**kwargs, add_special_tokens=False)
        ids = processed["input_ids"][0]
        if "attention_mask" in processed:
            ids = ids[processed["attention_mask"][0].bool()]
        ids = ids.tolist()

        labels = self._expand_mask(plain_ids, plain_mask, ids, index)
        out = {"input_ids": ids, "labels": labels}
        if audios:
            out["input_features"] = processed["input_features"]
            out["feature_attention_mask"] = processed["feature_attention_mask"]
        return self._truncate(out, index)

    def _expand_mask(self, plain_ids: list[int], plain_mask: list[int], ids: list[int], index: int) -> list[int]:
        labels: list[int] = []
        j = 0
        a = self.audio_token_id
        for tok, keep in zip(plain_ids, plain_mask):
            if j >= len(ids):
                break
            if tok == a:
                # One placeholder in the text becomes a run of audio tokens after expansion
                run = 0
                while j < len(ids) and ids[j] == a:
                    j += 1
                    run += 1
                if run == 0:
                    break
                labels.extend([IGNORE_INDEX] * run)
                continue
            if ids[j] != tok:
                break
            labels.append(tok if keep else IGNORE_INDEX)
            j += 1
        if j != len(ids) or len(labels) != len(ids):
            raise ValueError(
                f"Example {index}: the processor's token ids do not match the tokenizer's apart from audio expansion "
                f"(aligned {j} of {len(ids)} tokens). The processor must expand each `{self.audio_token}` into a "
                "run of the same token and tokenize the rest like its tokenizer."
            )
        # Audio tokens are never trained on, whatever the template says
        return [IGNORE_INDEX if t == a else lab for t, lab in zip(ids, labels)]

    def _truncate(self, sample: dict[str, Any], index: int) -> dict[str, Any]:
        n = len(sample["input_ids"])
        if self.max_length is None or n <= self.max_length:
            return sample
        audio_positions = [i for i, t in enumerate(sample["input_ids"]) if t == self.audio_token_id]
        if audio_positions and audio_positions[-1] >= self.max_length:
            raise ValueError(
                f"Example {index} has {n} tokens and `max_length`={self.max_length} would cut its audio placeholders "
                f"(last audio token at position {audio_positions[-1]}), leaving features without placeholders. Raise "
                f"`max_length` to at least {audio_positions[-1] + 1} or use shorter clips."
            )
        sample["input_ids"] = sample["input_ids"][: self.max_length]
        sample["labels"] = sample["labels"][: self.max_length]
        return sample

    # -- batch --------------------------------------------------------------------------------------------------------

    def __call__(self, examples: list[Mapping[str, Any]]) -> dict[str, Any]:
        samples = [self.encode(example, i) for i, example in enumerate(examples)]
        return self.collate_encoded(samples)

    def collate_encoded(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        """Batch already-encoded samples (from [`encode`]): padded rows, or packed rows when ``packing=True``."""
        if not samples:
            raise ValueError("Cannot collate an empty batch.")
        if self.packing:
            rows = pack_lengths([len(s["input_ids"]) for s in samples], self.max_packed_length)
        else:
            rows = [[i] for i in range(len(samples))]
        width = _round_up(max(sum(len(samples[i]["input_ids"]) for i in row) for row in rows), self.pad_to_multiple_of)

        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
        position_ids = torch.zeros((len(rows), width), dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        order: list[int] = []
        for r, row in enumerate(rows):
            cursor = 0
            for i in row:
                ids, lab = samples[i]["input_ids"], samples[i]["labels"]
                n = len(ids)
                input_ids[r, cursor : cursor + n] = torch.as_tensor(ids)
                labels[r, cursor : cursor + n] = torch.as_tensor(lab)
                if self.packing:
                    # No sample learns to predict the next sample's first token
                    labels[r, cursor] = IGNORE_INDEX
                position_ids[r, cursor : cursor + n] = torch.arange(n)
                attention_mask[r, cursor : cursor + n] = 1
                cursor += n
                order.append(i)
            # Tail padding gets its own position run, i.e. its own (loss-free) segment in the packed mask
            position_ids[r, cursor:] = torch.arange(width - cursor)

        batch: dict[str, Any] = {"input_ids": input_ids, "labels": labels}
        if self.packing:
            batch["position_ids"] = position_ids
            # transformers only derives the per-sample (block-diagonal) mask from `position_ids` when there is no
            # attention mask and no KV cache; a cache built in training (`use_cache=True`) would let samples leak
            batch["use_cache"] = False
            # Flash-attention-style boundaries over the flattened batch (tail padding is a segment of its own):
            # flash-attention's varlen kernels and `sdpa_varlen` attend within each sample without a dense mask
            segments = []
            for row in rows:
                row_lengths = [len(samples[i]["input_ids"]) for i in row]
                segments.extend(row_lengths)
                if width > sum(row_lengths):
                    segments.append(width - sum(row_lengths))
            cu_seq_lens = torch.tensor([0, *segments]).cumsum(0).to(torch.int32)
            batch["cu_seq_lens_q"] = batch["cu_seq_lens_k"] = cu_seq_lens
            batch["max_length_q"] = batch["max_length_k"] = max(segments)
        else:
            batch["attention_mask"] = attention_mask
        with_audio = [samples[i] for i in order if "input_features" in samples[i]]
        if with_audio:
            batch["input_features"] = _cat_padded([s["input_features"] for s in with_audio], pad_dim=-1)
            batch["feature_attention_mask"] = _cat_padded(
                [s["feature_attention_mask"] for s in with_audio], pad_dim=-1
            )
        return batch


def _cat_padded(tensors: list[torch.Tensor], pad_dim: int) -> torch.Tensor:
    """Concatenate along dim 0, right-padding ``pad_dim`` with zeros when clips were extracted to different lengths."""
    longest = max(t.shape[pad_dim] for t in tensors)
    padded = []
    for t in tensors:
        missing = longest - t.shape[pad_dim]
        if missing:
            pad = [0, 0] * (t.ndim - 1 - (pad_dim % t.ndim)) + [0, missing]
            t = torch.nn.functional.pad(t, pad)
        padded.append(t)
    return torch.cat(padded, dim=0)
