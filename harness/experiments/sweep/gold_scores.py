"""The gold: what the sweep believes about the responses the proxy picks.

Three kinds, each turned into a ``Scorer`` so that the sweep scores gold exactly as it
scores the proxy (the scorer is the one path to a model):

- **one RM** (``--gold CKPT``): its scorer, in its own units.
- **an ensemble** (``--gold A --gold B [--gold-combine mean|min]``): each member's scores
  are standardized by that member's mean and spread over the sampled responses (RMs
  trained apart sit on different scales, and a minimum over raw scores would be the
  lowest-scaled member's alone), then averaged, or the minimum taken: the worst-case
  ensemble of Coste et al. 2023 (arXiv:2310.02743), which is pessimistic exactly where
  the members disagree. Units: member spreads.
- **human scores** (``--gold-scores FILE``): JSONL rows ``{prompt, response, score}``.
  They cover what was sampled and nothing else, so they cannot score the texts of an
  attack's path: no trajectories with them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.core.data import read_json_lines, string_field
from harness.core.errors import DataError, HarnessError
from harness.core.visible import clip
from harness.experiments.sweep.result import GoldRecord, ModelRecord
from harness.experiments.sweep.samples import Sample, file_sha256, finite_number
from harness.models.base import Prepared, RewardModel
from harness.scoring import Scorer

COMBINES = ("mean", "min")
#: Pairs per call into an ensemble: its members batch by length on their own.
ENSEMBLE_BATCH = 4096


@dataclass(frozen=True)
class Gold:
    """The gold's scorer, how it is recorded, and whether it can score new text."""

    scorer: Scorer
    record: GoldRecord
    scores_new_text: bool


class EnsembleGold(RewardModel):
    """Standardized member scores, combined by mean or min (module doc)."""

    def __init__(
        self,
        members: Sequence[Scorer],
        centers: Sequence[float],
        spreads: Sequence[float],
        combine: str,
    ) -> None:
        if combine not in COMBINES:
            raise HarnessError(f"--gold-combine must be one of {', '.join(COMBINES)}")
        self.members = list(members)
        self.centers = np.asarray(centers, dtype=np.float64)
        self.spreads = np.asarray(spreads, dtype=np.float64)
        self.combine = combine
        payload = {
            "members": [m.model.fingerprint for m in self.members],
            "centers": self.centers.tolist(),
            "spreads": self.spreads.tolist(),
            "combine": combine,
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        self.fingerprint = f"ensemble-{digest}"

    def prepare(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prepared]:
        return [
            Prepared(payload=(p, r), length=len(p) + len(r))
            for p, r in zip(prompts, responses, strict=True)
        ]

    def score_batch(self, items: Sequence[Prepared]) -> np.ndarray:
        prompts = [item.payload[0] for item in items]
        responses = [item.payload[1] for item in items]
        raw = np.stack([m.score(prompts, responses) for m in self.members])
        z = (raw - self.centers[:, None]) / self.spreads[:, None]
        return z.mean(axis=0) if self.combine == "mean" else z.min(axis=0)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "ensemble",
            "combine": self.combine,
            "members": [m.model.fingerprint for m in self.members],
            "fingerprint": self.fingerprint,
        }

    def __repr__(self) -> str:
        return f"EnsembleGold({self.combine} of {len(self.members)} RMs)"


class ScoreTable(RewardModel):
    """Scores looked up by (prompt, response): a file of human (or any) gold scores, or
    the scores a watch recorded (``kind`` ``watch-proxy``, ``watch-gold``: the fingerprint's
    prefix, ``path`` the watch log)."""

    def __init__(
        self,
        scores: dict[tuple[str, str], float],
        path: Path,
        sha256: str,
        kind: str = "scores",
    ) -> None:
        self.scores = scores
        self.path = path
        self.kind = kind
        self.fingerprint = f"{kind}-{sha256}"

    def prepare(self, prompts: Sequence[str], responses: Sequence[str]) -> list[Prepared]:
        return [Prepared(payload=(p, r), length=1) for p, r in zip(prompts, responses, strict=True)]

    def score_batch(self, items: Sequence[Prepared]) -> np.ndarray:
        out = []
        for item in items:
            prompt, response = item.payload
            if item.payload not in self.scores:
                what = "gold scores file" if self.kind == "scores" else f"{self.kind} of"
                raise HarnessError(
                    f"{what} {self.path} has no score for prompt "
                    f"{clip(prompt, 40)!r} / response {clip(response, 40)!r}"
                )
            out.append(self.scores[(prompt, response)])
        return np.array(out, dtype=np.float64)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": str(self.path), "fingerprint": self.fingerprint}

    def __repr__(self) -> str:
        return f"ScoreTable({self.kind}, {self.path}, {len(self.scores)} scores)"


