"""Registration of the UAS-Audio family with the transformers Auto classes (called once, on `import uas_hf`)."""

_registered = False


def register_auto_classes() -> None:
    """Register `UASAudioConfig` / `UASAudioForCausalLM` / `UASAudioProcessor` with the Auto classes. Idempotent.

    Also marks them for `trust_remote_code`: `save_pretrained` then copies the configuration, modeling and processing
    files next to the weights and writes `auto_map`, so the folder loads where uas_hf is not installed.
    """
    global _registered
    if _registered:
        return
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoProcessor

    from .configuration_uas_audio import UASAudioConfig
    from .modeling_uas_audio import UASAudioForCausalLM
    from .processing_uas_audio import UASAudioProcessor

    AutoConfig.register(UASAudioConfig.model_type, UASAudioConfig, exist_ok=True)
    AutoModel.register(UASAudioConfig, UASAudioForCausalLM, exist_ok=True)
    AutoModelForCausalLM.register(UASAudioConfig, UASAudioForCausalLM, exist_ok=True)
    AutoProcessor.register(UASAudioConfig, UASAudioProcessor, exist_ok=True)
    UASAudioConfig.register_for_auto_class()
    UASAudioForCausalLM.register_for_auto_class("AutoModelForCausalLM")
    UASAudioProcessor.register_for_auto_class()
    _registered = True
