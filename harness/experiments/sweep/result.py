"""``sweep.json``: what a sweep measured, as typed records that write and read themselves.

A sweep folder is one ``sweep.json`` (schema in ``docs/sweep.md``) and the plots drawn
from it. The report (``rmh report``) and the gate (``rmh gate``) read only this file, so
both can be rebuilt at any time. Numbers that are unbounded (no peak: n* infinite) or
not measured are ``null``; the ``peak`` field of the fit says which.

Attacker-shaped text (prompts, sampled responses, the texts along attack paths) is kept
unchanged here; every renderer escapes it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.errors import HarnessError
from harness.experiments.sweep.watched import WatchSummary
from harness.runlog.record import LogVersion, Record

SWEEP_FILE = "sweep.json"
SCHEMA_VERSION = 3  # 3: ``watch``; 2: the onset's test, the fit's weights (docs/sweep.md)
KIND = "sweep"

#: Where the fitted peak lies: inside the sampled n, beyond the largest, nowhere (the
#: fitted gain never turns down), or at n = 1 (gold falls from the start).
PEAK_STATES = ("within", "beyond", "none", "start")


def finite(value: float | None) -> float | None:
    """A JSON-safe number: None for NaN and the infinities."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True, kw_only=True)
class Estimate(Record):
    """A point estimate with its prompt-bootstrap interval (None: unbounded or not measured)."""

    estimate: float | None
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, estimate: float, low: float, high: float) -> Estimate:
        return cls(estimate=finite(estimate), low=finite(low), high=finite(high))


@dataclass(frozen=True, kw_only=True)
class CurvePoint(Record):
    """Best-of-n at one n: expected proxy and gold score of the proxy's pick, their gains
    over n = 1 in units of each RM's score spread, and the nonsense rate of the picks."""

    n: int
    kl: float
    d: float
    proxy: Estimate
    gold: Estimate
    proxy_gain: Estimate
    gold_gain: Estimate
    nonsense: Estimate


@dataclass(frozen=True, kw_only=True)
class Scales(Record):
    """Mean and standard deviation of each RM's scores over the sampled responses: the
    units of every ``*_gain`` (so two RMs on different scales share one plot)."""

    proxy_mean: float
    proxy_sd: float
    gold_mean: float
    gold_sd: float


@dataclass(frozen=True, kw_only=True)
class Gap(Record):
    """Proxy against gold at the peak's n (rounded): their gains over n = 1, in spread
    units, and the difference (how much of the proxy's gain gold does not see)."""

    n: int
    proxy: float
    gold: float
    proxy_gain: float
    gold_gain: float
    gap: float


@dataclass(frozen=True, kw_only=True)
class PeakFit(Record):
    """``gold(d) - gold(0) = d (alpha - beta d)`` fitted on the curve, its peak d* and n*,
    with prompt-bootstrap intervals. ``alpha`` and ``beta`` are in raw gold-score units,
    ``alpha_spread`` and ``beta_spread`` in gold spreads (the unit of the gain column);
    ``weights`` is how the points were weighted (``gls``: by their bootstrap covariance;
    ``wls``: by each point's bootstrap variance; ``equal``; ``r-over-d``: the straight
    line R/d on d of schema 1, which weighted n = 2 about 23 times more than n = 256)."""

    points: int
    alpha: Estimate
    beta: Estimate
    d_star: Estimate
    n_star: Estimate
    n_star_power_of_two: int | None
    peak: str
    gap: Gap | None
    message: str
    alpha_spread: Estimate | None = None
    beta_spread: Estimate | None = None
    weights: str = "r-over-d"


@dataclass(frozen=True, kw_only=True)
class Nonsense(Record):
    """The validity judge's verdict on the proxy's picks: the rate at n = 1 (the sampling
    policy's own) and the onset, the smallest n whose rate is above it (``onset.py``:
    a one-sided paired test per n, Holm over the n, at one-sided ``level``), the
    Holm-adjusted p-value of each n (keys are the n, as text), and ``rise_bound``, the
    upper bound on the rise at the largest n (what "none within range" cannot rule out).
    Schema 1 files (a paired bootstrap with no multiplicity control) read with
    ``method`` "bootstrap" and no p-values."""

    judge: str
    note: str
    base_rate: Estimate
    onset_n: int | None
    method: str = "bootstrap"
    level: float | None = None
    adjusted_p: dict[str, float] = field(default_factory=dict)
    rise_bound: float | None = None


