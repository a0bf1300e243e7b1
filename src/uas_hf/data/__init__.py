"""uas_hf.data (see docs/architecture.md)."""
