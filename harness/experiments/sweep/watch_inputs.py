"""A watch folder as a sweep's inputs (``rmh sweep --watch WATCH``): no model is loaded.

A watcher (``harness.experiments.watch``) writes, per evaluation, the rows it scored
(``samples/step-N.jsonl``: prompt, response, step, the ``proxy`` reward the policy was
trained on, the ``gold`` score, the judges' ``bad`` verdict and its ``reasons``, and the
logprobs when given) and one ``evaluation`` entry in ``watch.jsonl`` naming that file. The
sweep reads those files in step order as an RL run's steps, with the recorded values per
row (``RecordedRows``: nothing is scored or judged again, so the sweep's numbers are the
watch's); the proxy and the gold are look-up tables of the same values (``ScoreTable``),
which can score no new text, so there are no trajectories. Best-of-n runs on the earliest
evaluated step (GRPO samples several completions per prompt). The watch's decisions go
into ``sweep.json`` as ``watch`` (``watched.WatchSummary``).

Bad input is one line: not a watch folder, a damaged log (read strictly), a watch without
evaluations, a samples file the log names that is missing, lies outside the folder, or
whose rows are not the entry's (count, step, recorded fields).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from harness.core.data import read_json_lines
from harness.core.errors import DataError, HarnessError
from harness.experiments.sweep.gold_scores import Gold, ScoreTable
from harness.experiments.sweep.pipeline import SweepInputs
from harness.experiments.sweep.result import GoldRecord, ModelRecord
from harness.experiments.sweep.samples import (
    RecordedRows,
    SampleSet,
    finite_number,
    read_samples,
)
from harness.experiments.sweep.watched import (
    WatchedStep,
    WatchSummary,
)
from harness.experiments.watch.log import (
    LOG_NAME,
    EvaluationEntry,
    FailureEntry,
    InitEntry,
    StopEntry,
    is_watch,
    read_watch,
)
from harness.experiments.watch.rule import Decision
from harness.scoring import Scorer

#: The proxy's name in sweep.json: the rewards the run was trained on, as recorded.
WATCH_PROXY = "watch-proxy"


def watch_inputs(folder: str | Path) -> SweepInputs:
    """The sweep's inputs from a watch folder (module doc); one-line errors."""
    folder = Path(folder)
    if not is_watch(folder):
        raise HarnessError(f"{folder} is not a watch folder (no {LOG_NAME})")
    contents = read_watch(folder)
    inits = contents.of_type(InitEntry)
    if not inits:
        raise HarnessError(f"{folder / LOG_NAME} has no init entry; it is not a watch log")
    init = inits[0]
    evaluations = sorted(contents.of_type(EvaluationEntry), key=lambda e: e.step)
    failures = contents.of_type(FailureEntry)
    if not evaluations:
        failed = f" ({len(failures)} failed)" if failures else ""
        raise HarnessError(f"the watch {folder} has no evaluations{failed}; nothing to sweep")
    paths = [_samples_path(folder, e) for e in evaluations]
    samples = read_samples(paths)
    for entry, read in zip(evaluations, samples.files, strict=True):
        if read.rows != entry.rows:
            raise HarnessError(
                f"{read.path} has {read.rows} rows, but the watch log's evaluation of step "
                f"{entry.step} recorded {entry.rows}; the watch folder is damaged"
            )
        if read.steps != (entry.step,):
            steps = ", ".join(str(s) for s in read.steps)
            raise HarnessError(
                f"{read.path} holds rows of step {steps}, but the watch log names it for step "
                f"{entry.step}; the watch folder is damaged"
            )
    recorded = _recorded(paths, init.judges)
    log = folder / LOG_NAME
    proxy = Scorer(_table(samples, recorded.proxy, log, WATCH_PROXY))
    gold_table = _table(samples, recorded.gold, log, "watch-gold")
    members = tuple(ModelRecord(spec=m.spec, fingerprint=m.fingerprint) for m in init.gold)
    gold = Gold(
        Scorer(gold_table),
        GoldRecord(
            kind="watch",
            fingerprint=gold_table.fingerprint,
            members=members,
            combine=init.gold_combine if len(members) > 1 else None,
            scores_file=str(folder),
        ),
        scores_new_text=False,
    )
    return SweepInputs(
        samples=samples,
        proxy=proxy,
        proxy_spec=f"{WATCH_PROXY}: the rewards recorded in {folder}",
        gold=gold,
        source=f"the watch {folder}",
        recorded=recorded,
        watch=watch_summary(folder, init, evaluations, failures, contents.of_type(StopEntry)),
    )


