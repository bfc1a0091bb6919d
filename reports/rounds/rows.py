"""The experiment report's tables as rows of plain strings, shared by HTML and Markdown.

Both formats show the same cells, so they are computed once here; each renderer only
escapes them for its medium (attacker text, the new exploits' representatives, stays raw
until then). The per-round cells are ``table.round_row``'s, the ones ``rmh rounds``
prints, with the report's extra columns after them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.experiments.rounds.experiment_log import ContrastRecord, VerdictRecord
from harness.experiments.rounds.round_table import COLUMNS, round_row
from reports.rounds.view import ZERO_ARM, ExperimentView, NewExploit, Point, RoundView

__all__ = [
    "ROUND_COLUMNS",
    "contrast_row",
    "mcnemar_rows",
    "new_exploit_groups",
    "point",
    "representative",
    "round_cells",
    "training_rows",
    "trend_rows",
]

_TOLERANCE = 1e-9  # the verdict's: a bound on a threshold is on it (docs/rounds.md)

ROUND_COLUMNS = (
    *COLUMNS,
    "chance",
    "findings (every prompt)",
    "new exploits: every prompt (evaluation prompts)",
    "queries to first [CI], censored",
    "run folder",
)


def point(p: Point, digits: int = 2) -> str:
    """An estimate and its interval: ``0.50 [0.20, 0.80]``; ``-`` where not measured."""
    if p.estimate is None:
        return "-"
    if p.low is None or p.high is None:
        return f"{p.estimate:.{digits}f}"
    return f"{p.estimate:.{digits}f} [{p.low:.{digits}f}, {p.high:.{digits}f}]"


def round_cells(r: RoundView, seed: int) -> tuple[str, ...]:
    """One row of the per-arm table: ``round_row``'s cells (intervals by the experiment's
    ``seed``), then the report's."""
    queries = point(r.points["queries_to_first"], 0)
    if r.censored_share is not None:
        queries += f", {r.censored_share:.0%} censored"
    return (
        *round_row(r.summary, seed=seed),
        point(r.points["chance"]),
        str(r.summary.fresh_findings),
        f"{r.summary.new_exploits_every_prompt} ({r.summary.outcomes.new_exploits})",
        queries,
        ", ".join(p.entry.run for p in r.replicates),
    )


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def _families(families: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(families.items())) or "-"


@dataclass(frozen=True)
class TrainingRow:
    arm: str
    round: int
    extra_pairs: str
    exploits: str
    families: str
    train_pairs: str
    steps: str
    loss: str
    train_accuracy: str
    train_seconds: str
    round_seconds: str
    status: str


