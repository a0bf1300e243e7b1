"""uas_hf.pipeline (see docs/architecture.md)."""
