"""One evaluation's rows, scored: gold, the judges' verdicts and the KL per completion,
grouped by prompt (``score_rows``), and what the watcher writes of them.

The watcher decides on per-prompt means (``per_prompt``: the rule's units are prompts)
and writes every row to its samples file (``sample_rows``), in the order scored.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.core.errors import HarnessError
from harness.experiments.watch.gold import WatchGold
from harness.judges import Judge
from harness.judges.base import judge_verdicts

#: Judged-bad completions an evaluation entry keeps as examples.
FIRST_BAD = 3


@dataclass(frozen=True)
class ScoredRows:
    """The sampled rows of one step, prompt by prompt (``sizes``: rows per prompt)."""

    prompts: tuple[str, ...]
    completions: tuple[str, ...]
    sizes: tuple[int, ...]
    proxy: np.ndarray
    gold: np.ndarray
    bad: np.ndarray  # bool per row: any judge called it bad
    reasons: tuple[tuple[str, ...], ...]
    logprobs: np.ndarray | None  # (rows, 2): policy and reference log-probability
    measures: tuple[Mapping[str, float], ...] = ()  # per row: each judge's own number
    dropped_logprobs: bool = False  # logprobs were given, one was not finite: no KL

    @property
    def kl(self) -> np.ndarray | None:
        """Per row, policy minus reference log-probability (the KL's one-sample term)."""
        return None if self.logprobs is None else self.logprobs[:, 0] - self.logprobs[:, 1]

    def per_prompt(self, values: np.ndarray) -> tuple[float, ...]:
        """Each prompt's mean of ``values`` (one per row)."""
        bounds = np.cumsum([0, *self.sizes])
        return tuple(float(values[a:b].mean()) for a, b in itertools.pairwise(bounds))

    @property
    def prompt_names(self) -> tuple[str, ...]:
        """The prompts, once each, in order."""
        starts = np.cumsum([0, *self.sizes])[:-1]
        return tuple(self.prompts[int(a)] for a in starts)

    def first_bad(self) -> tuple[str, ...]:
        """Up to ``FIRST_BAD`` distinct judged-bad completions, in order."""
        bad = (t for t, b in zip(self.completions, self.bad, strict=True) if b)
        return tuple(dict.fromkeys(bad))[:FIRST_BAD]

    def sample_rows(self, step: int) -> list[dict[str, Any]]:
        """The samples file's rows (``rmh sweep --samples`` reads them as one RL step)."""
        rows = []
        for k, (prompt, response) in enumerate(zip(self.prompts, self.completions, strict=True)):
            row: dict[str, Any] = {
                "prompt": prompt,
                "response": response,
                "step": int(step),
                "proxy": float(self.proxy[k]),
                "gold": float(self.gold[k]),
                "bad": bool(self.bad[k]),
                "reasons": list(self.reasons[k]),
                "measures": dict(self.measures[k]) if self.measures else {},
            }
            if self.logprobs is not None:
                row["policy_logprob"] = float(self.logprobs[k, 0])
                row["ref_logprob"] = float(self.logprobs[k, 1])
            rows.append(row)
        return rows


def check_rows(
    step: int,
    prompts: Sequence[str],
    completions: Sequence[str],
    proxy_scores: Sequence[float],
    logprobs: Sequence[tuple[float, float]] | None,
) -> None:
    """One row per completion (the lengths agree), at least one, and a step that is a
    non-negative integer; else a ``HarnessError`` naming what is wrong."""
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
        raise HarnessError(f"the step must be a non-negative integer, got {step!r}")
    lengths = {
        "prompts": len(prompts),
        "completions": len(completions),
        "proxy_scores": len(proxy_scores),
    }
    if logprobs is not None:
        lengths["logprobs"] = len(logprobs)
    if len(set(lengths.values())) > 1:
        said = ", ".join(f"{n} {k}" for k, n in lengths.items())
        raise HarnessError(f"watcher step {step}: one row per completion is needed, got {said}")
    if not prompts:
        raise HarnessError(f"watcher step {step}: no completions to observe")


def score_rows(
    groups: Sequence[Sequence[int]],
    prompts: Sequence[str],
    completions: Sequence[str],
    proxy_scores: Sequence[float],
    logprobs: Sequence[tuple[float, float]] | None,
    *,
    gold: WatchGold,
    judges: Sequence[Judge],
    references: Mapping[str, str],
) -> ScoredRows:
    """Score the rows of ``groups`` (each a prompt's rows): gold, judges (each prompt's
    completions against its reference, if any), and the logprobs checked finite."""
    flat = [i for g in groups for i in g]
    p = [str(prompts[i]) for i in flat]
    c = [str(completions[i]) for i in flat]
    gold_scores = gold.score(p, c)
    bad = np.zeros(len(flat), dtype=bool)
    reasons: list[tuple[str, ...]] = []
    measures: list[Mapping[str, float]] = []
    start = 0
    for g in groups:
        prompt = p[start]
        verdicts = judge_verdicts(
            judges, prompt, references.get(prompt, ""), c[start : start + len(g)]
        )
        for k, verdict in enumerate(verdicts):
            bad[start + k] = bool(verdict.bad)
            reasons.append(tuple(verdict.reasons))
            measures.append({k: float(v) for k, v in verdict.measures.items() if np.isfinite(v)})
        start += len(g)
    proxy = np.array([float(proxy_scores[i]) for i in flat])
    if not np.all(np.isfinite(proxy)):
        raise HarnessError("a proxy score given to the watcher is not finite")
    pairs, dropped = None, False
    if logprobs is not None:
        pairs = np.array([[float(logprobs[i][0]), float(logprobs[i][1])] for i in flat])
        if not np.all(np.isfinite(pairs)):  # the KL is lost, not the evaluation
            pairs, dropped = None, True
    return ScoredRows(
        prompts=tuple(p),
        completions=tuple(c),
        sizes=tuple(len(g) for g in groups),
        proxy=proxy,
        gold=gold_scores,
        bad=bad,
        reasons=tuple(reasons),
        logprobs=pairs,
        measures=tuple(measures),
        dropped_logprobs=dropped,
    )
