"""The signature graph: which findings are one trick, decided pair by pair.

Its nodes are the distinct signatures (``harness.core.signature``) of one kind of
finding; an edge joins two signatures that are LSH candidates (one equal MinHash band)
and at exact distance ``<= THRESHOLD``. An exploit (``harness.core.exploits``) is a
connected component. Why components and not leader clustering: whether an edge exists is
a property of the pair alone, so the components do not depend on the order findings
arrive in, and adding findings only adds edges: clustering in batches gives exactly the
clustering of everything at once (both are tested). The price is chaining (A near B
near C puts A and C together even when they are far apart); a greedy search's
trajectory of one-word edits *is* one trick, and the threshold is kept well below the
distance between different tricks so that chains do not cross from one to another.

``THRESHOLD = 0.55`` (Jaccard >= 0.45 of the 4-gram shingle sets), measured: of the
edits of a soup of 8 common words, 100% of one-word, 95% of two-word and 15% of
three-word edits are within it (of a 5-word soup, 99% of one-word edits; of a 4-word
soup, 85%); unrelated soups sit at >= 0.85. The closest *different* template tricks of
``attacks.templates`` are at 0.56 ("Let's solve this step by step." / "Let's think step
by step."), 0.57 ("Here you go!" / a markdown shell titled "Here you go!") and 0.60
(repeating "funny" / "very funny"): 0.55 stays below them. On the 50,000 findings of
``benchmarks/bench_exploits.py`` no cluster mixes two planted tricks. What is left
apart are mostly three-word mutations of a soup that the search did not follow: the
count of exploits errs high (a trick counted twice) rather than low (a trick hidden).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence

import numpy as np

from harness.core.signature import PARAMETERS

THRESHOLD = 0.55
CLUSTERING = f"{PARAMETERS}, threshold {THRESHOLD}"
"""What a stored clustering was made with: a store made with others is re-clustered."""


class SignatureGraph:
    """Union-find over signatures, with LSH buckets to find the pairs worth an exact check.

    Nodes are keyed by anything hashable (the store uses signature row ids). A new node
    is compared with the nodes that share one of its buckets, latest first, skipping
    those in a component it has already reached (its own included): joining a family
    of thousands of near-duplicates costs one hit, not thousands of comparisons. Every
    candidate pair is either compared or already connected, so the components are those
    of the full candidate graph, whatever the order of insertion.
    """

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._parent: dict[Hashable, Hashable] = {}
        self._size: dict[Hashable, int] = {}
        self._shingles: dict[Hashable, tuple[str, ...] | Callable[[], tuple[str, ...]]] = {}
        # kind -> band key -> nodes. Band keys are salted per band, so one dict serves all
        # bands; a cross-band collision only adds a candidate, which the exact check settles.
        self._buckets: dict[str, dict[int, list[Hashable]]] = {}

    def __len__(self) -> int:
        return len(self._parent)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._parent

    def find(self, key: Hashable) -> Hashable:
        parent = self._parent
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def _union(self, a: Hashable, b: Hashable) -> Hashable:
        a, b = self.find(a), self.find(b)
        if a == b:
            return a
        if self._size[a] < self._size[b]:
            a, b = b, a
        self._parent[b] = a
        self._size[a] += self._size[b]
        return a

    def _place(self, key: Hashable, kind: str, bands: list[int]) -> None:
        buckets = self._buckets.setdefault(kind, {})
        for value in bands:
            nodes = buckets.get(value)
            if nodes is None:
                buckets[value] = key  # most buckets hold one node: no list for it
            elif type(nodes) is list:
                nodes.append(key)
            else:
                buckets[value] = [nodes, key]

    def _shingles_of(self, node: Hashable) -> tuple[str, ...]:
        shingles = self._shingles[node]
        if callable(shingles):  # restored lazily: decoded when first compared
            shingles = self._shingles[node] = shingles()
        return shingles

    def neighbours(
        self,
        kind: str,
        shingles: tuple[str, ...],
        bands: Sequence[int],
        *,
        own: Hashable | None = None,
    ) -> Iterator[tuple[Hashable, float]]:
        """``(node, distance)`` for candidates at distance ``<= threshold``, one per component.

        After a hit the rest of that component is skipped, and so is the component of the
        node ``own`` (the caller's, when it is in the graph): a caller may join each
        yielded node to its component before asking for the next one.
        """
        mine = frozenset(shingles)
        size = len(mine)
        floor = 1.0 - self.threshold  # the smallest Jaccard that is an edge
        checked: set[Hashable] = set()
        done: set[Hashable] = set()  # roots already hit, and the caller's own
        find, shingles_of = self.find, self._shingles_of
        buckets = self._buckets.get(kind, {})
        if own is not None:
            done.add(find(own))
        for value in _ints(bands):
            nodes = buckets.get(value)
            if nodes is None:
                continue
            for node in reversed(nodes) if type(nodes) is list else (nodes,):  # latest first
                if node in checked:
                    continue
                checked.add(node)
                root = find(node)
                if root in done:
                    continue
                other = shingles_of(node)
                if min(size, len(other)) < floor * max(size, len(other)):
                    continue  # sizes alone put Jaccard below the floor
                common = len(mine.intersection(other))
                dist = 1.0 - common / (size + len(other) - common)
                if dist <= self.threshold:
                    done.add(root)
                    yield node, dist
                    if own is not None:
                        done.add(find(own))  # the caller may have joined the two

    def add(
        self, key: Hashable, kind: str, shingles: tuple[str, ...], bands: Sequence[int]
    ) -> list[Hashable]:
        """Insert a node and join every component it has an edge to.

        Returns one node of each component it joined (their roots as they were before),
        so a caller that keeps its own ids per component can merge them. Adding a key
        that is already there changes nothing and returns ``[]``.
        """
        if key in self._parent:
            return []
        self._parent[key] = key
        self._size[key] = 1
        self._shingles[key] = shingles
        joined: list[Hashable] = []
        for node, _ in self.neighbours(kind, shingles, bands, own=key):
            joined.append(self.find(node))
            self._union(node, key)
        self._place(key, kind, _ints(bands))
        return joined

    def restore(
        self,
        key: Hashable,
        kind: str,
        shingles: tuple[str, ...] | Callable[[], tuple[str, ...]],
        bands: Sequence[int],
        same_as: Hashable | None,
    ) -> None:
        """Insert a node whose component is already known (reloading a saved clustering).

        ``shingles`` may be a function that returns them: it is called the first time the
        node is compared, so reloading a large store does not decode every signature.
        """
        self._parent[key] = key
        self._size[key] = 1
        self._shingles[key] = shingles
        if same_as is not None:
            self._union(same_as, key)
        self._place(key, kind, _ints(bands))

    def components(self) -> dict[Hashable, list[Hashable]]:
        groups: dict[Hashable, list[Hashable]] = defaultdict(list)
        for key in self._parent:
            groups[self.find(key)].append(key)
        return dict(groups)


def _ints(bands: Sequence[int]) -> list[int]:
    return bands.tolist() if isinstance(bands, np.ndarray) else [int(b) for b in bands]
