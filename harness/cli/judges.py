"""``rmh judges list`` (every registered judge and its parameters) and ``rmh judges
validate`` (judges measured on labelled rows)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import click

from harness.core.errors import HarnessError

if TYPE_CHECKING:
    pass


@click.group(name="judges")
def judges_group() -> None:
    """The judge registry."""


@judges_group.command(name="list")
def judges_list() -> None:
    """List every registered judge: name, description, parameters ([judges.NAME] in a suite)."""
    from harness.judges import JUDGES

    for name, cls in JUDGES.load_all().items():
        click.echo(f"{name:<24} {JUDGES.origin(name):<12} {cls.description()}")
        params = []
        for field in dataclasses.fields(cls.Params):
            if field.default is not dataclasses.MISSING:
                params.append(f"{field.name}={field.default!r}")
            elif field.default_factory is not dataclasses.MISSING:
                params.append(f"{field.name}={field.default_factory()!r}")
            else:
                params.append(f"{field.name} (required)")
        if params:
            click.echo(f"{'':<24} params: {', '.join(params)}")


@judges_group.command(name="validate")
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    default=None,
    help="Labelled JSONL (prompt, reference, text, label 0/1, kind). Default: the bundled "
    "set (held-out demo jokes, seven kinds, 1,239 rows).",
)
@click.option(
    "--judge",
    "judges",
    multiple=True,
    metavar="NAME[:KEY=VALUE,...]",
    help="A judge to measure, repeatable: --judge heuristic --judge "
    "gold-rm:checkpoint=gold-demo --judge fluency:margin=1.2. Default: heuristic, gold-rm "
    "(gold-demo) and fluency (skipped, with why, when it cannot load).",
)
@click.option(
    "--calibrate-on",
    type=click.Path(dir_okay=False),
    default=None,
    help="Preference pairs to calibrate 'calibrate' parameters on. Default: 252 pairs "
    "(seeded) of the demo's train split (never the labelled rows).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Write summary.json and report.md here.",
)
def judges_validate(
    data: str | None, judges: tuple[str, ...], calibrate_on: str | None, out: str | None
) -> None:
    """Measure judges on labelled rows: recall, false positives and precision per kind.

    \b
    Examples:
      rmh judges validate --judge heuristic --judge gold-rm:checkpoint=gold-demo
      rmh judges validate --data mine.jsonl --judge heuristic --out validation/
    """
    import json
    from pathlib import Path

    from harness.cli.attack import parse_judge
    from harness.cli.printing import terminal_table
    from harness.core.data import read_pairs
    from harness.judges.labelled import read_labelled
    from harness.runner import judge_validation as jv
    from reports.judge_validation import LEGEND, validation_markdown, validation_table

    specs = [parse_judge(j) for j in judges] if judges else list(jv.DEFAULT_JUDGES)
    optional = frozenset() if judges else frozenset({"fluency"})
    rows = read_labelled(data) if data else jv.bundled_rows()
    source = data or "bundled (held-out demo jokes)"
    calibration = calibrate_on or f"{jv.CALIBRATION_PAIRS} pairs of the demo's train split"
    ready, skipped = jv.prepare_judges(
        specs,
        calibration=(lambda: read_pairs(calibrate_on)) if calibrate_on else jv.train_pairs,
        optional=optional,
        echo=click.echo,
    )
    for skip in skipped:
        click.echo(f"skipping judge {skip.judge}: {skip.reason}")
    if not ready:
        raise HarnessError("no judge to validate")
    click.echo(f"judging {len(rows)} labelled rows ({source}) with {len(ready)} judges ...")
    measures = jv.measure_judges(ready, rows)
    click.echo(terminal_table(validation_table(measures), width=60))
    click.echo(LEGEND)
    if out:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        summary = jv.validation_summary(
            measures, rows, data=source, calibration=calibration, skipped=skipped
        )
        (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        (folder / "report.md").write_text(validation_markdown(measures, heading="#"), "utf-8")
        click.echo(f"wrote {folder / 'summary.json'} and {folder / 'report.md'}")


@judges_group.group(name="review")
def review_group() -> None:
    """The human review queue's labels."""


@review_group.command(name="export")
@click.argument("reviewed", type=click.Path(dir_okay=False))
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False), help="Labelled JSONL to write."
)
@click.option(
    "--kind", default="reviewed", show_default=True, help="The kind every exported row gets."
)
def review_export(reviewed: str, out: str, kind: str) -> None:
    """Turn a reviewed queue file (CSV or JSONL, label bad/ok) into labelled rows.

    The rows (label 1 for bad, 0 for ok) are what ``rmh judges validate --data`` reads, so
    a team's reviewed findings measure its judges.

    \b
    Example:
      rmh judges review export reviewed.csv --out labelled.jsonl
      rmh judges validate --data labelled.jsonl --judge heuristic
    """
    from pathlib import Path

    from harness.judges import ReviewQueue
    from harness.judges.labelled import write_labelled

    if not Path(reviewed).is_file():
        raise HarnessError(f"reviewed file {reviewed} does not exist")
    if not kind:
        raise HarnessError("--kind must not be empty")
    queue = ReviewQueue()
    queue.import_labels(reviewed)
    count = write_labelled(queue.labelled_rows(kind), out)
    click.echo(f"wrote {count} labelled rows to {out}")
