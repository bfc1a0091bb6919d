"""Optimization trajectories: search attacks climbing the proxy from a good response.

Best-of-n needs a sampling policy; this needs none, so it works for every checkpoint. A
search attack (``random-search``, ``greedy-coordinate``, ``beam``, ``genetic``) starts
from a prompt's reference response and climbs the proxy, query after query. Its *path*
is the reference (step 0), then each candidate that became the search's best so far,
with the queries spent when it did. Every point of the path is scored by the gold and
judged by the validity judges (the heuristic judge, and the gold-RM judge with a margin
calibrated on meaning-preserving edits of the references, as a run's judges are), so a
path shows where gold peaks and where the judges first confirm nonsense.

**How the path gets out of the attack.** Attacks only see a scorer, and the scorer is the
only path to a model; so the path is read from the scorer, not from inside the attack.
``RecordingScorer`` is a ``Scorer`` that also keeps every request it scored, in order
(and passes the same record on to the budgeted scorer ``Attack.run`` makes with
``with_budget``). Nothing in the attacks changes; the search runs exactly as in a run,
with the same seed, the same budget and the same cache; the attack is given no judges
(nothing here is a finding), and the path is judged afterwards.

The references are chosen before (``references.py``): by default, per prompt, a seeded
random sample among those the heuristic judge does not call nonsense (neither RM's score
chooses it, so the gold is not made to peak at the start by selection); or the proxy's
favourite of them; or the ``--references`` pairs' chosen responses. The rule is recorded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import Levenshtein
from tqdm.auto import tqdm

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.experiments.sweep.result import (
    AttackPath,
    PathPoint,
    PathSummary,
    Scales,
    Trajectories,
)
from harness.judges import GoldRMJudge, HeuristicJudge, calibrate_gold_margin, judge_candidates
from harness.scoring import Scorer

SEARCH_ATTACKS = ("random-search", "greedy-coordinate", "beam", "genetic")

#: One scored request: the scorer's query count after it, the texts, their scores.
Request = tuple[int, tuple[str, ...], np.ndarray]


@dataclass(repr=False)
class RecordingScorer(Scorer):
    """A scorer that keeps every request it scored, in order, in ``trace``.

    ``with_budget`` passes the same ``trace`` (and cache) on, so the budgeted scorer an
    attack makes records into it too.
    """

    trace: list[Request] = field(default_factory=list)

    def score(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        scores = super().score(prompts, responses)
        self.trace.append((self.stats.queries, tuple(responses), scores.copy()))
        return scores


def incumbents(trace: Sequence[Request]) -> list[tuple[int, str, float]]:
    """(queries, text, proxy) along the path: the first request (the reference, which
    ``Attack.run`` scores first), then every candidate that beat all before it."""
    if not trace:
        return []
    queries, texts, scores = trace[0]
    path = [(queries, texts[0], float(scores[0]))]
    best = -np.inf
    for queries, texts, scores in trace[1:]:
        if len(scores) == 0:
            continue
        index = int(np.argmax(scores))
        if scores[index] > best:
            best = float(scores[index])
            path.append((queries, texts[index], best))
    return path


@dataclass(frozen=True)
class TrajectoryConfig:
    """Which attacks, on how many references, with what budget (recorded in sweep.json)."""

    attacks: tuple[str, ...] = SEARCH_ATTACKS
    prompts: int = 8
    budget: int = 320
    batch: int = 16
    length: int = 8
    mode: str = "suffix"
    seed: int = 0


def parse_attacks(text: str) -> tuple[str, ...]:
    """``a,b,c`` -> registered attack names (an unknown one is a one-line error)."""
    from attacks.registry import get_attack

    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise HarnessError("--trajectory-attacks names no attack")
    for name in names:
        get_attack(name).check_available()
    return names


def attack_params(cls: type, config: TrajectoryConfig) -> dict[str, object]:
    """The search mode, length and batch, for the attacks whose parameters have them."""
    fields = {f.name for f in dataclasses.fields(cls.Params)}
    wanted = {
        "mode": config.mode,
        "length": config.length,
        "batch": config.batch,
        "population": config.batch,
    }
    return {k: v for k, v in wanted.items() if k in fields}


def path_seed(seed: int, attack: str, prompt: str) -> int:
    """The attack's seed on one prompt: derived from the sweep seed, the same every run."""
    digest = hashlib.sha256(f"{seed}\0{attack}\0{prompt}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def choose_prompts(prompts: Sequence[str], k: int, seed: int) -> list[str]:
    """A seeded sample of ``k`` prompts (all when fewer), in sorted order."""
    ordered = sorted(dict.fromkeys(prompts))
    if k >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, k))


def edits(reference: str, text: str) -> tuple[int, int]:
    """Word-level and character-level Levenshtein distance from the reference."""
    return (
        int(Levenshtein.distance(reference.split(), text.split())),
        int(Levenshtein.distance(reference, text)),
    )