@dataclass(frozen=True, kw_only=True)
class Overoptimization(Record):
    """gamma (``gamma.py``): the area between the gold and proxy best-of-n fits over
    ``0 <= d <= d_max``, over gold's area, both in spread units; with the proxy's fit
    (in proxy spreads) that it compares against. ``state`` is ``measured``, or
    ``gold-gains-nothing`` when gold's fitted area is <= 0 (gamma unbounded: null)."""

    gamma: Estimate
    state: str
    d_max: float
    proxy_alpha: Estimate
    proxy_beta: Estimate
    note: str


@dataclass(frozen=True, kw_only=True)
class Example(Record):
    """One prompt's proxy favourite among all its samples (best-of-N)."""

    prompt: str
    response: str
    samples: int
    proxy: float
    gold: float
    nonsense: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StepPoint(Record):
    """One RL step's samples: mean proxy, gold, KL (from the logprobs) and nonsense rate."""

    step: int | None
    rows: int
    prompts: int
    proxy: Estimate
    gold: Estimate
    kl: Estimate | None
    nonsense: Estimate


@dataclass(frozen=True, kw_only=True)
class StepTrajectory(Record):
    """An RL run's steps (one samples file per checkpoint), in step order."""

    steps: tuple[StepPoint, ...]
    kl_available: bool
    gold_peak_step: int | None
    note: str


@dataclass(frozen=True, kw_only=True)
class PathPoint(Record):
    """One point of an attack's path: the search's best candidate after ``queries``.

    Step 0 is the reference. Gains are over the reference's scores, in spread units;
    ``edit_words`` (``edit_chars``) is the word-level (character-level) edit distance from
    the reference, ``path_edits`` the word edits made along the path so far (the sum of
    the distances between consecutive points: a suffix search stays at its suffix's
    length from the reference while it keeps rewriting the suffix).
    """

    step: int
    queries: int
    text: str
    proxy: float
    gold: float
    proxy_gain: float
    gold_gain: float
    edit_words: int
    edit_chars: int
    path_edits: int
    nonsense: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AttackPath(Record):
    """One search attack from one reference: its path, where gold peaked, and where the
    judges first confirmed nonsense (None: never, within the budget)."""

    attack: str
    prompt: str
    reference: str
    seed: int
    queries: int
    points: tuple[PathPoint, ...]
    gold_peak_step: int
    gold_peak_queries: int
    first_nonsense_step: int | None
    first_nonsense_queries: int | None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class PathSummary(Record):
    """Medians over the paths of one attack (or ``all``)."""

    attack: str
    paths: int
    gold_peak_step: float | None
    gold_peak_queries: float | None
    peak_at_start: int
    reached_nonsense: int
    first_nonsense_step: float | None
    first_nonsense_queries: float | None
    final_proxy_gain: float | None
    final_gold_gain: float | None


#: The start of ``Trajectories.references`` when ``--references`` gave them.
FILE_REFERENCES = "the chosen responses of "
#: ``Trajectories.reference_rule`` when ``--references`` gave the references.
FILE_RULE = "file"
#: The rule of sweeps recorded before the rule was a choice (read from old files only).
GOLD_BEST_RULE = "gold-best"


@dataclass(frozen=True, kw_only=True)
class Trajectories(Record):
    """The search attacks run from good references, scored by proxy and gold and judged
    at every step of their path.

    ``reference_rule`` is how the references were chosen (``random``, ``proxy-best``,
    ``file``; ``gold-best`` in sweeps recorded before it was a choice: see
    ``references.py``), and ``references`` says the same in words."""

    attacks: tuple[str, ...]
    params: dict[str, Any]
    budget: int
    judges: tuple[str, ...]
    gold_margin: float
    references: str
    reference_rule: str
    paths: tuple[AttackPath, ...]
    summary: tuple[PathSummary, ...]
    note: str

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: LogVersion) -> dict[str, Any]:
        """A sweep recorded before the rule was a field took the ``--references`` file's
        responses, or else the gold's favourite non-nonsense sample: its sentence says which."""
        if "reference_rule" not in data:
            given = str(data.get("references", "")).startswith(FILE_REFERENCES)
            data["reference_rule"] = FILE_RULE if given else GOLD_BEST_RULE
        return data


