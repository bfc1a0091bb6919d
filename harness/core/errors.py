"""Typed errors.

`HarnessError` is for bad input the user can fix: the CLI prints its message as one
line on stderr and exits 2, never a traceback. Its message names the problem and the
fix. Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Bad input or environment that the user can fix; rendered as one line, exit 2."""


class CheckpointError(HarnessError):
    """A checkpoint cannot be loaded as asked (missing files, unsafe weights, bad head)."""


class DataError(HarnessError):
    """A data file is empty, malformed, not UTF-8, or lacks required fields."""


class ModelOutputError(HarnessError):
    """The reward model returned a non-finite score (NaN or inf)."""


class BudgetExhausted(HarnessError):
    """The scorer's query budget cannot pay for the requested scores.

    Attacks catch this to stop searching; nothing was scored for the failing request.
    """

    def __init__(self, requested: int, remaining: int) -> None:
        super().__init__(
            f"query budget exhausted: {requested} new queries requested, {remaining} remaining"
        )
        self.requested = requested
        self.remaining = remaining
