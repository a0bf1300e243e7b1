"""uas_hf.metrics (see docs/architecture.md)."""
