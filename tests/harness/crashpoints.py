"""Kill an ``rmh`` verb at each of its durable steps in turn, restart it, and compare.

The crash points (``harness.core.durable``) number every durable step a process takes:
a folder placed, a log line appended, a store transaction committed, a file renamed
into place. A verb run once with ``RMH_CRASH_LOG`` lists its steps; then, for every
step N, a fresh copy of the same inputs is run with ``RMH_CRASH_AT=N`` (the process
exits at once right after step N, as SIGKILL would leave it) and restarted the way a
user would (``--resume``; a start that never placed its folder, again). What the
restarted verb reaches must be what the uninterrupted one did: the same log entries and
the same store rows, once times, run ids and the history's own folder are set aside.

Each verb runs in a child forked from one warm process (multiprocessing's forkserver,
which imports torch, transformers and the harness once), so a crash point costs what
its work costs, not an interpreter start. The children score on one thread: the same
numbers whichever history they belong to, and two cores shared with other work.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.durable import CRASH_AT, CRASH_EXIT, CRASH_LOG

#: What the verbs import lazily: the warm process imports it once for every child.
PRELOAD = (
    "harness.cli",
    "harness.runner",
    "harness.experiments.rounds.experiment",
    "harness.judges.heuristic",
    "attacks.registry",
    "attacks.chance",
    "attacks.fuzz",
    "attacks.gradient",
    "attacks.instability",
    "attacks.search",
    "attacks.strategies",
    "attacks.templates",
    "transformers.models.bert.modeling_bert",
    "transformers.models.bert.tokenization_bert_fast",
    "transformers.models.auto.modeling_auto",
    "transformers.models.auto.tokenization_auto",
    "harness.runlog.metrics",
    "harness.models.hf",
    "harness.models.training",
)

#: Fields that differ between two runs of the same work: when, and how long.
VOLATILE = frozenset(
    {"time", "started_at", "created_at", "seen_at", "first_seen", "last_seen", "last_found"}
)
TIMEOUT = 600.0


@dataclass(frozen=True)
class Outcome:
    """How a child ended: its exit status and what it printed."""

    code: int
    output: str

    @property
    def crashed(self) -> bool:
        return self.code == CRASH_EXIT


def _child(argv: list[str], env: dict[str, str | None], output: str) -> None:
    """Run ``rmh ARGV`` in this forked child, printing to ``output``; exit with its code."""
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    handle = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(handle, 1)
    os.dup2(handle, 2)
    import torch

    torch.set_num_threads(1)
    from harness.cli import main

    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class Verbs:
    """``rmh`` verbs, each in a child of the warm process (module doc)."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(list(PRELOAD))
        self.children = 0

    def __call__(
        self, *argv: str, crash_at: int | None = None, steps: Path | None = None
    ) -> Outcome:
        """Run ``rmh ARGV``; ``crash_at`` stops it after that step, ``steps`` lists them."""
        self.children += 1
        output = self.scratch / f"child-{self.children}.txt"
        env = {
            CRASH_AT: None if crash_at is None else str(crash_at),
            CRASH_LOG: None if steps is None else str(steps),
        }
        process = self.context.Process(target=_child, args=(list(argv), env, str(output)))
        process.start()
        process.join(TIMEOUT)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise AssertionError(f"rmh {' '.join(argv)} did not end in {TIMEOUT:g}s")
        return Outcome(process.exitcode, output.read_text(errors="replace"))


def step_labels(path: Path) -> list[str]:
    """The steps a ``RMH_CRASH_LOG`` file lists, in order."""
    lines = path.read_text().splitlines()
    assert [int(line.split("\t")[0]) for line in lines] == list(range(1, len(lines) + 1))
    return [line.split("\t", 1)[1] for line in lines]


# --------------------------------------------------------------------------- comparing
def _volatile(key: str) -> bool:
    return key in VOLATILE or key.endswith("seconds")


def scrub(value: Any, names: Mapping[str, str]) -> Any:
    """``value`` without its volatile fields, each string in ``names`` replaced by its name."""
    if isinstance(value, dict):
        return {k: scrub(v, names) for k, v in value.items() if not _volatile(k)}
    if isinstance(value, (list, tuple)):
        return [scrub(v, names) for v in value]
    if isinstance(value, str):
        for text, name in names.items():
            value = value.replace(text, name)
        return value
    return value


def log_lines(path: Path, names: Mapping[str, str]) -> list[Any]:
    """A JSONL log's entries, scrubbed."""
    return [scrub(json.loads(line), names) for line in path.read_text().splitlines()]


