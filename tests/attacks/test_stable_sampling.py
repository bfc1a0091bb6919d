"""``stable_sampled_from`` samples what ``st.sampled_from`` samples, in blocks of 100.

That no mined constant reaches its draws is shown where it matters, on the fuzz attack in
fresh processes (``test_fuzz_reproducible.py``); here: the blocks, the elements drawn,
and that shrinking still moves toward the first element.
"""

from __future__ import annotations

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from attacks.stable_sampling import BLOCK, blocks, stable_sampled_from


@given(st.lists(st.integers(), min_size=1, max_size=300), st.data())
def test_blocks_cut_in_order_into_near_equal_parts(items, data):
    count = data.draw(st.integers(1, len(items)))
    parts = blocks(items, count)
    assert len(parts) == count
    assert [x for part in parts for x in part] == items
    sizes = [len(part) for part in parts]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


@pytest.mark.parametrize("n", [101, 250, 3000, 10_000, 10_001, 1_000_000])
def test_no_choice_is_among_more_than_a_block(n):
    """The counts ``stable_sampled_from`` cuts into: at most 100 blocks, and each block
    either small enough to sample directly or cut again the same way."""
    count = min(BLOCK, -(-n // BLOCK))
    sizes = [len(part) for part in blocks(range(n), count)]
    assert count <= BLOCK and sum(sizes) == n
    assert max(sizes) <= BLOCK or count == BLOCK


def test_up_to_a_block_it_is_sampled_from():
    items = [f"w{i}" for i in range(BLOCK)]
    assert repr(stable_sampled_from(items)) == repr(st.sampled_from(items))


WORDS = [f"w{i}" for i in range(3000)]


@settings(max_examples=300, database=None)
@given(
    stable_sampled_from(WORDS), stable_sampled_from(range(20_000)), stable_sampled_from(range(250))
)
def test_it_draws_only_the_elements(word, big, uneven):
    assert word in WORDS and 0 <= big < 20_000 and 0 <= uneven < 250


@pytest.mark.parametrize(("n", "at_least"), [(3000, 2500), (250, 200), (20_000, 18_000)])
def test_shrinking_moves_toward_the_first_element(n, at_least):
    """The order of the elements is the order of shrinking, across blocks and within."""
    found = find(
        stable_sampled_from(range(n)),
        lambda i: i >= at_least,
        settings=settings(max_examples=2000, database=None),
    )
    assert found == at_least


def test_its_repr_is_short():
    """Hypothesis prints strategies (and warns past 30 kB): a block is named, not listed."""
    assert len(repr(stable_sampled_from(range(1_000_000)))) < 200
