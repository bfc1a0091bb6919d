"""The experiment folder comes into existence whole, and one that cannot resume says why.

A new experiment's data files and its log with the ``init`` and ``split`` entries are
written in a staging folder beside the target and renamed into place in one step
(``harness.core.staging``): a kill before leaves no experiment folder in the way of the
next start (which removes the staging one), and ``--resume`` explains what happened.
"""

from __future__ import annotations

from pathlib import Path

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.core.staging import StagedFolder, was_killed_starting
from harness.experiments.rounds.experiment_log import LOG_NAME, InitEntry, SplitEntry
from harness.experiments.rounds.experiment_state import ExperimentState
from harness.experiments.rounds.pairfile import write_pairs
from harness.runlog import RunLog

DATA_DIR = "data"


def data_file(name: str) -> Path:
    """Where the experiment keeps one of its pair files, relative to its folder."""
    return Path(DATA_DIR) / f"{name}.jsonl"


def place_start(
    out: Path, files: dict[str, list[PreferencePair]], init: InitEntry, split: SplitEntry
) -> ExperimentState:
    """Write the pair files (by name) and a log holding ``init`` and ``split`` in a
    staging folder, then rename it to ``out``; the state of that log.

    What may be in the way was checked by the caller: an empty folder, or a ``data``
    folder alone (what a start killed before experiment folders were staged left): the
    files are moved into it then, the log last, so it is an experiment only once whole.
    """
    staged = StagedFolder.begin(out)
    try:
        for name, pairs in files.items():
            write_pairs(staged.path / data_file(name), pairs)
        state = ExperimentState()
        with RunLog.create(staged.path / LOG_NAME) as log:
            for entry in (init, split):
                state.observe(log.write(entry))
        staged.place(merge_last=LOG_NAME)
    except BaseException:
        staged.abandon()  # nothing was placed: a failed start leaves nothing behind
        raise
    return state


def check_resumable(out: Path) -> None:
    """A one-line error when ``out`` holds no experiment log to resume, saying why."""
    if was_killed_starting(out):
        raise HarnessError(
            f"experiment {out} was killed while it started, before its log had its init "
            "and split entries; start it again (the same rmh rounds command, without --resume)"
        )
    if not (out / LOG_NAME).is_file():
        raise HarnessError(f"{out} is not an experiment folder (no {LOG_NAME}); nothing to resume")
