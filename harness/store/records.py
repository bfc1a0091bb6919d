"""What a run hands the store, and the key that makes two spellings of a text one finding."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from harness.core.text import normalize


def finding_key(kind: str, prompt: str, family: str, text: str) -> str:
    """The dedup key: two spellings of one text (case, spacing, NFKC) are one finding."""
    raw = json.dumps([kind, prompt, family, normalize(text)], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class NewFinding:
    """What a run hands the store: a finding (or instability) and the sighting that made it."""

    kind: str
    prompt: str
    reference: str
    text: str
    family: str
    attack: str
    reasons: tuple[str, ...]
    score: float
    reference_score: float
    detail: dict[str, Any]

    @property
    def key(self) -> str:
        return finding_key(self.kind, self.prompt, self.family, self.text)

    def row(self, run_id: str, checkpoint: str, now: str) -> tuple[Any, ...]:
        """The ``findings`` row of this finding, in the column order the store inserts."""
        return (
            self.key,
            self.kind,
            self.prompt,
            self.reference,
            self.text,
            self.family,
            self.attack,
            json.dumps(list(self.reasons), ensure_ascii=False),
            json.dumps(self.detail, ensure_ascii=False),
            run_id,
            checkpoint,
            now,
        )


@dataclass(frozen=True)
class Sighting:
    finding_id: int
    score: float
    reference_score: float
    is_open: bool
