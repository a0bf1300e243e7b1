"""Library logging: one `uas_hf` logger hierarchy, silent unless the application configures it."""

import logging
import os


_LIBRARY_ROOT = "uas_hf"


def get_logger(name: str) -> logging.Logger:
    """Return a logger under the `uas_hf` hierarchy (``name`` is usually ``__name__``)."""
    if not name.startswith(_LIBRARY_ROOT):
        name = f"{_LIBRARY_ROOT}.{name}"
    return logging.getLogger(name)


def configure_cli_logging(verbosity: str | None = None) -> None:
    """Send `uas_hf` logs to stderr at ``verbosity`` (or `$UAS_HF_VERBOSITY`, default `info`); CLI only."""
    level_name = (verbosity or os.environ.get("UAS_HF_VERBOSITY", "info")).upper()
    level = getattr(logging, level_name, None)
    if not isinstance(level, int):
        raise ValueError(
            f"`verbosity` must be one of debug, info, warning, error; got {verbosity!r}. "
            "Set UAS_HF_VERBOSITY or pass --verbosity with one of those."
        )
    root = logging.getLogger(_LIBRARY_ROOT)
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
        root.addHandler(handler)
