"""Where the harness keeps what it builds once and reuses: demo checkpoints, offline data.

``RMH_CACHE_DIR`` moves it (CI points it into the test environment's folder).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    root = os.environ.get("RMH_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "rm-harness"
