"""Which findings an attempt keeps: a few, as different from each other as they can be."""

from __future__ import annotations

from collections.abc import Sequence

from harness.core.errors import HarnessError
from harness.core.finding import Finding
from harness.core.signature import distance


def keep_diverse(found: Sequence[Finding], keep: int) -> list[Finding]:
    """At most ``keep`` findings: the best margin, then farthest-first; in the order found.

    After the best margin, each pick is the finding whose signature distance to the
    nearest one already kept is largest (ties: the better margin, then the earlier
    found), so one trick spelled fifty ways does not crowd out a second trick. Every
    step is a pure function of the findings, so the same seed keeps the same findings
    in every process.
    """
    if keep <= 0:
        raise HarnessError(f"keep must be > 0, got {keep}")
    if len(found) <= keep:
        return list(found)
    # Preference order: best margin first, then the earlier found.
    rank = sorted(range(len(found)), key=lambda i: (-found[i].margin, i))
    first = rank[0]
    nearest = {i: distance(found[i].signature, found[first].signature) for i in rank[1:]}
    kept = [first]
    position = {i: r for r, i in enumerate(rank)}
    while len(kept) < keep:
        pick = max(nearest, key=lambda i: (nearest[i], -position[i]))
        kept.append(pick)
        del nearest[pick]
        for i in nearest:
            nearest[i] = min(nearest[i], distance(found[i].signature, found[pick].signature))
    return [found[i] for i in sorted(kept)]
