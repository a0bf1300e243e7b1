"""uas_hf.trainers (see docs/architecture.md)."""
