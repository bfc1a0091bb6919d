"""The findings store: dedup, sightings, migrations, and the failure modes users hit."""

from __future__ import annotations

import dataclasses
import importlib
import multiprocessing
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness.core.errors import HarnessError
from harness.core.finding import Finding
from harness.store import MIGRATIONS, SCHEMA_VERSION, FindingStore, Sighting
from tests.harness.core.test_exploits import REFS
from tests.harness.store.test_store_exploits import assert_consistent, news


def new(text: str, prompt: str = "p", family: str = "repetition", score: float = 1.0):
    return Finding(
        kind="finding",
        prompt=prompt,
        reference="ref",
        text=text,
        family=family,
        attack=family,
        reasons=("repeats",),
        score=score,
        reference_score=0.0,
        detail={"seed": 0},
    )


def test_two_spellings_are_one_finding_with_two_sightings(tmp_path):
    with FindingStore.open(tmp_path / "f.db") as store:
        (a,) = store.record([new("The the THE")], run_id="r1", checkpoint="ck1")
        (b,) = store.record([new("  the   the the ")], run_id="r2", checkpoint="ck1")
        (c,) = store.record([new("the the the", prompt="other")], run_id="r2", checkpoint="ck1")
        assert a.finding_id == b.finding_id != c.finding_id
        assert len(store.sightings(finding_id=a.finding_id)) == 2
        # Recording again for the same run and checkpoint (a resumed attempt) adds nothing.
        store.record([new("the the the")], run_id="r2", checkpoint="ck1")
        assert len(store.sightings(finding_id=a.finding_id)) == 2
        assert store.finding(a.finding_id).finding.text == "The the THE"  # first spelling kept


def test_a_findings_measures_are_kept_and_a_row_without_them_reads_as_none(tmp_path):
    """Measures ride in the ``detail`` column: no schema change, and rows written before
    they existed (no ``measures`` key) read back with none."""
    measured = dataclasses.replace(new("fluent"), measures={"fluency": 0.5, "gold-rm": -2.0})
    with FindingStore.open(tmp_path / "f.db") as store:
        (a,) = store.record([measured], run_id="r", checkpoint="c")
        (b,) = store.record([new("the the")], run_id="r", checkpoint="c")
        back = store.finding(a.finding_id).finding
        assert back.measures == {"fluency": 0.5, "gold-rm": -2.0} and back.fluency == 0.5
        assert back.detail == {} and back.seed == 0  # the search fields are read apart
        plain = store.finding(b.finding_id).finding
        assert plain.measures == {} and plain.fluency is None
        row = store._query("SELECT detail FROM findings WHERE id = ?", (b.finding_id,))[0]
        assert "measures" not in row["detail"]  # as stores have always written it


def test_same_text_in_another_family_is_another_finding(tmp_path):
    with FindingStore.open(tmp_path / "f.db") as store:
        ids = store.record(
            [new("x x", family="repetition"), new("x x", family="fuzz")], run_id="r", checkpoint="c"
        )
        assert ids[0].finding_id != ids[1].finding_id


def test_replay_sightings_and_previous_status(tmp_path):
    with FindingStore.open(tmp_path / "f.db") as store:
        (recorded,) = store.record([new("a a a")], run_id="r1", checkpoint="ck1")
        fid = recorded.finding_id
        store.record_replay([Sighting(fid, -1.0, 0.0, False)], run_id="r2", checkpoint="ck2")
        store.record_replay(
            [Sighting(fid, 2.0, 0.0, True)], run_id="r2", checkpoint="ck3", source="transfer"
        )
        # The transfer sighting is a peer comparison, not a later state.
        assert store.previous_status([fid], before_run="r3") == {fid: False}
        assert store.previous_status([fid], before_run="r2") == {fid: True}


