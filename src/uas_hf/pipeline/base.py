"""The Stage-1 / Stage-2 interfaces every backend implements, and the sample / caption containers between them.

A batch method returns one result per input, in order. A backend that fails for one sample puts a
[`BackendError`] at that position (or raises it for a one-sample batch); the runner turns it into a recorded
rejection for that sample only and goes on with the others.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class AudioSample:
    """One input clip, already decoded, mono, finite and resampled to the analysis rate.

    Args:
        id (`str`):
            Stable input id (``"{split}/{file_name}"`` for an audiofolder, ``"{split}/{row}"`` for a saved dataset).
        array (`np.ndarray`):
            Mono float32 samples in [-1, 1].
        sampling_rate (`int`):
            Sampling rate of ``array`` in Hz.
        transcription (`str`, *optional*):
            The source's ground-truth transcript; `None` means the source says the clip has no speech.
        metadata (`dict`, *optional*):
            Other source columns (ground-truth labels of the embedded corpus, ...) and decoding facts
            (``original_sampling_rate``, ``original_num_channels``).

    Example:

    ```python
    >>> import numpy as np
    >>> sample = AudioSample("test/a.wav", np.zeros(16000, dtype=np.float32), 16000, "Hello there.")
    >>> sample.duration
    1.0

    ```
    """

    id: str
    array: np.ndarray
    sampling_rate: int
    transcription: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.array) / float(self.sampling_rate)


@dataclass
class Caption:
    """Stage-1 output for one sample: prose for an LLM synthesizer, plus measurements when the backend has them.

    Args:
        text (`str`): The acoustic caption.
        measurements (`dict`, *optional*): JSON-serialisable measurements (the offline analyzer fills it).
    """

    text: str
    measurements: dict[str, Any] | None = None


class BackendError(RuntimeError):
    """A Stage-1 or Stage-2 backend could not produce output for one sample.

    Args:
        code (`str`): Machine-readable reason recorded in `rejected.jsonl` (e.g. ``backend.timeout``).
        message (`str`): Human-readable explanation.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):
        return (type(self), (self.code, self.message))


class Captioner(abc.ABC):
    """Stage 1: describe what each clip sounds like.

    Subclasses set ``name`` (the value of ``uas-hf annotate --captioner``) and implement [`Captioner.caption`].
    """

    name: str = "base"
    #: Whether `Caption.measurements` is filled (what the rules synthesizer needs); only the offline analyzer's is.
    provides_measurements: bool = False

    @abc.abstractmethod
    def caption(self, samples: list[AudioSample]) -> list[Caption | BackendError]:
        """Return one [`Caption`] (or a [`BackendError`]) per sample, in order."""

    def provenance(self) -> dict[str, Any]:
        """What produced the captions (backend, model, tools and their licences), for the dataset card."""
        return {"stage": "caption", "backend": self.name}

    def close(self) -> None:
        """Release resources (HTTP clients, models); called once by the runner. A no-op by default."""
        return None


class Synthesizer(abc.ABC):
    """Stage 2: merge each caption with the ground-truth transcript into a raw UAS object.

    The result is raw: a JSON string or a mapping. Stage 3 (`uas_hf.schema.UASValidator`) parses and checks it.
    """

    name: str = "base"
    #: Whether this synthesizer needs `Caption.measurements` (only the offline analyzer provides them).
    requires_measurements: bool = False

    @abc.abstractmethod
    def synthesize(self, samples: list[AudioSample], captions: list[Caption]) -> list[str | dict | BackendError]:
        """Return one raw UAS (a JSON string or a dict) or a [`BackendError`] per sample, in order."""

    def provenance(self) -> dict[str, Any]:
        return {"stage": "synthesis", "backend": self.name}

    def close(self) -> None:
        """Release resources; called once by the runner. A no-op by default."""
        return None


def call_per_sample(fn, items: list, *args_lists) -> list:
    """Run a batch call; if it raises for the whole batch, retry one item at a time so one failure stays local."""
    try:
        out = fn(items, *args_lists)
    except BackendError as e:
        if len(items) == 1:
            return [e]
        out = None
    except Exception as e:  # a backend bug must not stop the job: record it against the sample(s)
        if len(items) == 1:
            return [BackendError("backend.exception", f"{type(e).__name__}: {e}")]
        out = None
    if out is not None:
        if len(out) != len(items):
            err = BackendError(
                "backend.bad_batch", f"backend returned {len(out)} results for a batch of {len(items)} samples"
            )
            return [err] * len(items)
        return list(out)
    results = []
    for i, item in enumerate(items):
        results.extend(call_per_sample(fn, [item], *[[a[i]] for a in args_lists]))
    return results
