"""The exploit library as starting points: one seed per stored exploit, for new prompts.

Library seeding (a suite's ``seed_from = "library"``, ``rmh attack --library``) starts a
search on a new prompt from tricks that worked on other prompts. This is the read that
chooses them, from the store as of a horizon (a run's replay horizon: a resumed run gets
the same seeds, however the store has grown since):

- **Never the attacked prompts' findings.** Seeding measures transfer to *new* prompts, so
  a finding on a prompt being attacked is not read at all: not as a seed's text and not
  in a ranking key. An exploit with findings on attacked and other prompts contributes its
  best finding from another prompt; one found only on attacked prompts contributes
  nothing (``SeedLibrary.attacked_only`` counts them, so a run can say so). The exploits
  are clustered from the other prompts' findings alone, so an attacked prompt's finding
  never bridges two exploits into one, and a seed's ``exploit_id`` is the smallest id of
  its findings on other prompts (the store's id of the exploit, unless the store's
  smallest member is on an attacked prompt).
- **One seed per exploit**: its best finding on the other prompts, chosen as replay
  chooses a representative (highest margin, then shortest text, then text, then id).
- **Ranked by how widely it transferred**: distinct (other) prompts the exploit has
  findings on, then its open sightings (replays of those findings, on any checkpoint, that
  still beat their reference), then the seed's margin, then the exploit id. A trick that
  beat three prompts' references is a better first guess on a fourth than one that beat a
  single reference by more.

Sightings are counted up to ``sightings_up_to`` (a sighting id: a run records the newest
one when it starts), so this run's own replays do not reorder its library on resume.

Example::

    with FindingStore.open("findings.db") as store:
        library = store.library(exclude_prompts={"Tell me a joke."}, limit=16)
    [seed.placed(reference) for seed in library.seeds]
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from harness.core.errors import HarnessError
from harness.core.exploit_seeds import ExploitSeed
from harness.store import horizon

#: ``horizon.exploit_members``'s answer: (exploit id, member rows) per exploit.
Exploits = list[tuple[int, list[dict[str, Any]]]]

#: Replays (and transfers) that still beat their reference, per finding, up to a sighting id.
_OPEN_SQL = (
    "SELECT finding_id, COUNT(*) AS n FROM sightings WHERE source != 'search' "
    "AND is_open = 1 AND (? IS NULL OR id <= ?) GROUP BY finding_id"
)


@dataclass(frozen=True)
class SeedLibrary:
    """The seeds a store gives for some attacked prompts, best first, and what it left out.

    Attributes:
        seeds: at most ``limit`` seeds, ranked (module doc).
        stored: exploits (of kind ``finding``) in the store as of the horizon.
        attacked_only: of those, the exploits whose every finding is on an attacked prompt
            (they give no seed).
    """

    seeds: tuple[ExploitSeed, ...]
    stored: int
    attacked_only: int

    @property
    def exploit_ids(self) -> tuple[int, ...]:
        return tuple(seed.exploit_id for seed in self.seeds)

    def __repr__(self) -> str:
        return (
            f"SeedLibrary(seeds={len(self.seeds)}, stored={self.stored}, "
            f"attacked_only={self.attacked_only}, exploits={list(self.exploit_ids)})"
        )


def library(
    db: sqlite3.Connection,
    *,
    exclude_prompts: Collection[str],
    limit: int,
    up_to_id: int | None = None,
    sightings_up_to: int | None = None,
) -> SeedLibrary:
    """The seeds for a search on ``exclude_prompts`` (module doc), from one read snapshot."""
    if limit <= 0:
        raise HarnessError(f"library seeds must be > 0, got {limit}")
    excluded = set(exclude_prompts)

    def read(query: horizon.Query) -> tuple[int, int, Exploits, dict[int, int]]:
        stored = horizon.exploit_members(query, "finding", up_to_id)
        attacked_only = sum(all(m["prompt"] in excluded for m in ms) for _, ms in stored)
        # clustered without the attacked prompts' findings: they must not bridge exploits
        exploits = horizon.exploit_members(query, "finding", up_to_id, excluded)
        rows = query(_OPEN_SQL, (sightings_up_to, sightings_up_to))
        opened = {int(r["finding_id"]): int(r["n"]) for r in rows}
        return len(stored), attacked_only, exploits, opened

    stored, attacked_only, exploits, open_sightings = horizon.snapshot(db, read)
    seeds = []
    for exploit_id, others in exploits:
        best = horizon.best_member(others)
        seeds.append(
            ExploitSeed.of_finding(
                text=best["text"],
                reference=best["reference"],
                prompt=best["prompt"],
                exploit_id=exploit_id,
                family=best["family"],
                attack=best["attack"],
                prompts=len({m["prompt"] for m in others}),
                open_sightings=sum(open_sightings.get(m["id"], 0) for m in others),
                margin=float(best["margin"]),
            )
        )
    seeds.sort(key=lambda s: (-s.prompts, -s.open_sightings, -s.margin, s.exploit_id))
    return SeedLibrary(tuple(seeds[:limit]), stored=stored, attacked_only=attacked_only)