def test_fresh_store_is_at_the_current_schema_in_wal_mode(tmp_path):
    with FindingStore.open(tmp_path / "f.db") as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        assert store.integrity_ok()
    mode = sqlite3.connect(tmp_path / "f.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_an_old_store_is_migrated_and_keeps_its_findings(tmp_path):
    path = tmp_path / "f.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO findings (key, kind, prompt, reference, text, family, attack, reasons, "
        "detail, first_run, first_checkpoint, created_at) VALUES "
        "('k', 'finding', 'p', 'r', 't', 'f', 'a', '[]', '{}', 'run', 'ck', 'now')"
    )
    db.commit()
    db.close()
    with FindingStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [f.finding.text for f in store.findings()] == ["t"]
        store.label_checkpoint("ck", "checkpoints/v1")  # a table from migration 2


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "f.db"
    FindingStore.open(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(HarnessError, match="newer than this rm-harness understands"):
        FindingStore.open(path)


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("my notes\n")
    with pytest.raises(HarnessError, match="is not a SQLite database"):
        FindingStore.open(path)
    assert path.read_text() == "my notes\n"


def test_a_locked_store_waits_then_says_so(tmp_path):
    path = tmp_path / "f.db"
    FindingStore.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = pytest.raises(HarnessError, match=r"locked by another process \(waited 0.3s\)")
        with FindingStore.open(path, timeout=0.3) as store, locked:
            store.record([new("a a")], run_id="r", checkpoint="c")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_lock_released_within_the_timeout_is_waited_for(tmp_path):
    path = tmp_path / "f.db"
    FindingStore.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    with FindingStore.open(path, timeout=10) as store:
        store.record([new("a a")], run_id="r", checkpoint="c")
        assert len(store.findings()) == 1
    holder.close()


def _writer(path: str, worker: int, count: int) -> None:
    with FindingStore.open(path, timeout=60) as store:
        for i in range(count):
            # Half the texts are shared between the two writers, half are their own.
            text = f"shared {i}" if i % 2 == 0 else f"own {worker} {i}"
            store.record([new(text, score=float(i))], run_id=f"run{worker}", checkpoint="ck")


def test_two_processes_writing_at_once_do_not_corrupt_the_store(tmp_path):
    path = str(tmp_path / "f.db")
    FindingStore.open(path).close()
    count = 120
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, count)) for w in range(2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0
    with FindingStore.open(path) as store:
        assert store.integrity_ok()
        shared, own = count // 2, count // 2
        assert len(store.findings()) == shared + 2 * own
        assert len(store.sightings()) == 2 * count
        assert_consistent(store)  # each writer's graph caught up with the other's writes


# ------------------------------------------------------------------ v2 -> v3 migration
def v2_fixture(tmp_path: Path) -> Path:
    path = tmp_path / "store_v2.db"
    shutil.copyfile(Path(__file__).parent / "data" / "store_v2.db", path)
    return path


def dump(path: Path, table: str) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    finally:
        db.close()


def test_a_v2_store_written_by_v2_code_is_upgraded_and_clustered(tmp_path):
    path = v2_fixture(tmp_path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    before = {t: dump(path, t) for t in ("findings", "sightings", "runs", "checkpoints")}
    assert len(before["findings"]) == 16 and len(before["sightings"]) == 35
    with FindingStore.open(path) as store:
        assert store.schema_version == 3
        assert_consistent(store)
        families = sorted(e.families for e in store.exploits())
        assert families == [
            ("black-box-search",), ("formatting",), ("null-answer",), ("repetition",),
            ("self-praise",), ("unicode",),
        ]  # fmt: skip
        assert [e.size for e in store.exploits(kind="instability")] == [1]
        ids = store.record(
            news([(REFS[0], REFS[0] + "\u200b" * 9, "unicode")]), run_id="r3", checkpoint="fp-a"
        )
        assert_consistent(store)
    assert {t: dump(path, t)[: len(rows)] for t, rows in before.items()} == before
    assert [r.finding_id for r in ids] == [17]


def test_v2_code_refuses_a_v3_store_with_its_one_line_error(tmp_path):
    make = importlib.import_module("tests.harness.store.make_v2_store")
    (tmp_path / "code").mkdir()
    try:
        v2 = make.load_v2(tmp_path / "code")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the git history with the v2 store code is not available")
    try:
        path = tmp_path / "f.db"
        FindingStore.open(path).close()
        with pytest.raises(HarnessError, match="newer than this rm-harness understands") as err:
            v2.FindingStore.open(path)
        assert "\n" not in str(err.value) and "version 3" in str(err.value)
    finally:
        sys.path.remove(str(tmp_path / "code"))
        for name in [m for m in sys.modules if m == "v2store" or m.startswith("v2store.")]:
            del sys.modules[name]
