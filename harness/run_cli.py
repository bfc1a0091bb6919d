"""``rmh run`` and ``rmh findings``: the work behind the click declarations in ``cli.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from harness.core.errors import HarnessError
from harness.core.visible import clip
from harness.models import LoadOptions
from harness.runner import ExecutorOptions, RunSummary, resume_run, start_run
from harness.store import FindingStore
from harness.suite import resolve_suite


def run_suite_command(
    *,
    checkpoints: list[str],
    suite: str,
    out: str | None,
    store: str | None,
    store_timeout: float,
    resume: str | None,
    overwrite: bool,
    executor: str,
    ray_address: str | None,
    workers: int | None,
    gpus_per_worker: float,
    progress: str,
    options: LoadOptions,
    batch_size: int,
    echo: Callable[[str], None],
) -> RunSummary:
    executor_options = ExecutorOptions(executor, ray_address, workers, gpus_per_worker)
    if resume:
        if checkpoints or out:
            raise HarnessError("--resume takes the run folder only; drop the checkpoints/--out")
        summary = resume_run(resume, executor=executor_options, progress=progress, echo=echo)
    else:
        if not checkpoints:
            raise HarnessError("give at least one CHECKPOINT (or --resume RUN_FOLDER)")
        if not out:
            raise HarnessError("give --out RUN_FOLDER for the new run (e.g. runs/rc1)")
        summary = start_run(
            checkpoints,
            resolve_suite(suite),
            out,
            store=store,
            store_timeout=store_timeout,
            options=options,
            batch_size=batch_size,
            executor=executor_options,
            overwrite=overwrite,
            progress=progress,
            echo=echo,
        )
    print_summary(summary, echo)
    return summary


def print_summary(summary: RunSummary, echo: Callable[[str], None]) -> None:
    if summary.replayed:
        echo(
            f"replay: {summary.replayed} stored findings re-scored; {summary.still_open} still "
            f"open, {summary.reopened} reopened"
        )
    total = sum(summary.findings_by_family.values())
    per_family = ", ".join(f"{k} {v}" for k, v in summary.findings_by_family.items()) or "none"
    echo(f"findings: {total} ({per_family}); {summary.errors} attack errors")
    if summary.transfer is not None:
        echo("transfer (share of findings still open, rows: found on):")
        echo(summary.transfer.to_string(float_format=lambda x: f"{x:.2f}"))
    echo(f"run folder: {summary.folder} ({summary.attempts} attempts, {summary.seconds:.0f}s)")


def _open_existing(store: str) -> FindingStore:
    if not Path(store).is_file():
        raise HarnessError(f"no findings store at {store} (give --store)")
    return FindingStore.open(store)


def findings_frame(store: str, *, family: str | None, kind: str | None) -> pd.DataFrame:
    with _open_existing(store) as db:
        frame = pd.DataFrame(db.summary())
    if frame.empty:
        return frame
    if family:
        frame = frame[frame["family"] == family]
    if kind:
        frame = frame[frame["kind"] == kind]
    return frame.reset_index(drop=True)


def show_finding(store: str, finding_id: int, *, echo: Callable[[str], None]) -> None:
    with _open_existing(store) as db:
        finding = db.finding(finding_id)
        sightings = db.sightings(finding_id=finding_id)
    echo(f"finding {finding['id']} ({finding['kind']}), {finding['family']} / {finding['attack']}")
    echo(f"prompt:    {clip(finding['prompt'], 200)}")
    echo(f"reference: {clip(finding['reference'], 200)}")
    echo(f"text:      {clip(finding['text'], 400)}")
    for reason in finding["reasons"]:
        echo(f"reason:    {clip(reason, 200)}")
    echo(f"first seen: run {finding['first_run']} at {finding['created_at']}")
    echo("sightings:")
    for s in sightings:
        state = "open" if s["is_open"] else "closed"
        echo(
            f"  {s['seen_at']}  {s['source']:<6} {state:<6} margin "
            f"{s['score'] - s['reference_score']:+.3f}  run {s['run_id']}  "
            f"checkpoint {clip(s['checkpoint_label'], 60)}"
        )
