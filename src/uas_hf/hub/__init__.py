"""uas_hf.hub (see docs/architecture.md)."""
