"""The worker hands the suite's ``keep`` to every attempt it runs."""

from __future__ import annotations

import pytest

from attacks.base import Attack
from attacks.registry import ATTACKS
from harness.core.data import PreferencePair
from harness.models import LoadOptions
from harness.runner.plan import Unit
from harness.runner.worker import Worker, WorkerSpec

SOUPS = [f"{a} {b} {c}" for a, b, c in zip("abcdefgh", "ijklmnop", "qrstuvwx", strict=True)]


class _Soups(Attack):
    """Eight distinct soups, degenerate by construction (test double)."""

    name = "test-soups"
    family = "test"

    def search(self, ctx):
        ctx.evaluate(SOUPS, construction="soup")


def spec(checkpoint: str, **changes: object) -> WorkerSpec:
    fields: dict = dict(
        checkpoints=(checkpoint,),
        options=LoadOptions(),
        prompts=(PreferencePair("Tell me a joke.", "A joke.", "No.", 1),),
        attacks=(("soups", "test-soups", {}, 20),),
        margin=-1e9,  # every candidate crosses the bar
        judges=(),
    )
    return WorkerSpec(**(fields | changes))


@pytest.mark.parametrize(("keep", "kept"), [(None, 8), (3, 3), (1, 1)])
def test_the_worker_keeps_what_its_spec_says(checkpoints, keep, kept):
    with ATTACKS.temporarily(_Soups):
        changes = {} if keep is None else {"keep": keep}
        worker = Worker(spec(str(checkpoints["bert"]), **changes))
        outcome = worker.run_unit(Unit(0, "soups", 0, 0, 7)).outcome
    assert outcome.error is None, outcome.error
    assert outcome.crossed == len(SOUPS) and len(outcome.findings) == kept
    assert worker.spec.keep == (16 if keep is None else keep)
