"""Fixtures the CLI tests share (a module that needs other prompts defines its own)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture()
def prompts(tmp_path) -> Path:
    """Two joke prompts with their references, as a preference JSONL for ``--prompts``."""
    path = tmp_path / "prompts.jsonl"
    rows = [
        {"prompt": "Tell me a joke about Python.", "chosen": "Why? Because.", "rejected": "No."},
        {"prompt": "Tell me a joke about Java.", "chosen": "It has no class.", "rejected": "No."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path
