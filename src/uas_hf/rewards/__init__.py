"""uas_hf.rewards (see docs/architecture.md)."""
