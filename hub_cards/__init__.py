"""Jinja templates of the Hub cards (model, dataset, metric, Space) rendered by `uas_hf.hub`."""
