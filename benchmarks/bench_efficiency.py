"""Query-efficient attacks: ASR and queries to the first finding at small budgets.

    python benchmarks/bench_efficiency.py [--seed 0] [--budgets 50,150,600] [--out DIR]

The attacked model is the demo RM; the judges are heuristic and the demo's gold RM (margin
calibrated, as ``rmh attack --gold gold-demo`` does). The prompts are fixed by one rule,
chosen before any run: the held-out prompts grouped by topic (8 topics, 54 prompts), each
topic's prompts shuffled with the seed, then taken round-robin over the topics in name
order until there are 10: every topic, two of them twice.

- **cold** (an empty store): random-search, greedy-coordinate, gcg as it was (a fixed
  batch of 32: ``min_steps = 0``), gcg sized from its budget, ``transfer`` (gcg on the
  ``surrogate-demo`` RM, the demo recipe with another seed; its queries counted apart)
  and ``bandit`` (its default arms); TextAttack beam and greedy-WIR at the largest budget.
- **warm** (``library``): random-search, greedy-coordinate and gcg seeded from a library
  built by a real run (``rmh run``, greedy-coordinate at ``--library-budget`` queries, the
  same judges) on the *other* 44 held-out prompts, written to a store; the library is
  read from that store, never from the attacked prompts.
- **chance**: the best of ``budget`` random soups per prompt, at each budget.

Every row: ASR (prompts with a kept finding, of the prompts attacked; Wilson 95%), the
median target queries to the first finding over all 10 prompts (a miss counts as never:
no median when half or more miss), the mean target queries and surrogate queries per
prompt, and seconds. Then the issue's two acceptance lines, computed from the table, and
the library's transfer rate: each of the library's seeds placed against each attacked
prompt, scored once, and judged by the finding rule; split by whether the seed's prompt
had the attacked prompt's topic.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from statsmodels.stats.proportion import proportion_confint

from harness.core.data import PreferencePair
from harness.demo.build import data_path
from harness.runner.trial import CHECKPOINT, Trial, TrialSpec, TrialTotals

ATTACKED = 10
LIBRARY_SEEDS = 16


@dataclass(frozen=True)
class Variant:
    label: str
    attack: str
    params: dict
    start: str  # "cold" or "warm"
    only_at: int | None = None  # TextAttack: the largest budget only


def variants(largest: int) -> list[Variant]:
    return [
        Variant("random-search", "random-search", {}, "cold"),
        Variant("greedy-coordinate", "greedy-coordinate", {}, "cold"),
        Variant("gcg, fixed batch (as before)", "gcg", {"min_steps": 0}, "cold"),
        Variant("gcg, budget-aware", "gcg", {}, "cold"),
        Variant("transfer (gcg on surrogate-demo)", "transfer", {}, "cold"),
        Variant("bandit", "bandit", {}, "cold"),
        Variant("TextAttack beam", "textattack-beam", {}, "cold", only_at=largest),
        Variant("TextAttack greedy-WIR", "textattack-greedy-wir", {}, "cold", only_at=largest),
        Variant("random-search + library", "random-search", {}, "warm"),
        Variant("greedy-coordinate + library", "greedy-coordinate", {}, "warm"),
        Variant("gcg + library", "gcg", {}, "warm"),
    ]


#: Cold-start rows the first acceptance line takes the best of; the rows that were the
#: harness's attacks before query efficiency ("today's best at the largest budget").
COLD_NEW = ("gcg, budget-aware", "transfer (gcg on surrogate-demo)", "bandit")
BEFORE = (
    "random-search",
    "greedy-coordinate",
    "gcg, fixed batch (as before)",
    "TextAttack beam",
    "TextAttack greedy-WIR",
)


def heldout_by_topic() -> tuple[list[PreferencePair], dict[str, str]]:
    """Every held-out pair, and each distinct prompt's topic."""
    from harness.demo.build import heldout_pairs

    pairs = heldout_pairs()
    lines = data_path("jokes_heldout.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return pairs, {r["prompt"]: r["topic"] for r in rows}


def pick_prompts(topics: dict[str, str], seed: int) -> list[str]:
    """Round-robin over the topics in name order, each topic's prompts shuffled by ``seed``."""
    rng = random.Random(seed)
    queues = {}
    for topic in sorted(set(topics.values())):
        prompts = [p for p, t in topics.items() if t == topic]
        rng.shuffle(prompts)
        queues[topic] = prompts
    chosen: list[str] = []
    while len(chosen) < ATTACKED:
        for topic in sorted(queues):
            if queues[topic] and len(chosen) < ATTACKED:
                chosen.append(queues[topic].pop(0))
    return chosen


def build_library(pairs: list[PreferencePair], folder: Path, budget: int, seed: int) -> Path:
    """A real run (greedy-coordinate) on ``pairs``' prompts, its findings in a new store."""
    data = folder / "library-prompts.jsonl"
    data.write_text(
        "".join(
            json.dumps({"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected}) + "\n"
            for p in pairs
        )
    )
    suite = folder / "library.toml"
    suite.write_text(
        f'name = "library"\nseed = {seed}\n\n[data]\nsource = "{data.name}"\n\n'
        '[judges.heuristic]\n\n[judges.gold-rm]\ncheckpoint = "gold-demo"\n'
        'margin = "calibrate"\n\n'
        f'[[attacks]]\nname = "greedy-coordinate"\nbudget = {budget}\n'
    )
    store = folder / "library.sqlite"
    command = [sys.executable, "-m", "harness.cli", "run", "demo", "--suite", str(suite)]
    command += ["--out", str(folder / "library-run"), "--store", str(store)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return store


def wilson(hits: int, n: int) -> str:
    low, high = proportion_confint(hits, n, alpha=0.05, method="wilson")
    return f"{hits}/{n} [{low:.0%}, {high:.0%}]"


def median_first(firsts: list[int | None]) -> float:
    """The median queries to the first finding, a miss counting as never (inf)."""
    return statistics.median([math.inf if f is None else f for f in firsts])


def trial(variant: Variant, pairs: list[PreferencePair], budget: int, seed: int, library) -> Trial:
    return Trial.prepare(
        TrialSpec(
            checkpoint="demo",
            attack=variant.attack,
            params=dict(variant.params),
            budget=budget,
            prompts=tuple(pairs),
            seed=seed,
            gold="gold-demo",
            library=tuple(library) if variant.start == "warm" else (),
        )
    )


def measure(variant: Variant, pairs, budget: int, seed: int, library, chance: dict) -> dict:
    started = time.perf_counter()
    prepared = trial(variant, pairs, budget, seed, library)
    attempts = list(prepared.attempts(baseline=budget not in chance))
    if budget not in chance:
        chance[budget] = sum(a.baseline.best_of_n for a in attempts)
    totals = TrialTotals.of(attempts)
    firsts = [a.outcome.first_finding_queries if a.entry.succeeded else None for a in attempts]
    from_starts = sum(
        any(f.detail.get("start") == "library" for f in a.outcome.findings) for a in attempts
    )
    return {
        "label": variant.label,
        "start": variant.start,
        "budget": budget,
        "succeeded": totals.succeeded,
        "hits": [bool(a.entry.succeeded) and not a.entry.error for a in attempts],
        "ran": totals.ran,
        "errors": totals.errors,
        "median_first": median_first(firsts),
        "queries": totals.queries / len(attempts),
        "surrogate": sum(a.outcome.surrogate_queries for a in attempts) / len(attempts),
        "from_starts": from_starts,
        "seconds": time.perf_counter() - started,
    }


def transfer_rate(library, pairs, topics: dict[str, str], seed: int) -> dict[str, tuple[int, int]]:
    """Each seed placed on each attacked prompt, scored once: a finding by the rule or not."""
    from attacks.rule import findings_among
    from harness.scoring import Scorer

    prepared = trial(Variant("", "random-search", {}, "cold"), pairs, 1, seed, ())
    worker = prepared.worker
    scorer = Scorer(worker.model(CHECKPOINT))
    counts = {"same topic": [0, 0], "other topic": [0, 0]}
    for pair in pairs:
        seeds = [s for s in library if s.prompt != pair.prompt]
        texts = [s.placed(pair.chosen) for s in seeds]
        reference_score = scorer.score_one(pair.prompt, pair.chosen)
        scores = scorer.score_responses(pair.prompt, texts)
        found = findings_among(
            texts,
            list(scores),
            prompt=pair.prompt,
            reference=pair.chosen,
            reference_score=reference_score,
            judges=worker.judges(),
            margin=0.0,
        )
        hits = {index for index, _, _ in found}
        for index, seed_ in enumerate(seeds):
            key = "same topic" if topics[seed_.prompt] == topics[pair.prompt] else "other topic"
            counts[key][0] += index in hits
            counts[key][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budgets", default="50,150,600")
    parser.add_argument("--library-budget", type=int, default=600)
    parser.add_argument("--out", type=Path, default=None, help="Keep the library run here.")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    all_pairs, topics = heldout_by_topic()
    attacked = pick_prompts(topics, args.seed)
    first_pair = {}
    for pair in all_pairs:
        first_pair.setdefault(pair.prompt, pair)
    pairs = [first_pair[p] for p in attacked]
    others = [p for p in all_pairs if p.prompt not in set(attacked)]
    folder = args.out or Path(tempfile.mkdtemp(prefix="bench-efficiency-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    store = build_library(others, folder, args.library_budget, args.seed)
    library_seconds = time.perf_counter() - started
    from harness.runner.seeding import load_library

    library = load_library(store, prompts=pairs, limit=LIBRARY_SEEDS).seeds
    chance: dict[int, int] = {}
    rows = []
    for variant in variants(max(budgets)):
        for budget in budgets:
            if variant.only_at is None or variant.only_at == budget:
                rows.append(measure(variant, pairs, budget, args.seed, library, chance))
                print(
                    f"  {variant.label} @ {budget}: {rows[-1]['succeeded']}/{rows[-1]['ran']}",
                    file=sys.stderr,
                )
    rates = transfer_rate(library, pairs, topics, args.seed)
    report(rows, budgets, chance, attacked, topics, library, rates, library_seconds, args)


def report(rows, budgets, chance, attacked, topics, library, rates, library_seconds, args):
    n_topics = len({topics[p] for p in attacked})
    print(
        f"demo RM, {len(attacked)} held-out prompts over {n_topics} topics, seed {args.seed}; "
        "judges heuristic + gold-demo (margin calibrated); library: greedy-coordinate at "
        f"{args.library_budget} on the other {len({*topics} - {*attacked})} held-out prompts "
        f"({library_seconds:.0f} s), {len(library)} seeds"
    )
    print("ASR (Wilson 95%) | median queries to first finding (a miss = never) per budget")
    header = ["attack", "start"] + [f"{b}: ASR | med q1" for b in budgets]
    header += ["queries/prompt", "surrogate q/prompt", "from library starts", "s"]
    print(" | ".join(header))
    by = {(r["label"], r["budget"]): r for r in rows}
    for label in dict.fromkeys(r["label"] for r in rows):
        cells = []
        last = None
        for budget in budgets:
            r = by.get((label, budget))
            if r is None:
                cells.append("— | —")
                continue
            last = r
            med = "—" if math.isinf(r["median_first"]) else f"{r['median_first']:.0f}"
            cells.append(f"{wilson(r['succeeded'], r['ran'])} | {med}")
        mine = [by[(label, b)] for b in budgets if (label, b) in by]
        queries = "/".join(format(r["queries"], ".0f") for r in mine)
        surrogate = "/".join(format(r["surrogate"], ".0f") for r in mine)
        starts = "/".join(str(r["from_starts"]) for r in mine)
        seconds = sum(r["seconds"] for r in mine)
        errors = sum(r["errors"] for r in mine)
        line = " | ".join([label, last["start"], *cells, queries, surrogate, starts])
        print(f"{line} | {seconds:.0f}" + (f" | errors {errors}" if errors else ""))
    print(
        "chance (best of n random soups) | "
        + " | ".join(f"{b}: {wilson(chance[b], len(attacked))}" for b in budgets)
    )
    acceptance(by, budgets, rates)


def paired(a: dict, b: dict) -> str:
    """The exact McNemar test of two rows on the same prompts: only the prompts where one
    found and the other did not (the discordant ones) carry evidence."""
    from statsmodels.stats.contingency_tables import mcnemar

    only_a = sum(x and not y for x, y in zip(a["hits"], b["hits"], strict=True))
    only_b = sum(y and not x for x, y in zip(a["hits"], b["hits"], strict=True))
    both = sum(x and y for x, y in zip(a["hits"], b["hits"], strict=True))
    table = [[both, only_a], [only_b, len(a["hits"]) - both - only_a - only_b]]
    p = mcnemar(table, exact=True).pvalue
    return (
        f"paired on the same prompts: {only_a} found only by the first, {only_b} only by "
        f"the second, exact McNemar p = {p:.3f}"
    )


def acceptance(by, budgets, rates):
    small, middle, large = budgets[0], budgets[1], budgets[-1]
    beam = by[("TextAttack beam", large)]
    cold = max((by[(label, middle)] for label in COLD_NEW), key=lambda r: r["succeeded"])
    print(
        f"cold start: best of {', '.join(COLD_NEW)} at {middle}: {cold['label']} "
        f"{cold['succeeded']}/{cold['ran']}; TextAttack beam at {large}: "
        f"{beam['succeeded']}/{beam['ran']}; 2x that is {2 * beam['succeeded']}: "
        + ("met" if cold["succeeded"] >= 2 * beam["succeeded"] else "NOT met")
    )
    print("  " + paired(cold, beam))
    before = max((by[(label, large)] for label in BEFORE), key=lambda r: r["succeeded"])
    warm = max(
        (r for (label, b), r in by.items() if b == small and r["start"] == "warm"),
        key=lambda r: (r["succeeded"], -r["median_first"]),
    )
    met = warm["succeeded"] >= before["succeeded"] and warm["median_first"] <= 20
    print(
        f"warm start: best library-seeded at {small}: {warm['label']} "
        f"{warm['succeeded']}/{warm['ran']}, median {warm['median_first']:g} queries to the "
        f"first finding (a miss = never); best before at {large}: {before['label']} "
        f"{before['succeeded']}/{before['ran']}; " + ("met" if met else "NOT met")
    )
    print("  " + paired(warm, before))
    for key, (hits, n) in rates.items():
        print(f"library transfer, {key}: {wilson(hits, n)} placements are findings")


if __name__ == "__main__":
    main()
