"""The whack-a-mole experiment, powered: `rmh rounds --demo` as issue 20 sizes it.

    python benchmarks/bench_rounds.py [--defaults] [--out DIR]

Runs, in a subprocess and a temporary folder (or ``--out``), the powered configuration:

    python -m harness.cli rounds --demo --seeds 3 --calibrate --out ...

(3 training replicates per arm, every eligible evaluation prompt, budgets calibrated
before round 0; the demo's own defaults are one seed and the suite's budgets), or, with
``--defaults``, `rmh rounds --demo` at its own defaults. The demo reward models are
built first if the cache lacks them (timed apart: a first `rmh demo` pays that once).
Then, read from the experiment folder as measured: the wall time in total, per round,
arm and replicate (from the timestamps of the experiment log, with the training's and
the run's own seconds beside them), the calibration and the power check (the MDE of each
primary contrast, from round 0), the per-round table of each arm, the verdict lines, and
the time of `rmh report` on the folder. Targets (issue 20, two cores): the powered
configuration under 90 min, `rmh rounds --demo` at its defaults under 20 min. The load
average is printed: a busy machine makes every figure slower. Whatever the verdict, it
is the result: nothing here tunes rules, thresholds or data.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

POWERED = ("--seeds", "3", "--calibrate")
TARGETS = {"powered": 90 * 60.0, "defaults": 20 * 60.0}
WARM = (
    "from harness.demo.build import DEMO, GOLD, build_demo_checkpoint\n"
    "built = [build_demo_checkpoint(r, progress=False).built for r in (DEMO, GOLD)]\n"
    "print(sum(built))\n"
)


def run(command: list[str], *, echo: bool = True) -> tuple[float, int, list[str]]:
    """A subprocess, its output echoed with the elapsed time; (seconds, exit code, lines)."""
    started = time.perf_counter()
    lines = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip())
            if echo:
                print(f"[{time.perf_counter() - started:7.1f}s] {line.rstrip()}", flush=True)
    return time.perf_counter() - started, process.returncode, lines


def warm_demo() -> tuple[float, int]:
    """Build the demo and gold-demo reward models if the cache lacks them."""
    seconds, code, lines = run([sys.executable, "-c", WARM], echo=False)
    if code != 0:
        raise SystemExit("building the demo reward models failed:\n" + "\n".join(lines[-15:]))
    return seconds, int(lines[-1]) if lines and lines[-1].isdigit() else 0


def _seconds(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def step_times(folder: Path) -> list[tuple[str, int, int, float, float | None, float]]:
    """Per measured step ``(arm, round, replicate, wall, train seconds, run seconds)``.

    The wall time of a step runs from the log line before its first line (its ``augment``,
    or round 0's ``round``) to its ``round`` line: augment, train, run and measurements.
    """
    from harness.experiments.rounds.experiment_log import (
        EXPERIMENT_LOG,
        LOG_NAME,
        AugmentEntry,
        RoundEntry,
        TrainEntry,
    )
    from harness.runlog import read_log

    entries = read_log(folder / LOG_NAME, format=EXPERIMENT_LOG).entries

    def replicate(entry: object) -> int:
        return int(getattr(entry, "replicate", 0) or 0)

    trains = {
        (e.arm, e.round, replicate(e)): e.seconds for e in entries if isinstance(e, TrainEntry)
    }
    steps = []
    start = entries[0].time if entries else ""
    for previous, entry in itertools.pairwise(entries):
        first = isinstance(entry, AugmentEntry) or (
            isinstance(entry, RoundEntry) and entry.arm is None
        )
        if first:
            start = previous.time
        if isinstance(entry, RoundEntry):
            key = (entry.arm, entry.round, replicate(entry))
            wall = _seconds(start, entry.time)
            steps.append((entry.arm or "all", *key[1:], wall, trains.get(key), entry.seconds))
    return steps


def preamble(folder: Path) -> None:
    """The calibration and the power check, as logged before the first retraining."""
    import json

    for line in (folder / "experiment.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry.get("type") in ("calibration", "power"):
            print(f"\n{entry['type']} entry: {json.dumps(entry, indent=1)[:4000]}")


def show(folder: Path, seconds: float, target: float, label: str) -> None:
    """Everything the note needs, as measured."""
    from harness.experiments.rounds.experiment_log import (
        EXPERIMENT_LOG,
        LOG_NAME,
        InitEntry,
        VerdictEntry,
    )
    from harness.experiments.rounds.outcomes import experiment_summaries
    from harness.experiments.rounds.round_table import round_table, verdict_lines
    from harness.runlog import read_log

    print(f"\n== {label}: {seconds:.0f} s ({seconds / 60:.1f} min), target {target / 60:.0f} min: "
          f"{'met' if seconds <= target else 'MISSED'}")  # fmt: skip
    preamble(folder)
    print(f"\n{'arm':10}{'round':>6}{'seed':>5}{'wall s':>9}{'train s':>9}{'run s':>8}")
    per_round: dict[int, float] = {}
    for arm, r, k, wall, train, measured in step_times(folder):
        trained = f"{train:9.1f}" if train is not None else f"{'-':>9}"
        print(f"{arm:10}{r:6d}{k:5d}{wall:9.1f}{trained}{measured:8.1f}")
        per_round[r] = per_round.get(r, 0.0) + wall
    for r, wall in per_round.items():
        print(f"round {r}, every arm: {wall:.0f} s")
    summaries = experiment_summaries(folder)
    contents = read_log(folder / LOG_NAME, format=EXPERIMENT_LOG)
    seed = next(e.seed for e in contents.entries if isinstance(e, InitEntry))
    for arm in dict.fromkeys(s.arm for s in summaries):
        print(f"\n{arm}:")
        print(round_table([s for s in summaries if s.arm == arm], seed=seed))
    verdicts = read_log(folder / LOG_NAME, format=EXPERIMENT_LOG).of_type(VerdictEntry)
    print()
    if not verdicts:
        print("no verdict: the experiment did not finish")
        return
    for line in verdict_lines(verdicts[-1]):
        print(line)
    print(f"verdict entry wall_seconds: {verdicts[-1].wall_seconds:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="time `rmh rounds --demo` at its own defaults instead of the powered run",
    )
    parser.add_argument("--out", type=Path, default=None, help="keep the experiment here")
    args = parser.parse_args()
    label, extra = ("defaults", ()) if args.defaults else ("powered", POWERED)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    warm, built = warm_demo()
    print(f"demo reward models: {built} built, {warm:.0f} s (not counted below)")
    with tempfile.TemporaryDirectory(prefix="bench-rounds-") as tmp:
        out = args.out or Path(tmp) / "exp"
        command = [sys.executable, "-m", "harness.cli", "rounds", "--demo", *extra]
        command += ["--out", str(out)]
        print("$ " + " ".join(command[2:]), flush=True)
        seconds, code, lines = run(command)
        if code != 0:
            raise SystemExit(f"rmh rounds exited {code}:\n" + "\n".join(lines[-15:]))
        show(out, seconds, TARGETS[label], f"rmh rounds --demo {' '.join(extra)}".strip())
        report, code, lines = run(
            [sys.executable, "-m", "harness.cli", "report", str(out)], echo=False
        )
        print(
            f"\nrmh report on the folder: {report:.1f} s, exit {code}; "
            + (lines[-1] if lines else "")
        )
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
