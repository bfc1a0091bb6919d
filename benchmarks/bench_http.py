"""The demo RM through ``rmh serve`` on localhost, against the local scorer, one run.

    python benchmarks/bench_http.py [--pairs 2000] [--clients 8] [--requests 500]

1. **Throughput.** The same mixed-length workload as ``bench_scoring.py`` (prompt +
   response of 5 to 200 tokens) is scored by the local scorer, then through a real
   ``rmh serve`` child process (``HttpRewardModel``, concurrency 4) with the client's
   default request size and with larger batches. Prints texts/s and the ratio to local
   (target: >= 0.7x), and checks the served scores equal the local ones (float32 noise).
2. **Load.** ``--clients`` concurrent clients (a small asyncio ``httpx`` driver), each
   sending ``--requests`` requests of ``--load-pairs`` pairs one after another. Prints
   errors (target: none) and the p50/p99/max request latency. Traffic goes to the
   server on 127.0.0.1 only; every loop is bounded in count and by ``--deadline``.

The server and this client share the machine's cores: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import httpx
import numpy as np
import torch
from bench_scoring import workload
from transformers.utils import logging as hf_logging

from harness.demo.build import build_demo_checkpoint
from harness.models import HttpOptions, HttpRewardModel, LoadOptions, load_reward_model
from harness.scoring import Scorer
from harness.testing import rmh_serve

BATCH = 64


def timed(label: str, fn, n: int, rates: dict[str, float]):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    rates[label] = n / elapsed
    print(f"{label:<44} {n:>5} texts {elapsed:8.2f} s {n / elapsed:9.1f} texts/s", flush=True)
    return result


async def load_test(url: str, pairs: list[dict[str, str]], args) -> tuple[list[float], int, int]:
    """``clients`` loops of ``requests`` POSTs each; latencies (s), errors, requests sent."""
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.monotonic() + args.deadline
    limits = httpx.Limits(max_connections=args.clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one_client(c: int) -> None:
            nonlocal errors, sent
            for r in range(args.requests):
                if time.monotonic() > deadline:
                    return
                start = (c * args.requests + r) * args.load_pairs % len(pairs)
                body = {"pairs": (pairs * 2)[start : start + args.load_pairs]}
                began = time.perf_counter()
                try:
                    answer = await client.post(f"{url}/score", json=body)
                    ok = answer.status_code == 200 and len(answer.json()["scores"]) == len(
                        body["pairs"]
                    )
                except (httpx.HTTPError, ValueError, KeyError):
                    ok = False
                latencies.append(time.perf_counter() - began)
                sent += 1
                errors += not ok

        await asyncio.gather(*(one_client(c) for c in range(args.clients)))
    return latencies, errors, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--load-pairs", type=int, default=1, help="pairs per load-test request")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds, load test")
    args = parser.parse_args()
    hf_logging.set_verbosity_error()

    checkpoint = str(build_demo_checkpoint(progress=False).path)
    rm = load_reward_model(checkpoint)
    prompts, responses = workload(rm.tokenizer, args.pairs)
    print(
        f"demo RM; {args.pairs} pairs; this process {torch.get_num_threads()} torch threads, "
        f"{os.cpu_count()} cores shared with the server"
    )
    rates: dict[str, float] = {}
    Scorer(rm).score(prompts[:64], responses[:64])  # warm up
    local = timed(
        "local scorer (batch 64)",
        lambda: Scorer(rm, batch_size=BATCH).score(prompts, responses),
        args.pairs,
        rates,
    )
    settings = [
        (BATCH, HttpOptions().max_batch),  # the client's defaults
        (256, 64),
    ]
    with rmh_serve(checkpoint, "--max-batch", "256", "--batch-size", str(BATCH)) as url:
        for batch, max_batch in settings:
            http = HttpOptions(concurrency=args.concurrency, max_batch=max_batch)
            model = HttpRewardModel(url, LoadOptions(http=http))
            Scorer(model).score(prompts[:64], responses[:64])  # warm up the server
            label = f"rmh serve, batch {batch}, max-batch {max_batch}, conc. {args.concurrency}"
            scorer = Scorer(model, batch_size=batch)
            sent = model.transport.sent
            served = timed(label, lambda s=scorer: s.score(prompts, responses), args.pairs, rates)
            requests = model.transport.sent - sent
            worst = float(np.max(np.abs(served - local)))
            print(
                f"    {scorer.stats.batches} scorer batches, {requests} requests "
                f"({requests / scorer.stats.batches:.1f} per batch, retries "
                f"{model.transport.retried}); max |served - local| = {worst:.2e}"
            )
            model.close()
        print()
        for label, rate in rates.items():
            if label.startswith("rmh serve"):
                print(
                    f"{label} / local: {rate / rates['local scorer (batch 64)']:.2f}x "
                    "(target >= 0.7x)"
                )
        print()
        pairs = [{"prompt": p, "response": r} for p, r in zip(prompts, responses, strict=True)]
        started = time.perf_counter()
        latencies, errors, sent = asyncio.run(load_test(url, pairs, args))
        elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    print(
        f"load: {args.clients} clients x {args.requests} requests of {args.load_pairs} pair(s): "
        f"{sent} sent in {elapsed:.1f} s ({sent / elapsed:.0f} req/s), {errors} errors"
    )
    print(
        f"latency ms: p50 {np.percentile(ms, 50):.1f}, p99 {np.percentile(ms, 99):.1f}, "
        f"max {ms.max():.1f}"
    )
    if sent < args.clients * args.requests:
        print(f"stopped at the {args.deadline:.0f} s deadline")


if __name__ == "__main__":
    main()
