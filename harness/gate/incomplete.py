"""No verdict on a partial run: the refusal ``rmh report`` and ``rmh gate`` share.

A gate that passed a run because half of it never ran would be worse than no gate, so a
run whose log has no completion entry (killed, or cut short) is an error (exit 2) that
says how to finish it. ``rmh report`` writes what is complete first, then refuses.
"""

from __future__ import annotations

from harness.core.errors import HarnessError
from harness.runlog.metrics import RunMetrics


def refuse_incomplete(metrics: RunMetrics, consequence: str) -> None:
    """Raise unless ``metrics`` are of a whole run: ``consequence`` says what the refusal
    means for the verb ("no verdict on a partial run"), then the command that finishes it."""
    if metrics.complete and not metrics.truncated:
        return
    cut = " and ends in a cut line" if metrics.truncated else ""
    raise HarnessError(
        f"run {metrics.folder} is incomplete (its log.jsonl has no completion entry{cut}); "
        f"{consequence}; "
        f"finish it with: rmh run --resume {metrics.folder}"
    )
