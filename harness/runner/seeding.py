"""Library seeding for a run (``seed_from = "library"``) or a trial (``rmh attack --library``).

Which seeds a store gives is the store's business (``harness.store.seeds``: one per exploit,
never read from a finding of an attacked prompt, ranked by transfer); how a search starts
from them, ``attacks.base``'s. What is left is the same for a run and a trial, and lives
here: which attacks take seeds (``Attack.seedable``), reading a store that may not exist
yet without creating it, and the one line that tells the user what was seeded, or why
nothing was:

- ``the store holds no findings: searching from scratch`` (no store, or an empty one: a
  team's first run);
- ``the library holds N exploits, all found on prompts this run attacks: seeding from none
  of them``;
- ``seeding A, B from N exploits of M stored (K found only on prompts this run attacks left
  out); C cannot start from seeds``.

Example::

    library = load_library("findings.db", prompts=pairs, limit=16)
    spec = TrialSpec(..., library=library.seeds)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.runlog.nested import LibraryRecord
from harness.store import FindingStore, SeedLibrary

#: The library seeds per attempt unless a suite (``library_seeds``) or ``--library-seeds``
#: says otherwise.
DEFAULT_LIBRARY_SEEDS = 16

NOTHING_STORED = "the store holds no findings: searching from scratch"


def seedable(attacks: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The ids of ``(id, registry name)`` attacks that take seeds, and of those that do not."""
    from attacks.registry import get_attack

    takes, others = [], []
    for attack_id, name in attacks:
        (takes if get_attack(name).seedable else others).append(attack_id)
    return takes, others


def load_library(
    path: str | Path, *, prompts: Sequence[PreferencePair], limit: int = DEFAULT_LIBRARY_SEEDS
) -> SeedLibrary:
    """The seeds the store at ``path`` gives for a search on ``prompts`` (the store as it is
    now); a store that does not exist gives none and is not created."""
    if not Path(path).exists():
        return SeedLibrary(seeds=(), stored=0, attacked_only=0)
    with FindingStore.open(path) as store:
        return store.library(exclude_prompts={p.prompt for p in prompts}, limit=limit)


def notice(library: SeedLibrary, takes: Sequence[str], others: Sequence[str]) -> str:
    """The one line that says what was seeded (module doc)."""
    if library.stored == 0:
        return NOTHING_STORED
    if not library.seeds:
        return (
            f"the library holds {_exploits(library.stored)}, all found on prompts this run "
            "attacks: seeding from none of them"
        )
    if not takes:
        return f"library: none of the attacks ({', '.join(others)}) can start from seeds"
    left_out = (
        f" ({library.attacked_only} found only on prompts this run attacks left out)"
        if library.attacked_only
        else ""
    )
    cannot = f"; {', '.join(others)} cannot start from seeds" if others else ""
    return (
        f"library: seeding {', '.join(takes)} from {_exploits(len(library.seeds))} of "
        f"{library.stored} stored{left_out}{cannot}"
    )


def _exploits(n: int) -> str:
    return f"{n} exploit{'' if n == 1 else 's'}"


def record(library: SeedLibrary, *, sighting_horizon: int, takes: Sequence[str]) -> LibraryRecord:
    """The ``init`` entry's account of the library (``LibraryRecord``)."""
    return LibraryRecord(
        exploit_ids=library.exploit_ids,
        seeds=len(library.seeds),
        stored=library.stored,
        attacked_only=library.attacked_only,
        sighting_horizon=sighting_horizon,
        attacks=tuple(takes),
    )


def run_library(
    store: FindingStore,
    *,
    prompts: Sequence[PreferencePair],
    attacks: Sequence[tuple[str, str]],
    limit: int,
    horizon: int,
    logged: LibraryRecord | None,
    run: Path,
) -> tuple[SeedLibrary, LibraryRecord, str]:
    """A run's library, its ``init`` record and its notice: as of the replay ``horizon`` and
    the newest sighting when the run began (``logged``, on resume: then the same exploits, or
    a one-line error, as for a checkpoint that changed since)."""
    sightings = logged.sighting_horizon if logged else store.max_sighting_id()
    library = store.library(
        exclude_prompts={p.prompt for p in prompts},
        limit=limit,
        up_to_id=horizon,
        sightings_up_to=sightings,
    )
    takes, others = seedable(attacks)
    made = record(library, sighting_horizon=sightings, takes=takes)
    if logged is not None and logged.exploit_ids != made.exploit_ids:
        raise HarnessError(
            f"run {run} began seeded from exploits {list(logged.exploit_ids)} and its store "
            f"{store.path} now gives {list(made.exploit_ids)}: the store was replaced or "
            "changed; start a new run"
        )
    return library, made, notice(library, takes, others)
