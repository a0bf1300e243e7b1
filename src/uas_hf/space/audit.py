"""Human verification of UAS fields (paper App. A): judgements saved as JSON Lines, per-field accuracy with Wilson CIs.

Each annotator marks every audited field of a clip as Correct / Incorrect / Unsure. As in the paper, a field of a clip
counts as correct only when the majority of its annotators marked it correct (Unsure is not a vote for correct), and
the per-field accuracy is reported with a Wilson score 95 % interval.
"""

import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..utils import get_logger, iter_jsonl


logger = get_logger(__name__)

# The nine fields the paper audits (Table 4), in its order, with their UAS domain.
AUDIT_FIELDS: tuple[str, ...] = (
    "age",
    "gender",
    "emotion",
    "accent",
    "prosody",
    "timbre",
    "description",
    "discreteEvents",
    "continuousEvents",
)
FIELD_DOMAINS: dict[str, str] = {
    **dict.fromkeys(("age", "gender", "emotion", "accent", "prosody", "timbre"), "Paralinguistics"),
    **dict.fromkeys(("description", "discreteEvents", "continuousEvents"), "Non-linguistic Events"),
}
FIELD_LABELS: dict[str, str] = {
    "transcription": "Transcription",
    "age": "Age",
    "gender": "Gender",
    "emotion": "Emotion",
    "accent": "Accent",
    "prosody": "Prosody",
    "timbre": "Timbre",
    "description": "Description",
    "discreteEvents": "Discrete Events",
    "continuousEvents": "Continuous Events",
}
JUDGEMENTS: tuple[str, ...] = ("Correct", "Incorrect", "Unsure")

