"""Printing shared by several verbs, so that the same thing always reads the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.runner import RunSummary


def terminal_table(frame: Any, width: int = 40) -> str:
    """A compact view of a DataFrame: text clipped, control characters made visible."""
    import pandas as pd

    from harness.core.visible import clip

    view = frame.copy()
    for column in view.columns:
        if pd.api.types.is_object_dtype(view[column]) or pd.api.types.is_string_dtype(view[column]):
            view[column] = view[column].map(lambda s: clip(str(s), width))
    return view.to_string(index=False, float_format=lambda x: f"{x:.4f}")


def print_summary(summary: RunSummary, echo: Callable[[str], None]) -> None:
    """What a finished run did: replay, findings per family, transfer, where it is."""
    if summary.replayed:
        echo(
            f"replay: {summary.replayed} stored findings (exploit representatives) re-scored; "
            f"{summary.still_open} still open, {summary.reopened} reopened"
        )
    total = sum(summary.findings_by_family.values())
    per_family = ", ".join(f"{k} {v}" for k, v in summary.findings_by_family.items()) or "none"
    echo(f"findings: {total} ({per_family}); {summary.errors} attack errors")
    if summary.transfer is not None:
        echo("transfer (share of findings still open, rows: found on):")
        echo(summary.transfer.to_string(float_format=lambda x: f"{x:.2f}"))
    echo(f"run folder: {summary.folder} ({summary.attempts} attempts, {summary.seconds:.0f}s)")
