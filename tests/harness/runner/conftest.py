"""Fixtures for the runner tests: the tiny suite on disk, and runs of it, in this process
or as ``rmh`` in a child process (what a user or CI runs, and what SIGKILL can kill)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.runlog import InitEntry, RunOptions
from harness.runlog.entries import RunConfig, Seeds, SuiteRecord
from harness.runner import RunSummary, start_run
from harness.suite import resolve_suite
from harness.testing import write_tiny_suite

WriteSuite = Callable[..., Path]
StartRun = Callable[..., RunSummary]
Rmh = Callable[..., subprocess.CompletedProcess]


@pytest.fixture()
def write_suite() -> WriteSuite:
    """``write_suite(folder, repetition_budget=40, search_budget=60)``: the tiny suite
    (three attacks on four prompts, instability probe on) written to ``folder``."""
    return write_tiny_suite


@pytest.fixture()
def suite_file(tmp_path: Path, write_suite: WriteSuite) -> Path:
    return write_suite(tmp_path)


@pytest.fixture()
def run_suite() -> StartRun:
    """``run_suite(checkpoints, suite_file, out, **start_run_options)``: a quiet run."""

    def start(checkpoints: list[Path], suite_file: Path, out: Path, **kw: object) -> RunSummary:
        return start_run(
            [str(c) for c in checkpoints],
            resolve_suite(str(suite_file)),
            out,
            progress="quiet",
            echo=lambda _: None,
            **kw,  # type: ignore[arg-type]
        )

    return start


@pytest.fixture()
def init_entry() -> Callable[..., InitEntry]:
    """``init_entry(checkpoints=2, run_id="r")``: an ``init`` entry for unit tests, with
    checkpoint ``c`` fingerprinted ``f<c>``."""

    def make(checkpoints: int = 2, run_id: str = "r") -> InitEntry:
        specs = tuple(f"ckpt{c}" for c in range(checkpoints))
        return InitEntry(
            run_id=run_id,
            suite=SuiteRecord(name="tiny", origin="tiny.toml", text='name = "tiny"'),
            config=RunConfig(
                checkpoints=specs, options={}, run_options=RunOptions(store="findings.db")
            ),
            seeds=Seeds(seed=0, replicates=1),
            checkpoints=tuple(
                {"fingerprint": f"f{c}", "spec": specs[c]} for c in range(checkpoints)
            ),
            prompts=4,
            pairs=4,
        )

    return make


@pytest.fixture()
def rmh_process() -> Rmh:
    """``rmh_process(*args, cwd=..., check=True)``: ``rmh`` in a child process."""

    def rmh(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return rmh
