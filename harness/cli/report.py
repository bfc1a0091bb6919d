"""``rmh report``: a run folder's report files, one per registered renderer, rebuilt from
its log alone; or, for an experiment folder (``experiment.jsonl``), the whack-a-mole
experiment's report, rebuilt from its logs alone; or, for a sweep folder (``sweep.json``),
the overoptimization sweep's report, rebuilt from that file alone."""

from __future__ import annotations

from pathlib import Path

import click

from harness.cli.options import (
    baseline_option,
    policy_option,
    refuse_incomplete,
    suite_mismatch_option,
)
from harness.core.errors import HarnessError


@click.command()
@click.argument("run", metavar="RUN|EXPERIMENT|SWEEP", type=click.Path())
@baseline_option
@policy_option
@suite_mismatch_option
@click.option(
    "--out", type=click.Path(), default=None, help="Folder for the files (default: the folder)."
)
def report(
    run: str, baseline: str | None, policy: str | None, allow_suite_mismatch: bool, out: str | None
) -> None:
    """Write report.html, report.md, summary.json and junit.xml for a run folder.

    Built from the run log alone, so it can be rebuilt at any time. The verdict is the
    gate's (--policy). For an experiment folder of rmh rounds: report.html, report.md
    and summary.json with the rounds, the curves and the experiment's verdict (each
    round's run folder is a run, reported on its own). For a sweep folder of rmh sweep:
    report.html and report.md (with --policy setting min_best_of_n, the gate's verdict).

    \b
    Examples:
      rmh report runs/rc2 --baseline runs/rc1
      rmh report exp/demo
      rmh report exp/sweep-demo --policy gate.toml
    """
    from attacks.registry import families
    from harness.gate import load_policy
    from reports import build_report
    from reports.rounds import is_experiment
    from reports.sweep import is_sweep

    # The report files (one per renderer); an incomplete run is reported, then flagged (exit 2).
    if is_sweep(run):
        given = [
            name
            for name, value in (
                ("--baseline", baseline),
                ("--allow-suite-mismatch", allow_suite_mismatch),
            )
            if value
        ]
        if given:
            raise HarnessError(f"{', '.join(given)}: for a run folder, and {run} is a sweep folder")
        _report_sweep(run, policy=policy, out=out)
        return
    if is_experiment(run):
        given = [
            name
            for name, value in (
                ("--baseline", baseline),
                ("--policy", policy),
                ("--allow-suite-mismatch", allow_suite_mismatch),
            )
            if value
        ]
        if given:
            raise HarnessError(
                f"{', '.join(given)}: for a run folder, and {run} is an experiment folder; "
                f"report one of its run folders (e.g. {Path(run) / 'round-0'}) with it"
            )
        _report_experiment(run, out=out)
        return

    result = build_report(
        Path(run),
        policy=load_policy(policy, known_families=families()),
        policy_origin=policy,
        baseline=baseline,
        allow_suite_mismatch=allow_suite_mismatch,
        out=out,
    )
    for line in result.verdict.lines():
        click.echo(line)
    for path in result.paths.values():
        click.echo(f"wrote {path}")
    refuse_incomplete(result.gate.metrics, "the report shows what is complete")


def _report_experiment(folder: str, *, out: str | None) -> None:
    """Write the experiment report; an incomplete experiment is reported, then flagged
    (exit 2), as an incomplete run is."""
    from harness.experiments.rounds.table import verdict_lines
    from reports.rounds import build_experiment_report

    result = build_experiment_report(folder, out=out)
    if result.view.verdict is not None:
        for line in verdict_lines(result.view.verdict):
            click.echo(line)
    for path in result.paths.values():
        click.echo(f"wrote {path}")
    if not result.complete:
        missing = result.view.missing()
        pending = f"; not measured yet: {', '.join(missing)}" if missing else ""
        raise HarnessError(
            f"experiment {folder} is incomplete (its experiment.jsonl has no verdict{pending}); "
            f"the report shows what is done; finish it with: rmh rounds --resume --out {folder}"
        )


def _report_sweep(folder: str, *, policy: str | None, out: str | None) -> None:
    """Write the sweep report; print the sweep's lines (and the gate's, with a policy that
    sets ``min_best_of_n``)."""
    from harness.experiments.sweep.table import peak_lines
    from harness.gate import load_policy
    from reports.sweep import build_sweep_report

    report = build_sweep_report(folder, out=out, policy=load_policy(policy), policy_origin=policy)
    for line in peak_lines(report.record):
        click.echo(line)
    if report.verdict is not None:
        click.echo(f"gate: {report.verdict.label}")
        for check in report.verdict.checks:
            click.echo(f"  {check.status.upper()}: {check.message}")
    for path in report.paths.values():
        click.echo(f"wrote {path}")
