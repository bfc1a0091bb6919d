"""``rmh info``: what the harness sees in a checkpoint, before anyone attacks it."""

from __future__ import annotations

import json
from typing import Any

import click

from harness.cli.options import (
    GeneratedOptionsCommand,
    load_model,
    load_options_from,
    model_options,
)


@click.command(cls=GeneratedOptionsCommand)
@click.argument("checkpoint")
@model_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of aligned text.")
def info(checkpoint: str, as_json: bool, **kw: Any) -> None:
    """Show how CHECKPOINT will be read: architecture, head, format, padding, fingerprint.

    \b
    Examples:
      rmh info checkpoints/rm-step-2000
      rmh info checkpoints/rm --format 'Human: {prompt}\\n\\nAssistant: {response}'
      rmh info mypkg.rewards:length_reward
    """
    kw.pop("batch_size")
    model = load_model(checkpoint, load_options_from(kw))
    facts = model.describe()
    if as_json:
        click.echo(json.dumps(facts, indent=2, default=str))
        return
    facts.pop("options", None)
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        if value is not None:
            click.echo(f"{key.replace('_', ' '):<{width}}  {value}")
