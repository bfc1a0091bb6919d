"""First contact: how long `rmh demo` takes from nothing, and how soon it shows a hole.

    python benchmarks/bench_demo.py [--no-baseline]

Runs `rmh demo` twice in a fresh cache folder, as a new user would after installing:

1. cold: both demo reward models are trained, then the quick suite runs;
2. warm: both are reused from the cache.

For each it prints the wall time and when the first finding was printed (the line "the
hole, before any search", a sample the heuristic judge calls bad that outscores the real
joke), and the build time of each reward model as recorded in its ``rmh_demo.json``.

The baseline, trained in the same run on the same cores: the previous recipe (two epochs
at 6e-5 for the demo RM, one full epoch at 8e-5 for the gold RM), its build times and
held-out accuracy against the current recipe's. Targets: cold under 240 s, first finding
within 90 s, warm under 120 s (two idle cores; the load average is printed, since a busy
machine makes every figure slower).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HOLE_LINE = "the hole, before any search"
TARGETS = {"cold": 240.0, "first finding": 90.0, "warm": 120.0}


def run_demo(cache: Path, work: Path, out: str) -> dict:
    """One `rmh demo` in a subprocess; the time of each printed line, relative to start."""
    env = {**os.environ, "RMH_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "harness.cli", "demo", "--out", out]
    started = time.perf_counter()
    first_hole = None
    lines = []
    with subprocess.Popen(
        command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            at = time.perf_counter() - started
            lines.append((at, line.rstrip()))
            if first_hole is None and line.startswith(HOLE_LINE):
                first_hole = at
    total = time.perf_counter() - started
    if process.returncode != 0:
        tail = "\n".join(text for _, text in lines[-15:])
        raise SystemExit(f"rmh demo exited {process.returncode}:\n{tail}")
    return {"seconds": total, "first_finding": first_hole, "lines": lines}


def builds(cache: Path) -> dict[str, dict]:
    found = {}
    for meta in sorted(cache.glob("*-rm-*/rmh_demo.json")):
        summary = json.loads(meta.read_text())
        found[summary["recipe"]] = summary
    return found


def baseline_builds(cache: Path) -> dict[str, dict]:
    """The previous recipe, trained here: the same code path, the old hyper-parameters."""
    from harness.demo.build import DEMO, GOLD, build_demo_checkpoint
    from harness.models.training import TrainConfig

    old = {
        "demo": replace(DEMO, config=TrainConfig(epochs=2, batch_pairs=32, learning_rate=6e-5,
                                                 max_length=96, freeze_embeddings=True, seed=0)),
        "gold": replace(GOLD, config=TrainConfig(epochs=1, batch_pairs=32, learning_rate=8e-5,
                                                 max_length=96, freeze_embeddings=True, seed=1)),
    }  # fmt: skip
    os.environ["RMH_CACHE_DIR"] = str(cache)
    return {name: build_demo_checkpoint(recipe, progress=False).summary
            for name, recipe in old.items()}  # fmt: skip


def heldout_accuracy(cache: Path, recipe: str) -> float:
    from harness.demo.build import heldout_pairs
    from harness.models import load_reward_model
    from harness.scoring import Scorer
    from harness.scoring.accuracy import pairwise_accuracy

    (folder,) = cache.glob(f"{recipe}-rm-*")
    return pairwise_accuracy(Scorer(load_reward_model(folder)), heldout_pairs()).accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-baseline", action="store_true", help="skip the old recipe")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        root = Path(tmp)
        cache, work = root / "cache", root / "work"
        work.mkdir()
        cold = run_demo(cache, work, "runs/cold")
        current = builds(cache)
        warm = run_demo(cache, work, "runs/warm")
        print(f"{'':24}{'seconds':>9}{'target':>9}")
        for name, value, target in (
            ("cold rmh demo", cold["seconds"], TARGETS["cold"]),
            ("first finding (cold)", cold["first_finding"], TARGETS["first finding"]),
            ("warm rmh demo", warm["seconds"], TARGETS["warm"]),
        ):
            shown = f"{value:9.1f}" if value is not None else "     none"
            print(f"{name:24}{shown}{target:9.0f}")
        for name, summary in current.items():
            print(f"build {name} RM: {summary['build_seconds']:.1f} s, {summary['steps']} steps")
        if args.no_baseline:
            return
        accuracy = {name: heldout_accuracy(cache, name) for name in current}
        old_cache = root / "baseline-cache"
        old = baseline_builds(old_cache)
        old_accuracy = {name: heldout_accuracy(old_cache, name) for name in old}
        print(f"\n{'RM':6}{'old s':>8}{'new s':>8}{'speed-up':>10}{'old acc':>9}{'new acc':>9}")
        for name in ("demo", "gold"):
            before, after = old[name]["build_seconds"], current[name]["build_seconds"]
            print(
                f"{name:6}{before:8.1f}{after:8.1f}{before / after:9.2f}x"
                f"{old_accuracy[name]:9.1%}{accuracy[name]:9.1%}"
            )


if __name__ == "__main__":
    main()
