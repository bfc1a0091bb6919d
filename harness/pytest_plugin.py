"""pytest plugin: a reward model's robustness as test items, and fixtures for your own.

Registered through the ``pytest11`` entry point, so installing rm-harness enables it::

    pytest --rm-checkpoint ckpt/ [--rm-suite quick] [--rm-baseline runs/rc1]
           [--rm-policy gate.toml] [--rm-out runs/ci] --junitxml=rm.xml

adds one test item per attack family in the suite (``rm-harness::<family>``) and one for
the checkpoint-level checks (``rm-harness::clean-accuracy-and-replay``). The suite runs
once, on the first item, into a run folder; each item passes or fails as the gate's
verdict says for its family (inconclusive is a skip when the policy counts it as a
pass). A failing item names the family's best finding, its margin and its judge
reasons. JUnit output comes from pytest's own ``--junitxml``.

Fixtures (skipped without ``--rm-checkpoint``): ``reward_model``, ``scorer``, ``rm_suite``.
Hypothesis strategies for your own properties are re-exported here::

    from hypothesis import given
    from harness.pytest_plugin import strategies as rmst

    @given(rmst.repetitions())
    def test_no_repetition_beats_the_reference(scorer, text):
        prompt, reference = "Tell me a joke.", "Why did the chicken ..."
        assert scorer.score([prompt], [text])[0] <= scorer.score([prompt], [reference])[0]
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.core.errors import HarnessError
from harness.core.visible import clip


def __getattr__(name: str) -> Any:
    """``strategies`` is imported on first use: the plugin loads in every pytest session
    of an environment with rm-harness installed, and must not import torch there."""
    if name == "strategies":
        from attacks import strategies

        return strategies
    raise AttributeError(name)


CHECKPOINT_ITEM = "clean-accuracy-and-replay"


@dataclass
class _SuiteRun:
    folder: Path
    gate: Any  # harness.gate.GateResult


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rm-harness", "reward-model robustness (rm-harness)")
    group.addoption(
        "--rm-checkpoint",
        default=None,
        help="Reward-model checkpoint to attack (a folder, module:function, or 'demo').",
    )
    group.addoption("--rm-suite", default="quick", help="Suite name or TOML file (quick).")
    group.addoption("--rm-baseline", default=None, help="Baseline run folder to compare with.")
    group.addoption("--rm-policy", default=None, help="Gate policy TOML (default: built-in).")
    group.addoption(
        "--rm-out",
        default=None,
        help="Run folder to write (default: a new temporary folder; printed at the end).",
    )


def _checkpoint(config: pytest.Config) -> str | None:
    return config.getoption("rm_checkpoint")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rm_harness: a reward-model robustness item")
    if not _checkpoint(config):
        return
    # Bad options are a usage error (one line, exit 4), found before anything runs.
    from harness.suite import resolve_suite

    try:
        config.stash[_SUITE_KEY] = resolve_suite(config.getoption("rm_suite"))
        _policy(config)
    except HarnessError as exc:
        raise pytest.UsageError(f"rm-harness: {exc}") from None


def _policy(config: pytest.Config):
    from attacks.registry import families
    from harness.gate import load_policy

    return load_policy(config.getoption("rm_policy"), known_families=families())


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so those select our items too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not _checkpoint(config):
        return
    suite = _suite(config)
    from attacks.registry import get_attack

    families = list(dict.fromkeys(get_attack(a.name).family for a in suite.config.attacks))
    added: list[pytest.Item] = [
        RobustnessItem.from_parent(session, name=family, family=family) for family in families
    ]
    added.append(RobustnessItem.from_parent(session, name=CHECKPOINT_ITEM, family=None))
    items.extend(added)
    # Report them as collected, so "collected N items" and -k counts include them.
    report = pytest.CollectReport("rm-harness", "passed", None, added)
    config.hook.pytest_collectreport(report=report)


class RobustnessFailure(Exception):
    """The gate failed this item; the message is already escaped for a terminal."""


class RobustnessItem(pytest.Item):
    def __init__(self, *, family: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.family = family
        self.add_marker("rm_harness")

    def runtest(self) -> None:
        run = _suite_run(self.config)
        verdict = run.gate.verdict
        if self.family is None:
            checks = [c for c in verdict.checks if c.family is None]
        else:
            checks = [c for c in verdict.checks if c.family == self.family]
        if not checks:
            pytest.skip(f"{self.family}: no attempts ran (an optional attack was skipped?)")
        messages = [c.message for c in checks if c.status != "pass"]
        outcome = verdict.outcome(checks)
        if outcome == "fail":
            raise RobustnessFailure("\n".join([*messages, *self._best_finding(run)]))
        if outcome == "skip":
            pytest.skip("; ".join(messages))

    def _best_finding(self, run: _SuiteRun) -> list[str]:
        if self.family is None:
            return []
        best = [f.best for f in run.gate.metrics.families if f.family == self.family and f.best]
        if not best:
            return []
        top = max(best, key=lambda b: b.margin)
        lines = [
            f"best finding (margin {top.margin:+.3f}, attack {top.attack}):",
            f"  prompt: {clip(top.prompt, 120)}",
            f"  text:   {clip(top.text, 200)}",
        ]
        lines += [f"  judge:  {clip(reason, 200)}" for reason in top.reasons]
        lines.append(f"run folder: {run.folder}")
        return lines

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, RobustnessFailure):
            return str(excinfo.value)
        if isinstance(excinfo.value, HarnessError):
            return f"rm-harness: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "rm-harness", None, f"rm-harness: {self.name}"


def _suite(config: pytest.Config):
    return config.stash[_SUITE_KEY]


def _suite_run(config: pytest.Config) -> _SuiteRun:
    """Run the suite once per session (on the first item that needs it)."""
    cached = config.stash.get(_RUN_KEY, None)
    if cached is not None:
        if isinstance(cached, HarnessError):
            raise cached
        return cached
    try:
        run = _start(config)
    except HarnessError as exc:
        config.stash[_RUN_KEY] = exc
        raise
    config.stash[_RUN_KEY] = run
    return run


def _start(config: pytest.Config) -> _SuiteRun:
    from harness.gate import gate_run
    from harness.runlog.run_options import STORE_NAME
    from harness.runner import RunOptions, start_run

    out_option = config.getoption("rm_out")
    if out_option:
        folder, store, overwrite = Path(out_option), None, True
    else:
        base = Path(tempfile.mkdtemp(prefix="rm-harness-"))
        folder, store, overwrite = base / "run", base / STORE_NAME, False
    start_run(
        [str(_checkpoint(config))],
        _suite(config),
        folder,
        run_options=RunOptions(store=str(store) if store else None),
        overwrite=overwrite,
        progress="quiet",
        echo=lambda _line: None,
    )
    policy = _policy(config)
    gate = gate_run(folder, policy, config.getoption("rm_baseline"))
    return _SuiteRun(folder, gate)


_RUN_KEY = pytest.StashKey[Any]()
_SUITE_KEY = pytest.StashKey[Any]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(_RUN_KEY, None)
    if isinstance(run, _SuiteRun):
        terminalreporter.section("rm-harness")
        for line in run.gate.verdict.lines():
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"run folder: {run.folder} (rmh report {run.folder})")


# ----------------------------------------------------------------- fixtures
def _require_checkpoint(config: pytest.Config) -> str:
    checkpoint = _checkpoint(config)
    if not checkpoint:
        pytest.skip("no --rm-checkpoint given")
    return checkpoint


@pytest.fixture(scope="session")
def reward_model(pytestconfig: pytest.Config):
    """The ``--rm-checkpoint`` reward model, loaded once (``demo`` is the demo RM)."""
    from harness.demo.build import resolve_checkpoint
    from harness.models import load_reward_model

    return load_reward_model(resolve_checkpoint(_require_checkpoint(pytestconfig)))


@pytest.fixture(scope="session")
def scorer(reward_model):
    """A batched, cached scorer over ``reward_model`` (no budget)."""
    from harness.scoring import Scorer

    return Scorer(reward_model)


@pytest.fixture(scope="session")
def rm_suite(pytestconfig: pytest.Config):
    """The ``--rm-suite`` suite, validated (its prompts: ``rm_suite.pairs()``)."""
    _require_checkpoint(pytestconfig)
    return _suite(pytestconfig)
