"""``rmh report``: a run folder's report files, one per registered renderer, rebuilt from
its log alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from harness.cli.options import (
    baseline_option,
    policy_option,
    refuse_incomplete,
    suite_mismatch_option,
)


@click.command()
@click.argument("run", type=click.Path())
@baseline_option
@policy_option
@suite_mismatch_option
@click.option("--out", type=click.Path(), default=None, help="Folder for the files (default: RUN).")
def report(
    run: str, baseline: str | None, policy: str | None, allow_suite_mismatch: bool, out: str | None
) -> None:
    """Write report.html, report.md, summary.json and junit.xml for a run folder.

    Built from the run log alone, so it can be rebuilt at any time. The verdict is the
    gate's (--policy). Example: rmh report runs/rc2 --baseline runs/rc1
    """
    report_command(
        run,
        baseline=baseline,
        policy=policy,
        out=out,
        allow_suite_mismatch=allow_suite_mismatch,
        echo=click.echo,
    )


def report_command(
    run: str,
    *,
    baseline: str | None,
    policy: str | None,
    out: str | None,
    allow_suite_mismatch: bool,
    echo: Callable[[str], None],
) -> None:
    """Write the report files (one per renderer); an incomplete run is reported, then flagged
    (exit 2)."""
    from attacks.registry import families
    from harness.gate import load_policy
    from reports import build_report

    result = build_report(
        Path(run),
        policy=load_policy(policy, known_families=families()),
        policy_origin=policy,
        baseline=baseline,
        allow_suite_mismatch=allow_suite_mismatch,
        out=out,
    )
    for line in result.verdict.lines():
        echo(line)
    for path in result.paths.values():
        echo(f"wrote {path}")
    refuse_incomplete(result.gate.metrics, "the report shows what is complete")
