"""``rmh findings list|show|export``: the findings store (SQLite), read without a run.

These read the store, not a run log: the store is the library of findings across runs
(with every sighting), while ``reports.tables.findings_frame`` reads one run's log.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.cli.options import store_option
from harness.cli.printing import terminal_table
from harness.core.errors import HarnessError

if TYPE_CHECKING:
    import pandas as pd

    from harness.store import FindingStore

KINDS = click.Choice(["finding", "instability", "all"])


@click.group(name="findings")
def findings_group() -> None:
    """The findings store: list, show and export findings."""


@findings_group.command(name="list")
@store_option
@click.option("--family", default=None, help="Only this family.")
@click.option("--kind", type=KINDS, default="finding")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def findings_list(store: str, family: str | None, kind: str, limit: int) -> None:
    """One line per stored finding: id, family, attack, sightings, best margin, text."""
    frame = store_findings_frame(store, family=family, kind=None if kind == "all" else kind)
    if frame.empty:
        click.echo("no findings")
        return
    columns = ["id", "kind", "family", "attack", "sightings", "checkpoints", "best_margin", "text"]
    click.echo(terminal_table(frame[columns].head(limit), width=60))
    if len(frame) > limit:
        click.echo(f"... {len(frame) - limit} more (--limit)")


@findings_group.command(name="show")
@click.argument("finding_id", type=int)
@store_option
def findings_show(finding_id: int, store: str) -> None:
    """A finding in full, with every sighting (run, checkpoint, score, open)."""
    show_finding(store, finding_id, echo=click.echo)


@findings_group.command(name="export")
@store_option
@click.option("--out", type=click.Path(), required=True, help=".csv, .jsonl or .parquet")
@click.option("--family", default=None, help="Only this family.")
@click.option("--kind", type=KINDS, default="all")
def findings_export(store: str, out: str, family: str | None, kind: str) -> None:
    """Export findings (CSV cells that could run as formulas are neutralized)."""
    from harness.core.tabular import write_table

    frame = store_findings_frame(store, family=family, kind=None if kind == "all" else kind)
    path = write_table(frame, out)
    click.echo(f"wrote {len(frame)} findings to {path}")


def _open_existing(store: str) -> FindingStore:
    """Open a store that exists; opening would otherwise create an empty one silently."""
    from harness.store import FindingStore

    if not Path(store).is_file():
        raise HarnessError(f"no findings store at {store} (give --store)")
    return FindingStore.open(store)


def store_findings_frame(store: str, *, family: str | None, kind: str | None) -> pd.DataFrame:
    """One row per stored finding (with sighting counts), filtered by family and kind."""
    import pandas as pd

    with _open_existing(store) as db:
        frame = pd.DataFrame(db.summary())
    if frame.empty:
        return frame
    if family:
        frame = frame[frame["family"] == family]
    if kind:
        frame = frame[frame["kind"] == kind]
    return frame.reset_index(drop=True)


def show_finding(store: str, finding_id: int, *, echo: Callable[[str], None]) -> None:
    """Print one finding in full, then each sighting: when, how, open or closed, where."""
    from harness.core.visible import clip

    with _open_existing(store) as db:
        stored = db.finding(finding_id)
        sightings = db.sightings(finding_id=finding_id)
    finding = stored.finding
    echo(f"finding {stored.id} ({finding.kind}), {finding.family} / {finding.attack}")
    echo(f"prompt:    {clip(finding.prompt, 200)}")
    echo(f"reference: {clip(finding.reference, 200)}")
    echo(f"text:      {clip(finding.text, 400)}")
    for reason in finding.reasons:
        echo(f"reason:    {clip(reason, 200)}")
    if finding.measures:  # every judge's own number, those that called it fine included
        shown = ", ".join(f"{name} {value:+.3f}" for name, value in finding.measures.items())
        echo(f"measures:  {clip(shown, 200)}")
    echo(f"first seen: run {stored.first_run} at {stored.created_at}")
    echo("sightings:")
    for s in sightings:
        state = "open" if s["is_open"] else "closed"
        echo(
            f"  {s['seen_at']}  {s['source']:<6} {state:<6} margin "
            f"{s['score'] - s['reference_score']:+.3f}  run {s['run_id']}  "
            f"checkpoint {clip(s['checkpoint_label'], 60)}"
        )
