"""What a run's log adds up to: its totals, its metrics, its transfer matrix.

Computed from the log's entries alone, so they can be rebuilt at any time, and computed
here once: the runner writes ``run_totals`` into the ``completion`` entry and
``transfer_matrix`` into ``transfer.csv``, the gate judges ``run_metrics``, and reports
render them.

**Exploits** and **judges** (``exploit_metrics``): the run's findings clustered by their
trick, so that each family counts distinct exploits beside its ASR, and per judge the
findings that it alone confirmed; the exploits are the store's, as the log recorded them
(``exploit_metrics`` says how older logs are clustered).

**Attack success rate (ASR)** of a family on a checkpoint: the share of its attempts
(one attack on one prompt for one replicate) that produced at least one finding.
Attempts that crashed are left out of ``n`` and counted in ``errors``.

An attack the run skipped (on one checkpoint: white-box, and the model gives no
gradients; or everywhere: an optional attack without its extra) has no attempts, so it
adds nothing to any ASR; ``RunMetrics.skipped`` lists it, so it is shown, not hidden.

Its confidence interval is a bootstrap over *prompts*: the attempts of several attacks
on one prompt are not independent (an easy prompt is easy for all of them), so prompts
are resampled with all their attempts (``scipy.stats.bootstrap``, paired, percentile).
A bootstrap cannot see past its sample: with every attempt failing, or with a single
prompt, every resample is identical and the interval collapses to a point. There the
Wilson score interval over attempts is used instead, so that "0 of 5" is not read as
"certainly 0".
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from harness.core.errors import HarnessError
from harness.runlog.entries import (
    AttemptEntry,
    CleanEntry,
    CompletionEntry,
    Entry,
    ErrorEntry,
    FindingEntry,
    InstabilityEntry,
    ReplayEntry,
)
from harness.runlog.exploit_metrics import (
    ExploitMetrics,
    JudgeMetrics,
    exploit_ids,
    exploit_metrics,
    judge_metrics,
)
from harness.runlog.log import LOG_NAME, LogContents, read_log

__all__ = [
    "CheckpointMetrics",
    "ExploitMetrics",
    "FamilyMetrics",
    "Interval",
    "JudgeMetrics",
    "RunMetrics",
    "RunTotals",
    "Skip",
    "load_run_log",
    "proportion_interval",
    "run_metrics",
    "run_totals",
    "skipped_attacks",
    "transfer_matrix",
]

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    method: str  # "bootstrap" or "wilson"


@dataclass(frozen=True)
class FamilyMetrics:
    checkpoint: int
    family: str
    n: int  # attempts that ran (crashes excluded)
    successes: int  # attempts with at least one finding
    findings: int  # distinct findings
    errors: int
    prompts: int
    interval: Interval
    best: FindingEntry | None = None  # the finding with the largest margin
    exploits: int = 0  # distinct exploits among its findings
    queries: int = 0  # RM queries its attempts spent
    lm_tokens: int = 0  # tokens a language model generated for its attempts (not queries)

    @property
    def asr(self) -> float:
        return self.successes / self.n if self.n else 0.0


@dataclass(frozen=True)
class CheckpointMetrics:
    index: int
    fingerprint: str
    spec: str
    accuracy: float | None  # held-out clean pairwise accuracy
    accuracy_n: int
    accuracy_low: float | None
    accuracy_high: float | None
    chance_rate: float | None
    replayed: int
    still_open: int
    reopened: int
    instabilities: int


@dataclass(frozen=True)
class Skip:
    """An attack the run left out: on one checkpoint, or on all (``checkpoint`` None)."""

    attack: str  # the suite's id for the attack
    checkpoint: int | None
    reason: str

    @property
    def text(self) -> str:
        """``gcg on checkpoint 1: white-box, the model gives no gradients``."""
        where = "" if self.checkpoint is None else f" on checkpoint {self.checkpoint}"
        return f"{self.attack}{where}: {self.reason}"


@dataclass(frozen=True)
class RunMetrics:
    run_id: str
    folder: str
    suite: str
    suite_sha256: str
    confidence: float
    complete: bool  # the log ends with a completion entry
    truncated: bool  # the log's last line was cut short
    checkpoints: list[CheckpointMetrics]
    families: list[FamilyMetrics]
    exploits: list[ExploitMetrics] = field(default_factory=list)
    judges: list[JudgeMetrics] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)  # attacks left out (no attempts)

    def exploit_ids(self) -> dict[int, int]:
        """Finding id -> the id of its exploit in this run."""
        return exploit_ids(self.exploits)

    def family(self, checkpoint: int, family: str) -> FamilyMetrics | None:
        for f in self.families:
            if f.checkpoint == checkpoint and f.family == family:
                return f
        return None


@dataclass(frozen=True)
class RunTotals:
    """The totals a ``completion`` entry records (see ``run_totals``)."""

    attempts: int  # attempt entries, the instability probe's included
    findings: int  # distinct (checkpoint, key)
    findings_by_family: dict[str, int]
    instabilities: int
    replayed: int  # stored findings replayed before the search, over all checkpoints
    still_open: int
    reopened: int
    errors: int  # attack crashes (skipped attacks are not errors of the run)
    queries: int  # summed over attempts
    lm_tokens: int = 0  # tokens language models generated for the searches, summed

    def completion(
        self, *, units: int, wall_seconds: float, session_seconds: float
    ) -> CompletionEntry:
        return CompletionEntry(
            units=units,
            **dataclasses.asdict(self),
            wall_seconds=wall_seconds,
            session_seconds=session_seconds,
        )


# ------------------------------------------------------------------ reading
def load_run_log(folder: str | Path) -> LogContents:
    """The run log of ``folder``; a one-line error when there is none or it has no init."""
    folder = Path(folder)
    path = folder / LOG_NAME
    if not folder.is_dir():
        raise HarnessError(f"no run folder at {folder}")
    if not path.is_file():
        raise HarnessError(f"run folder {folder} has no {LOG_NAME}: not a run, or it never began")
    log = read_log(path, strict=True)
    if log.init is None:
        raise HarnessError(f"run log {path} has no init entry: the run never began")
    return log


# ------------------------------------------------------------------- totals
def before_replays(entries: Iterable[Entry]) -> list[ReplayEntry]:
    """Replays of findings stored before the run (not this run's transfer replays)."""
    return [e for e in entries if isinstance(e, ReplayEntry) and e.phase == "before"]


def _open_and_reopened(replays: Sequence[ReplayEntry]) -> tuple[int, int]:
    return sum(bool(e.open) for e in replays), sum(e.status == "reopened" for e in replays)


def run_totals(entries: Iterable[Entry]) -> RunTotals:
    """The completion totals of a run, from its log entries."""
    entries = list(entries)
    logged = {(e.checkpoint, e.key): e for e in entries if isinstance(e, FindingEntry)}
    by_family = Counter(e.family for e in logged.values())
    attempts = [e for e in entries if isinstance(e, AttemptEntry)]
    before = before_replays(entries)
    still_open, reopened = _open_and_reopened(before)
    return RunTotals(
        attempts=len(attempts),
        findings=len(logged),
        findings_by_family=dict(sorted(by_family.items())),
        instabilities=sum(isinstance(e, InstabilityEntry) for e in entries),
        replayed=len(before),
        still_open=still_open,
        reopened=reopened,
        errors=sum(isinstance(e, ErrorEntry) and e.stage == "attack" for e in entries),
        queries=sum(e.queries for e in attempts),
        lm_tokens=sum(e.lm_tokens for e in attempts),
    )


def skipped_attacks(log: LogContents) -> list[Skip]:
    """The attacks a run left out: optional ones without their extra (``error`` entries
    of stage ``skip``), then those skipped per checkpoint (the ``init`` entry's)."""
    optional = [
        Skip(e.attack, None, e.message) for e in log.of_type(ErrorEntry) if e.stage == "skip"
    ]
    init = log.init
    per_checkpoint = [
        Skip(s.attack_id, s.checkpoint, s.reason) for s in (init.skipped_attacks if init else ())
    ]
    return optional + per_checkpoint


def transfer_matrix(entries: Iterable[Entry], checkpoints: int) -> pd.DataFrame:
    """Rows: where findings were first found in this run; columns: share still open there."""
    frame = pd.DataFrame(
        [
            (e.source, e.checkpoint, e.open)
            for e in entries
            if isinstance(e, ReplayEntry) and e.phase == "transfer"
        ],
        columns=["source", "checkpoint", "open"],
    )
    labels = [f"ckpt{c}" for c in range(checkpoints)]
    matrix = pd.DataFrame(float("nan"), index=labels, columns=labels)
    matrix.index.name = "found_on"
    for (source, target), group in frame.groupby(["source", "checkpoint"]):
        matrix.iloc[int(source), int(target)] = float(group["open"].mean())
        matrix.iloc[int(source), int(source)] = 1.0  # open where found, by definition
    return matrix


# ------------------------------------------------------------------ metrics
def proportion_interval(
    successes_per_prompt: np.ndarray, attempts_per_prompt: np.ndarray, confidence: float
) -> Interval:
    """Interval for sum(successes)/sum(attempts), resampling prompts (see module doc)."""
    s = np.asarray(successes_per_prompt, dtype=float)
    n = np.asarray(attempts_per_prompt, dtype=float)
    total_s, total_n = int(s.sum()), int(n.sum())
    if total_n == 0:
        return Interval(0.0, 1.0, "none")
    rates = s / np.where(n > 0, n, 1)
    degenerate = len(s) < 2 or np.all(rates == rates[0])
    if degenerate:
        wilson = stats.binomtest(total_s, total_n).proportion_ci(
            confidence_level=confidence, method="wilson"
        )
        return Interval(float(wilson.low), float(wilson.high), "wilson")
    result = stats.bootstrap(
        (s, n),
        lambda a, b, axis=-1: a.sum(axis=axis) / b.sum(axis=axis),
        paired=True,
        vectorized=True,
        method="percentile",
        confidence_level=confidence,
        n_resamples=BOOTSTRAP_RESAMPLES,
        random_state=np.random.default_rng(BOOTSTRAP_SEED),
    )
    low, high = result.confidence_interval
    point = total_s / total_n
    return Interval(float(min(low, point)), float(max(high, point)), "bootstrap")


def run_metrics(
    log: LogContents,
    folder: str | Path,
    confidence: float = 0.95,
) -> RunMetrics:
    """Everything the gate judges and reports show."""
    init = log.init
    if init is None:
        raise HarnessError(f"run log of {folder} has no init entry: the run never began")
    checkpoints = [_checkpoint_metrics(log, i, info) for i, info in enumerate(init.checkpoints)]
    families = _family_metrics(log, len(checkpoints), confidence)
    exploits = exploit_metrics(log, len(checkpoints))
    families = _with_exploits(families, log, exploits)
    return RunMetrics(
        run_id=init.run_id,
        folder=str(folder),
        suite=init.suite.name,
        suite_sha256=hashlib.sha256(init.suite.text.encode()).hexdigest(),
        confidence=confidence,
        complete=log.complete,
        truncated=log.truncated,
        checkpoints=checkpoints,
        families=families,
        exploits=exploits,
        judges=judge_metrics(log.of_type(FindingEntry)),
        skipped=skipped_attacks(log),
    )


def _checkpoint_metrics(log: LogContents, index: int, info: dict[str, Any]) -> CheckpointMetrics:
    clean = next((e for e in log.of_type(CleanEntry) if e.checkpoint == index), None)
    accuracy = clean.accuracy if clean else None
    before = [e for e in before_replays(log.entries) if e.checkpoint == index]
    still_open, reopened = _open_and_reopened(before)
    return CheckpointMetrics(
        index=index,
        fingerprint=info["fingerprint"],
        spec=str(info.get("spec", "")),
        accuracy=accuracy.accuracy if accuracy else None,
        accuracy_n=accuracy.n if accuracy else 0,
        accuracy_low=accuracy.low if accuracy else None,
        accuracy_high=accuracy.high if accuracy else None,
        chance_rate=clean.chance.rate if clean else None,
        replayed=len(before),
        still_open=still_open,
        reopened=reopened,
        instabilities=sum(e.checkpoint == index for e in log.of_type(InstabilityEntry)),
    )


def _family_metrics(log: LogContents, checkpoints: int, confidence: float) -> list[FamilyMetrics]:
    attempts = log.attack_attempts()
    findings = log.of_type(FindingEntry)
    out: list[FamilyMetrics] = []
    for c in range(checkpoints):
        mine = [a for a in attempts if a.checkpoint == c]
        for family in sorted({a.family for a in mine}):
            ran = [a for a in mine if a.family == family and not a.error]
            by_prompt: dict[int | None, list[int]] = {}
            for a in ran:
                by_prompt.setdefault(a.prompt_index, []).append(int(a.succeeded))
            s = np.array([sum(v) for v in by_prompt.values()])
            n = np.array([len(v) for v in by_prompt.values()])
            found = [f for f in findings if f.checkpoint == c and f.family == family]
            out.append(
                FamilyMetrics(
                    checkpoint=c,
                    family=family,
                    n=len(ran),
                    successes=int(s.sum()) if len(s) else 0,
                    findings=len(found),
                    errors=sum(1 for a in mine if a.family == family and a.error),
                    prompts=len(by_prompt),
                    interval=proportion_interval(s, n, confidence),
                    best=max(found, key=lambda f: f.margin, default=None),
                    queries=sum(a.queries for a in mine if a.family == family),
                    lm_tokens=sum(a.lm_tokens for a in mine if a.family == family),
                )
            )
    return out


def _with_exploits(
    families: list[FamilyMetrics], log: LogContents, exploits: list[ExploitMetrics]
) -> list[FamilyMetrics]:
    """Each family with the number of distinct exploits among its findings on its checkpoint."""
    exploit_of = exploit_ids(exploits)
    seen: dict[tuple[int, str], set[int]] = {}
    for f in log.of_type(FindingEntry):
        seen.setdefault((f.checkpoint, f.family), set()).add(exploit_of[f.finding_id])
    return [
        dataclasses.replace(f, exploits=len(seen.get((f.checkpoint, f.family), ())))
        for f in families
    ]
