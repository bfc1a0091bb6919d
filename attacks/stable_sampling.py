"""Sampling that draws the same at a seed in every process: ``stable_sampled_from``.

Why it exists. Hypothesis (as read in 6.170) draws through its default provider,
``HypothesisProvider`` in ``hypothesis.internal.conjecture.providers``. With a small
probability (5% of integer, string and bytes draws, 15% of float draws; the choice
``_maybe_draw_constant`` makes) it returns, instead of a random value, a constant mined
from the source of every *local* module then in ``sys.modules`` (``_get_local_constants``:
any module file outside site-packages and the standard library, test files excepted),
if one fits the draw. Which constants those are depends on the process, not on the seed:
on what it imported first, on whether the project is a checkout or an editable install
(local, so its own constants are mined) or a wheel (in site-packages, so not), on what a
Ray worker loaded. A search whose draws a mined constant can fit finds other texts in
each of them.

Which draws a constant can fit. A mined constant is used only where the draw allows it,
and the miner never keeps booleans nor integers from -99 to 99 (Hypothesis weights small
integers already). A boolean draw, or an integer draw whose range lies in -99..99, is
therefore the same in every process; ``st.sampled_from`` over more than 100 elements is
not (its index can be a ``1000`` from some module). ``stable_sampled_from`` samples like
``st.sampled_from`` but with every index below 100: over more elements it samples a block
of consecutive elements first, then one element in it (blocks of blocks past 10,000).
What that costs: nothing in shrinking, which still moves toward the first element (block
and position both shrink toward 0, so the order of elements is the order of shrinking);
the target phase mutates two small integers instead of one large one. What it changes: at
a fixed seed, a draw over more than 100 elements takes other values than before, and the
draw is near uniform over the elements, where Hypothesis's own index distribution favours
the first few hundred (in 6.170, 31% of draws among 3,000 fall on the first 257).

Why not a provider of our own. ``settings(backend=...)`` with a provider registered in
``AVAILABLE_PROVIDERS`` is Hypothesis's documented route to other generation (experimental
in 6.170), but with any backend other than ``"hypothesis"`` the engine generates without
its tree of tried inputs (duplicates come back), without mutations and without the
target phase inside generation (``hypothesis.target`` would steer nothing), and it shrinks
and replays with ``HypothesisProvider`` itself, whose re-randomised draws reach the mined
constants again. No setting or environment variable turns the mining off. Patching the
provider's private functions is what this module exists to avoid.

The one assumption, that small integers and booleans are never mined, is Hypothesis's
detail, not its API; ``tests/attacks/test_fuzz_reproducible.py`` runs the fuzz attack with
and without a module of constants (small integers among them) loaded, and from a wheel,
and fails if a later Hypothesis reaches these draws.

Example::

    from attacks.stable_sampling import stable_sampled_from
    from harness.core.words import common_words

    words = stable_sampled_from(common_words(3000))  # 30 blocks of 100 words
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Generic, TypeVar

from hypothesis import strategies as st

__all__ = ["BLOCK", "Blocks", "blocks", "stable_sampled_from"]

T = TypeVar("T")

# The most elements one draw picks among: its index (0-99) is too small to be mined.
BLOCK = 100


def blocks(items: Sequence[T], count: int) -> list[Sequence[T]]:
    """``items`` cut into ``count`` consecutive blocks whose sizes differ by at most one
    (so that a block, then an element in it, is close to a uniform draw of an element)."""
    size, longer = divmod(len(items), count)
    cuts = [0]
    for i in range(count):
        cuts.append(cuts[-1] + size + (1 if i < longer else 0))
    return [items[start:end] for start, end in pairwise(cuts)]


def stable_sampled_from(items: Sequence[T]) -> st.SearchStrategy[T]:
    """``st.sampled_from(items)`` whose every index draw is below 100, however many items.

    Up to 100 items it *is* ``st.sampled_from``; past that, a block (at most 100 of them,
    each sampled the same way) and then an element of it. The block is drawn through
    ``flatmap`` rather than ``one_of``, which would flatten nested blocks (and a user's
    ``one_of`` around this) into one draw among more than 100 branches.
    """
    elements = list(items)
    if len(elements) <= BLOCK:
        return st.sampled_from(elements)
    count = min(BLOCK, -(-len(elements) // BLOCK))  # as few blocks as hold them all
    return st.integers(0, count - 1).flatmap(Blocks(elements, count))


class Blocks(Generic[T]):
    """Block ``i`` of some elements, as a strategy: what the drawn block index expands to.

    A class rather than ``parts.__getitem__`` for its short ``repr``: Hypothesis prints a
    strategy's function, and the bound method of a list of strategies prints the list.
    """

    def __init__(self, elements: Sequence[T], count: int) -> None:
        self.size = len(elements)
        self.parts = [stable_sampled_from(part) for part in blocks(elements, count)]

    def __call__(self, index: int) -> st.SearchStrategy[T]:
        return self.parts[index]

    def __repr__(self) -> str:
        return f"Blocks({len(self.parts)} blocks of {self.size} elements)"
