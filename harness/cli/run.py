"""``rmh run``: a suite against checkpoints into a run folder, or a killed run resumed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from harness.cli.options import (
    GeneratedOptionsCommand,
    dataclass_from_kwargs,
    dataclass_options,
    load_options_from,
    model_options,
    progress_mode,
)
from harness.cli.output import print_summary
from harness.core.errors import HarnessError

if TYPE_CHECKING:
    from harness.models import LoadOptions
    from harness.runner import ExecutorOptions, RunSummary
    from harness.runner.progress import Mode
    from harness.runner.stages import ReplayMode


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
    "--store",
    type=click.Path(),
    default=None,
    help="Findings store (SQLite). Default: findings.db beside the run folder.",
)
@click.option(
    "--store-timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds to wait for a store that another run holds locked.",
)
@click.option(
    "--resume",
    "resume",
    type=click.Path(),
    default=None,
    help="Continue the killed or failed run in this folder (no checkpoints needed).",
)
@click.option("--overwrite", is_flag=True, help="Delete an existing run folder and start again.")
@click.option(
    "--replay",
    type=click.Choice(["representatives", "all"]),
    default=None,
    help="Before the search, re-score one representative per stored exploit and prompt "
    "(representatives, the default) or every stored finding (all). A resumed run keeps "
    "the mode it began with.",
)
@dataclass_options(_executor_options_class)
@click.option("--quiet", is_flag=True, help="No progress output (for CI logs).")
@model_options
def run_command(
    checkpoints: tuple[str, ...],
    suite: str,
    out: str | None,
    store: str | None,
    store_timeout: float,
    resume: str | None,
    overwrite: bool,
    replay: ReplayMode | None,
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
    from harness.runner import ExecutorOptions

    batch_size = kw.pop("batch_size")
    run_suite_command(
        checkpoints=list(checkpoints),
        suite=suite,
        out=out,
        store=store,
        store_timeout=store_timeout,
        resume=resume,
        overwrite=overwrite,
        replay=replay,
        executor=dataclass_from_kwargs(ExecutorOptions, kw),
        progress=progress_mode(quiet),
        options=load_options_from(kw),
        batch_size=batch_size,
        echo=click.echo,
    )


def run_suite_command(
    *,
    checkpoints: list[str],
    suite: str,
    out: str | None,
    store: str | None,
    store_timeout: float,
    resume: str | None,
    overwrite: bool,
    executor: ExecutorOptions,
    replay: ReplayMode | None = None,
    progress: Mode,
    options: LoadOptions,
    batch_size: int,
    echo: Callable[[str], None],
) -> RunSummary:
    """Start or resume the run, then print its summary; bad combinations are one-line errors."""
    from harness.runner import resume_run, start_run
    from harness.suite import resolve_suite

    if resume:
        if checkpoints or out:
            raise HarnessError("--resume takes the run folder only; drop the checkpoints/--out")
        if replay:
            raise HarnessError(
                "--resume replays as the run began (its log records the mode); drop --replay"
            )
        summary = resume_run(resume, executor=executor, progress=progress, echo=echo)
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
            replay=replay or "representatives",
            executor=executor,
            overwrite=overwrite,
            progress=progress,
            echo=echo,
        )
    print_summary(summary, echo)
    return summary
