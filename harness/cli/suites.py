"""``rmh suites list|show``: the attack suites that ship with rm-harness, and any suite file."""

from __future__ import annotations

import click


@click.group(name="suites")
def suites_group() -> None:
    """Attack suites shipped with rm-harness."""


@suites_group.command(name="list")
def suites_list() -> None:
    """List the builtin suites with their attacks and prompt counts."""
    from harness.suite import builtin_suites, resolve_suite

    for name in builtin_suites():
        suite = resolve_suite(name).config
        sample = suite.data.sample or "all"
        click.echo(
            f"{name:<10} {len(suite.attacks):>2} attacks, {sample} prompts  {suite.description}"
        )


@suites_group.command(name="show")
@click.argument("name")
def suites_show(name: str) -> None:
    """Print a suite's TOML (a builtin name or a file), after validating it."""
    from harness.suite import resolve_suite

    click.echo(resolve_suite(name).text, nl=False)
