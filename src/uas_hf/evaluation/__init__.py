"""uas_hf.evaluation (see docs/architecture.md)."""