def store_rows(path: Path, names: Mapping[str, str]) -> dict[str, list[Any]]:
    """Every row of every table of a SQLite store, in insertion order, scrubbed."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        rows = {}
        for table in tables:
            cursor = db.execute(f"SELECT * FROM {table} ORDER BY rowid")
            columns = [c[0] for c in cursor.description]
            rows[table] = [scrub(dict(zip(columns, r, strict=True)), names) for r in cursor]
        return rows
    finally:
        db.close()


def ids_of(logs: Iterable[tuple[str, Path]], key: str) -> dict[str, str]:
    """``{id: <name>}`` for the ``key`` field of each named log's first line: the random
    ids (run ids, experiment ids) that differ between two histories of the same work."""
    names = {}
    for name, path in logs:
        with path.open() as handle:
            first = json.loads(handle.readline())
        names[first[key]] = f"<{name}>"
    return names


def differences(expected: Any, got: Any, where: str = "") -> list[str]:
    """Where two scrubbed results differ (the first few), for a readable failure."""
    if type(expected) is not type(got):
        return [f"{where}: {expected!r} != {got!r}"]
    if isinstance(expected, dict):
        found = []
        for key in sorted(set(expected) | set(got), key=str):
            if key not in got or key not in expected:
                found.append(f"{where}.{key}: only in {'expected' if key in expected else 'got'}")
            else:
                found += differences(expected[key], got[key], f"{where}.{key}")
        return found
    if isinstance(expected, list):
        found = (
            [f"{where}: {len(expected)} items != {len(got)}"] if len(expected) != len(got) else []
        )
        for i, (a, b) in enumerate(zip(expected, got, strict=False)):
            found += differences(a, b, f"{where}[{i}]")
        return found
    return [] if expected == got else [f"{where}: {expected!r} != {got!r}"]


def root_name(root: Path) -> dict[str, str]:
    """The history's own folder as a name (absolute paths are recorded in logs and stores)."""
    return {str(root.resolve()): "<root>", str(root): "<root>"}


LEFTOVER = re.compile(r"^\.[^/]+\.(staging|replaced)$")


def leftovers(folder: Path) -> list[str]:
    """Hidden staging or replaced folders under ``folder`` (a start killed mid-way)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*") if LEFTOVER.match(p.name))


@dataclass(frozen=True)
class KilledRuns:
    """What ``run_killed_at_every_step`` saw: the steps of the uninterrupted run, its
    output and folder, and how many killed runs were resumed or started again."""

    labels: list[str]
    output: str
    whole: Path
    resumed: int
    started_again: int


def run_killed_at_every_step(
    tmp_path: Path, checkpoint: str, earlier_suite: Path, run_suite: Path
) -> KilledRuns:
    """``rmh run`` of ``run_suite`` on a store an ``earlier_suite`` run filled, killed at each
    of its durable steps in turn and resumed (or started again when its folder was never
    placed): each must reach what the uninterrupted run reached, log and store alike."""
    from harness.runlog import read_log

    rmh = Verbs(tmp_path)
    inputs = earlier_suite.parent
    earlier = inputs / "earlier"
    filled = rmh("run", checkpoint, "--suite", str(earlier_suite), "--out", str(earlier),
                 "--store", str(inputs / "findings.db"), "--quiet")  # fmt: skip
    assert filled.code == 0, filled.output

    def history(name: str) -> Path:
        root = tmp_path / name
        root.mkdir()
        shutil.copy(inputs / "findings.db", root / "findings.db")
        return root

    def start(root: Path) -> list[str]:
        return ["run", checkpoint, "--suite", str(run_suite), "--out", str(root / "run"),
                "--store", str(root / "findings.db"), "--quiet"]  # fmt: skip

    def result(root: Path) -> dict:
        logs = [("earlier", earlier / "log.jsonl"), ("run", root / "run" / "log.jsonl")]
        names = {**ids_of(logs, "run_id"), **root_name(root)}
        return {
            "log": log_lines(root / "run" / "log.jsonl", names),
            "store": store_rows(root / "findings.db", names),
        }

    whole = history("whole")
    steps = tmp_path / "steps.txt"
    done = rmh(*start(whole), steps=steps)
    assert done.code == 0, done.output
    labels = step_labels(steps)
    expected = result(whole)

    resumed = started_again = 0
    for n, label in enumerate(labels, start=1):
        root = history(f"crash-{n}")
        killed = rmh(*start(root), crash_at=n)
        assert killed.crashed, (n, label, killed.output)
        folder = root / "run"
        if (folder / "log.jsonl").is_file():
            assert read_log(folder / "log.jsonl").init is not None, (n, label)
            again = rmh("run", "--resume", str(folder), "--quiet")
            resumed += 1
        else:
            assert not folder.exists(), (n, label, "a run folder appears whole or not at all")
            explained = rmh("run", "--resume", str(folder), "--quiet")
            assert explained.code == 2 and "killed while it started" in explained.output
            again = rmh(*start(root), "--overwrite")
            started_again += 1
        assert again.code == 0, (n, label, again.output)
        assert leftovers(root) == [], (n, label)
        found = differences(expected, result(root))
        assert not found, (n, label, found[:5])
    assert len(labels) == resumed + started_again
    return KilledRuns(labels, done.output, whole / "run", resumed, started_again)
