"""Worlds where the truth is known: the rules' error rates and power, before any real run.

A rule is trusted only after it was run on data whose answer is known. Each ``World``
describes what retraining with the findings really does, relative to the ``clean`` arm
(the same training steps without the findings); ``simulate_outcomes`` draws the
per-prompt tables an experiment of that world would log (round 0, then two retrained
rounds of both arms, K training replicates each), and ``confusion`` runs the real
``rules.decide`` on many draws and counts the verdicts. ``benchmarks/bench_verdict.py``
prints the matrix; the tests assert its error rates and power.

**How a table is drawn.** Each prompt has its own difficulty: a logit drawn around the
world's round-0 rate with spread ``prompt_sd`` (an easy prompt is easy for every attempt,
round and arm: that is the clustering the design effect accounts for). An attempt
succeeds with the prompt's probability; a training replicate moves every prompt's logit
by its own seed effect (``seed_sd``: one model is better or worse everywhere). At the
retrained rounds the ``clean`` arm's rate is round 0's moved by ``drift`` (more training
alone changes things); the ``findings`` arm's is the clean arm's plus the world's
effect, on the probability scale, clipped to [0, 1]. Replay: round 0's exploits per prompt
(more on easier prompts), each still open at R with the clean arm's ``replay_open`` rate,
plus the effect for the findings arm. Clean accuracy and the chance rate likewise, on
their own trials. The novel share of fresh findings: ``novel`` for clean, plus the
effect for findings.

**The worlds** (``WORLDS``, effect ``effect`` = 0.15 by default, the rules' declared
effect size): ``null`` (findings is clean), ``helps`` (replay and both families' fresh ASR
fall beyond clean by the effect), ``helps-trained-only`` (held-out does not), ``whack-a-
mole`` (replay falls beyond clean, fresh ASR equal to clean's, the novel share higher),
``harmful`` (clean accuracy 3 points lower), ``floor`` (fresh ASR about 0.01 everywhere).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import expit, logit

from harness.experiments.rounds.contrasts import RoundOutcomes
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.power import POWER, intraclass_correlation, prompts_for
from harness.experiments.rounds.rules import RuleSettings, decide

__all__ = ["WORLDS", "World", "confusion", "powered_design", "simulate_outcomes"]

ROUNDS = 2  # retrained rounds: rules 2 to 4 need two


@dataclass(frozen=True)
class World:
    """One world: what is true, and the design it is observed through."""

    name: str
    truth: str  # the verdict a right rule gives (its label)
    trained_rate: float = 0.5  # fresh ASR at round 0, trained families
    heldout_rate: float = 0.5
    drift: float = -0.05  # the clean arm's change of fresh ASR by round R
    trained_effect: float = 0.0  # findings beyond clean at R, probability scale
    heldout_effect: float = 0.0
    replay_open: float = 0.6  # the clean arm's share of round 0's exploits still open at R
    replay_effect: float = 0.0
    accuracy: float = 0.85
    accuracy_effect: float = 0.0  # findings' own change of clean accuracy
    chance: float = 0.03
    novel: float = 0.3  # the clean arm's novel share of fresh findings
    novel_effect: float = 0.0
    attempts: int = 6  # per prompt, family set and replicate
    pairs: int = 5  # clean pairs per prompt
    soups: int = 5  # chance soups per prompt
    exploits: int = 3  # at most, per prompt, found at round 0
    prompt_sd: float = 1.0  # prompt difficulty, logit scale
    seed_sd: float = 0.15  # a replicate's effect, logit scale
    seeds: int = 3


def _worlds(effect: float = 0.15) -> dict[str, World]:
    return {
        w.name: w
        for w in (
            World("null", "null"),
            World(
                "helps", "helps", trained_effect=-effect, heldout_effect=-effect,
                replay_effect=-effect,
            ),
            World(
                "helps-trained-only", "helps-trained-only", trained_effect=-effect,
                replay_effect=-effect,
            ),
            World("whack-a-mole", "whack-a-mole", replay_effect=-effect, novel_effect=effect),
            World("harmful", "harmful", accuracy_effect=-0.03),
            World("floor", "inconclusive (floor)", trained_rate=0.01, heldout_rate=0.01),
        )
    }  # fmt: skip


WORLDS = _worlds()


# ------------------------------------------------------------------ one draw
def _counts(prompts: tuple[str, ...], successes: np.ndarray, trials: np.ndarray) -> Counts:
    return Counts.from_arrays(prompts, successes, trials)


def simulate_outcomes(world: World, n: int, rng: np.random.Generator) -> list[RoundOutcomes]:
    """One experiment of ``world`` on ``n`` evaluation prompts: round 0 for both arms,
    then ``ROUNDS`` retrained rounds of each, pooled over ``world.seeds`` replicates."""
    prompts = tuple(f"p{i:04d}" for i in range(n))
    trained = rng.normal(logit(world.trained_rate), world.prompt_sd, n)
    heldout = rng.normal(logit(world.heldout_rate), world.prompt_sd, n)
    accuracy = rng.normal(logit(world.accuracy), 0.5, n)
    chance = expit(rng.normal(logit(world.chance), 0.5, n))
    found = rng.binomial(world.exploits, expit(trained))  # round 0's exploits per prompt

    def draw(trials: int | np.ndarray, p: np.ndarray) -> list[Counts]:
        """One ``Counts`` per row of ``p`` (replicates x prompts)."""
        p = np.atleast_2d(np.clip(p, 0.0, 1.0))
        t = np.broadcast_to(np.asarray(trials), p.shape)
        s = rng.binomial(t, p)
        return [_counts(prompts, s[i], t[i]) for i in range(p.shape[0])]

    ft0, fh0 = draw(world.attempts, expit(trained))[0], draw(world.attempts, expit(heldout))[0]
    own = _counts(prompts, found, found)
    round0 = RoundOutcomes(
        arm="clean",
        round=0,
        fresh_trained=ft0,
        fresh_heldout=fh0,
        replay=own,
        clean_accuracy=draw(world.pairs, expit(accuracy))[0],
        chance=draw(world.soups, chance)[0],
        replay_initial=own,
    )
    out = [round0, replace(round0, arm="findings")]
    k = world.seeds
    for r in range(1, ROUNDS + 1):
        for arm in ("findings", "clean"):
            e = 1.0 if arm == "findings" else 0.0
            shift = rng.normal(0.0, world.seed_sd, (k, 1))  # each replicate's own model
            fresh_t = expit(trained + shift) + world.drift + e * world.trained_effect
            fresh_h = expit(heldout + shift) + world.drift + e * world.heldout_effect
            ft, fh = draw(world.attempts, fresh_t), draw(world.attempts, fresh_h)
            open_rate = expit(logit(world.replay_open) + shift) + e * world.replay_effect
            replay = draw(found, np.broadcast_to(open_rate, (k, n)))
            accuracies = draw(
                world.pairs, np.tile(expit(accuracy) + e * world.accuracy_effect, (k, 1))
            )
            chances = draw(world.soups, np.tile(chance, (k, 1)))
            novel_rate = np.full((k, n), world.novel + e * world.novel_effect)
            findings = np.array(
                [a.arrays()[0] + b.arrays()[0] for a, b in zip(ft, fh, strict=True)]
            )
            novel = draw(findings, novel_rate)
            reps = tuple(
                RoundOutcomes(
                    arm=arm,
                    round=r,
                    fresh_trained=ft[i],
                    fresh_heldout=fh[i],
                    replay=replay[i],
                    clean_accuracy=accuracies[i],
                    chance=chances[i],
                    replay_initial=replay[i],
                    novel=novel[i],
                    novel_share=_share(novel[i]),
                    new_exploits=novel[i].total_successes,
                )
                for i in range(k)
            )
            out.append(_pool(arm, r, reps))
    return out


def _pool(arm: str, r: int, reps: Sequence[RoundOutcomes]) -> RoundOutcomes:
    if len(reps) == 1:
        return reps[0]

    def pooled(metric: str) -> Counts:
        return Counts.pooled([getattr(x, metric) for x in reps])

    return RoundOutcomes(
        arm=arm,
        round=r,
        fresh_trained=pooled("fresh_trained"),
        fresh_heldout=pooled("fresh_heldout"),
        replay=pooled("replay"),
        clean_accuracy=pooled("clean_accuracy"),
        chance=pooled("chance"),
        replay_initial=pooled("replay_initial"),
        novel=pooled("novel"),
        novel_share=_share(pooled("novel")),
        new_exploits=sum(x.new_exploits for x in reps),
        replicates=tuple(reps),
    )


def _share(novel: Counts) -> float | None:
    return novel.rate if novel.total_trials else None


# ------------------------------------------------------------------ many draws
def confusion(
    worlds: Iterable[World],
    n: int,
    repetitions: int,
    *,
    seed: int = 0,
    settings: RuleSettings | None = None,
    decide_with: Callable[[list[RoundOutcomes], RuleSettings | None], str] | None = None,
) -> dict[str, Counter[str]]:
    """Per world, how often each verdict label came out of ``repetitions`` draws
    (``decide_with``: the rules v2 label by default; the benchmark passes the old rules)."""
    label = decide_with or verdict_label
    table: dict[str, Counter[str]] = {}
    for i, world in enumerate(worlds):
        rng = np.random.default_rng([seed, i, n])
        tally: Counter[str] = Counter()
        for _ in range(repetitions):
            outcomes = simulate_outcomes(world, n, rng)
            tally[label(outcomes, settings)] += 1
        table[world.name] = tally
    return table


def verdict_label(outcomes: list[RoundOutcomes], settings: RuleSettings | None) -> str:
    """The rules v2 verdict of the findings arm, as printed."""
    return decide(outcomes, settings=settings, reported=False).label


def powered_design(
    world: World, effect: float = 0.15, margin: float = 0.02, delta: float = 0.05
) -> tuple[int, int] | None:
    """The training replicates and evaluation prompts, ``(K, n)``, that ``power``'s formula
    says give the world's verdict 80% power: K from the world's own upwards (up to 12),
    the first K for which some n does, and that n. None: no design up to 12 seeds.

    Every contrast the verdict needs must hold at once, so each is sized for
    ``0.8 ** (1 / J)`` with J of them, at its own distance from its threshold and the
    level it is tested at (rule 1's first Holm step: 2.5% / 3), with the world's
    training-seed spread (known here; unknown to a real experiment's round 0). The
    rates and intra-prompt correlations are those of a large draw of the world:

    - ``helps``: trained and held-out fresh ASR and replay fall beyond clean by ``effect``;
      clean accuracy non-inferior (distance ``margin``);
    - ``helps-trained-only``: the same without held-out;
    - ``whack-a-mole``: replay falls by ``effect``; the novel share exceeds clean's by
      ``effect``, which must clear ``delta``;
    - ``harmful``: the 3-point accuracy loss below the 2-point margin (distance 1 point).
    """
    rng = np.random.default_rng(12345)
    big = simulate_outcomes(replace(world, seeds=1), 4000, rng)
    r0, later = big[0], big[2]
    rho = intraclass_correlation(r0.fresh_trained)
    acc_rho = intraclass_correlation(r0.clean_accuracy)
    with_exploits = r0.replay_initial.prompts_with_trials() / 4000
    replay_m = r0.replay_initial.total_trials / max(1, r0.replay_initial.prompts_with_trials())
    novel_m = later.novel.total_trials / max(1, later.novel.prompts_with_trials())
    with_findings = later.novel.prompts_with_trials() / 4000
    level = 0.025

    def spread(rate: float) -> float:  # a logit-scale seed effect on the rate scale
        return rate * (1 - rate) * world.seed_sd

    # (p, m, rho, distance, share of prompts that carry it, one-sided level, seed spread)
    needs: list[tuple[float, float, float, float, float, float, float]] = []
    if world.truth in ("helps", "helps-trained-only"):
        p = world.trained_rate
        needs.append((p, world.attempts, rho, effect, 1.0, level, spread(p)))
        needs.append((world.accuracy, world.pairs, acc_rho, margin, 1.0, level, 0.0))
    if world.truth == "helps":
        p = world.heldout_rate
        needs.append((p, world.attempts, rho, effect, 1.0, level, spread(p)))
    if world.truth in ("helps", "helps-trained-only", "whack-a-mole"):
        p = world.replay_open
        needs.append((0.5, replay_m, rho, effect, with_exploits, level, spread(p)))
    if world.truth == "whack-a-mole":
        needs.append((world.novel, novel_m, 0.0, effect - delta, with_findings, level, 0.0))
    if world.truth == "harmful":
        loss = -world.accuracy_effect - margin
        needs.append((world.accuracy, world.pairs, acc_rho, loss, 1.0, level / 3, 0.0))
    if not needs:
        return None
    each = POWER ** (1 / len(needs))
    for seeds in range(world.seeds, 13):
        sizes = [
            prompts_for(p, m, seeds, r, d, power=each, level=a, seed_sd=sd)
            for p, m, r, d, _, a, sd in needs
        ]
        if all(size is not None for size in sizes):
            shares = [need[4] for need in needs]
            n = max(math.ceil(size / share) for size, share in zip(sizes, shares, strict=True))
            return seeds, n
    return None
