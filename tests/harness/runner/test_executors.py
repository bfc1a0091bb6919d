"""Executors are plugins: ``local`` and ``ray`` built in, others through the registry."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.core.errors import HarnessError
from harness.runlog import read_log
from harness.runner import EXECUTORS, ExecutorOptions, LocalExecutor, make_executor


def test_local_and_ray_are_registered_under_the_entry_point_group():
    assert {"local", "ray"} <= set(EXECUTORS.names())
    assert EXECUTORS.group == "rm_harness.executors"


def test_an_unknown_executor_lists_the_known_ones():
    with pytest.raises(HarnessError, match=r"unknown executor 'slurm'; choose one of: .*local"):
        make_executor(ExecutorOptions("slurm"), spec=None)  # type: ignore[arg-type]


def test_naming_the_ray_executor_does_not_import_ray():
    code = (
        "import sys\n"
        "from harness.runner import EXECUTORS\n"
        "assert EXECUTORS.get('ray').name == 'ray'\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


class CountingExecutor(LocalExecutor):
    """A third-party executor: local, but counts the units it runs."""

    name = "counting"
    units = 0

    @classmethod
    def create(cls, spec, options, local_worker):
        return cls(spec, local_worker)

    def run(self, units):
        for result in super().run(units):
            type(self).units += 1
            yield result


def test_a_registered_executor_runs_the_units(checkpoints, run_suite, suite_file, tmp_path):
    with EXECUTORS.temporarily(CountingExecutor):
        summary = run_suite(
            [checkpoints["bert"]],
            suite_file,
            tmp_path / "r",
            executor=ExecutorOptions("counting"),
        )
    assert CountingExecutor.units == 3 * 4 and summary.attempts == 3 * 4 + 1
    assert read_log(tmp_path / "r" / "log.jsonl").init.executor == "counting"
    assert "counting" not in EXECUTORS.names()


def test_an_executor_without_a_typed_worker_method_is_refused():
    class NoClean:
        """Runs units but cannot measure a checkpoint."""

        name = "no-clean"

        @classmethod
        def create(cls, spec, options, local_worker):
            return cls()

        def describe(self, checkpoint): ...
        def score(self, checkpoint, prompts, responses): ...
        def instabilities(self, checkpoint, pairs, perturbations, seed): ...
        def run(self, units): ...
        def close(self): ...

    with pytest.raises(TypeError, match=r"has no clean\(\)"):
        EXECUTORS.register(NoClean)
    assert "no-clean" not in EXECUTORS.names()
