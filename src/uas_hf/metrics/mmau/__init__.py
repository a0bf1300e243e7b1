"""The `mmau` evaluate module: load it with `evaluate.load(uas_hf.metrics.metric_path("mmau"))`."""
