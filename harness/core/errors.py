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
    """The reward model's output is not one finite score per pair: NaN or inf, or (from an
    HTTP endpoint) the wrong number of scores, non-numbers, or nothing at the response path."""


class EndpointError(HarnessError):
    """An HTTP reward model cannot be reached, or refuses a request (after any retries).

    Unlike other errors inside an attack's search, it is not recorded as that attempt's
    error: the model cannot answer at all, so every attempt after it would fail alike. It
    stops the run instead, with what was found so far stored, and ``--resume`` redoes the
    attempt it stopped in.
    """


class EndpointOutputError(ModelOutputError, EndpointError):
    """An HTTP reward model answered with something that is not its scores: not JSON, the
    wrong number of scores, non-numbers, nothing at the response path. A misconfigured or
    broken endpoint, so it stops a run as an ``EndpointError`` does."""


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
