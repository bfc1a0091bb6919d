"""Crash points: counted and recorded when asked, an immediate exit at the chosen one,
nothing at all otherwise; a forked child counts its own steps."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.core import durable
from harness.core.durable import CRASH_AT, CRASH_EXIT, CRASH_LOG, crash_point
from harness.core.errors import HarnessError


@pytest.fixture()
def fresh_plan(monkeypatch):
    """The environment is read again at the next step (it is read once per process)."""
    monkeypatch.delenv(CRASH_AT, raising=False)
    monkeypatch.delenv(CRASH_LOG, raising=False)
    monkeypatch.setattr(durable, "_plan", None)
    return monkeypatch


def test_unset_a_step_does_nothing(fresh_plan, tmp_path):
    crash_point("a step")
    assert durable._plan is not None and not durable._plan.active


def test_each_step_is_recorded_with_its_number(fresh_plan, tmp_path):
    fresh_plan.setenv(CRASH_LOG, str(tmp_path / "steps.txt"))
    for label in ("staged run", "log append: init", "store commit"):
        crash_point(label)
    lines = (tmp_path / "steps.txt").read_text().splitlines()
    assert lines == ["1\tstaged run", "2\tlog append: init", "3\tstore commit"]


@pytest.mark.parametrize("value", ["zero", "0", "-3", "1.5"])
def test_a_crash_step_that_is_no_step_number_is_refused(fresh_plan, value):
    fresh_plan.setenv(CRASH_AT, value)
    with pytest.raises(HarnessError, match=CRASH_AT):
        crash_point("a step")


def test_the_process_exits_at_once_after_the_chosen_step(tmp_path):
    code = (
        "from harness.core.durable import crash_point\n"
        "print('before', flush=True)\n"
        "crash_point('one'); crash_point('two')\n"
        "print('after', flush=True)\n"
    )
    env = {**os.environ, CRASH_AT: "2", CRASH_LOG: str(tmp_path / "steps.txt")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == CRASH_EXIT, done.stderr
    assert done.stdout == "before\n"
    assert (tmp_path / "steps.txt").read_text() == "1\tone\n2\ttwo\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_reads_the_environment_again_and_counts_from_one(fresh_plan, tmp_path):
    fresh_plan.setenv(CRASH_LOG, str(tmp_path / "parent.txt"))
    crash_point("parent step")
    pid = os.fork()
    if pid == 0:  # the child: its own log, its own count
        os.environ[CRASH_LOG] = str(tmp_path / "child.txt")
        crash_point("child step")
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert (tmp_path / "child.txt").read_text() == "1\tchild step\n"
    assert (tmp_path / "parent.txt").read_text() == "1\tparent step\n"
