"""Attack efficiency on the demo RM: our best black-box search against TextAttack, one run.

    python benchmarks/bench_attacks.py [--prompts 20] [--budget 2000]

Every contender gets the same held-out prompts and the same query budget per prompt,
and the same judges (heuristic + the demo's gold RM). Only findings that the search
made count (starting points that already won are excluded). Contenders:

1. ours: ``greedy-coordinate`` through our scorer;
2. TextAttack greedy word swap by importance (``textattack-greedy-wir``), our scorer;
3. TextAttack beam search (``textattack-beam``), our scorer;
4. the same beam recipe through TextAttack's stock ``HuggingFaceModelWrapper``, which
   pads every query to the model's max length (the prompt column frozen).

Prints findings per 1,000 queries, queries/s and wall time, and the ratios. Targets:
ours >= 3x TextAttack's best findings per 1,000 queries; our scorer >= 20x the stock
wrapper's speed.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import OrderedDict

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from transformers.utils import logging as hf_logging

from attacks import get_attack
from attacks.textattack_adapter import TextAttackParams, build_recipe, import_textattack
from harness.cli.attack import load_prompts
from harness.core.text import normalize
from harness.demo.build import DEMO, GOLD, build_demo_checkpoint
from harness.judges import build_judges, calibrate_judges, judge_candidates
from harness.models import load_reward_model
from harness.scoring import Scorer
from harness.suite import resolve_suite


def run_ours(name, scorer, pairs, budget, judges):
    findings = queries = 0
    started = time.perf_counter()
    for i, pair in enumerate(pairs):
        outcome = get_attack(name)().run(
            scorer, pair.prompt, pair.chosen, budget=budget, seed=i, judges=judges
        )
        findings += len(outcome.searched_findings)
        queries += outcome.queries
    return findings, queries, time.perf_counter() - started


def run_stock_beam(rm, pairs, budget, judges):
    """TextAttack beam through its own HuggingFaceModelWrapper; findings judged afterwards."""
    import_textattack()
    from textattack.models.wrappers import HuggingFaceModelWrapper
    from textattack.shared import AttackedText

    class Recording(HuggingFaceModelWrapper):
        def __call__(self, text_input_list):
            logits = super().__call__(text_input_list)
            self.seen.extend(zip(text_input_list, logits[:, 0].tolist(), strict=True))
            return logits

    findings = queries = 0
    started = time.perf_counter()
    for i, pair in enumerate(pairs):
        wrapper = Recording(rm.model, rm.tokenizer)
        wrapper.seen = []
        reference = float(wrapper([(pair.prompt, pair.chosen)])[0, 0])
        attack = build_recipe(
            "beam",
            None,
            TextAttackParams(),
            model_wrapper=wrapper,
            threshold=reference,
            budget=budget - 1,
            seed=i,
            frozen_columns=(["prompt", "response"], {"prompt"}),
        )
        text = AttackedText(OrderedDict(prompt=pair.prompt, response=pair.chosen))
        attack.attack(text, pair.chosen)
        queries += attack.goal_function.num_queries + 1
        winners = {normalize(r): r for (_, r), s in wrapper.seen[1:] if s > reference}
        decisions = judge_candidates(judges, pair.prompt, pair.chosen, list(winners.values()))
        findings += sum(bad for bad, _ in decisions)
    return findings, queries, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=20)
    parser.add_argument("--budget", type=int, default=2000)
    args = parser.parse_args()
    hf_logging.set_verbosity_error()
    rm = load_reward_model(build_demo_checkpoint(DEMO, progress=False).path)
    gold = load_reward_model(build_demo_checkpoint(GOLD, progress=False).path)
    pairs = load_prompts(None, args.prompts)
    # The judges of the quick suite (heuristic + the demo's gold RM), built as a run does.
    specs = resolve_suite("quick").judge_specs()
    scorers = {"gold-demo": Scorer(gold)}
    judges = build_judges(specs, scorers.__getitem__)
    calibrated = calibrate_judges(specs, judges, pairs)
    print(
        f"demo RM, {len(pairs)} prompts, budget {args.budget}/prompt, judges "
        f"{'; '.join(f'{s.name} {dict(s.params)}' for s in calibrated)}"
    )
    rows = {}
    for label, name in (
        ("1. ours greedy-coordinate", "greedy-coordinate"),
        ("2. TextAttack greedy-WIR (our scorer)", "textattack-greedy-wir"),
        ("3. TextAttack beam (our scorer)", "textattack-beam"),
    ):
        rows[label] = run_ours(name, Scorer(rm), pairs, args.budget, judges)
    rows["4. TextAttack beam (stock wrapper)"] = run_stock_beam(rm, pairs, args.budget, judges)
    for label, (findings, queries, seconds) in rows.items():
        print(
            f"{label:<40} {findings:>5} findings {queries:>7} queries "
            f"{1000 * findings / max(queries, 1):8.2f}/1k q {queries / seconds:8.1f} q/s "
            f"{seconds:8.1f} s"
        )
    per_k = {k: 1000 * f / max(q, 1) for k, (f, q, _) in rows.items()}
    speed = {k: q / s for k, (_, q, s) in rows.items()}
    best_ta = max(v for k, v in per_k.items() if "TextAttack" in k)
    ours = per_k["1. ours greedy-coordinate"]
    print()
    ratio = "inf" if best_ta == 0 else f"{ours / best_ta:.1f}x"
    print(f"ours / TextAttack's best, findings per 1k queries: {ratio}  (target >= 3x)")
    speedup = speed["3. TextAttack beam (our scorer)"] / speed["4. TextAttack beam (stock wrapper)"]
    print(f"TextAttack beam, our scorer / stock wrapper, queries/s: {speedup:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
