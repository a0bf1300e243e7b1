"""Export Hub-ready folders (model, dataset, Space) and push them with `HfApi.upload_folder`.

Exporting is local and always works; pushing needs the network. Offline (`HF_HUB_OFFLINE=1`, or the Hub unreachable)
`push_folder` fails at once with `HubOfflineError`, whose message says the folder is ready and how to push it later.
"""

import os
import shutil
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..utils import get_logger
from .cards import render_model_card, render_space_card
from .training_summary import TRAINING_SUMMARY_FILE


logger = get_logger(__name__)

REPO_TYPES = ("model", "dataset", "space")
_CONNECT_TIMEOUT_S = 3.0
# Files a model folder never needs on the Hub (optimizer state and trainer checkpoints stay local).
_MODEL_SKIP = ("optimizer.pt", "scheduler.pt", "rng_state.pth", "trainer_state.json", "training_args.bin")
_SKIP_DIRS = ("__pycache__", ".git", ".ipynb_checkpoints", ".work")


class HubOfflineError(RuntimeError):
    """Pushing is impossible right now (offline mode or no network); the export folder is complete."""


def check_repo_id(repo_id: str) -> str:
    """``namespace/name`` with the Hub's allowed characters, else a `ValueError` saying what is expected."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:
        raise ValueError(f"`--repo-id` {repo_id!r} is not a valid Hub repository id ({e}); use 'user/name'.") from e
    if "/" not in repo_id:
        raise ValueError(f"`--repo-id` {repo_id!r} needs a namespace: use 'user/name' or 'org/name'.")
    return repo_id


def _prepare_out(out_dir: str | os.PathLike, src: Path) -> Path:
    out = Path(out_dir).resolve()
    if out == src.resolve() or src.resolve() in out.parents:
        raise ValueError(
            f"`--export-dir` {str(out)!r} must not be the source folder or inside it; pick another folder."
        )
    if out.exists():
        shutil.rmtree(out)  # an export is rebuilt from scratch so stale files never get pushed
    out.mkdir(parents=True)
    return out


def _copy_tree(src: Path, dst: Path, skip_names: Sequence[str] = ()) -> list[str]:
    copied = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(part in _SKIP_DIRS for part in rel.parts) or path.name in skip_names or path.suffix == ".pyc":
            continue
        if path.is_symlink():
            logger.warning("Not exporting symlink %s", rel)
            continue
        target = dst / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied.append(str(rel))
    return copied


def export_model(
    model_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    repo_id: str,
    evaluations: Sequence[str | os.PathLike] = (),
    training_summary: str | os.PathLike | None = None,
    datasets: Sequence[str] = (),
    model_name: str | None = None,
    license: str = "apache-2.0",
) -> Path:
    """Copy a saved UAS-Audio folder to ``out_dir`` with a rendered `README.md`, its evaluation files under
    `eval_results/` and its `training_summary.json`.

    The model folder must hold `config.json` and weights (`*.safetensors`); checkpoints' optimizer state is left out.
    """
    src = Path(model_dir)
    if not (src / "config.json").is_file():
        raise FileNotFoundError(f"`SRC` {str(src)!r} has no config.json; pass a folder written by save_pretrained.")
    if not any(src.glob("*.safetensors")):
        raise FileNotFoundError(
            f"`SRC` {str(src)!r} has no *.safetensors weights; save the model with save_pretrained."
        )
    check_repo_id(repo_id)
    out = _prepare_out(out_dir, src)
    _copy_tree(src, out, skip_names=(*_MODEL_SKIP, "README.md"))
    eval_dir = out / "eval_results"
    for path in map(Path, evaluations):
        if not path.is_file():
            raise FileNotFoundError(f"`--eval-results` file {str(path)!r} does not exist.")
        eval_dir.mkdir(exist_ok=True)
        shutil.copy2(path, eval_dir / path.name)
    summary = Path(training_summary) if training_summary else src / TRAINING_SUMMARY_FILE
    if training_summary and not summary.is_file():
        raise FileNotFoundError(f"`--training-summary` {str(summary)!r} does not exist.")
    if summary.is_file():
        shutil.copy2(summary, out / TRAINING_SUMMARY_FILE)
    card = render_model_card(
        model_name=model_name or repo_id.split("/")[-1],
        repo_id=repo_id,
        model_dir=src,
        evaluations=list(evaluations),
        training_summary=summary if summary.is_file() else None,
        datasets=datasets,
        license=license,
    )
    card.save(out / "README.md")
    logger.info("Exported model %s to %s", src, out)
    return out


def export_space(
    space_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    repo_id: str,
    models: Sequence[str] = (),
    datasets: Sequence[str] = (),
    model_dir: str | os.PathLike | None = None,
    title: str = "UAS Audio Demo",
    license: str = "apache-2.0",
) -> Path:
    """A self-contained Space folder: `app.py`, `requirements.txt`, a rendered `README.md` (Space YAML), the
    `uas_hf` package vendored next to `app.py`, and optionally a bundled model under `model/`."""
    import uas_hf

    src = Path(space_dir)
    for name in ("app.py", "requirements.txt"):
        if not (src / name).is_file():
            raise FileNotFoundError(
                f"`SRC` {str(src)!r} has no {name}; pass the Space folder (spaces/uas-audio-demo)."
            )
    check_repo_id(repo_id)
    out = _prepare_out(out_dir, src)
    _copy_tree(src, out, skip_names=("README.md",))
    # The Space installs requirements.txt only, and uas_hf is not on PyPI: ship the package itself.
    _copy_tree(Path(uas_hf.__file__).resolve().parent, out / "uas_hf")
    if model_dir is not None:
        model_src = Path(model_dir)
        if not (model_src / "config.json").is_file():
            raise FileNotFoundError(f"`--model` {str(model_src)!r} has no config.json.")
        _copy_tree(model_src, out / "model", skip_names=_MODEL_SKIP)
    card = render_space_card(title=title, models=models, datasets=datasets, license=license)
    card.save(out / "README.md")
    logger.info("Exported Space %s to %s", src, out)
    return out


def export_dataset(dataset_dir: str | os.PathLike, out_dir: str | os.PathLike, *, repo_id: str, **kwargs: Any) -> Path:
    """Copy an `uas-hf annotate` output folder (minus its resumable `.work/` logs) with a dataset card re-rendered for
    ``repo_id`` and the source's `ATTRIBUTION.md` (see `uas_hf.hub.dataset_card.render_dataset_card`)."""
    from .dataset_card import ATTRIBUTION_FILE, DATA_GLOBS, card_provenance, find_attribution, render_dataset_card

    src = Path(dataset_dir)
    if not any(any(src.glob(g)) for g in DATA_GLOBS):
        raise FileNotFoundError(
            f"`SRC` {str(src)!r} holds no data files ({', '.join(DATA_GLOBS)}); pass an `uas-hf annotate --out` folder."
        )
    check_repo_id(repo_id)
    card = render_dataset_card(src, repo_id=repo_id, **kwargs)  # before copying: a bad folder fails early
    out = _prepare_out(out_dir, src)
    _copy_tree(src, out, skip_names=("README.md",))
    attribution = kwargs.get("attribution") or find_attribution(src, card_provenance(src))
    if attribution and not (out / ATTRIBUTION_FILE).exists():
        shutil.copy2(attribution, out / ATTRIBUTION_FILE)
    card.save(out / "README.md")
    logger.info("Exported dataset %s to %s", src, out)
    return out


