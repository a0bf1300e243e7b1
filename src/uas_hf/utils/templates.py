"""Where the card templates live: the `uas_hf.hub_cards` package (``hub_cards/`` in the repository, mapped into the
package by pyproject.toml), shared by the pipeline's dataset card and the hub's model / metric / Space cards."""

from importlib import resources
from pathlib import Path


def template_path(name: str) -> Path:
    """Path of the card template ``name`` (e.g. ``"model_card.md.jinja"``) shipped in `uas_hf.hub_cards`.

    Example:

    >>> template_path("model_card.md.jinja").name
    'model_card.md.jinja'
    """
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"`name` must be a bare template file name such as 'model_card.md.jinja'; got {name!r}.")
    path = Path(str(resources.files("uas_hf.hub_cards") / name))
    if not path.is_file():
        available = sorted(p.name for p in resources.files("uas_hf.hub_cards").iterdir() if p.name.endswith(".jinja"))
        raise FileNotFoundError(f"Card template {name!r} not found in uas_hf.hub_cards; available: {available}.")
    return path