def rm_gold(
    members: Sequence[tuple[str, Scorer]], samples: Sequence[Sample], combine: str = "mean"
) -> Gold:
    """One gold RM, or several combined (standardized over ``samples``, then combined)."""
    if not members:
        raise HarnessError("give a gold RM (--gold CKPT) or a gold scores file (--gold-scores)")
    if combine not in COMBINES:
        raise HarnessError(f"--gold-combine must be one of {', '.join(COMBINES)}, got {combine}")
    records = tuple(ModelRecord(spec=spec, fingerprint=s.model.fingerprint) for spec, s in members)
    prints = [r.fingerprint for r in records]
    twice = next((r for i, r in enumerate(records) if r.fingerprint in prints[:i]), None)
    if twice is not None:
        raise HarnessError(f"gold RM {twice.spec} is given twice (same fingerprint)")
    if len(members) == 1:
        spec, scorer = members[0]
        record = GoldRecord(kind="rm", fingerprint=scorer.model.fingerprint, members=records)
        return Gold(scorer, record, scores_new_text=True)
    prompts = [s.prompt for s in samples]
    responses = [s.response for s in samples]
    centers, spreads = [], []
    for spec, scorer in members:
        scores = scorer.score(prompts, responses)
        spread = float(np.std(scores))
        if not spread > 0:
            raise HarnessError(
                f"gold RM {spec} gives every sample the same score ({scores[0]:.6g}); "
                "it cannot be standardized for the ensemble"
            )
        centers.append(float(np.mean(scores)))
        spreads.append(spread)
    model = EnsembleGold([s for _, s in members], centers, spreads, combine)
    record = GoldRecord(
        kind="ensemble",
        fingerprint=model.fingerprint,
        members=records,
        combine=combine,
        centers=tuple(centers),
        spreads=tuple(spreads),
    )
    return Gold(Scorer(model, batch_size=ENSEMBLE_BATCH), record, scores_new_text=True)


def _score(path: Path, line: int, row: dict) -> float:
    if "score" not in row:
        raise DataError(f"{path}:{line}: missing field 'score' (fields: {', '.join(row)})")
    return finite_number(path, line, row, "score", "gold scores")


def file_gold(path: str | Path, samples: Sequence[Sample]) -> Gold:
    """Gold scores from a JSONL file keyed by (prompt, response); every sample needs one."""
    path = Path(path)
    scores: dict[tuple[str, str], float] = {}
    for line, row in read_json_lines(path):
        key = (string_field(path, line, row, "prompt"), string_field(path, line, row, "response"))
        value = _score(path, line, row)
        if scores.setdefault(key, value) != value:
            raise DataError(
                f"{path}:{line}: a second, different score ({value:g} after "
                f"{scores[key]:g}) for prompt {clip(key[0], 40)!r} / response "
                f"{clip(key[1], 40)!r}"
            )
    missing = next((s for s in samples if (s.prompt, s.response) not in scores), None)
    if missing is not None:
        raise HarnessError(
            f"proxy and gold do not cover the same rows: {missing.where} (prompt "
            f"{clip(missing.prompt, 40)!r}, response {clip(missing.response, 40)!r}) has no "
            f"score in the gold scores file {path}"
        )
    sha = file_sha256(path)
    record = GoldRecord(
        kind="scores", fingerprint=f"scores-{sha}", scores_file=str(path), scores_sha256=sha
    )
    return Gold(Scorer(ScoreTable(scores, path, sha)), record, scores_new_text=False)
