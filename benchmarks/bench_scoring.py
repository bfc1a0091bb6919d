"""Scoring throughput on the demo RM: the harness scorer against three baselines, one run.

    python benchmarks/bench_scoring.py [--pairs 2000] [--single 200]

The same mixed-length workload (prompt + response of 5 to 200 tokens) is scored:

1. by the harness ``Scorer`` (length-sorted buckets, dynamic padding, cache);
2. by a raw batched forward with dynamic padding and length sorting: the limit;
3. by padding every batch to the model's max length (what TextAttack's stock
   ``HuggingFaceModelWrapper`` does);
4. one text at a time (on the first ``--single`` pairs; texts/s extrapolates).

Then the scorer scores the same texts again: the cache must answer with 0 model queries.
Prints texts/s and the ratios. Targets: scorer >= 0.9x raw, >= 5x pad-to-max.
"""

from __future__ import annotations

import argparse
import os
import random
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
from transformers.utils import logging as hf_logging

from harness.core.words import common_words
from harness.demo.build import build_demo_checkpoint, heldout_pairs
from harness.models import load_reward_model
from harness.scoring import Scorer

BATCH = 64


def workload(tokenizer, n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Joke prompts with responses of 5-200 tokens (uniform): joke text, repeated and cut."""
    rng = random.Random(seed)
    pairs = heldout_pairs()
    words = common_words()
    prompts, responses = [], []
    for _ in range(n):
        pair = rng.choice(pairs)
        target = rng.randint(5, 200)
        pieces: list[str] = []
        while len(tokenizer.tokenize(" ".join(pieces))) < target:
            pieces.append(rng.choice([pair.chosen, pair.rejected, rng.choice(words)]))
        ids = tokenizer(" ".join(pieces), add_special_tokens=False)["input_ids"][:target]
        prompts.append(pair.prompt)
        responses.append(tokenizer.decode(ids))
    return prompts, responses


def raw_forward(model, tokenizer, prompts, responses, *, pad_to_max: bool, max_length: int):
    order = sorted(range(len(prompts)), key=lambda i: -len(tokenizer.tokenize(responses[i])))
    scores = [0.0] * len(prompts)
    with torch.inference_mode():
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            batch = tokenizer(
                [prompts[i] for i in idx],
                [responses[i] for i in idx],
                padding="max_length" if pad_to_max else True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            out = model(**batch).logits[:, 0]
            for i, value in zip(idx, out.tolist(), strict=True):
                scores[i] = value
    return scores


def timed(label, fn, n, results):
    started = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - started
    results[label] = n / elapsed
    print(f"{label:<34} {n:>5} texts {elapsed:8.2f} s {n / elapsed:9.1f} texts/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--single", type=int, default=200)
    args = parser.parse_args()
    hf_logging.set_verbosity_error()

    rm = load_reward_model(build_demo_checkpoint(progress=False).path)
    model, tokenizer, max_length = rm.model, rm.tokenizer, rm.max_length
    prompts, responses = workload(tokenizer, args.pairs)
    lengths = [item.length for item in rm.prepare(prompts, responses)]
    print(
        f"demo RM on {torch.get_num_threads()} threads; {args.pairs} pairs, "
        f"{min(lengths)}-{max(lengths)} tokens (mean {sum(lengths) / len(lengths):.0f}); "
        f"max length {max_length}; batch {BATCH}"
    )
    rate: dict[str, float] = {}
    scorer = Scorer(rm, batch_size=BATCH)
    timed("1. harness scorer", lambda: scorer.score(prompts, responses), args.pairs, rate)
    timed(
        "2. raw dynamic padding (limit)",
        lambda: raw_forward(
            model, tokenizer, prompts, responses, pad_to_max=False, max_length=max_length
        ),
        args.pairs,
        rate,
    )
    timed(
        "3. pad every batch to max length",
        lambda: raw_forward(
            model, tokenizer, prompts, responses, pad_to_max=True, max_length=max_length
        ),
        args.pairs,
        rate,
    )
    single = args.single

    def one_at_a_time() -> None:
        with torch.inference_mode():
            for p, r in zip(prompts[:single], responses[:single], strict=True):
                model(
                    **tokenizer(p, r, truncation=True, max_length=max_length, return_tensors="pt")
                )

    timed("4. one text at a time", one_at_a_time, single, rate)
    queries = scorer.stats.queries
    started = time.perf_counter()
    scorer.score(prompts, responses)
    print(
        f"second pass over the same texts: {scorer.stats.queries - queries} model queries, "
        f"{time.perf_counter() - started:.3f} s"
    )
    print()
    scorer_rate = rate["1. harness scorer"]
    limit = rate["2. raw dynamic padding (limit)"]
    padded = rate["3. pad every batch to max length"]
    print(f"scorer / raw limit:   {scorer_rate / limit:.2f}x  (target >= 0.9x)")
    print(f"scorer / pad-to-max:  {scorer_rate / padded:.2f}x  (target >= 5x)")
    print(f"scorer / one-by-one:  {scorer_rate / rate['4. one text at a time']:.2f}x")


if __name__ == "__main__":
    main()
