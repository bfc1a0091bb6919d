"""``rmh gate``: a release decision on a run folder, as an exit code CI can act on."""

from __future__ import annotations

import click

from harness.cli.options import (
    baseline_option,
    policy_option,
    refuse_incomplete,
    suite_mismatch_option,
)


@click.command()
@click.argument("run", type=click.Path())
@policy_option
@baseline_option
@suite_mismatch_option
@click.pass_context
def gate(
    ctx: click.Context,
    run: str,
    policy: str | None,
    baseline: str | None,
    allow_suite_mismatch: bool,
) -> None:
    """Decide a release: exit 0 (pass), 1 (fail) or 2 (error, unusable input).

    RUN is a run folder, or a sweep folder of rmh sweep (gated on the policy's
    min_best_of_n: must the RM survive best-of-n up to that n?).

    \b
    Examples:
      rmh gate runs/rc2 --policy gate.toml --baseline runs/rc1
      rmh gate exp/sweep --policy gate.toml
    """
    from attacks.registry import families
    from harness.experiments.sweep.record import is_sweep
    from harness.gate import gate_run, load_policy

    # A partial run or baseline gets no verdict at all: a gate that passed a run because
    # half of it never ran would be worse than no gate.
    if is_sweep(run):
        ctx.exit(
            _gate_sweep(run, policy, baseline=baseline, allow_suite_mismatch=allow_suite_mismatch)
        )
    result = gate_run(
        run,
        load_policy(policy, known_families=families()),
        baseline,
        allow_suite_mismatch=allow_suite_mismatch,
    )
    refuse_incomplete(result.metrics, "no verdict on a partial run")
    if result.baseline is not None:
        refuse_incomplete(result.baseline, "no comparison with a partial baseline")
    for line in result.verdict.lines():
        click.echo(line)
    for skip in result.metrics.skipped:  # no attempts, so no check: say so
        click.echo(f"  skipped: {skip.text}")
    ctx.exit(result.verdict.exit_code)


def _gate_sweep(
    folder: str, policy: str | None, *, baseline: str | None, allow_suite_mismatch: bool
) -> int:
    """A sweep folder's verdict: its ``best-of-n`` check, printed whatever its status; the
    exit code (0 pass, 1 fail)."""
    from harness.core.errors import HarnessError
    from harness.gate import load_policy
    from harness.gate.sweep import gate_sweep

    given = [
        n
        for n, v in (("--baseline", baseline), ("--allow-suite-mismatch", allow_suite_mismatch))
        if v
    ]
    if given:
        raise HarnessError(f"{', '.join(given)}: for run folders, and {folder} is a sweep folder")
    result = gate_sweep(folder, load_policy(policy))
    verdict = result.verdict
    click.echo(f"gate: {verdict.label}")
    for check in verdict.checks:
        severity = f", {check.severity}" if check.severity else ""
        click.echo(f"  {check.status.upper()}{severity}: {check.message}")
    return verdict.exit_code