def _samples_path(folder: Path, entry: EvaluationEntry) -> Path:
    """The samples file an evaluation names: inside the watch folder, and there."""
    path = folder / entry.samples_file
    root = folder.resolve()
    if not path.resolve().is_relative_to(root):
        raise HarnessError(
            f"the watch log's evaluation of step {entry.step} names a samples file outside "
            f"the watch folder ({entry.samples_file}); the watch folder is damaged"
        )
    if not path.is_file():
        raise HarnessError(
            f"the watch log's evaluation of step {entry.step} names {path}, which is missing; "
            "the watch folder is damaged"
        )
    return path


def _recorded(paths: Sequence[Path], judges: Sequence[str]) -> RecordedRows:
    """Per row of every samples file, in order: the recorded proxy, gold, verdict, reasons."""
    proxy, gold, bad, reasons = [], [], [], []
    for path in paths:
        for line, row in read_json_lines(path):
            for name in ("proxy", "gold", "bad"):
                if name not in row:
                    raise DataError(
                        f"{path}:{line}: missing field {name!r}; a watch's samples row records "
                        "proxy, gold and bad"
                    )
            proxy.append(finite_number(path, line, row, "proxy", "recorded scores"))
            gold.append(finite_number(path, line, row, "gold", "recorded scores"))
            if not isinstance(row["bad"], bool):
                raise DataError(f"{path}:{line}: field 'bad' must be true or false")
            bad.append(row["bad"])
            why = row.get("reasons", [])
            if not isinstance(why, list) or not all(isinstance(r, str) for r in why):
                raise DataError(f"{path}:{line}: field 'reasons' must be a list of texts")
            reasons.append(tuple(why))
    names = ", ".join(judges) or "none"
    return RecordedRows(
        proxy=np.array(proxy, dtype=np.float64),
        gold=np.array(gold, dtype=np.float64),
        bad=np.array(bad, dtype=bool),
        reasons=tuple(reasons),
        judge=names,
        note=f"the watch's judges ({names}) as the watcher recorded them per completion: a "
        "completion is bad when any of them calls it bad"
        + (
            "; the heuristic judge reads absolute thresholds (no reference), so soups of real "
            "words pass it: a lower bound"
            if "heuristic" in judges
            else ""
        ),
    )


def _table(samples: SampleSet, values: np.ndarray, log: Path, kind: str) -> ScoreTable:
    """A look-up table of the recorded values (a text recorded twice keeps its first value:
    the sweep itself reads the values per row, ``RecordedRows``); fingerprinted by content."""
    rows = [[s.prompt, s.response, float(v)] for s, v in zip(samples.samples, values, strict=True)]
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()
    table: dict[tuple[str, str], float] = {}
    for prompt, response, value in rows:
        table.setdefault((prompt, response), value)
    return ScoreTable(table, log, digest, kind=kind)


def _watched(entry: EvaluationEntry) -> WatchedStep:
    d = entry.decision
    return WatchedStep(
        step=entry.step,
        prompts=len(entry.prompts),
        rows=entry.rows,
        stop=d.stop,
        reason=d.reason,
        best_step=d.best_step,
        best_gold=d.best_gold,
        peak=d.peak,
        nonsense=d.nonsense,
        message=d.message,
        best_clean_step=d.best_clean_step,
    )


def watch_summary(
    folder: Path,
    init: InitEntry,
    evaluations: Sequence[EvaluationEntry],
    failures: Sequence[FailureEntry],
    stops: Sequence[StopEntry],
) -> WatchSummary:
    """What the watch decided (``WatchSummary``), from its log's entries."""
    stop = stops[-1] if stops else None
    last: Decision = stop.decision if stop is not None else evaluations[-1].decision
    with_bad = next((e for e in evaluations if e.first_bad), None)
    return WatchSummary(
        folder=str(folder),
        watch_id=init.watch_id,
        judges=tuple(init.judges),
        config=dict(init.config),
        evaluations=tuple(_watched(e) for e in evaluations),
        failures=len(failures),
        failed_steps=tuple(sorted(f.step for f in failures)),
        stop_step=None if stop is None else stop.step,
        stop_reason=None if stop is None else stop.decision.reason,
        stop_message=None if stop is None else stop.decision.message,
        best_step=last.best_step,
        best_checkpoint=(stop.best_checkpoint if stop is not None else None)
        or evaluations[-1].best_checkpoint,
        bad_examples_step=None if with_bad is None else with_bad.step,
        bad_examples=() if with_bad is None else tuple(with_bad.first_bad[:3]),
        best_clean_step=last.best_clean_step,
        best_clean_checkpoint=(stop.best_clean_checkpoint if stop is not None else None)
        or evaluations[-1].best_clean_checkpoint,
    )