def _hub_reachable(endpoint: str) -> bool:
    parsed = urlparse(endpoint)
    host, port = parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False


def later_command(folder: str | os.PathLike, repo_id: str, repo_type: str) -> str:
    """The command that pushes an exported folder once online."""
    return f"hf upload {repo_id} {folder} . --repo-type {repo_type}"


def push_folder(
    folder: str | os.PathLike,
    repo_id: str,
    repo_type: str,
    *,
    private: bool = False,
    token: str | None = None,
    commit_message: str | None = None,
) -> str:
    """Create the repository if needed and upload ``folder``; return the commit URL.

    Raises:
        `HubOfflineError`: at once, before any request, when `HF_HUB_OFFLINE=1` or the Hub cannot be reached.
    """
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import OfflineModeIsEnabled

    if repo_type not in REPO_TYPES:
        raise ValueError(f"`repo_type` must be one of {list(REPO_TYPES)}; got {repo_type!r}.")
    folder = Path(folder)
    ready = f"The Hub-ready folder is complete at {folder}. Push it later with: {later_command(folder, repo_id, repo_type)}"
    if constants.is_offline_mode() or os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
        raise HubOfflineError(f"Offline mode is on (HF_HUB_OFFLINE=1): nothing was pushed. {ready}")
    if not _hub_reachable(constants.ENDPOINT):
        raise HubOfflineError(f"The Hub ({constants.ENDPOINT}) is unreachable: nothing was pushed. {ready}")
    api = HfApi(token=token)
    try:
        api.create_repo(
            repo_id,
            repo_type=repo_type,
            private=private,
            exist_ok=True,
            space_sdk="gradio" if repo_type == "space" else None,
        )
        info = api.upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            repo_type=repo_type,
            commit_message=commit_message or f"Upload {repo_type} with uas_hf",
        )
    except (OfflineModeIsEnabled, ConnectionError, OSError) as e:
        if isinstance(e, OfflineModeIsEnabled) or "connect" in str(e).lower():
            raise HubOfflineError(f"Could not reach the Hub ({type(e).__name__}): nothing was pushed. {ready}") from e
        raise
    return str(getattr(info, "commit_url", info))
