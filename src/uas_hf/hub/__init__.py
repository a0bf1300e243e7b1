"""Hub cards rendered from the `hub_cards/` templates with run data, and export / push of Hub-ready folders.

- `render_model_card` (model-index from evaluation result files, training details from `training_summary.json`),
  `render_dataset_card`, `render_metric_card`, `render_space_card`;
- `TrainingSummary` / `StageSummary` (the `training_summary.json` contract) and `uas_hf.hub.callbacks.
  TrainingSummaryCallback` (imports transformers, so it is not re-exported here);
- `export_model`, `export_dataset`, `export_space`, `push_folder` (`uas-hf push`).
"""

from .cards import EvaluationFile, load_evaluations, render_metric_card, render_model_card, render_space_card
from .export import HubOfflineError, export_dataset, export_model, export_space, push_folder
from .templates import template_path
from .training_summary import TRAINING_SUMMARY_FILE, StageSummary, TrainingSummary


def render_dataset_card(*args, **kwargs):
    """See `uas_hf.hub.dataset_card.render_dataset_card`."""
    from .dataset_card import render_dataset_card as _render

    return _render(*args, **kwargs)


__all__ = [
    "TRAINING_SUMMARY_FILE",
    "EvaluationFile",
    "HubOfflineError",
    "StageSummary",
    "TrainingSummary",
    "export_dataset",
    "export_model",
    "export_space",
    "load_evaluations",
    "push_folder",
    "render_dataset_card",
    "render_metric_card",
    "render_model_card",
    "render_space_card",
    "template_path",
]
