"""``rmh run``: a suite against checkpoints into a run folder, or a killed run resumed."""

from __future__ import annotations

import dataclasses
from typing import Any

import click
from click.core import ParameterSource

from harness.cli.options import (
    GeneratedOptionsCommand,
    dataclass_from_kwargs,
    dataclass_options,
    load_options_from,
    loading_options,
    progress_mode,
)
from harness.cli.printing import print_summary
from harness.core.errors import HarnessError


def _run_options_class() -> type:
    from harness.runner import RunOptions

    return RunOptions


def _executor_options_class() -> type:
    from harness.runner import ExecutorOptions

    return ExecutorOptions


@click.command(name="run", cls=GeneratedOptionsCommand)
@click.argument("checkpoints", nargs=-1)
@click.option(
    "--suite",
    default="standard",
    show_default=True,
    help="A builtin suite name (rmh suites list) or a suite TOML file.",
)
@click.option("--out", type=click.Path(), default=None, help="New run folder, e.g. runs/rc1.")
@click.option(
    "--resume",
    "resume",
    type=click.Path(),
    default=None,
    help="Continue the killed or failed run in this folder (no checkpoints needed).",
)
@click.option("--overwrite", is_flag=True, help="Delete an existing run folder and start again.")
@dataclass_options(_run_options_class)
@dataclass_options(_executor_options_class)
@click.option("--quiet", is_flag=True, help="No progress output (for CI logs).")
@loading_options
@click.pass_context
def run_command(
    ctx: click.Context,
    checkpoints: tuple[str, ...],
    suite: str,
    out: str | None,
    resume: str | None,
    overwrite: bool,
    quiet: bool,
    **kw: Any,
) -> None:
    """Run an attack suite against CHECKPOINTS: replay stored exploits, attack, log.

    Findings go to the store (deduplicated) before they are logged or shown; the run
    log in the run folder records everything. A killed run continues with --resume.

    \b
    Examples:
      rmh run ckpt/ --suite quick --out runs/smoke
      rmh run ckpt-a/ ckpt-b/ --suite standard --out runs/ab     # + transfer matrix
      rmh run --resume runs/ab
      rmh run ckpt/ --suite standard --out runs/big --executor ray --ray-address auto
    """
    from harness.runner import ExecutorOptions, RunOptions, resume_run, start_run
    from harness.suite import resolve_suite

    run_options = dataclass_from_kwargs(RunOptions, kw)
    executor = dataclass_from_kwargs(ExecutorOptions, kw)
    options = load_options_from(kw)
    progress = progress_mode(quiet)
    if resume:
        if checkpoints or out:
            raise HarnessError("--resume takes the run folder only; drop the checkpoints/--out")
        given = [
            "--" + field.name.replace("_", "-")
            for field in dataclasses.fields(RunOptions)
            if ctx.get_parameter_source(field.name) is ParameterSource.COMMANDLINE
        ]
        if given:  # the log records the run's options: a resume runs as the run began
            raise HarnessError(
                f"--resume runs as the run began (its log records its store, batch size and "
                f"replay mode); drop {' '.join(given)}"
            )
        summary = resume_run(resume, executor=executor, progress=progress, echo=click.echo)
    else:
        if not checkpoints:
            raise HarnessError("give at least one CHECKPOINT (or --resume RUN_FOLDER)")
        if not out:
            raise HarnessError("give --out RUN_FOLDER for the new run (e.g. runs/rc1)")
        summary = start_run(
            list(checkpoints),
            resolve_suite(suite),
            out,
            run_options=run_options,
            options=options,
            executor=executor,
            overwrite=overwrite,
            progress=progress,
            echo=click.echo,
        )
    print_summary(summary, click.echo)
