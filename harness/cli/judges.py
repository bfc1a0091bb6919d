"""``rmh judges list``: every registered validity judge and the parameters a suite may set."""

from __future__ import annotations

import dataclasses

import click


@click.group(name="judges")
def judges_group() -> None:
    """The judge registry."""


@judges_group.command(name="list")
def judges_list() -> None:
    """List every registered judge: name, description, parameters ([judges.NAME] in a suite)."""
    from harness.judges import JUDGES

    for name, cls in JUDGES.load_all().items():
        click.echo(f"{name:<24} {JUDGES.origin(name):<12} {cls.description()}")
        params = []
        for field in dataclasses.fields(cls.Params):
            if field.default is not dataclasses.MISSING:
                params.append(f"{field.name}={field.default!r}")
            elif field.default_factory is not dataclasses.MISSING:
                params.append(f"{field.name}={field.default_factory()!r}")
            else:
                params.append(f"{field.name} (required)")
        if params:
            click.echo(f"{'':<24} params: {', '.join(params)}")