# Two-sided 95 % normal quantile, Φ⁻¹(0.975).
Z_95 = 1.959963984540054
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_NAME_CHARS = 64


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``successes / n``.

    Args:
        successes (`int`): number of successes, ``0 <= successes <= n``.
        n (`int`): number of trials; ``n = 0`` gives the uninformative interval ``(0.0, 1.0)``.
        z (`float`, *optional*, defaults to the 95 % quantile):
            standard-normal quantile of the two-sided confidence level.

    Returns:
        `tuple[float, float]`: the lower and upper bounds, as proportions in [0, 1].

    Example:

    >>> lo, hi = wilson_interval(394, 400)  # paper Table 4, Age: 98.50 % of N = 400
    >>> round(100 * lo, 2), round(100 * hi, 2)
    (96.77, 99.31)
    """
    if isinstance(successes, bool) or not isinstance(successes, int) or isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"`successes` and `n` must be integers; got {successes!r} and {n!r}.")
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"`successes` must be in [0, n] with `n` >= 0; got successes={successes}, n={n}.")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    center = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At 0 or n successes the exact bound is 0 or 1; avoid a rounding 0.9999999999999999.
    lower = 0.0 if successes == 0 else max(0.0, center - half_width)
    upper = 1.0 if successes == n else min(1.0, center + half_width)
    return lower, upper


def sanitize_name(name: str | None, default: str = "anonymous") -> str:
    """Turn a user-supplied name into a safe file stem: ``[A-Za-z0-9_-]``, at most 64 characters, never empty.

    >>> sanitize_name("../../etc/passwd")
    'etc_passwd'
    """
    cleaned = _SAFE_NAME.sub("_", str(name or "")).strip("_-")[:_MAX_NAME_CHARS]
    return cleaned or default


@dataclass(frozen=True)
class FieldAccuracy:
    """Audit result of one field: majority-vote correct clips out of ``n`` audited clips, with a Wilson 95 % CI."""

    field: str
    correct: int
    n: int
    unsure: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else float("nan")

    @property
    def ci(self) -> tuple[float, float]:
        return wilson_interval(self.correct, self.n)

    def to_row(self) -> dict[str, Any]:
        lo, hi = self.ci
        return {
            "Domain": FIELD_DOMAINS.get(self.field, "Transcription"),
            "Field": FIELD_LABELS.get(self.field, self.field),
            "Correct": self.correct,
            "Unsure": self.unsure,
            "N": self.n,
            "Accuracy (%)": round(100 * self.accuracy, 2) if self.n else None,
            "95% CI": f"[{100 * lo:.2f}, {100 * hi:.2f}]" if self.n else "",
        }


class AuditStore:
    """Append-only JSONL store of audit judgements, one file per annotator, confined to ``audit_dir``.

    Args:
        audit_dir (`str` or `os.PathLike`): the only folder this store writes to (created when missing).
        fields (`tuple[str, ...]`, *optional*, defaults to `AUDIT_FIELDS`): the fields that are audited.

    Example:

    >>> import tempfile
    >>> store = AuditStore(tempfile.mkdtemp())
    >>> path = store.save("clip-1", {"age": ("Adult", "Correct")}, annotator="ann 1")
    >>> path.name
    'ann_1.jsonl'
    >>> store.summary()[0].correct, store.summary()[0].n
    (1, 1)
    """

    def __init__(self, audit_dir, fields: tuple[str, ...] = AUDIT_FIELDS):
        self.audit_dir = Path(audit_dir).resolve()
        self.fields = tuple(fields)

    def path_for(self, annotator: str | None) -> Path:
        """The JSONL file of ``annotator`` (sanitized); always a direct child of ``audit_dir``."""
        path = (self.audit_dir / f"{sanitize_name(annotator)}.jsonl").resolve()
        if path.parent != self.audit_dir:  # defence in depth: sanitize_name already removes separators
            raise ValueError(f"`annotator` {annotator!r} resolves outside the audit folder {self.audit_dir}.")
        return path

    def save(
        self,
        clip_id: str,
        judgements: Mapping[str, tuple[Any, str | None]],
        *,
        annotator: str | None = None,
        clip_name: str | None = None,
        source: str | None = None,
    ) -> Path:
        """Append one clip's judgements; ``judgements`` maps field -> ``(shown value, "Correct"|"Incorrect"|"Unsure")``.

        Fields left unjudged (``None``) are not written. Returns the file written to.
        """
        fields: dict[str, dict[str, Any]] = {}
        for field, (value, judgement) in judgements.items():
            if field not in self.fields:
                raise ValueError(f"`judgements` has unknown field {field!r}; audited fields are {list(self.fields)}.")
            if judgement is None:
                continue
            if judgement not in JUDGEMENTS:
                raise ValueError(f"judgement for `{field}` must be one of {list(JUDGEMENTS)}; got {judgement!r}.")
            fields[field] = {"value": value, "judgement": judgement}
        if not fields:
            raise ValueError("`judgements` is empty: mark at least one field Correct, Incorrect or Unsure.")
        annotator_name = sanitize_name(annotator)
        row = {
            "clip_id": sanitize_name(clip_id, default="clip"),
            "clip_name": sanitize_name(clip_name, default="clip") if clip_name else None,
            "annotator": annotator_name,
            "source": source,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "fields": fields,
        }
        path = self.path_for(annotator_name)
        self.audit_dir.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        logger.info("Saved audit of %s by %s to %s", row["clip_id"], annotator_name, path)
        return path

    def rows(self) -> list[dict[str, Any]]:
        """Every saved judgement row (unreadable lines are logged and skipped, never fatal)."""
        if not self.audit_dir.is_dir():
            return []
        rows = []
        for path in sorted(self.audit_dir.glob("*.jsonl")):
            for line_number, obj, error in iter_jsonl(path):
                if error is not None or not isinstance(obj.get("fields"), dict):
                    logger.warning("Skipping %s line %d: %s", path.name, line_number, error or "no `fields` object")
                    continue
                rows.append(obj)
        return rows

    def summary(self) -> list[FieldAccuracy]:
        """Per-field accuracy over all clips (see `summarize`)."""
        return summarize(self.rows(), self.fields)


def summarize(rows: Iterable[Mapping[str, Any]], fields: tuple[str, ...] = AUDIT_FIELDS) -> list[FieldAccuracy]:
    """Majority-vote accuracy per field: an annotator's latest judgement of a clip wins; a clip's field is correct
    when more than half of its annotators marked it Correct; Unsure counts against (it is not a confirmation)."""
    # (field, clip) -> annotator -> judgement; later rows overwrite earlier ones.
    votes: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        for field, item in row.get("fields", {}).items():
            judgement = item.get("judgement") if isinstance(item, Mapping) else None
            if field in fields and judgement in JUDGEMENTS:
                votes.setdefault((field, str(row.get("clip_id"))), {})[str(row.get("annotator"))] = judgement
    results = []
    for field in fields:
        correct = n = unsure = 0
        for (vote_field, _clip), by_annotator in votes.items():
            if vote_field != field:
                continue
            n += 1
            n_correct = sum(j == "Correct" for j in by_annotator.values())
            correct += n_correct * 2 > len(by_annotator)
            unsure += sum(j == "Unsure" for j in by_annotator.values()) * 2 > len(by_annotator)
        results.append(FieldAccuracy(field=field, correct=correct, n=n, unsure=unsure))
    return results
