"""Runs: a suite against checkpoints, with replay first, a durable log, a store, and resume.

``start_run`` and ``resume_run`` are the entry points (``rmh run`` calls them); a run is
set up by ``RunOptions`` (store, batch size, replay mode; recorded in the log) and sent
where ``ExecutorOptions`` says. One job per module: ``run`` orders the work, ``init``
settles and checks what the run is before it starts, ``stages`` does clean / replay /
instability / attack / transfer, ``recorder`` is the only writer of the store and the
log, ``state`` is what the log says is done, ``plan`` cuts the work into independent
units, ``worker`` does them, ``executors`` (a plugin registry: ``local``, ``ray``)
decides where, and ``run_folder`` makes a new run's folder appear whole (staged until its
log holds ``init``).
"""

from harness.runlog.run_options import RunOptions
from harness.runner.executors import (
    EXECUTORS,
    ExecutorOptions,
    LocalExecutor,
    RayExecutor,
    make_executor,
)
from harness.runner.run import RunSummary, resume_run, start_run

__all__ = [
    "EXECUTORS",
    "ExecutorOptions",
    "LocalExecutor",
    "RayExecutor",
    "RunOptions",
    "RunSummary",
    "make_executor",
    "resume_run",
    "start_run",
]
