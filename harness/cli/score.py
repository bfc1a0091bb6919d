"""``rmh score``: score a data file with a checkpoint; for preference pairs, its accuracy."""

from __future__ import annotations

import sys
from typing import Any

import click

from harness.cli.options import (
    GeneratedOptionsCommand,
    load_model,
    load_options_from,
    model_options,
)
from harness.cli.printing import terminal_table


@click.command(cls=GeneratedOptionsCommand)
@click.argument("checkpoint")
@click.option(
    "--data",
    "data_file",
    required=True,
    type=click.Path(),
    help="JSONL of prompt/response rows, or prompt/chosen/rejected rows.",
)
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Write all rows to .jsonl, .csv or .parquet instead of a terminal table.",
)
@model_options
def score(checkpoint: str, data_file: str, out: str | None, **kw: Any) -> None:
    """Score every row of a JSONL file with CHECKPOINT; for pairs, report pairwise accuracy.

    \b
    Examples:
      rmh score ckpt/ --data responses.jsonl            # {"prompt": ..., "response": ...}
      rmh score ckpt/ --data prefs.jsonl --out s.csv    # {"prompt", "chosen", "rejected"}
    """
    import pandas as pd

    from harness.core.data import read_rows
    from harness.core.tabular import write_table
    from harness.scoring import Scorer
    from harness.scoring.accuracy import accuracy_from_scores

    kind, rows = read_rows(data_file)
    batch_size = kw.pop("batch_size")
    model = load_model(checkpoint, load_options_from(kw))
    scorer = Scorer(model, batch_size=batch_size, progress=sys.stderr.isatty())
    if kind == "pairs":
        prompts = [r.prompt for r in rows]
        chosen = scorer.score(prompts, [r.chosen for r in rows])
        rejected = scorer.score(prompts, [r.rejected for r in rows])
        frame = pd.DataFrame(
            {
                "line": [r.line for r in rows],
                "prompt": prompts,
                "chosen": [r.chosen for r in rows],
                "rejected": [r.rejected for r in rows],
                "chosen_score": chosen,
                "rejected_score": rejected,
                "margin": chosen - rejected,
                "correct": chosen > rejected,
            }
        )
        summary = f"pairwise accuracy: {accuracy_from_scores(chosen, rejected)}"
    else:
        scores = scorer.score([r.prompt for r in rows], [r.response for r in rows])
        frame = pd.DataFrame(
            {
                "line": [r.line for r in rows],
                "prompt": [r.prompt for r in rows],
                "response": [r.response for r in rows],
                "score": scores,
            }
        )
        summary = f"scored {len(rows)} responses (mean {scores.mean():.4f})"
    stats = scorer.stats
    summary += f"; {stats.queries} model queries, {stats.truncated} truncated"
    if out:
        path = write_table(frame, out)
        click.echo(f"wrote {len(frame)} rows to {path}")
    else:
        click.echo(terminal_table(frame))
    click.echo(summary)
