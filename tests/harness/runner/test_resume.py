"""A run killed with SIGKILL at several points resumes to exactly the uninterrupted result.

Real processes, real kills: the child is ``rmh run`` and it is killed as soon as its log
reaches a given number of lines (mid-attempt, between findings, late in the run).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from harness.runlog import AttemptEntry, CompletionEntry, FindingEntry, read_log
from harness.store import FindingStore

pytestmark = pytest.mark.slow


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(process: subprocess.Popen, log: Path, lines: int, timeout: float = 300) -> bool:
    """SIGKILL the child once its log has ``lines`` lines; False if it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if log.is_file() and log.read_bytes().count(b"\n") >= lines:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.01)
    process.kill()
    raise AssertionError("the run did not reach the kill point in time")


def _summary(folder: Path, store: Path) -> dict:
    log = read_log(folder / "log.jsonl")
    attempts = log.of_type(AttemptEntry)
    findings = log.of_type(FindingEntry)
    with FindingStore.open(store) as db:
        sightings = db.sightings()
        stored = db.findings(kind=None)
    return {
        "finding_keys": sorted(e.key for e in findings),
        "finding_entries": len(findings),
        "attempt_units": sorted(e.unit for e in attempts),
        "queries": sum(e.queries for e in attempts),
        "stored": sorted(f.finding.key for f in stored),
        "sightings": len(sightings),
        "completions": len(log.of_type(CompletionEntry)),
        "instabilities": sorted(
            (e["checkpoint"], e["key"]) for e in _raw(folder) if e["type"] == "instability"
        ),
        "bad_lines": log.bad_lines,
    }


def _raw(folder: Path) -> list[dict]:
    """The log's lines as written (a duplicate line would show here)."""
    return [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]


def test_sigkill_at_several_points_then_resume_equals_an_uninterrupted_run(
    checkpoints, write_suite, rmh_process, tmp_path
):
    suite = write_suite(tmp_path, repetition_budget=120, search_budget=150)
    ckpt = str(checkpoints["bert"])
    rmh_process(
        "run",
        ckpt,
        "--suite",
        str(suite),
        "--out",
        "clean/run",
        "--store",
        "clean.db",
        "--quiet",
        cwd=tmp_path,
    )
    expected = _summary(tmp_path / "clean" / "run", tmp_path / "clean.db")
    assert expected["finding_keys"] and expected["completions"] == 1
    total_lines = (tmp_path / "clean" / "run" / "log.jsonl").read_bytes().count(b"\n")

    folder, log = tmp_path / "killed" / "run", tmp_path / "killed" / "run" / "log.jsonl"
    first = [
        "run",
        ckpt,
        "--suite",
        str(suite),
        "--out",
        "killed/run",
        "--store",
        "killed.db",
        "--quiet",
    ]
    kills = 0
    # Kill points: right after init, a third of the way, and near the end.
    for lines in (1, total_lines // 3, total_lines - 3):
        args = first if kills == 0 else ["run", "--resume", "killed/run", "--quiet"]
        kills += _kill_when(_start(args, tmp_path), log, lines)
    assert kills >= 2, "the run finished before it could be killed"
    rmh_process("run", "--resume", "killed/run", "--quiet", cwd=tmp_path)

    got = _summary(folder, tmp_path / "killed.db")
    assert got["finding_keys"] == expected["finding_keys"]  # nothing lost
    assert got["finding_entries"] == len(set(got["finding_keys"]))  # nothing duplicated
    assert got["stored"] == expected["stored"] and got["sightings"] == expected["sightings"]
    assert got["attempt_units"] == expected["attempt_units"]  # nothing redone
    assert Counter(got["attempt_units"]).most_common(1)[0][1] == 1
    assert got["queries"] == expected["queries"]  # no budget spent twice in the record
    assert got["completions"] == 1
    assert got["instabilities"] == expected["instabilities"]  # each logged once
    assert got["bad_lines"] == []  # the cut line was trimmed on resume


def test_two_runs_on_one_store_at_once(checkpoints, write_suite, tmp_path):
    suite = write_suite(tmp_path)
    runs = [
        _start(
            [
                "run",
                str(checkpoints[name]),
                "--suite",
                str(suite),
                "--out",
                f"runs/{name}",
                "--quiet",
            ],
            tmp_path,
        )
        for name in ("bert", "bert_left")
    ]
    for process in runs:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    with FindingStore.open(tmp_path / "runs" / "findings.db") as store:
        assert store.integrity_ok()
        keys = [f.finding.key for f in store.findings(kind=None)]
        assert len(keys) == len(set(keys))
        runs_seen = {s["run_id"].split("-")[0] for s in store.sightings()}
        assert runs_seen == {"bert", "bert_left"}
    for name in ("bert", "bert_left"):
        log = read_log(tmp_path / "runs" / name / "log.jsonl")
        logged = {e.key for e in log.of_type(FindingEntry)}
        assert logged <= set(keys)
