"""How a run is set up besides its suite and checkpoints: the store, the batch size, replay.

Each of these is said once, here: ``rmh run`` builds its ``--store``, ``--store-timeout``,
``--batch-size`` and ``--replay`` options from the fields (``harness.cli.options``), a
caller of ``harness.runner.start_run`` passes one ``RunOptions``, and the run's ``init``
entry records it in its config (``RunConfig.run_options``), so that a resume reads it
back instead of asking again. It lives with the run log because the log records it; the
runner and the command line, above, import it from here.

Example::

    start_run(["ckpt/"], resolve_suite("quick"), "runs/rc1",
              run_options=RunOptions(store="shared/findings.db", replay="all"))
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from harness.core.batching import DEFAULT_BATCH_SIZE
from harness.runlog.record import Record

#: What replay re-scores before the search: one representative per exploit and prompt,
#: or every stored finding. The one list of modes: options, checks and docs read it.
ReplayMode = Literal["representatives", "all"]
REPLAY_MODES: tuple[str, ...] = get_args(ReplayMode)

#: Where a run keeps its findings unless told: this file beside the run folder.
STORE_NAME = "findings.db"


@dataclass(frozen=True, kw_only=True)
class RunOptions(Record):
    """The run's store, scoring batch size and replay mode (each field is an option of
    ``rmh run``; its metadata is the option's help)."""

    store: str | None = field(
        default=None,
        metadata={
            "path": True,
            "help": f"Findings store (SQLite). Default: {STORE_NAME} beside the run folder.",
        },
    )
    store_timeout: float = field(
        default=30.0,
        metadata={"min": 0, "help": "Seconds to wait for a store that another run holds locked."},
    )
    batch_size: int = field(
        default=DEFAULT_BATCH_SIZE,
        metadata={"min": 1, "help": "Rows per forward pass when scoring."},
    )
    replay: ReplayMode = field(
        default="representatives",
        metadata={
            "help": "Before the search, re-score one representative per stored exploit and "
            "prompt (representatives) or every stored finding (all). A resumed run keeps "
            "the mode it began with.",
        },
    )

    def store_path(self, folder: str | Path) -> Path:
        """The store of the run in ``folder``, absolute: as given, or ``findings.db``
        beside the run folder."""
        store = Path(self.store) if self.store else Path(folder).parent / STORE_NAME
        return store.resolve()

    def with_store_for(self, folder: str | Path) -> RunOptions:
        """These options with the store of the run in ``folder`` as an absolute path, as
        the ``init`` entry records them (a resume from elsewhere finds the same store)."""
        return dataclasses.replace(self, store=str(self.store_path(folder)))