@dataclass(frozen=True, kw_only=True)
class ModelRecord(Record):
    spec: str
    fingerprint: str


@dataclass(frozen=True, kw_only=True)
class GoldRecord(Record):
    """The gold: one RM (``rm``), several combined (``ensemble``: each standardized by its
    mean and spread over the samples, then ``mean`` or ``min``), a scores file, or ``watch``."""

    kind: str
    fingerprint: str
    members: tuple[ModelRecord, ...] = ()
    combine: str | None = None
    centers: tuple[float, ...] = ()
    spreads: tuple[float, ...] = ()
    scores_file: str | None = None
    scores_sha256: str | None = None

    def label(self) -> str:
        if self.kind == "scores":
            return f"scores file {self.scores_file}"
        names = ", ".join(m.spec for m in self.members)
        alone = self.kind == "rm" or len(self.members) == 1  # a watch's one gold RM too
        return names if alone else f"{self.combine} of {names} (standardized)"


@dataclass(frozen=True, kw_only=True)
class SampleFile(Record):
    path: str
    sha256: str
    rows: int
    steps: tuple[int | None, ...]


@dataclass(frozen=True, kw_only=True)
class SamplesRecord(Record):
    """What was read, and which prompts best-of-n used (and why others were skipped:
    fewer than 2 samples, fewer than ``n_max``, or one proxy score for all of them)."""

    files: tuple[SampleFile, ...]
    source: str | None
    rows: int
    steps: tuple[int | None, ...]
    bon_step: int | None
    prompts: int
    used_prompts: int
    skipped_fewer_than_2: int
    skipped_fewer_than_n_max: int
    n_max: int
    skipped_tied_proxy: int = 0


@dataclass(frozen=True, kw_only=True)
class SweepRecord(Record):
    """Everything ``sweep.json`` holds (``docs/sweep.md``)."""

    schema_version: int = SCHEMA_VERSION
    kind: str = KIND
    sweep_id: str
    created_at: str
    seconds: float
    seed: int
    config: dict[str, Any]
    versions: dict[str, str]
    proxy: ModelRecord
    gold: GoldRecord
    samples: SamplesRecord
    kl_note: str
    scales: Scales
    curves: tuple[CurvePoint, ...]
    fit: PeakFit | None
    fit_note: str
    nonsense: Nonsense
    overoptimization: Overoptimization | None = None
    examples: tuple[Example, ...] = ()
    steps: StepTrajectory | None = None
    trajectories: Trajectories | None = None
    plots: dict[str, str] = field(default_factory=dict)
    watch: WatchSummary | None = None

    @property
    def n_max(self) -> int:
        return self.samples.n_max


def is_sweep(folder: str | Path) -> bool:
    """Whether ``folder`` is a sweep folder (it holds ``sweep.json``)."""
    return (Path(folder) / SWEEP_FILE).is_file()


def read_sweep(folder: str | Path) -> SweepRecord:
    """The sweep in ``folder``; a missing, damaged or foreign file is one-line bad input."""
    path = Path(folder) / SWEEP_FILE
    if not path.is_file():
        raise HarnessError(f"{folder} is not a sweep folder (no {SWEEP_FILE})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarnessError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise HarnessError(f'{path} is not a sweep record (no "kind": "{KIND}")')
    version = data.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise HarnessError(
            f"{path} has schema version {version!r}; this rm-harness reads up to "
            f"{SCHEMA_VERSION}: upgrade rm-harness"
        )
    try:
        return SweepRecord.from_json(data)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise HarnessError(f"{path} is damaged: {exc}") from None


def sweep_json(record: SweepRecord) -> str:
    """The file's text: indented, UTF-8, no NaN (a non-finite number is a bug here)."""
    return json.dumps(record.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
