"""uas_hf.models (see docs/architecture.md)."""
