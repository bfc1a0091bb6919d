"""Trainer hooks for the experiment's tests (``module:function`` specs)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any


def fail_findings(init: Path, pairs: Path, out: Path, config: dict[str, Any]) -> Path:
    """Fails for the findings arm; for any other arm, the previous checkpoint unchanged."""
    arm = Path(out).parents[2].name  # <arm>/seed-<k>/round-<r>/.checkpoint.staging
    if arm == "findings":
        raise RuntimeError("planted failure: out of memory")
    shutil.copytree(init, out, dirs_exist_ok=True)
    return out


def fail_findings_seed_1(init: Path, pairs: Path, out: Path, config: dict[str, Any]) -> Path:
    """Fails for the findings arm's replicate 1 only; otherwise the checkpoint unchanged."""
    if Path(out).parents[1].name == "seed-1":
        return fail_findings(init, pairs, out, config)
    shutil.copytree(init, out, dirs_exist_ok=True)
    return out
