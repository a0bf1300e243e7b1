"""uas_hf: the Unified Audio Schema (UAS) on the Hugging Face stack.

Importing the package registers the UAS-Audio model family with the transformers Auto classes. Heavy submodules
(torch, transformers) are imported lazily so that `uas_hf.schema` and `uas-hf --help` stay light: the registration
runs as soon as transformers' Auto classes are imported (at once if they already are), and the top-level exports
`UASAudioConfig`, `UASAudioForCausalLM`, `UASAudioProcessor` load on first access.
"""

import importlib
import importlib.abc
import importlib.util
import logging
import sys


__version__ = "0.1.0.dev0"

_LAZY_EXPORTS = {
    "UASAudioConfig": "uas_hf.models.uas_audio",
    "UASAudioForCausalLM": "uas_hf.models.uas_audio",
    "UASAudioModel": "uas_hf.models.uas_audio",
    "UASAudioProcessor": "uas_hf.models.uas_audio",
    "set_trainable_stage": "uas_hf.models.uas_audio",
}
__all__ = ["__version__", *_LAZY_EXPORTS]


def __getattr__(name: str):
    if name in _LAZY_EXPORTS:
        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module 'uas_hf' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_EXPORTS))


# ----------------------------------------------------------------------------- Auto-class registration
_TRANSFORMERS_AUTO = "transformers.models.auto"


def _register_with_transformers() -> None:
    package = sys.modules.get("uas_hf.models.uas_audio")
    if package is not None and not hasattr(package, "register_auto_classes"):
        return  # that package is importing right now and registers when it finishes
    try:
        from .models.uas_audio.registration import register_auto_classes

        register_auto_classes()
    except Exception as e:  # never break `import transformers` for code that does not use UAS-Audio
        logging.getLogger(__name__).warning("uas_hf could not register UAS-Audio with the Auto classes: %s", e)


class _RegisterAfterExec(importlib.abc.Loader):
    """Wraps the loader of `transformers.models.auto` to register UAS-Audio right after that package loads."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _register_with_transformers()

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _TransformersAutoHook(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != _TRANSFORMERS_AUTO:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)  # one shot
        spec = importlib.util.find_spec(fullname)  # whichever finder would have served it, now that we are out
        if spec is not None and spec.loader is not None:
            spec.loader = _RegisterAfterExec(spec.loader)
        return spec


if _TRANSFORMERS_AUTO in sys.modules:
    _register_with_transformers()
elif not any(isinstance(finder, _TransformersAutoHook) for finder in sys.meta_path):
    sys.meta_path.insert(0, _TransformersAutoHook())
