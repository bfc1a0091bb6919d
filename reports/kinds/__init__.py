"""Kinds of result folder (run, experiment, sweep), and the one pipeline ``rmh report`` and
``rmh gate`` run on each: ``base`` says what a kind is and holds the registry, ``dispatch``
finds a folder's kind and reports or gates it, and each other module is one kind.

    from reports.kinds import FolderOptions, gate_folder, report_folder

    report_folder("exp/sweep", FolderOptions(policy="gate.toml"), out=None, echo=print)
"""

from __future__ import annotations

from reports.kinds.base import (
    RESULT_KINDS,
    FolderOptions,
    GateOutcome,
    ResultKind,
    register,
)
from reports.kinds.dispatch import FALLBACK, detect_kind, gate_folder, report_folder

__all__ = [
    "FALLBACK",
    "RESULT_KINDS",
    "FolderOptions",
    "GateOutcome",
    "ResultKind",
    "detect_kind",
    "gate_folder",
    "register",
    "report_folder",
]
