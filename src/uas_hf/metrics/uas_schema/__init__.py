"""The `uas_schema` evaluate module: load it with `evaluate.load(uas_hf.metrics.metric_path("uas_schema"))`."""