def run_trajectories(
    references: dict[str, str],
    proxy: Scorer,
    gold: Scorer,
    scales: Scales,
    config: TrajectoryConfig,
    *,
    reference_source: str,
    reference_rule: str,
    progress: bool = False,
) -> Trajectories:
    """Run every attack from every chosen reference and score and judge its path;
    ``reference_rule`` and ``reference_source`` (the rule in words) say how the
    references were chosen, for the record."""
    from attacks.registry import get_attack

    prompts = choose_prompts(list(references), config.prompts, config.seed)
    if not prompts:
        raise HarnessError("no reference response to start the trajectories from")
    pairs = [PreferencePair(p, references[p], "", 0) for p in prompts]
    margin = calibrate_gold_margin(gold, pairs, seed=config.seed)
    judges = [HeuristicJudge(), GoldRMJudge(gold, margin=margin)]
    gold_unit = scales.gold_sd if scales.gold_sd > 0 else 1.0
    paths: list[AttackPath] = []
    jobs = [(p, a) for p in prompts for a in config.attacks]
    for prompt, name in tqdm(jobs, desc="trajectories", unit="path", disable=not progress):
        cls = get_attack(name)
        attack = cls(**attack_params(cls, config))
        recorder = RecordingScorer(
            model=proxy.model,
            batch_size=proxy.batch_size,
            max_batch_tokens=proxy.max_batch_tokens,
            cache=proxy.cache,
        )
        seed = path_seed(config.seed, name, prompt)
        reference = references[prompt]
        outcome = attack.run(recorder, prompt, reference, budget=config.budget, seed=seed)
        steps = incumbents(recorder.trace)
        texts = [text for _, text, _ in steps]
        gold_scores = gold.score([prompt] * len(texts), texts)
        verdicts = judge_candidates(judges, prompt, reference, texts)
        proxy_ref, gold_ref = steps[0][2], float(gold_scores[0])
        points: list[PathPoint] = []
        travelled = 0
        for step, ((queries, text, proxy_score), g, (bad, reasons)) in enumerate(
            zip(steps, gold_scores, verdicts, strict=True)
        ):
            words, chars = edits(reference, text)
            if points:
                travelled += edits(points[-1].text, text)[0]
            points.append(
                PathPoint(
                    step=step,
                    queries=queries,
                    text=text,
                    proxy=proxy_score,
                    gold=float(g),
                    proxy_gain=(proxy_score - proxy_ref) / scales.proxy_sd,
                    gold_gain=(float(g) - gold_ref) / gold_unit,
                    edit_words=words,
                    edit_chars=chars,
                    path_edits=travelled,
                    nonsense=bad,
                    reasons=reasons,
                )
            )
        peak = int(np.argmax(gold_scores))
        first_bad = next((p.step for p in points if p.nonsense), None)
        paths.append(
            AttackPath(
                attack=name,
                prompt=prompt,
                reference=reference,
                seed=seed,
                queries=outcome.queries,
                points=tuple(points),
                gold_peak_step=peak,
                gold_peak_queries=points[peak].queries,
                first_nonsense_step=first_bad,
                first_nonsense_queries=None if first_bad is None else points[first_bad].queries,
                error=outcome.error.splitlines()[0] if outcome.error else None,
            )
        )
    summaries = [summarize("all", paths)] + [
        summarize(name, [p for p in paths if p.attack == name]) for name in config.attacks
    ]
    return Trajectories(
        attacks=config.attacks,
        params={name: attack_params(get_attack(name), config) for name in config.attacks},
        budget=config.budget,
        judges=tuple(j.name for j in judges),
        gold_margin=margin,
        references=reference_source,
        reference_rule=reference_rule,
        paths=tuple(paths),
        summary=tuple(summaries),
        note=(
            "step 0 is the reference; each later step is the search's best candidate so far. "
            "Gains are over the reference, in units of each RM's score spread over the samples"
        ),
    )


def _median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if values else None


def summarize(attack: str, paths: Sequence[AttackPath]) -> PathSummary:
    """Medians over ``paths``: the gold peak's step and queries, the first confirmed
    nonsense's (over the paths that reached it), the final gains."""
    reached = [p for p in paths if p.first_nonsense_step is not None]
    return PathSummary(
        attack=attack,
        paths=len(paths),
        gold_peak_step=_median([p.gold_peak_step for p in paths]),
        gold_peak_queries=_median([p.gold_peak_queries for p in paths]),
        peak_at_start=sum(p.gold_peak_step == 0 for p in paths),
        reached_nonsense=len(reached),
        first_nonsense_step=_median([p.first_nonsense_step or 0 for p in reached]),
        first_nonsense_queries=_median([p.first_nonsense_queries or 0 for p in reached]),
        final_proxy_gain=_median([p.points[-1].proxy_gain for p in paths]),
        final_gold_gain=_median([p.points[-1].gold_gain for p in paths]),
    )
