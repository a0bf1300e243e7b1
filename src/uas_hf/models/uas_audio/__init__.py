"""UAS-Audio: audio encoder -> projector -> causal LM (paper §3)."""
