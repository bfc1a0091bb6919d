"""What every report format shows, gathered once: the run log, its metrics and the verdict.

``ReportContext`` holds raw values. Renderers (HTML, Markdown, JSON, JUnit) format and
escape them for their own medium; none recomputes a metric or a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.gate import GateResult
from harness.runlog import InitEntry, JudgesValidationEntry, LogContents
from reports import tables


@dataclass(frozen=True)
class ReportContext:
    folder: Path
    log: LogContents
    gate: GateResult
    policy_origin: str | None
    baseline_folder: Path | None

    @property
    def init(self) -> InitEntry:
        init = self.log.init
        if init is None:  # load_run_log refuses such a log; a hand-built context may not
            raise ValueError(f"the run log of {self.folder} has no init entry")
        return init

    @property
    def families(self) -> pd.DataFrame:
        return tables.family_table(self.gate.metrics, self.gate.verdict)

    @property
    def baseline_rows(self) -> pd.DataFrame | None:
        if self.gate.baseline is None:
            return None
        return tables.baseline_table(self.gate.metrics, self.gate.baseline, self.gate.verdict)

    @property
    def exploits(self) -> pd.DataFrame:
        return tables.exploit_table(self.gate.metrics, len(self.gate.metrics.checkpoints))

    @property
    def judges(self) -> pd.DataFrame:
        return tables.judge_table(self.gate.metrics)

    @property
    def judges_validation(self) -> JudgesValidationEntry | None:
        """The run's judges measured on labelled rows when it started (``[validation]``);
        None for a run that did not measure them (or a log before version 3.1)."""
        entries = self.log.of_type(JudgesValidationEntry)
        return entries[-1] if entries else None

    def top_findings(self, per_family: int = tables.TOP_FINDINGS_PER_FAMILY) -> pd.DataFrame:
        """The best findings per family and checkpoint, one per exploit."""
        return tables.top_findings(self.log, self.gate.metrics.exploit_ids(), per_family)

    def mean_asr(self, checkpoint: int) -> float | None:
        mine = [f.asr for f in self.gate.metrics.families if f.checkpoint == checkpoint]
        return sum(mine) / len(mine) if mine else None


def pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.{digits}%}"


def interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "n/a"
    return f"{low:.0%} to {high:.0%}"


def signed_pct(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:+.1%}"


def number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:+.{digits}f}"


def measured(value: float | None, digits: int = 2) -> str:
    """A judge's measure of a finding (its fluency), blank where none was taken: unlike a
    margin, a missing measure is not unknown but not asked for (no such judge ran)."""
    return "" if value is None or pd.isna(value) else f"{value:+.{digits}f}"


def states(row: Any, checkpoints: int) -> str:
    """An exploit's state per checkpoint (``open_0``, ... of ``tables.exploit_table``):
    "open", or "0: open, 1: closed" with several checkpoints; "n/a" where unknown."""
    values = [getattr(row, f"open_{c}") or "n/a" for c in range(checkpoints)]
    if checkpoints == 1:
        return values[0]
    return ", ".join(f"{c}: {v}" for c, v in enumerate(values))
