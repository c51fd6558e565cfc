"""Champion/challenger blessing: does a candidate run deserve to replace the champion?

Concept (ADR 0006): a blessing compares the evidence of two finished runs --
after-costs performance against the champion and trivial baselines, slices,
training-serving skew, input drift, model staleness -- and writes its verdict
into the candidate's run directory. It reads runs and the report's numbers;
it never changes how a run trades.
"""

from aurora_e2d.blessing.bless import CHECKS, bless_runs
from aurora_e2d.blessing.evidence import RunEvidence, load_run
from aurora_e2d.blessing.verdict import BLESSING_FILE, Blessing, CheckResult

__all__ = ["BLESSING_FILE", "CHECKS", "Blessing", "CheckResult", "RunEvidence", "bless_runs", "load_run"]