def _cell(value: object, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def training_rows(view: ExperimentView) -> list[TrainingRow]:
    """Per arm, retrained round and training replicate: what was added and trained, the
    loss, the wall times; and a row for each replicate that stopped (its ``error``
    entry). With several seeds the arm cell names the replicate (``findings seed 1``)."""
    rows: list[tuple[tuple[int, int, int], TrainingRow]] = []

    def name(arm: str, replicate: int) -> str:
        return arm if view.seeds == 1 else f"{arm} seed {replicate}"

    for r in view.rounds:
        if not r.round:
            continue
        for p in r.replicates:
            a, t = p.augment, p.train
            status = "retrained" if p.entry.retrained else "not retrained"
            if p.nothing is not None:
                status = "nothing to add: the checkpoint carries over"
            extra = (
                "-"
                if a is None
                else f"{a.pairs}" + (f" ({a.dropped} dropped)" if a.dropped else "")
            )
            trained = (
                "-" if a is None or not a.train_file else f"{a.train_pairs} ({a.clean_pairs} clean)"
            )
            row = TrainingRow(
                arm=name(r.arm, p.replicate),
                round=r.round,
                extra_pairs=extra,
                exploits=_cell(a.exploits if a is not None and r.arm == "findings" else None),
                families="-" if a is None else _families(a.families),
                train_pairs=trained,
                steps=_cell(t and t.steps),
                loss=_cell(t and t.final_loss, ".3f"),
                train_accuracy=_cell(t and t.train_accuracy, ".0%"),
                train_seconds=_cell(t and t.seconds, ".1f"),
                round_seconds=f"{p.entry.seconds:.1f}",
                status=status,
            )
            rows.append(((view.arms.index(r.arm), r.round, p.replicate), row))
    for error in view.errors:
        row = TrainingRow(
            name(error.arm, error.replicate),
            error.round,
            *["-"] * 9,
            f"stopped ({error.stage}): {error.message}",
        )
        rows.append(((view.arms.index(error.arm), error.round, error.replicate), row))
    return [row for _, row in sorted(rows, key=lambda item: item[0])]


def _position(c: ContrastRecord) -> str:
    """Where the interval lies against each threshold, in the verdict's words."""
    if c.low is None or c.high is None:
        return "not estimable"
    words = []
    for t in c.thresholds:
        if c.high < t - _TOLERANCE:
            words.append(f"below {t:+.2f}")
        elif c.low > t + _TOLERANCE:
            words.append(f"above {t:+.2f}")
        else:
            words.append(f"contains {t:+.2f}")
    return ", ".join(words)


def contrast_row(c: ContrastRecord) -> tuple[str, str, str, str, str]:
    """``(quantity, estimate, 95% interval, prompts, against the thresholds)``."""
    interval = "n/a" if c.low is None or c.high is None else f"[{c.low:+.3f}, {c.high:+.3f}]"
    return c.label, _signed(c.estimate), interval, str(c.n_prompts), _position(c)


def _of_arms(
    v: VerdictRecord, mine: Mapping[str, Any], control: Mapping[str, Any]
) -> list[tuple[str, Any]]:
    """``(label, value)`` per metric: the arm's first, then the control arm's beside them."""
    return [(f"{metric}, {v.arm}", x) for metric, x in mine.items()] + [
        (f"{metric}, {v.control}", x) for metric, x in control.items()
    ]


def trend_rows(v: VerdictRecord) -> list[tuple[str, str, str, str]]:
    """``(metric and arm, odds ratio per round, 95% interval, p)``, or why it is not
    estimable: the arm's trends, then the control arm's (does more training alone move?)."""
    rows = []
    for metric, t in _of_arms(v, v.trends, v.control_trends):
        if not t.get("estimable"):
            rows.append((metric, "not estimable", t.get("reason") or "", ""))
            continue
        rows.append(
            (
                metric,
                f"{t['odds_ratio']:.3f}",
                f"[{t['low']:.3f}, {t['high']:.3f}]",
                f"{t['p_value']:.3g}",
            )
        )
    return rows


def mcnemar_rows(v: VerdictRecord) -> list[tuple[str, str, str, str, str]]:
    """``(metric and arm, rounds, prompts that lost / gained any success, both or neither,
    p)``: the arm's, then the control arm's."""
    rows = []
    for metric, tests in _of_arms(v, v.mcnemar, v.control_mcnemar):
        for r, m in enumerate(tests, start=1):
            p = m.get("p_value")
            rows.append(
                (
                    metric,
                    f"{r} vs {r - 1}",
                    f"{m['before_only']} / {m['after_only']}",
                    f"{m['both']} / {m['neither']}",
                    "n/a" if p is None else f"{p:.3g}",
                )
            )
    return rows


@dataclass(frozen=True)
class NewExploitGroup:
    """One round's new exploits (largest first), ``shown`` of them, ``total`` in all."""

    arm: str
    round: int
    total: int
    shown: tuple[NewExploit, ...]


def new_exploit_groups(view: ExperimentView, limit: int) -> list[NewExploitGroup]:
    """The new exploits per round: round 0 once, then per arm and retrained round (a round
    that found none is listed, with 0)."""
    groups: dict[tuple[str, int], list[NewExploit]] = {}
    steps: Iterable[tuple[str, int]] = [
        (ZERO_ARM if r.round == 0 else r.arm, r.round) for r in view.rounds
    ]
    for step in steps:
        groups.setdefault(step, [])
    for e in view.new_exploits:
        groups.setdefault((e.arm, e.round), []).append(e)
    return [
        NewExploitGroup(arm, r, len(found), tuple(found[:limit]))
        for (arm, r), found in groups.items()
    ]


def representative(text: str) -> str:
    """An exploit's text as shown (still raw: escape it), the empty answer named."""
    return text if text else EMPTY


EMPTY = "⟨empty⟩"
