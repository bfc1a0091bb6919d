"""Runs: a suite against checkpoints, with replay first, a durable log, a store, and resume.

``start_run`` and ``resume_run`` are the entry points (``rmh run`` calls them); see
``run.py`` for the order of work and ``plan.py`` for why units are independent.
"""

from harness.runner.executors import LocalExecutor, RayExecutor, make_executor
from harness.runner.run import ExecutorOptions, RunSummary, resume_run, start_run

__all__ = [
    "ExecutorOptions",
    "LocalExecutor",
    "RayExecutor",
    "RunSummary",
    "make_executor",
    "resume_run",
    "start_run",
]
