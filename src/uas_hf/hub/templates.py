"""Card template lookup (kept here for `uas_hf.hub` users; the implementation is shared with the pipeline)."""

from ..utils.templates import template_path


__all__ = ["template_path"]
