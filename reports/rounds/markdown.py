"""The experiment's ``report.md``: the verdict, the rounds and the new exploits, for a
pull-request comment or a note.

Every cell goes through ``reports.markdown.escape_md`` (punctuation backslash-escaped,
``<``, ``>`` and ``&`` as entities, invisible characters made visible), the new exploits'
text above all: a representative cannot split a cell, open a code span or make a link.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harness.core.visible import clip
from harness.experiments.rounds.round_table import verdict_lines
from reports.markdown import escape_md
from reports.rounds.rows import (
    ROUND_COLUMNS,
    new_exploit_groups,
    representative,
    round_cells,
    training_rows,
)
from reports.rounds.view import ExperimentView, NewExploit

MAX_NEW_EXPLOITS = 5  # per round; report.html shows more, summary.json all
MAX_TEXT = 120


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(escape_md(h, 200) for h in header) + " |"]
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(escape_md(c, 300) for c in row) + " |" for row in rows]
    return lines


def render_experiment_markdown(view: ExperimentView) -> str:
    init = view.init
    lines = [f"## Whack-a-mole experiment: {escape_md(init.suite.name)}", ""]
    if not view.complete:
        missing = ", ".join(view.missing())
        note = f" Not measured yet: {escape_md(missing, 300)}." if missing else ""
        lines += [
            "> **Incomplete experiment**: no verdict yet; the report shows what "
            f"`experiment.jsonl` holds so far.{note}",
            "",
        ]
    lines += [
        f"Arms {escape_md(', '.join(init.arms))}; {init.rounds} retrained rounds; trained "
        f"families {escape_md(', '.join(init.trained_families))}; held out "
        f"{escape_md(', '.join(init.heldout_families) or 'none')}.",
        "",
    ]
    if view.verdict is not None:
        for line in verdict_lines(view.verdict):
            if line.startswith("  "):
                lines.append(f"  - {escape_md(line.strip(), 300)}")
            elif line.startswith("verdict for "):
                lines.append(f"- **{escape_md(line, 300)}**")
            else:
                lines.append(f"- {escape_md(line, 300)}")
        lines.append("")
    lines += ["Per arm and round (95% prompt-bootstrap intervals):", ""]
    lines += _table(ROUND_COLUMNS, (round_cells(r, view.init.seed) for r in view.rounds))
    training = training_rows(view)
    if training:
        lines += ["", "Augmentation and training:", ""]
        lines += _table(
            ("arm", "round", "extra pairs", "pairs trained on", "steps", "final loss", "status"),
            (
                (t.arm, t.round, t.extra_pairs, t.train_pairs, t.steps, t.loss, t.status)
                for t in training
            ),
        )
    lines += ["", "New exploits per round (largest first, by their representative):", ""]
    rows = []
    for g in new_exploit_groups(view, MAX_NEW_EXPLOITS):
        where = "0 (every arm)" if g.round == 0 else f"{g.arm} {g.round}"
        if not g.shown:
            rows.append((where, "0", "", "", ""))
        for i, e in enumerate(g.shown):
            count = f"{g.total}" if i == 0 else ""
            rows.append(
                (
                    where,
                    count,
                    clip(representative(e.exploit.text), MAX_TEXT),
                    e.exploit.size,
                    _margin(e),
                )
            )
    lines += _table(("round", "new exploits", "representative", "size", "best margin"), rows)
    lines += ["", f"Full report: `report.html` in `{escape_md(view.folder.name)}`."]
    return "\n".join(lines) + "\n"


def _margin(e: NewExploit) -> str:
    return f"{e.exploit.best_margin:+.3f}"
