"""Runs end to end on tiny real checkpoints: log, store, replay, determinism, errors, resume."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from dataclasses import dataclass

import pytest

from attacks.base import Attack
from attacks.registry import ATTACKS
from harness.core.errors import HarnessError
from harness.runlog import (
    LOG_VERSION,
    AttemptEntry,
    ErrorEntry,
    FindingEntry,
    InitEntry,
    ReplayEntry,
    read_log,
)
from harness.runner import resume_run
from harness.store import SCHEMA_VERSION, FindingStore


def test_run_logs_every_stage_in_order_and_stores_findings(
    checkpoints, run_suite, suite_file, tmp_path
):
    summary = run_suite([checkpoints["bert"]], suite_file, tmp_path / "runs" / "a")
    log = read_log(tmp_path / "runs" / "a" / "log.jsonl")
    kinds = [e.type for e in log.entries]
    assert kinds[0] == "init" and kinds[-1] == "completion" and "clean" in kinds
    assert kinds.count("attempt") == 3 * 4 + 1  # 3 attacks x 4 prompts + instability probe
    init = log.init
    assert isinstance(init, InitEntry) and init.log_version == LOG_VERSION and not log.skipped
    assert init.checkpoints[0]["fingerprint"] and init.versions["torch"]
    assert (init.seeds.seed, init.seeds.replicates) == (0, 1)
    assert "repetition" in init.suite.text
    findings = log.of_type(FindingEntry)
    assert findings and summary.findings_by_family
    attempts = log.attack_attempts()
    assert {(a.attack_id, a.attack) for a in attempts} == {
        ("repetition", "repetition"),
        ("null-answer", "null-answer"),
        ("random-search", "random-search"),
    }
    with FindingStore.open(tmp_path / "runs" / "findings.db") as store:
        stored = {f.finding.key for f in store.findings(kind=None)}
        assert {f.key for f in findings} <= stored
        assert all(f.reasons for f in findings)


def _finding_keys(folder):
    return sorted(
        (f.checkpoint, f.key) for f in read_log(folder / "log.jsonl").of_type(FindingEntry)
    )


def test_same_suite_seed_and_checkpoint_give_the_same_findings(
    checkpoints, run_suite, suite_file, tmp_path
):
    for name in ("a", "b"):
        run_suite([checkpoints["bert"]], suite_file, tmp_path / name / "run")
    first = _finding_keys(tmp_path / "a" / "run")
    assert first and first == _finding_keys(tmp_path / "b" / "run")


def test_second_run_replays_and_resights_before_it_searches(
    checkpoints, run_suite, suite_file, tmp_path
):
    run_suite([checkpoints["bert"]], suite_file, tmp_path / "runs" / "first")
    summary = run_suite([checkpoints["bert"]], suite_file, tmp_path / "runs" / "second")
    entries = read_log(tmp_path / "runs" / "second" / "log.jsonl").entries
    kinds = [e.type for e in entries]
    first_attempt = kinds.index("attempt")
    replays = [e for e in entries if isinstance(e, ReplayEntry)]
    last_replay = max(i for i, kind in enumerate(kinds) if kind == "replay")
    assert replays and last_replay < first_attempt
    assert all(e.open and e.was_open for e in replays)  # same checkpoint: all still open
    assert summary.replayed == len(replays) and summary.reopened == 0
    with FindingStore.open(tmp_path / "runs" / "findings.db") as store:
        second = [s for s in store.sightings() if s["run_id"].startswith("second")]
        assert {s["source"] for s in second} == {"replay", "search"}


def test_replay_flags_findings_closed_on_another_checkpoint(
    checkpoints, run_suite, suite_file, tmp_path
):
    run_suite([checkpoints["bert"]], suite_file, tmp_path / "runs" / "v1")
    run_suite([checkpoints["bert_left"]], suite_file, tmp_path / "runs" / "v2")
    replays = read_log(tmp_path / "runs" / "v2" / "log.jsonl").of_type(ReplayEntry)
    assert replays
    for e in replays:
        assert e.open == (e.score > e.reference_score)


def test_two_checkpoints_write_a_transfer_matrix(checkpoints, run_suite, suite_file, tmp_path):
    summary = run_suite([checkpoints["bert"], checkpoints["llama"]], suite_file, tmp_path / "r")
    log = read_log(tmp_path / "r" / "log.jsonl")
    found = {c: {f.key for f in log.of_type(FindingEntry) if f.checkpoint == c} for c in (0, 1)}
    assert found[0] and found[1], "the tiny suite finds holes in both tiny checkpoints"
    transfer = [e for e in log.of_type(ReplayEntry) if e.phase == "transfer"]
    matrix = summary.transfer
    assert matrix.shape == (2, 2)
    for source, target in ((0, 1), (1, 0)):
        replayed = [e for e in transfer if (e.source, e.checkpoint) == (source, target)]
        # Every finding of one checkpoint is re-scored on the other, once.
        assert sorted(e.key for e in replayed) == sorted(found[source])
        share = sum(e.open for e in replayed) / len(replayed)
        assert matrix.iloc[source, target] == pytest.approx(share)
        assert matrix.iloc[source, source] == 1.0
    written = (tmp_path / "r" / "transfer.csv").read_text()
    assert written.splitlines()[0] == "found_on,ckpt0,ckpt1"


def test_transfer_replays_the_spelling_this_run_found_not_the_stores_first(
    checkpoints, run_suite, suite_file, tmp_path
):
    # The store already holds, under the same keys, other spellings (case) of what the
    # run will find, found against another reference: the store keeps its first spelling.
    run_suite([checkpoints["bert"]], suite_file, tmp_path / "a" / "first")
    found = read_log(tmp_path / "a" / "first" / "log.jsonl").of_type(FindingEntry)
    store = tmp_path / "b" / "findings.db"
    with FindingStore.open(store) as db:
        variants = [
            dataclasses.replace(f.finding, text=f.text.upper(), reference="another reference")
            for f in found
        ]
        db.record(variants, run_id="earlier", checkpoint="elsewhere")
        earlier = {s.id for s in db.findings()}
    run_suite([checkpoints["bert"], checkpoints["llama"]], suite_file, tmp_path / "b" / "r")
    log = read_log(tmp_path / "b" / "r" / "log.jsonl")
    mine = {f.finding_id: f for f in log.of_type(FindingEntry) if f.checkpoint == 0}
    assert earlier & set(mine), "the run re-found keys the store held in another spelling"
    transfer = [e for e in log.of_type(ReplayEntry) if e.phase == "transfer" and e.source == 0]
    assert sorted(e.finding_id for e in transfer) == sorted(mine)
    for e in transfer:  # what this run found on checkpoint 0, as it found it
        assert (e.text, e.prompt) == (mine[e.finding_id].text, mine[e.finding_id].prompt)


class _CrashesOnCats(Attack):
    """Test attack: crashes on prompts about cats, proposes the null answer elsewhere."""

    name = "test-crash-on-cats"
    family = "test"

    @dataclass(frozen=True)
    class Params:
        pass

    def search(self, ctx):
        if "cats" in ctx.prompt:
            raise RuntimeError("boom on cats")
        ctx.evaluate(["ok ok ok ok ok ok ok ok"])


def test_an_attack_crash_is_an_error_entry_and_the_run_goes_on(
    checkpoints, run_suite, write_suite, tmp_path
):
    suite = write_suite(tmp_path)
    text = suite.read_text().split("[[attacks]]")[0]
    suite.write_text(text + '[[attacks]]\nname = "test-crash-on-cats"\nbudget = 10\n')
    with ATTACKS.temporarily(_CrashesOnCats):
        summary = run_suite([checkpoints["bert"]], suite, tmp_path / "r")
    log = read_log(tmp_path / "r" / "log.jsonl")
    errors = log.of_type(ErrorEntry)
    assert len(errors) == 1 and "boom on cats" in errors[0].message
    assert (errors[0].stage, errors[0].attack) == ("attack", "test-crash-on-cats")
    attempts = [e for e in log.of_type(AttemptEntry) if e.family == "test"]
    assert len(attempts) == 4 and sum(a.error for a in attempts) == 1
    assert summary.errors == 1


def test_resume_of_a_complete_run_does_nothing(checkpoints, run_suite, suite_file, tmp_path):
    run_suite([checkpoints["bert"]], suite_file, tmp_path / "r")
    before = (tmp_path / "r" / "log.jsonl").read_text()
    resume_run(tmp_path / "r", progress="quiet", echo=lambda _: None)
    assert (tmp_path / "r" / "log.jsonl").read_text() == before


def test_resume_refuses_a_changed_checkpoint(checkpoints, run_suite, suite_file, tmp_path):
    import shutil

    from harness.testing import build_tiny_checkpoint

    ckpt = shutil.copytree(checkpoints["bert"], tmp_path / "ckpt")
    run_suite([ckpt], suite_file, tmp_path / "r")
    log = tmp_path / "r" / "log.jsonl"
    log.write_text("\n".join(log.read_text().splitlines()[:3]) + "\n")  # as if killed early
    build_tiny_checkpoint(ckpt, "bert", seed=7)
    with pytest.raises(HarnessError, match="changed since the run started"):
        resume_run(tmp_path / "r", progress="quiet", echo=lambda _: None)


# ------------------------------------------------------------------ bad input at the CLI
def test_existing_run_folder_needs_resume_or_overwrite(
    rmh, one_line_error, checkpoints, suite_file, tmp_path
):
    out = tmp_path / "runs" / "r"
    args = [
        "run",
        str(checkpoints["bert"]),
        "--suite",
        str(suite_file),
        "--out",
        str(out),
        "--quiet",
    ]
    assert rmh(*args)[0] == 0
    code, _, err = rmh(*args)
    one_line_error(code, err, "exists; pass --resume")
    code, out_text, _ = rmh(*args, "--overwrite")
    assert code == 0 and "findings:" in out_text


def test_overwrite_refuses_a_folder_that_is_not_a_run(
    rmh, one_line_error, checkpoints, suite_file, tmp_path
):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    args = ["run", str(checkpoints["bert"]), "--suite", str(suite_file), "--overwrite"]
    code, _, err = rmh(*args, "--out", str(tmp_path / "mine"))
    one_line_error(code, err, "it is not a run folder")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda s: s.replace('name = "null-answer"', 'name = "nul-answer"'), "unknown attack"),
        (lambda s: s.replace("budget = 30", 'budget = "30"'), "attacks[1].budget"),
        (lambda s: s.replace("seed = 0", "seed = 0\ncolour = 1"), "unknown key"),
    ],
)
def test_malformed_suite_is_one_line(
    rmh, one_line_error, checkpoints, suite_file, tmp_path, edit, fragment
):
    suite_file.write_text(edit(suite_file.read_text()))
    code, _, err = rmh(
        "run",
        str(checkpoints["bert"]),
        "--suite",
        str(suite_file),
        "--out",
        str(tmp_path / "r"),
    )
    one_line_error(code, err, fragment)
    assert not (tmp_path / "r").exists()


def test_bad_stores_are_one_line(rmh, one_line_error, checkpoints, suite_file, tmp_path):
    base = [
        "run",
        str(checkpoints["bert"]),
        "--suite",
        str(suite_file),
        "--out",
        str(tmp_path / "r"),
    ]
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("hello")
    code, _, err = rmh(*base, "--store", str(not_sqlite))
    one_line_error(code, err, "is not a SQLite database")

    newer = tmp_path / "newer.db"
    FindingStore.open(newer).close()
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.commit()
    db.close()
    code, _, err = rmh(*base, "--store", str(newer))
    one_line_error(code, err, "newer than this rm-harness understands")

    locked = tmp_path / "locked.db"
    FindingStore.open(locked).close()
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = rmh(*base, "--store", str(locked), "--store-timeout", "0.5")
        one_line_error(code, err, "locked by another process")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_findings_commands_list_show_and_export_safely(
    rmh, one_line_error, checkpoints, run_suite, suite_file, tmp_path
):
    run_suite([checkpoints["bert"]], suite_file, tmp_path / "runs" / "r")
    store = str(tmp_path / "runs" / "findings.db")
    code, out, _ = rmh("findings", "list", "--store", store)
    assert code == 0 and "repetition" in out
    code, out, _ = rmh("findings", "show", "1", "--store", store)
    assert code == 0 and "sightings:" in out
    for suffix in ("csv", "jsonl", "parquet"):
        path = tmp_path / f"f.{suffix}"
        code, out, _ = rmh("findings", "export", "--store", store, "--out", str(path))
        assert code == 0 and path.stat().st_size > 0
    code, _, err = rmh("findings", "list", "--store", str(tmp_path / "none.db"))
    one_line_error(code, err, "no findings store")
    code, _, err = rmh("findings", "show", "999", "--store", store)
    one_line_error(code, err, "no finding with id 999")


def test_csv_export_neutralizes_formula_cells(tmp_path):
    import pandas as pd

    from harness.cli.findings import store_findings_frame as findings_frame
    from harness.core.finding import Finding
    from harness.core.tabular import write_table

    store = tmp_path / "f.db"
    with FindingStore.open(store) as db:
        for text in ('=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)"):
            finding = Finding(
                prompt="p",
                reference="r",
                text=text,
                family="f",
                attack="a",
                score=1.0,
                reference_score=0.0,
            )
            db.record([finding], run_id="r", checkpoint="c")
    write_table(findings_frame(str(store), family=None, kind=None), tmp_path / "f.csv")
    texts = pd.read_csv(tmp_path / "f.csv")["text"].tolist()
    assert all(t.startswith("'") for t in texts)


def test_suites_commands(rmh, one_line_error):
    code, out, _ = rmh("suites", "list")
    assert code == 0 and "quick" in out and "standard" in out
    code, out, _ = rmh("suites", "show", "quick")
    assert code == 0 and 'name = "quick"' in out
    code, _, err = rmh("suites", "show", "nope")
    one_line_error(code, err, "no suite 'nope'")


def test_run_without_checkpoints_or_out_is_one_line(rmh, one_line_error, suite_file):
    code, _, err = rmh("run", "--suite", str(suite_file))
    one_line_error(code, err, "give at least one CHECKPOINT")
    code, _, err = rmh("run", "x", "--suite", str(suite_file))
    one_line_error(code, err, "give --out")
    code, _, err = rmh("run", "--resume", "/nonexistent/run")
    one_line_error(code, err, "is not a run folder")


def test_log_has_no_nan_and_is_valid_json(checkpoints, run_suite, suite_file, tmp_path):
    run_suite([checkpoints["bert"]], suite_file, tmp_path / "r")
    for line in (tmp_path / "r" / "log.jsonl").read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
