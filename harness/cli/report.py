"""``rmh report``: a result folder's report files, rebuilt from what the folder holds alone.

The folder's kind (a run folder of ``rmh run``, an experiment folder of ``rmh rounds``,
a sweep folder of ``rmh sweep``, or any registered kind) decides what is read, written
and printed: ``reports.kinds`` dispatches, so this command only parses its options."""

from __future__ import annotations

import click

from harness.cli.options import baseline_option, policy_option, suite_mismatch_option


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
    report.html, report.md and summary.json (with --policy setting a sweep check, the gate's
    verdict).

    \b
    Examples:
      rmh report runs/rc2 --baseline runs/rc1
      rmh report exp/demo
      rmh report exp/sweep-demo --policy gate.toml
    """
    from reports.kinds import FolderOptions, report_folder

    options = FolderOptions(
        baseline=baseline, policy=policy, allow_suite_mismatch=allow_suite_mismatch
    )
    report_folder(run, options, out=out, echo=click.echo)
