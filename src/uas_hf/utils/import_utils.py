"""`is_x_available()` checks for optional heavy dependencies, with an install hint when missing."""

import importlib.util
from functools import cache


# import name -> (pip requirement, uas_hf extra that provides it)
_OPTIONAL = {
    "parselmouth": ("praat-parselmouth", "audio"),
    "silero_vad": ("silero-vad", "audio"),
    "torchcodec": ("torchcodec", "audio"),
    "gradio": ("gradio", "space"),
    "playwright": ("playwright", "dev"),
}


@cache
def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def is_parselmouth_available() -> bool:
    return _available("parselmouth")


def is_silero_vad_available() -> bool:
    return _available("silero_vad")


def is_gradio_available() -> bool:
    return _available("gradio")


def require(module: str, feature: str) -> None:
    """Raise an `ImportError` naming ``feature`` and the pip extra to install when ``module`` is missing."""
    if _available(module):
        return
    requirement, extra = _OPTIONAL.get(module, (module, None))
    hint = (
        f"`pip install 'uas_hf[{extra}]'` (or `pip install {requirement}`)"
        if extra
        else f"`pip install {requirement}`"
    )
    raise ImportError(f"{feature} needs the `{module}` package, which is not installed. Install it with {hint}.")
