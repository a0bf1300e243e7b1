"""`UASGRPOTrainer`: TRL's `GRPOTrainer` with the audio features in generation AND every log-prob pass.

Out of the box TRL's GRPO generates with the audio (the processor's `input_features` reach `generate`) but computes the
per-token log-probs of the policy, the old policy and the reference model from the token ids alone: the audio
placeholders then hold plain token embeddings, so the ratio, the KL term and the loss are those of a different (deaf)
model. This subclass keeps the features of each rollout batch and hands them to every log-prob forward:

- `_tokenize_prompts` records the `input_features` / `feature_attention_mask` the processor built for generation;
- `_generate_and_score_completions` embeds each row's audio in its prompt, lets TRL generate and score, and returns the
  features with the rollout batch (one clip per row, so TRL's shuffling and splitting keep them aligned);
- `_compute_loss` passes the current batch's features to the policy forward;
- `_get_per_token_logps_and_entropies` feeds the features (sliced per chunk of rows) to the forward — for the old
  policy and the reference model during scoring, and for the policy in the loss.
"""

from typing import Any

import torch
from trl import GRPOTrainer

from ..data.collators import audio_parts, load_audio, normalize_messages
from ..rewards import REWARD_FUNCS
from ..utils.logging import get_logger
from .callbacks import TrainingCurvesCallback
from .checks import check_reward_funcs, check_something_trains, first_examples, require_columns
from .peft_utils import check_peft_config
from .uas_grpo_config import UASGRPOConfig
from .uas_sft_trainer import UAS_PAPER, apply_stage, load_model_and_processor


logger = get_logger(__name__)

AUDIO_KEYS = ("input_features", "feature_attention_mask")
#: Dataset rows checked (audio parts, reward signatures) when the trainer is built.
PREFLIGHT_EXAMPLES = 2


def _resolve_reward_funcs(reward_funcs: Any) -> list:
    funcs = reward_funcs if isinstance(reward_funcs, (list, tuple)) else [reward_funcs]
    resolved = []
    for func in funcs:
        if isinstance(func, str) and func in REWARD_FUNCS:
            resolved.append(REWARD_FUNCS[func])
        elif isinstance(func, str) and "/" not in func and not func.startswith("."):
            raise ValueError(
                f"`reward_funcs` entry {func!r} is not a known reward; known names are {sorted(REWARD_FUNCS)}. Pass "
                "a function, one of these names, or a reward-model path."
            )
        else:
            resolved.append(func)
    return resolved


