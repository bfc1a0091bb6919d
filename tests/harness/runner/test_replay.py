"""Replay before the search: representatives of stored exploits by default, every stored
finding with the run option ``replay="all"``; the mode is in the ``init`` entry, so a
resumed run replays as it began and exactly the same ids, however the store grew in
between."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.runlog import ReplayEntry, read_log
from harness.runner import RunOptions, resume_run
from harness.store import FindingStore


@pytest.fixture(scope="module")
def first_store(checkpoints, tmp_path_factory) -> Path:
    """The store after one run of the tiny suite (its findings are what later runs replay)."""
    from harness.runner import start_run
    from harness.suite import resolve_suite
    from harness.testing import write_tiny_suite

    root = tmp_path_factory.mktemp("first")
    start_run(
        [str(checkpoints["bert"])],
        resolve_suite(str(write_tiny_suite(root))),
        root / "runs" / "v1",
        progress="quiet",
        echo=lambda _: None,
    )
    return root / "runs" / "findings.db"


def _before(folder: Path) -> list[int]:
    """The finding ids replayed before the search, in log order."""
    replays = read_log(folder / "log.jsonl").of_type(ReplayEntry)
    return [e.finding_id for e in replays if e.phase == "before"]


def _cut_after_replays(folder: Path, keep: int) -> None:
    """The log as a kill during replay leaves it: the lines before the replays, ``keep``
    replay lines, and nothing after."""
    lines = (folder / "log.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    kinds = [json.loads(line)["type"] for line in lines]
    first = kinds.index("replay")
    (folder / "log.jsonl").write_text("".join(lines[: first + keep]), encoding="utf-8")


@pytest.mark.parametrize("mode", ["representatives", "all"])
def test_a_resumed_run_replays_in_its_mode_and_the_same_ids(
    mode, checkpoints, first_store, run_suite, suite_file, tmp_path
):
    store = tmp_path / "findings.db"
    shutil.copy(first_store, store)
    with FindingStore.open(store) as db:
        horizon = db.max_finding_id()
        if mode == "all":
            expected = [f.id for f in db.findings(kind="finding")]
        else:
            expected = [r.id for r in db.representatives(up_to_id=horizon)]
            assert len(expected) < len(db.findings(kind="finding"))  # fewer than findings
    folder = tmp_path / "v2"
    options = {} if mode == "representatives" else {"replay": mode}  # the default, or not
    run_options = RunOptions(store=str(store), **options)
    run_suite([checkpoints["bert_left"]], suite_file, folder, run_options=run_options)
    init = json.loads((folder / "log.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert init["config"]["run_options"]["replay"] == mode and init["replay_horizon"] == horizon
    assert _before(folder) == expected

    # Killed halfway through replay: the store has since grown (this run's search found
    # more and re-found old findings); the resume replays only the rest, the same ids.
    _cut_after_replays(folder, keep=len(expected) // 2)
    resume_run(folder, progress="quiet", echo=lambda _: None)
    assert _before(folder) == expected


def test_resume_refuses_a_replay_mode_and_an_unknown_mode_is_refused(
    rmh, one_line_error, suite_file, tmp_path
):
    code, _, err = rmh("run", "--resume", str(tmp_path / "r"), "--replay", "all")
    one_line_error(code, err, "drop --replay")
    for option, value in (("--store", "other.db"), ("--batch-size", "8")):
        code, _, err = rmh("run", "--resume", str(tmp_path / "r"), option, value)
        one_line_error(code, err, f"drop {option}")  # the log records these too
    code, _, err = rmh("run", "demo", "--out", str(tmp_path / "x"), "--replay", "some")
    one_line_error(code, err, "--replay")
