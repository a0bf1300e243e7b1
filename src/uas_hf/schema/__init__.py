"""uas_hf.schema (see docs/architecture.md)."""