class UASGRPOTrainer(GRPOTrainer):
    r"""
    GRPO for audio LLMs (UAS-Audio stage 4) on TRL's [`~trl.GRPOTrainer`], with the audio features present in
    generation and in every log-prob pass (policy, old policy, reference model).

    Dataset: conversational `prompt` messages with exactly one `{"type": "audio"}` part each, the clip in the
    `audio` column (`args.audio_field`), plus whatever columns the rewards read (`answer`, `options`, `type`, `uas`).

    Args:
        model (`str` or [`~transformers.PreTrainedModel`]):
            The policy (`UASAudioForCausalLM`) or its path. With `beta > 0` TRL rebuilds the reference model from the
            model's `config._name_or_path`, so pass a saved model.
        reward_funcs (`callable`, `str` or `list`):
            Reward functions `(completions, <columns>, **kwargs) -> list[float | None]` (see `uas_hf.rewards`), or
            their names in `uas_hf.rewards.REWARD_FUNCS`.
        args ([`UASGRPOConfig`], *optional*):
            Training configuration.
        processing_class ([`~transformers.ProcessorMixin`], *optional*):
            The model's processor.
        peft_config ([`~peft.PeftConfig`], *optional*):
            LoRA on the language model (see [`uas_lora_config`]).

    Example:
    ```python
    >>> from uas_hf.trainers import UASGRPOConfig, UASGRPOTrainer

    >>> args = UASGRPOConfig(output_dir="out", num_generations=4, max_completion_length=8)  # doctest: +SKIP
    >>> trainer = UASGRPOTrainer(model, ["multiple_choice_accuracy", "format"], args=args, train_dataset=ds,
    ...                          processing_class=processor)  # doctest: +SKIP
    >>> trainer.train()  # doctest: +SKIP
    ```
    """

    _tag_names = ["trl", "grpo", "uas-hf", "audio"]
    _name = "UAS GRPO"
    _paper = UAS_PAPER

    def __init__(
        self,
        model: Any,
        reward_funcs: Any,
        args: UASGRPOConfig | None = None,
        train_dataset: Any = None,
        eval_dataset: Any = None,
        processing_class: Any = None,
        callbacks: list | None = None,
        optimizers: tuple = (None, None),
        peft_config: Any = None,
        **kwargs: Any,
    ):
        if args is None:
            name = model if isinstance(model, str) else getattr(model.config, "_name_or_path", "") or "uas-audio"
            args = UASGRPOConfig(f"{name.rstrip('/').split('/')[-1]}-UAS-GRPO")
        if not isinstance(args, UASGRPOConfig):
            raise TypeError(
                f"`args` must be a `UASGRPOConfig`, got {type(args).__name__}: it carries the audio column and "
                "rejects settings that would drop the audio (vLLM, continuous batching)."
            )
        if train_dataset is None:
            raise ValueError("`train_dataset` is required: pass conversational `prompt`s with audio.")
        model, processing_class = load_model_and_processor(model, processing_class, args)
        reward_funcs = _resolve_reward_funcs(reward_funcs)

        require_columns(
            train_dataset,
            [["prompt", args.audio_field]],
            setting="train_dataset",
            fix=f"GRPO needs conversational `prompt` messages with one {{'type': 'audio'}} part and the clip in "
            f"`{args.audio_field}` (set `audio_field` if your audio column has another name).",
        )
        examples = first_examples(train_dataset, PREFLIGHT_EXAMPLES)
        for i, example in enumerate(examples):
            self._check_prompt(example, i, args.audio_field)
        names = [getattr(f, "__name__", str(f)) for f in reward_funcs]
        check_reward_funcs(reward_funcs, examples, names)

        apply_stage(model, args.stage, peft_config=peft_config)
        if peft_config is not None:
            check_peft_config(model, peft_config)
        else:
            check_something_trains(model, stage=args.stage)
        if args.beta != 0.0 and peft_config is None and not getattr(model.config, "_name_or_path", ""):
            raise ValueError(
                f"`beta`={args.beta} needs a reference model, which TRL rebuilds from `model.config._name_or_path`; "
                "this model was never saved. Save it first (`model.save_pretrained(path)`) and pass the path, or set "
                "`beta=0.0`."
            )

        callbacks = list(callbacks or [])
        if args.plot_training_curves and not any(isinstance(c, TrainingCurvesCallback) for c in callbacks):
            callbacks.append(TrainingCurvesCallback())

        self._audio_batch: dict[str, torch.Tensor] | None = None
        super().__init__(
            model=model,
            reward_funcs=reward_funcs,
            args=args,
            train_dataset=train_dataset,
            eval_dataset=eval_dataset,
            processing_class=processing_class,
            callbacks=callbacks,
            optimizers=optimizers,
            peft_config=peft_config,
            **kwargs,
        )
        if peft_config is not None:
            check_something_trains(self.model, stage=args.stage)
        sampling_rate = getattr(getattr(processing_class, "feature_extractor", None), "sampling_rate", None)
        self._sampling_rate = int(sampling_rate or 16000)

    # -- data -------------------------------------------------------------------------------------------------------

    @staticmethod
    def _check_prompt(example: dict, index: int, audio_field: str) -> None:
        prompt = example.get("prompt")
        if not isinstance(prompt, list):
            raise ValueError(
                f"Example {index}: `prompt` must be a list of chat messages (conversational), got "
                f"{type(prompt).__name__}. Keep the raw messages; the trainer applies the chat template."
            )
        n_parts = len(audio_parts(normalize_messages(prompt)))
        if n_parts != 1:
            raise ValueError(
                f"Example {index}: its `prompt` has {n_parts} audio placeholder(s) ({{'type': 'audio'}} parts); "
                f"UASGRPOTrainer needs exactly one per prompt, matching the clip in `{audio_field}`. Put one "
                "audio part in the user turn."
            )
        if example.get(audio_field) is None:
            raise ValueError(f"Example {index}: `{audio_field}` is empty; every GRPO prompt needs its audio clip.")

    def _with_audio(self, example: dict) -> dict:
        """A copy of ``example`` whose prompt's audio part carries the decoded clip (the processor loads it from there)."""
        audio = load_audio(example[self.args.audio_field], self._sampling_rate)
        prompt = normalize_messages(example["prompt"])
        new_prompt = []
        for message in prompt:
            content = message.get("content")
            if isinstance(content, list):
                content = [{"type": "audio", "audio": audio} if p.get("type") == "audio" else p for p in content]
            new_prompt.append({**message, "content": content})
        return {**example, "prompt": new_prompt}

    # -- generation and scoring ---------------------------------------------------------------------------------------

    def _tokenize_prompts(self, prompts: list):
        prompt_ids, images, multimodal_fields = super()._tokenize_prompts(prompts)
        audio = {k: multimodal_fields[k] for k in AUDIO_KEYS if k in multimodal_fields}
        if "input_features" in audio:
            audio = {k: torch.as_tensor(v) if not torch.is_tensor(v) else v for k, v in audio.items()}
            if audio["input_features"].shape[0] != len(prompts):
                raise ValueError(
                    f"The processor returned {audio['input_features'].shape[0]} audio clips for {len(prompts)} "
                    "prompts; UASGRPOTrainer needs exactly one clip per prompt."
                )
            self._audio_batch = {k: v.to(self.accelerator.device) for k, v in audio.items()}
        return prompt_ids, images, multimodal_fields

    def _generate_and_score_completions(self, inputs: list[dict]) -> dict:
        inputs = [self._with_audio(x) for x in inputs]
        self._audio_batch = None
        try:
            # Inside, TRL tokenizes (recording the features) and runs the old-policy / reference log-prob passes,
            # which read `self._audio_batch`
            output = super()._generate_and_score_completions(inputs)
            if self._audio_batch is None:
                raise RuntimeError("The processor returned no `input_features` for an audio batch.")
            output.update(self._audio_batch)
        finally:
            self._audio_batch = None
        return output

    def _compute_loss(self, model, inputs):
        self._audio_batch = {k: inputs[k] for k in AUDIO_KEYS if k in inputs} or None
        try:
            return super()._compute_loss(model, inputs)
        finally:
            self._audio_batch = None

    def _get_per_token_logps_and_entropies(
        self,
        model,
        input_ids,
        attention_mask,
        logits_to_keep,
        batch_size=None,
        compute_entropy=False,
        compute_aux_loss=False,
        input_features=None,
        feature_attention_mask=None,
        **multimodal_kwargs,
    ):
        """Per-token log-probs (and entropies / aux loss) of the completion tokens, with the rows' audio features."""
        if input_features is None and self._audio_batch is not None:
            input_features = self._audio_batch.get("input_features")
            feature_attention_mask = self._audio_batch.get("feature_attention_mask")
        if input_features is None:
            return super()._get_per_token_logps_and_entropies(
                model,
                input_ids,
                attention_mask,
                logits_to_keep,
                batch_size=batch_size,
                compute_entropy=compute_entropy,
                compute_aux_loss=compute_aux_loss,
                **multimodal_kwargs,
            )
        if input_features.shape[0] != input_ids.shape[0]:
            raise RuntimeError(
                f"{input_features.shape[0]} audio clips for {input_ids.shape[0]} sequences in a log-prob pass; each "
                "GRPO row carries exactly one clip."
            )
        batch_size = batch_size or input_ids.size(0)
        all_logps, all_entropies, all_aux = [], [], []
        for start in range(0, input_ids.size(0), batch_size):
            end = min(start + batch_size, input_ids.size(0))
            ids = input_ids[start:end]
            mask = attention_mask[start:end]
            model_inputs = {"input_ids": ids, "attention_mask": mask, "input_features": input_features[start:end]}
            if feature_attention_mask is not None:
                model_inputs["feature_attention_mask"] = feature_attention_mask[start:end]
            if compute_aux_loss:
                model_inputs["output_router_logits"] = True
            # Only the completion tokens are scored
            labels = ids.masked_fill(mask == 0, -100)
            labels[:, :-logits_to_keep] = -100
            with self.accelerator.autocast():
                outputs = model(**model_inputs, labels=labels, fused_lm_head=True)
            all_logps.append(outputs.log_probs[:, -logits_to_keep:])
            if compute_entropy:
                all_entropies.append(outputs.entropy[:, -logits_to_keep:])
            if compute_aux_loss:
                all_aux.append(outputs.aux_loss)
        logps = torch.cat(all_logps, dim=0)
        entropies = torch.cat(all_entropies, dim=0) if compute_entropy else None
        aux_loss = torch.stack(all_aux).mean() if compute_aux_loss else None
        return logps, entropies, aux_loss


__all__ = ["UASGRPOTrainer"]
