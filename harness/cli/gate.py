"""``rmh gate``: a release decision on a result folder, as an exit code CI can act on.

The folder's kind (``reports.kinds``) decides what is read and how it is decided; a
partial run or baseline gets no verdict at all: a gate that passed a run because half of
it never ran would be worse than no gate."""

from __future__ import annotations

import click

from harness.cli.options import baseline_option, policy_option, suite_mismatch_option


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
    min_best_of_n: must the RM survive best-of-n up to that n? and max_overoptimization_gap:
    how far may the proxy's gain run ahead of gold's?).

    \b
    Examples:
      rmh gate runs/rc2 --policy gate.toml --baseline runs/rc1
      rmh gate exp/sweep --policy gate.toml
    """
    from reports.kinds import FolderOptions, gate_folder

    options = FolderOptions(
        baseline=baseline, policy=policy, allow_suite_mismatch=allow_suite_mismatch
    )
    ctx.exit(gate_folder(run, options, echo=click.echo))
