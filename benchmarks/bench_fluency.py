"""Fluency-judge throughput on SmolLM2: prompt-shared teacher forcing against the naive way.

    python benchmarks/bench_fluency.py [--prompts 5] [--jokes 100] [--batch 16]

The workload is what an attack gives the fluency judge: many responses to one prompt.
``--jokes`` real jokes of the demo's train split, spread over ``--prompts`` of its prompts
(the jokes of each prompt, then other jokes to fill), each scored after its prompt in
SmolLM2's chat template (response tokens and the end of turn), three ways, in one run:

1. naive: ``CausalLM.sequence_logprobs`` one (prompt, response) row at a time;
2. ``sequence_logprobs`` batched (``--batch`` rows, the prompt left-padded in each row);
3. ``harness.models.continuations.continuation_logprobs``: each prompt read once, its
   key/value cache copied to length-sorted batches of its responses (the judge's path).

Then the fluency judge judges every response again against its prompt's first joke: its
cache must answer with no LM call. Prints texts/s, the ratios against the naive way, and
the largest difference in log probability between the ways (float rounding only).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch

from harness.demo.build import train_pairs
from harness.judges.fluency import FluencyJudge
from harness.models.causal_lm import shared_causal_lm
from harness.models.continuations import continuation_logprobs


def workload(prompts: int, jokes: int) -> list[tuple[str, list[str]]]:
    """``prompts`` train prompts with the most jokes, ``jokes`` jokes spread over them."""
    by_prompt: dict[str, list[str]] = {}
    for pair in train_pairs():
        texts = by_prompt.setdefault(pair.prompt, [])
        if pair.chosen not in texts:
            texts.append(pair.chosen)
    chosen = sorted(by_prompt, key=lambda p: -len(by_prompt[p]))[:prompts]
    every = list(dict.fromkeys(t for texts in by_prompt.values() for t in texts))
    share = jokes // len(chosen)
    out = []
    for prompt in chosen:
        own = by_prompt[prompt][:share]
        fill = [t for t in every if t not in own][: share - len(own)]
        out.append((prompt, own + fill))
    return out


def timed(label: str, run: Callable[[], object], n: int, rate: dict[str, float]) -> object:
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    rate[label] = n / seconds
    print(f"{label:<44} {seconds:7.2f} s  {rate[label]:7.1f} texts/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=5)
    parser.add_argument("--jokes", type=int, default=100)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    started = time.perf_counter()
    lm = shared_causal_lm("smollm2")
    print(f"loaded SmolLM2 in {time.perf_counter() - started:.1f} s")
    judge = FluencyJudge(lm, batch_size=args.batch)
    work = workload(args.prompts, args.jokes)
    rows = [(lm.encode_prompt(p), judge.response_ids(t)) for p, texts in work for t in texts]
    n = len(rows)
    prompt_tokens = np.mean([len(p) for p, _ in rows])
    response_tokens = np.mean([len(r) for _, r in rows])
    print(
        f"{n} texts over {len(work)} prompts on {torch.get_num_threads()} threads; prompt "
        f"{prompt_tokens:.0f} tokens, response {response_tokens:.1f} (end of turn included); "
        f"batch {args.batch}"
    )
    rate: dict[str, float] = {}
    prompts, responses = [p for p, _ in rows], [r for _, r in rows]
    naive = timed(
        "1. naive: one row at a time",
        lambda: lm.sequence_logprobs(prompts, responses, batch_size=1),
        n,
        rate,
    )
    batched = timed(
        "2. sequence_logprobs, batched",
        lambda: lm.sequence_logprobs(prompts, responses, batch_size=args.batch),
        n,
        rate,
    )

    def shared() -> np.ndarray:
        out = []
        for prompt, texts in work:
            ids = [judge.response_ids(t) for t in texts]
            pieces = continuation_logprobs(lm, lm.encode_prompt(prompt), ids, batch_size=args.batch)
            out += [float(piece.sum()) for piece in pieces]
        return np.array(out)

    mine = timed("3. prompt read once, cache shared", shared, n, rate)
    base = rate["1. naive: one row at a time"]
    for label, value in rate.items():
        print(f"{label:<44} {value / base:5.2f}x the naive way")
    print(
        "largest difference in a response's log probability: "
        f"batched {np.abs(np.asarray(batched) - naive).max():.2e}, "
        f"shared {np.abs(mine - naive).max():.2e} nats"
    )
    for prompt, texts in work:  # fill the judge's cache, then time a second pass
        judge.judge(prompt, texts[0], texts)
    calls: list[int] = []
    import harness.models.continuations as continuations

    real = continuations.continuation_logprobs

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    continuations.continuation_logprobs = counting
    started = time.perf_counter()
    for prompt, texts in work:
        judge.judge(prompt, texts[0], texts)
    print(
        f"judging the same texts again: {len(calls)} LM calls, "
        f"{time.perf_counter() - started:.3f} s"
    )


if __name__ == "__main__":
    main()
