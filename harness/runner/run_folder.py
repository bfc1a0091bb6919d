"""The run folder: it appears whole, it is replaced only if it is a run, and a folder
that cannot be resumed says why.

A new run is built in a staging folder beside its target (``harness.core.staging``):
the suite copy and the log, until the log holds the ``init`` entry and the skipped
attacks; only then is it renamed into place (``_Run`` does that). Loading and describing
the checkpoints happens in between and can take minutes (the demo RM is built on first
use), so a kill in that window is likely: it leaves no run folder, only the staging one,
which the next start of the same folder removes, and which ``--resume`` explains.
"""

from __future__ import annotations

from pathlib import Path

from harness.core.errors import HarnessError
from harness.core.staging import StagedFolder, discard, was_killed_starting
from harness.runlog import LOG_NAME

SUITE_COPY = "suite.toml"


def prepare_folder(out: Path, *, overwrite: bool) -> StagedFolder:
    """The staging folder of a new run at ``out``.

    A folder in the way is an error, unless ``overwrite`` and it is a run folder (it has a
    log) or what a start killed by an earlier version left (the suite copy alone):
    ``--overwrite`` never deletes anything else. It is removed now, as it always was.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not overwrite:
            raise HarnessError(
                f"run folder {out} exists; pass --resume to continue it or --overwrite "
                "to start it again"
            )
        if not out.is_dir() or not ((out / LOG_NAME).is_file() or _only_suite_copy(out)):
            raise HarnessError(f"refusing to overwrite {out}: it is not a run folder")
        discard(out)
    return StagedFolder.begin(out)


def check_resumable(out: Path) -> None:
    """A one-line error when ``out`` holds no run log to resume, saying what it is."""
    if (out / LOG_NAME).is_file():
        return
    if was_killed_starting(out):
        raise HarnessError(
            f"run {out} was killed while it started, before its {LOG_NAME} had an init "
            "entry; start it again with --overwrite"
        )
    if _only_suite_copy(out):
        raise HarnessError(
            f"{out} holds its suite copy but no {LOG_NAME} (what a start killed before its "
            "init entry leaves); start it again with --overwrite"
        )
    raise HarnessError(f"{out} is not a run folder (no {LOG_NAME}); nothing to resume")


def _only_suite_copy(out: Path) -> bool:
    """What a start killed before run folders were staged left: the suite copy alone."""
    return out.is_dir() and [p.name for p in out.iterdir()] == [SUITE_COPY]
