"""Training callbacks: a training-curve plot (loss, learning rate, rewards) written at the end of every run."""

import math
import os

from transformers import TrainerCallback

from ..utils.logging import get_logger


logger = get_logger(__name__)

TRAINING_CURVES_FILE = "training_curves.png"


def _series(log_history: list[dict], key: str) -> tuple[list[float], list[float]]:
    steps, values = [], []
    for entry in log_history:
        value = entry.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value) and "step" in entry:
            steps.append(entry["step"])
            values.append(float(value))
    return steps, values


def plot_training_curves(log_history: list[dict], path: str, title: str | None = None) -> str | None:
    """Plot loss, learning rate and reward curves from a `TrainerState.log_history` into ``path`` (PNG).

    Panels: ``loss`` (and ``eval_loss``), ``learning_rate``, and every logged reward (``reward`` and the
    ``rewards/<name>/mean`` series GRPO logs). Uses matplotlib's Agg canvas directly, so no display or global
    backend is touched. Returns the path, or `None` when nothing was logged.

    Example:
    ```python
    >>> history = [{"step": 1, "loss": 2.0, "learning_rate": 1e-4}, {"step": 2, "loss": 1.5, "learning_rate": 5e-5}]
    >>> plot_training_curves(history, "runs/curves.png")  # doctest: +SKIP
    'runs/curves.png'
    ```
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = {key for entry in log_history for key in entry}
    reward_keys = sorted(k for k in keys if k == "reward" or (k.startswith("rewards/") and k.endswith("/mean")))
    panels = [("loss", [k for k in ("loss", "eval_loss") if k in keys]), ("learning rate", ["learning_rate"])]
    if reward_keys:
        panels.append(("reward", reward_keys))
    panels = [(name, [k for k in ks if _series(log_history, k)[0]]) for name, ks in panels]
    panels = [(name, ks) for name, ks in panels if ks]
    if not panels:
        return None

    figure = Figure(figsize=(5 * len(panels), 3.6), layout="constrained")
    FigureCanvasAgg(figure)
    for i, (name, series_keys) in enumerate(panels, start=1):
        axes = figure.add_subplot(1, len(panels), i)
        for key in series_keys:
            steps, values = _series(log_history, key)
            axes.plot(steps, values, marker="o" if len(steps) < 20 else None, markersize=3, label=key)
        axes.set_xlabel("step")
        axes.set_title(name)
        axes.grid(alpha=0.3)
        if len(series_keys) > 1:
            axes.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


class TrainingCurvesCallback(TrainerCallback):
    """Save `training_curves.png` (loss, learning rate, rewards) in `output_dir` when training ends (main process).

    Example:
    ```python
    >>> from uas_hf.trainers.callbacks import TrainingCurvesCallback
    >>> trainer.add_callback(TrainingCurvesCallback())  # doctest: +SKIP
    ```
    """

    def __init__(self, filename: str = TRAINING_CURVES_FILE):
        self.filename = filename
        self.path: str | None = None

    def on_train_end(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        path = os.path.join(args.output_dir, self.filename)
        self.path = plot_training_curves(state.log_history, path, title=os.path.basename(args.output_dir.rstrip("/")))
        if self.path:
            logger.info("Saved training curves to %s", self.path)
