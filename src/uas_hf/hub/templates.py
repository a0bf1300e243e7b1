"""Where the card templates live: the `uas_hf.hub_cards` package once installed, else `hub_cards/` in a checkout."""

import contextlib
from importlib import resources
from pathlib import Path

import uas_hf


def template_path(name: str) -> Path:
    """Path of the card template ``name`` (e.g. ``"model_card.md.jinja"``).

    Looks in the installed package `uas_hf.hub_cards` first, then in the repository's `hub_cards/` folder (an
    editable checkout before the package mapping exists).

    Example:

    >>> template_path("model_card.md.jinja").name
    'model_card.md.jinja'
    """
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"`name` must be a bare template file name such as 'model_card.md.jinja'; got {name!r}.")
    candidates = []
    with contextlib.suppress(ModuleNotFoundError, TypeError):
        candidates.append(Path(str(resources.files("uas_hf.hub_cards") / name)))
    candidates.append(Path(uas_hf.__file__).resolve().parents[2] / "hub_cards" / name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"Card template {name!r} not found (looked in {', '.join(str(c.parent) for c in candidates)}). "
        "Reinstall uas_hf (`pip install -e .`) so that `uas_hf.hub_cards` ships the templates."
    )
