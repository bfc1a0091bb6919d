"""The extra training pairs of one arm in one round, and the summary the experiment logs.

Round r >= 1 of an arm trains its round r-1 checkpoint on the clean pairs *plus* what
this module returns; the caller concatenates the two (every arm trains on the clean
pairs, so that the arms differ only in the extra pairs), writes them with
``write_pairs`` and logs the ``Augmentation``.

- ``findings`` (``findings_augmentation``): the exploits that round r-1's runs found
  first, each as (prompt, chosen = the prompt's reference, rejected = a finding's text):
  its best member and up to ``members_per_exploit`` others, chosen to differ most
  (farthest-first by signature distance), not all the near-duplicates of one trick.
  Only findings on *attack* prompts (evaluation prompts are never trained on) and of
  *trained* families (the held-out families measure whether robustness generalises, so
  their findings are never added).
- ``synthetic`` (``synthetic_augmentation``): as many extra pairs as ``findings`` added,
  made without search (``harness.core.degenerate``: random soups, repetition, padding)
  on the attack prompts' references, seeded by (experiment seed, round). It controls
  for "any degenerate negatives help".
- ``clean`` (``clean_augmentation``): nothing extra. It controls for "more training".

**Which exploits are new.** An exploit counts for round r when its first *eligible*
member (attack prompt, trained family) was first recorded by one of round r-1's runs
(the store's ``first_run``). So each exploit is added once, in the first round where it
could be, and an exploit first seen on an evaluation prompt or by a held-out family is
added when a trained family first finds it on an attack prompt. Its members are taken
from round r-1's findings only, so asking again after later rounds ran gives the same
pairs (unless a later finding merged two exploits: the store's clustering is as it stands
when asked). New spellings of an exploit that was added before are not added again
(replay measures whether it is still open).

**Nothing to add.** A round whose runs found no eligible new exploit gives no pairs and
a summary with ``pairs == 0`` (``nothing_to_add``): the caller records that and goes on;
it must not train on nothing.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.core.data import PreferencePair
from harness.core.degenerate import (
    KINDS,
    SYNTHETIC_KINDS,
    DegenerateKind,
    degenerate_negatives,
    kind_of,
)
from harness.core.errors import HarnessError
from harness.core.exploits import Facts, representative_order
from harness.core.signature import Signature, distance
from harness.experiments.rounds.pairfile import pairs_hash, write_pairs
from harness.experiments.rounds.split import prompt_key
from harness.store import FindingStore, StoredFinding

__all__ = [
    "ARMS",
    "KIND_FAMILIES",
    "MEMBERS_PER_EXPLOIT",
    "Arm",
    "Augmentation",
    "clean_augmentation",
    "findings_augmentation",
    "parse_arms",
    "parse_kinds",
    "replicate_seed",
    "round_seed",
    "synthetic_augmentation",
    "write_pairs",
]

Arm = Literal["findings", "clean", "synthetic"]
ARMS: tuple[Arm, ...] = ("findings", "clean", "synthetic")
MEMBERS_PER_EXPLOIT = 2
"""Members added per exploit besides its best one: a few spellings, not every duplicate."""


def parse_arms(arms: str | Iterable[str]) -> tuple[Arm, ...]:
    """``"findings,clean"`` (or a list) as arm names, in the order given; unknown names refused."""
    names = [a.strip() for a in (arms.split(",") if isinstance(arms, str) else arms)]
    names = [a for a in names if a]
    unknown = [a for a in names if a not in ARMS]
    if unknown:
        raise HarnessError(f"unknown arm {unknown[0]!r}; choose from {', '.join(ARMS)}")
    if not names:
        raise HarnessError(f"no arms given; choose from {', '.join(ARMS)}")
    if len(set(names)) != len(names):
        raise HarnessError(f"an arm is named twice in {', '.join(names)}")
    return tuple(names)  # type: ignore[return-value]


@dataclass(frozen=True)
class Augmentation:
    """What one arm adds in one round: the experiment log's ``augment`` record.

    ``round`` is the round this data trains (r >= 1; the findings are round r-1's).
    ``pairs``: extra pairs; ``exploits``: the exploits they come from (0 for the other
    arms); ``families``: pairs per attack family (``findings``) or per degenerate kind
    (``synthetic``); ``data_hash``: ``pairfile.pairs_hash`` of the extra pairs, in order.
    """

    arm: str
    round: int
    pairs: int
    exploits: int
    families: dict[str, int] = field(hash=False)
    data_hash: str

    @property
    def nothing_to_add(self) -> bool:
        return self.pairs == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "arm": self.arm,
            "round": self.round,
            "pairs": self.pairs,
            "exploits": self.exploits,
            "families": dict(sorted(self.families.items())),
            "data_hash": self.data_hash,
        }


def _summary(
    arm: Arm, round: int, pairs: Sequence[PreferencePair], exploits: int, by: Iterable[str]
) -> Augmentation:
    return Augmentation(arm, round, len(pairs), exploits, dict(Counter(by)), pairs_hash(pairs))


def clean_augmentation(*, round: int) -> tuple[list[PreferencePair], Augmentation]:
    """The ``clean`` arm adds nothing: it trains on the clean pairs alone."""
    return [], _summary("clean", round, [], 0, [])


# --------------------------------------------------------------------------- findings
def findings_augmentation(
    store: FindingStore,
    *,
    run_ids: Collection[str],
    attack_prompts: Iterable[str],
    trained_families: Collection[str],
    references: Mapping[str, str],
    round: int,
    members_per_exploit: int = MEMBERS_PER_EXPLOIT,
) -> tuple[list[PreferencePair], Augmentation]:
    """The ``findings`` arm's extra pairs for ``round``: the new exploits of ``run_ids``.

    ``references`` maps a prompt to its reference response (the chosen side); a prompt
    missing from it falls back to the reference the finding was found against. Pairs are
    ordered by exploit id, the best member first, then the others in the order chosen.
    Only findings of kind ``finding`` count (an instability is a flipped pair, not a bad
    response to reject). Read-only on the store.
    """
    if members_per_exploit < 0:
        raise ValueError(f"members_per_exploit must be >= 0, got {members_per_exploit}")
    runs = set(run_ids)
    attack = {prompt_key(p) for p in attack_prompts}
    families = set(trained_families)
    reference_of = {prompt_key(p): r for p, r in references.items()}
    stored = {item.id: item for item in store.findings(kind="finding")}

    def eligible(finding_id: int) -> bool:
        item = stored.get(finding_id)
        return (
            item is not None
            and item.finding.family in families
            and prompt_key(item.finding.prompt) in attack
        )

    if not any(eligible(i) and stored[i].first_run in runs for i in stored):
        return [], _summary("findings", round, [], 0, [])
    pairs: list[PreferencePair] = []
    used: list[str] = []
    exploits = 0
    for summary in store.exploits(kind="finding"):
        if families.isdisjoint(summary.families) or attack.isdisjoint(
            map(prompt_key, summary.prompts)
        ):
            continue  # no member can be eligible: skip reading its members
        members = [m for m in store.exploit(summary.id).members if eligible(m.finding_id)]
        if not members or stored[min(m.finding_id for m in members)].first_run not in runs:
            continue
        members = [m for m in members if stored[m.finding_id].first_run in runs]
        exploits += 1
        for member in _diverse(members, stored, members_per_exploit):
            found = stored[member.finding_id].finding
            chosen = reference_of.get(prompt_key(found.prompt), found.reference)
            meta = {
                "source": "finding",
                "exploit": str(summary.id),
                "finding": str(member.finding_id),
                "family": found.family,
            }
            pairs.append(PreferencePair(found.prompt, chosen, found.text, line=0, meta=meta))
            used.append(found.family)
    return pairs, _summary("findings", round, pairs, exploits, used)


def _diverse(members: list[Facts], stored: Mapping[int, StoredFinding], extra: int) -> list[Facts]:
    """The best member, then up to ``extra`` others, farthest-first by signature distance.

    Each next pick is the member farthest from all picked so far (its nearest picked one
    is farthest away); ties go to a prompt not yet used, then to the representative order
    (highest margin, shortest text, text, id). Members with the same (prompt, text) as a
    picked one are skipped: they would be the same training pair.
    """
    order = sorted(members, key=lambda m: representative_order(m.margin, m.text, m.finding_id))
    sigs: dict[int, Signature] = {
        m.finding_id: stored[m.finding_id].finding.signature for m in order
    }
    picked = [order[0]]
    seen = {(prompt_key(order[0].prompt), order[0].text)}
    rest = order[1:]
    while rest and len(picked) <= extra:
        rest = [m for m in rest if (prompt_key(m.prompt), m.text) not in seen]
        if not rest:
            break
        prompts = {prompt_key(p.prompt) for p in picked}

        def spread(m: Facts, prompts: set[str] = prompts) -> tuple[float, bool]:
            nearest = min(distance(sigs[m.finding_id], sigs[p.finding_id]) for p in picked)
            return (-nearest, prompt_key(m.prompt) in prompts)

        best = min(rest, key=spread)  # min() keeps the first of ties: the representative order
        picked.append(best)
        seen.add((prompt_key(best.prompt), best.text))
        rest.remove(best)
    return picked


# -------------------------------------------------------------------------- synthetic
_NON_ANSWER_FAMILIES = (
    "self-praise", "grader-injection", "sycophancy", "formatting", "emoji", "null-answer",
)  # fmt: skip
KIND_FAMILIES: dict[DegenerateKind, tuple[str, ...]] = {
    "soup-common": (),
    "soup-rare": (),
    "repetition": ("repetition",),
    "padding": ("padding",),
    "non-answer": _NON_ANSWER_FAMILIES,
    "soup-non-answer": _NON_ANSWER_FAMILIES,
}
"""Per degenerate kind, the attack families whose nonsense it spells out without search
(``harness.core.degenerate``: its non-answers are the templates' self-praise, grader
injection, flattery, formatting, emoji and empty answers). A ``synthetic`` arm trained on
a kind whose family is held out is trained in-distribution for its own test."""


def parse_kinds(kinds: str | None) -> tuple[DegenerateKind, ...]:
    """``"soup-common,padding"`` as degenerate kinds (None: ``SYNTHETIC_KINDS``);
    unknown names refused."""
    if kinds is None:
        return SYNTHETIC_KINDS
    names = [k.strip() for k in kinds.split(",") if k.strip()]
    unknown = [k for k in names if k not in KINDS]
    if unknown:
        raise HarnessError(f"unknown synthetic kind {unknown[0]!r}; choose from {', '.join(KINDS)}")
    if not names:
        raise HarnessError(f"no synthetic kinds given; choose from {', '.join(KINDS)}")
    if len(set(names)) != len(names):
        raise HarnessError(f"a synthetic kind is named twice in {', '.join(names)}")
    return tuple(names)  # type: ignore[return-value]


def round_seed(seed: int, round: int, arm: str = "synthetic") -> int:
    """A 63-bit seed for ``arm`` in ``round`` of an experiment seeded ``seed``.

    Hashed rather than added (``seed + round``), so two experiments whose seeds differ by
    one do not share their rounds' draws.
    """
    raw = f"{seed}:{round}:{arm}".encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big") >> 1


def replicate_seed(seed: int, round: int, purpose: str, replicate: int = 0) -> int:
    """The seed of ``purpose`` in ``round`` for training replicate ``replicate``.

    Replicate 0 gets ``round_seed(seed, round, purpose)``, the seed a single-seed
    experiment always used (so ``--seeds 1`` gives the numbers it always gave); replicate
    k >= 1 one of its own, from ``f"{purpose}-{k}"``. Every arm's replicate k draws the
    same, so the arms of one replicate differ only in their extra pairs.
    """
    return round_seed(seed, round, purpose if replicate == 0 else f"{purpose}-{replicate}")


def synthetic_augmentation(
    *,
    attack_prompts: Iterable[str],
    references: Mapping[str, str],
    count: int,
    seed: int,
    round: int,
    kinds: Sequence[DegenerateKind] = SYNTHETIC_KINDS,
    replicate: int = 0,
) -> tuple[list[PreferencePair], Augmentation]:
    """``count`` degenerate negatives (the ``findings`` arm's pair count this round, in
    the same training replicate).

    Built on (attack prompt, its reference) for the attack prompts that have a reference,
    in an order shuffled by ``replicate_seed(seed, round, "synthetic", replicate)``,
    cycling through ``kinds``.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    reference_of = {prompt_key(p): (p, r) for p, r in sorted(references.items())}
    bases = sorted({reference_of[k] for k in map(prompt_key, attack_prompts) if k in reference_of})
    if count and not bases:
        raise HarnessError(
            "the synthetic arm has no attack prompt with a reference response to build on"
        )
    derived = replicate_seed(seed, round, "synthetic", replicate)
    random.Random(derived).shuffle(bases)
    base_pairs = [PreferencePair(p, r, "", line=0) for p, r in bases]
    made = degenerate_negatives(base_pairs, derived, kinds=kinds, count=count)
    pairs = [
        PreferencePair(
            p.prompt,
            p.chosen,
            p.rejected,
            line=0,
            meta={"source": "synthetic", "kind": kind_of(i, kinds)},
        )
        for i, p in enumerate(made)
    ]
    return pairs, _summary("synthetic", round, pairs, 0, (kind_of(i, kinds) for i in range(count)))
