"""UAS-Audio: audio encoder -> projector -> causal LM (paper §3).

>>> from uas_hf.models.uas_audio import UASAudioConfig, UASAudioForCausalLM, UASAudioProcessor, set_trainable_stage
"""

from .configuration_uas_audio import AUDIO_ENCODER_TYPES, UASAudioConfig, num_audio_embeddings
from .modeling_uas_audio import UASAudioForCausalLM, UASAudioModel, UASAudioPreTrainedModel
from .processing_uas_audio import UASAudioProcessor, default_chat_template
from .registration import register_auto_classes
from .stages import STAGES, set_trainable_stage, trainable_parameter_names


register_auto_classes()

__all__ = [
    "AUDIO_ENCODER_TYPES",
    "STAGES",
    "UASAudioConfig",
    "UASAudioForCausalLM",
    "UASAudioModel",
    "UASAudioPreTrainedModel",
    "UASAudioProcessor",
    "default_chat_template",
    "num_audio_embeddings",
    "register_auto_classes",
    "set_trainable_stage",
    "trainable_parameter_names",
]
