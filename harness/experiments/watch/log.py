"""The watch log, ``watch.jsonl``: what a watcher saw and decided, one typed entry a line.

Written and read with the run log's machinery (``harness.runlog.log``: a line is written
whole, flushed and fsync'd; a cut last line is tolerated on reading). Every field is
documented in ``docs/watch.md``. The folder a watcher writes::

    WATCH/watch.jsonl                  this log
    WATCH/samples/step-000040.jsonl    the rows an evaluation scored (prompt, response,
                                       step, proxy, gold, bad, reasons; policy_logprob and
                                       ref_logprob when given): an RL run's samples files,
                                       as ``rmh sweep --samples`` reads them

A samples file is written (atomically) before its ``evaluation`` entry, so the log never
names a file that is not there. ``rmh sweep --watch WATCH`` turns the folder into a sweep
(RL steps from the recorded scores, the stop decision), and ``rmh report`` renders that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from harness.experiments.watch.rule import Decision
from harness.runlog.entries import Entry
from harness.runlog.log import LogFormat, read_log
from harness.runlog.record import LogVersion, Record

LOG_NAME = "watch.jsonl"
SAMPLES_DIR = "samples"
#: 1.1: decisions name ``best_clean_step``; evaluation and stop entries the checkpoints
#: saved for it (``best_clean_checkpoint``) and for the best step, and ``gold_scale``.
LOG_VERSION = "1.1"


@dataclass(frozen=True, kw_only=True)
class GoldMember(Record):
    """A gold RM the watcher scores with: how it was named and its fingerprint."""

    spec: str
    fingerprint: str


@dataclass(frozen=True, kw_only=True)
class GoldScaleRecord(Record):
    """Several golds: the center and spread of each (fixed at the first evaluation)."""

    centers: tuple[float, ...]
    spreads: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class InitEntry(Entry):
    """First line: what is watched and how (the rule's parameters included)."""

    type: ClassVar[str] = "init"
    watch_id: str
    log_version: str = LOG_VERSION
    config: dict[str, Any]  # WatchConfig, the rule nested
    gold: tuple[GoldMember, ...]
    gold_combine: str = "mean"
    judges: tuple[str, ...] = ()
    references: int = 0  # prompts with a reference response (for reference-relative judges)
    trainer: dict[str, Any] = field(default_factory=dict)  # what drives the run, if known
    versions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class EvaluationEntry(Entry):
    """One evaluation: per sampled prompt (in ``prompts`` order) the means of its
    completions, and the decision taken on it. ``kl`` is None without logprobs."""

    type: ClassVar[str] = "evaluation"
    step: int
    samples_file: str  # relative to the watch folder
    rows: int
    prompts: tuple[str, ...]
    proxy: tuple[float, ...]
    gold: tuple[float, ...]
    bad: tuple[float, ...]
    kl: tuple[float, ...] | None = None
    first_bad: tuple[str, ...] = ()  # up to three judged-bad completions, as written
    seconds: float = 0.0
    decision: Decision
    best_checkpoint: str | None = None  # the checkpoint saved for the best step so far
    best_clean_checkpoint: str | None = None  # ... for the best step within the bad margin
    gold_scale: GoldScaleRecord | None = None  # several golds: how each is standardized


@dataclass(frozen=True, kw_only=True)
class FailureEntry(Entry):
    """An evaluation that failed (gold, a judge, or the KL): logged, never decided on."""

    type: ClassVar[str] = "failure"
    step: int
    error: str  # one line: the exception's type and message


@dataclass(frozen=True, kw_only=True)
class StopEntry(Entry):
    """The watcher asked the run to stop: the decision, and the checkpoint to keep."""

    type: ClassVar[str] = "stop"
    step: int
    decision: Decision
    best_checkpoint: str | None = None
    best_clean_checkpoint: str | None = None


ENTRY_TYPES: dict[str, type[Entry]] = {
    e.type: e for e in (InitEntry, EvaluationEntry, FailureEntry, StopEntry)
}
WATCH_LOG = LogFormat("watch log", ENTRY_TYPES, LogVersion.parse(LOG_VERSION))


def is_watch(folder: str | Path) -> bool:
    """Whether ``folder`` is a watch folder (it holds ``watch.jsonl``)."""
    return (Path(folder) / LOG_NAME).is_file()


def read_watch(folder: str | Path) -> Any:
    """The watch log's contents (``LogContents``); damage is a one-line error."""
    return read_log(Path(folder) / LOG_NAME, strict=True, format=WATCH_LOG)
