"""The finding: one typed record from the attack that makes it to the store and the log.

A finding used to have a shape per layer (the attack's, the store's input, the log line,
the store row) and converters between them; a field added in one was easy to drop in
another. Now an attack (or the instability probe, ``kind="instability"``) makes one
``Finding``, the store records it as it is, and the log's ``finding`` line is built from it
by one function (``harness.runlog.entries.FindingEntry.of``).

A run log's ``finding`` line *is* a ``Finding`` with where it was logged
(``harness.runlog.entries.FindingEntry`` inherits its fields), and the store reads one
back as a ``StoredFinding`` holding it, so every layer reads findings by attribute.

What makes two findings one is their ``key`` (``finding_key``): kind, prompt, family and
the normalized text. Stores and resumed runs compare keys written by earlier versions,
so its value must never change. What makes two findings *the same trick* is their
``signature`` (``harness.core.signature``): what the text adds to its reference.

    f = Finding(prompt="Tell me a joke.", reference="A joke.", text="haha haha",
                family="repetition", attack="repetition", score=2.0, reference_score=0.5)
    f.margin, f.key, f.signature
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from harness.core.text import normalize

if TYPE_CHECKING:
    from harness.core.signature import Signature

#: ``finding``: an attack's candidate that outscored its reference and a judge calls bad;
#: ``instability``: a meaning-preserving edit that flipped a preference pair.
Kind = Literal["finding", "instability"]

DEFAULT_KEEP = 16
"""How many findings one attempt keeps unless told otherwise (``attacks.base`` picks which:
the best margin, then the most different). Near-duplicates of one trick add no
information and bury the next trick in every report, so an attempt keeps a few."""


#: The fluency judge's registry name: its measure is a finding's ``fluency``.
FLUENCY = "fluency"


def is_judge_reason(reason: str) -> bool:
    """Whether ``reason`` names its judge (``"judge: why"``, the name without spaces)."""
    name, sep, _ = reason.partition(": ")
    return bool(sep and name and not any(ch.isspace() for ch in name))


def finding_key(kind: str, prompt: str, family: str, text: str) -> str:
    """The dedup key: two spellings of one text (case, spacing, NFKC) are one finding.

    Stores and run logs hold these keys; the value must stay byte-identical across
    versions, or a resumed run would log its findings twice and a store would split them.
    """
    raw = json.dumps([kind, prompt, family, normalize(text)], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A candidate that outscored its reference and that a judge calls bad (or an instability).

    Attributes:
        kind: ``finding`` or ``instability``.
        prompt, reference, text: the prompt, the known-good response, the candidate. For an
            instability, ``reference`` is the edited response as it was and ``text`` the edit.
        family, attack: the attack's family and registry name (an instability's edit).
        score, reference_score: the attacked model's scores of ``text`` and ``reference``.
        reasons: the judges' reasons for calling it bad.
        seed, queries_at_find, seeded: the search's seed, the queries it had spent when it
            found this, and whether the starting point already had it (chance, not search).
        attack_id: the suite's id for the attack (set by the runner; ``""`` outside a run).
        detail: anything else the store should keep (an instability's pair).
        measures: each judge's own number for the text, by judge name (the fluency judge's
            relative NLL, a gold RM's margin), from every judge that has one, those that
            called it fine included; empty for findings recorded before measures existed.
    """

    kind: Kind = "finding"
    prompt: str
    reference: str
    text: str
    family: str
    attack: str
    score: float
    reference_score: float
    reasons: tuple[str, ...] = ()
    seed: int = 0
    queries_at_find: int = 0
    seeded: bool = False
    attack_id: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict, hash=False)
    measures: Mapping[str, float] = field(default_factory=dict, hash=False)

    @property
    def margin(self) -> float:
        """``score - reference_score``: derived, so that it can never disagree with them."""
        return self.score - self.reference_score

    @property
    def judges(self) -> tuple[str, ...]:
        """The judges that called it bad, in the order of their reasons (``"judge: why"``)."""
        names = (r.partition(": ")[0] for r in self.reasons if is_judge_reason(r))
        return tuple(dict.fromkeys(names))

    @property
    def fluency(self) -> float | None:
        """The fluency judge's measure: mean NLL relative to the reference (None: not
        measured)."""
        value = self.measures.get(FLUENCY) if isinstance(self.measures, Mapping) else None
        # A log line's JSON types are not checked on reading: anything but a number is none.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(value)

    @cached_property
    def key(self) -> str:
        """The store's dedup key (``finding_key``); a hash, computed once per record."""
        return finding_key(self.kind, self.prompt, self.family, self.text)

    @cached_property
    def signature(self) -> Signature:
        """The trick this finding plays on its reference; computed once, on first use.

        Imported here: the CLI and the suite read ``DEFAULT_KEEP`` from this module, and
        ``rmh --help`` should not pay for numpy.
        """
        from harness.core.signature import signature

        return signature(self.reference, self.text)
