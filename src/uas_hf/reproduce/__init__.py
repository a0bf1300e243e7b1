"""uas_hf.reproduce: issue 8's ablation at micro scale — does UAS supervision buy perception?

Stages (see docs/reproduce.md): a held-out micro-benchmark in MMSU format from the corpus's construction truth
(`benchmark`), one shared pretrained-then-frozen audio encoder (`encoder`), five supervision arms trained from a shared
projector-adaptation checkpoint (`arms`), option-likelihood scoring with clip-bootstrap intervals (`scoring`), and the
report in `docs/results/` (`report`). `run_reproduce` chains them, resumably (`uas-hf reproduce`).

>>> from uas_hf.reproduce import ReproduceConfig, run_reproduce
>>> run_reproduce(ReproduceConfig(out="runs/reproduce", seeds=[0, 1, 2]))  # doctest: +SKIP
"""

from .benchmark import QUESTION_TYPES, benchmark_counts, build_micro_benchmark
from .runner import ReproduceConfig, run_reproduce
from .scoring import bootstrap_ci, predict_by_likelihood


__all__ = [
    "QUESTION_TYPES",
    "ReproduceConfig",
    "benchmark_counts",
    "bootstrap_ci",
    "build_micro_benchmark",
    "predict_by_likelihood",
    "run_reproduce",
]
