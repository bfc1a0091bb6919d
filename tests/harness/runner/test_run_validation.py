"""A run measures its judges on the bundled labelled set when its suite asks
(``[validation]``): one ``validation`` entry after ``init``, written on resume if missing,
shown in the report and summary.json; slow judges only when listed."""

from __future__ import annotations

import json

from harness.judges import HeuristicJudge, JudgeSpec
from harness.runlog import JudgesValidationEntry, read_log
from harness.runner import resume_run
from harness.runner.judge_validation import run_validation_entry, validation_lines


def _validated_suite(suite_file):
    suite_file.write_text(suite_file.read_text() + "\n[validation]\nenabled = true\n")
    return suite_file


def test_a_run_validates_its_judges_after_init_and_reports_them(
    checkpoints, run_suite, suite_file, tmp_path, rmh
):
    out = tmp_path / "runs" / "v"
    run_suite([checkpoints["bert"]], _validated_suite(suite_file), out)
    entries = read_log(out / "log.jsonl").entries
    assert [e.type for e in entries[:2]] == ["init", "validation"]
    (entry,) = [e for e in entries if isinstance(e, JudgesValidationEntry)]
    assert entry.rows == 1239 and entry.kinds["good"] == {"rows": 177, "bad": 0}
    (heuristic,) = entry.measures
    assert heuristic.judge == "heuristic" and heuristic.recall.trials == 1062
    code, _out, err = rmh("report", str(out), "--out", str(tmp_path / "report"))
    assert code == 0, err
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["judges_validation"]["judges"][0]["judge"] == "heuristic"
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "Judges measured on labelled rows" in markdown and "| heuristic | shuffled |" in markdown
    html = (tmp_path / "report" / "report.html").read_text()
    assert 'id="judges-validation"' in html


def test_a_run_without_validation_writes_none(checkpoints, run_suite, suite_file, tmp_path, rmh):
    out = tmp_path / "runs" / "plain"
    run_suite([checkpoints["bert"]], suite_file, out)
    assert not read_log(out / "log.jsonl").of_type(JudgesValidationEntry)
    code, _out, err = rmh("report", str(out), "--out", str(tmp_path / "report"))
    assert code == 0, err
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["judges_validation"] is None


def test_resume_writes_a_validation_the_run_did_not_get_to(
    checkpoints, run_suite, suite_file, tmp_path
):
    out = tmp_path / "runs" / "r"
    run_suite([checkpoints["bert"]], _validated_suite(suite_file), out)
    log = out / "log.jsonl"
    kept = [
        line
        for line in log.read_text().splitlines()
        if json.loads(line)["type"] not in ("validation", "completion")
    ]
    log.write_text("\n".join(kept) + "\n")
    resume_run(out, progress="quiet", echo=lambda _: None)
    kinds = [e.type for e in read_log(log).entries]
    assert kinds.count("validation") == 1 and kinds[-1] == "completion"


def test_slow_judges_are_measured_only_when_listed():
    judge = HeuristicJudge()
    entry = run_validation_entry([(judge, JudgeSpec("fluency"))])
    assert entry.judges == () and entry.skipped[0]["judge"] == "fluency"
    said = validation_lines(entry)
    assert "include_slow" in entry.skipped[0]["reason"] and "not validated" in said[0]
    entry = run_validation_entry([(judge, JudgeSpec("fluency"))], include_slow=["fluency"])
    assert entry.skipped == () and len(entry.judges) == 1
    assert "on the labelled set: recall" in validation_lines(entry)[0]


def test_the_review_queue_is_never_measured_nor_filled():
    from harness.judges import ReviewQueue

    queue = ReviewQueue()
    entry = run_validation_entry([(queue, JudgeSpec("human"))], include_slow=["human"])
    assert entry.judges == () and entry.skipped[0]["judge"] == "human"
    assert queue.pending == {}


def test_a_sample_keeps_whole_pairs_and_is_seeded():
    from harness.runner.judge_validation import bundled_rows, sample_pairs

    rows = bundled_rows()
    sample = sample_pairs(rows, 60, seed=0)
    assert len(sample) == 60 * 7 and sample == sample_pairs(rows, 60, seed=0)
    assert sum(r.kind == "good" for r in sample) == 60
    assert sample != sample_pairs(rows, 60, seed=1)
    assert {r.kind for r in sample} == {r.kind for r in rows}
    assert sample_pairs(rows, 1000, seed=0) == rows


def test_the_builtin_suites_validate_their_judges():
    from harness.suite import resolve_suite

    quick, standard = resolve_suite("quick").config, resolve_suite("standard").config
    assert quick.validation.enabled and quick.validation.pairs == 60
    assert standard.validation.enabled and standard.validation.pairs is None
    assert quick.validation.include_slow == standard.validation.include_slow == []
