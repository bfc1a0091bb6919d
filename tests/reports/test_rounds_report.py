"""The experiment report (``rmh report EXP``) of a real tiny whack-a-mole experiment: every
section, the numbers of the log, hostile exploit text kept inert, an incomplete experiment."""

from __future__ import annotations

import html.parser
import json
from collections import Counter
from pathlib import Path

import pytest

from harness.experiments.rounds.experiment_log import EXPERIMENT_LOG, LOG_NAME, VerdictEntry
from harness.experiments.rounds.outcomes import experiment_summaries
from harness.experiments.rounds.round_table import round_row, verdict_lines
from harness.runlog import read_log
from harness.testing import HOSTILE_TEXTS
from reports.rounds import EXPERIMENT_FILES, build_experiment_report
from reports.rounds import html as experiment_html
from reports.rounds import markdown as experiment_markdown
from reports.rounds.rows import contrast_row
from reports.rounds.view import METRICS, experiment_view
from tests.reports.test_escaping import _markdown, _tables

# The session's tiny experiment trains and runs three arms: 15-20 s before the first test.
pytestmark = pytest.mark.slow

SECTIONS = ("verdict-section", "comparisons", "curves", "rounds", "training", "new-exploits")


class _Page(html.parser.HTMLParser):
    """Elements, attributes, text, and the cells of each row by its class."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.rows: dict[str, list[list[str]]] = {}
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"])
        if tag == "tr":
            self._row = []
            self.rows.setdefault(found.get("class") or "", []).append(self._row)
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _verdict(folder: Path) -> VerdictEntry:
    (entry,) = read_log(folder / LOG_NAME, format=EXPERIMENT_LOG).of_type(VerdictEntry)
    return entry


def test_the_report_has_every_section_and_the_numbers_of_the_log(tiny_experiment, tmp_path):
    report = build_experiment_report(tiny_experiment, out=tmp_path)
    assert {n: p.name for n, p in report.paths.items()} == EXPERIMENT_FILES
    assert report.complete
    page = _page(report.paths["html"])
    assert set(SECTIONS) <= page.ids
    assert {f"curve-{m.key}" for m in METRICS} <= page.ids
    assert page.tags.count("img") == len(METRICS)  # one figure per metric, all drawn

    # The per-arm tables: rmh rounds' cells, from the same outcomes the verdict read.
    summaries = experiment_summaries(tiny_experiment)
    rows = page.rows["round"]
    assert [tuple(row[:9]) for row in rows] == [round_row(s, seed=0) for s in summaries]
    assert [row[11] for row in rows] == [
        f"{s.new_exploits_every_prompt} ({s.outcomes.new_exploits})" for s in summaries
    ]

    # The verdict and the numbers behind it, as logged.
    entry = _verdict(tiny_experiment)
    outcomes = [v.outcome for v in entry.verdicts]
    assert {v.arm for v in entry.verdicts} == {"findings", "synthetic"}
    text = "".join(page.text)
    for v in entry.verdicts:
        assert f"{v.arm} against {v.control}: {v.outcome}" in text
        assert v.reasons[0] in text
    contrasts = [c for v in entry.verdicts for c in v.contrasts]
    assert contrasts and [tuple(r) for r in page.rows["contrast"]] == [
        contrast_row(c) for c in contrasts
    ]
    assert [tuple(r) for r in page.rows["comparison"]] == [
        contrast_row(c) for c in entry.comparisons
    ]

    # Augmentation and training, and the new exploits of each round.
    log = json.loads(report.paths["summary"].read_text())
    trained = [r for r in log["rounds"] if r["round"]]
    assert [row[2].split(" ")[0] for row in page.rows["training"]] == [
        str(r["augment"]["pairs"]) for r in trained
    ]
    assert [row[7] for row in page.rows["training"]] == [
        f"{r['train']['final_loss']:.3f}" for r in trained
    ]
    assert len(page.rows["new-exploit"]) == sum(
        min(n, experiment_html.MAX_NEW_EXPLOITS)
        for n in Counter((e["arm"], e["round"]) for e in log["new_exploits"]).values()
    )

    # summary.json: the same numbers, whole.
    assert log["kind"] == "experiment" and log["experiment"]["complete"]
    assert [v["outcome"] for v in log["verdict"]["verdicts"]] == outcomes
    by_step = {(r["arm"], r["round"]): r for r in log["rounds"]}
    for s in summaries:
        row = by_step[(s.arm, s.round)]
        for key in ("fresh_trained", "fresh_heldout", "replay", "clean_accuracy", "chance"):
            counts = getattr(s.outcomes, key)
            assert row[key]["trials"] == counts.total_trials
            assert row[key]["estimate"] == pytest.approx(counts.rate)
            assert row[key]["low"] <= row[key]["estimate"] <= row[key]["high"]
        assert row["novel_share"]["estimate"] == pytest.approx(s.outcomes.novel_share)
        assert row["new_exploits"] == s.new_exploits_every_prompt
        assert row["fresh_findings"] == s.fresh_findings
    new = Counter((e["arm"], e["round"]) for e in log["new_exploits"])
    assert new[("all", 0)] == by_step[("findings", 0)]["new_exploits"]
    for arm in ("findings", "clean", "synthetic"):
        assert new[(arm, 1)] == by_step[(arm, 1)]["new_exploits"]

    # report.md: the verdict lines, one row per arm and round, the new exploits.
    md = report.paths["markdown"].read_text()
    tokens = _markdown().parse(md)
    tables = _tables(tokens)
    assert len(tables[0]) == 1 + len(summaries)
    inline = "".join(
        c.content for t in tokens if t.type == "inline" for c in t.children or [] if c.content
    )
    for line in verdict_lines(entry):
        assert line.strip() in inline


def test_a_rebuilt_report_is_byte_identical(tiny_experiment, tmp_path):
    first = build_experiment_report(tiny_experiment, out=tmp_path / "a")
    second = build_experiment_report(tiny_experiment, out=tmp_path / "b")
    for name in EXPERIMENT_FILES:
        assert first.paths[name].read_bytes() == second.paths[name].read_bytes(), name


def test_hostile_exploit_text_is_escaped_in_html_and_markdown(
    hostile_experiment, tiny_experiment, tmp_path, monkeypatch
):
    # Every new exploit shown, so that every payload reaches both documents.
    monkeypatch.setattr(experiment_html, "MAX_NEW_EXPLOITS", 10_000)
    monkeypatch.setattr(experiment_markdown, "MAX_NEW_EXPLOITS", 10_000)
    report = build_experiment_report(hostile_experiment, out=tmp_path / "hostile")
    texts = {e.exploit.text for e in report.view.new_exploits if e.arm == "findings"}
    assert set(HOSTILE_TEXTS) <= texts  # each payload is a new exploit's representative

    source = report.paths["html"].read_text()
    page = _page(report.paths["html"])
    assert not {"script", "svg", "iframe", "textarea", "a", "object"} & set(page.tags)
    assert page.tags.count("img") == source.count('<img class="plot"')
    for name, value in page.attributes:
        assert not name.startswith("on"), name
        assert "javascript:" not in (value or "").lower()
    shown = "".join(page.text)
    assert "<script>alert(1)</script>" in shown and 'onerror="alert(1)"' in shown
    assert "</textarea>" in shown
    assert "zero⟨U+200B⟩width⟨U+202E⟩bidi" in shown
    assert "\u202e" not in source and "\u200b" not in source

    md = report.paths["markdown"].read_text()
    clean = build_experiment_report(tiny_experiment, out=tmp_path / "clean").paths["markdown"]
    tokens, clean_tokens = _markdown().parse(md), _markdown().parse(clean.read_text())
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    clean_inline = [c for t in clean_tokens if t.type == "inline" for c in t.children or []]
    assert [t for t in tokens if t.type == "heading_open"] and len(
        [t for t in tokens if t.type == "heading_open"]
    ) == len([t for t in clean_tokens if t.type == "heading_open"])
    assert not [t for t in tokens if t.type in ("fence", "code_block", "html_block")]
    assert not [c for c in inline if c.type in ("html_inline", "link_open", "image")]
    code = [c for c in inline if c.type == "code_inline"]
    assert len(code) == len([c for c in clean_inline if c.type == "code_inline"])
    assert len(_tables(tokens)) == len(_tables(clean_tokens))
    for table in _tables(tokens):
        assert len({len(row) for row in table}) == 1, table
    assert "<script>alert(1)</script>" in "".join(c.content for c in inline if c.type == "text")

    summary = json.loads(report.paths["summary"].read_text())
    assert set(HOSTILE_TEXTS) <= {e["text"] for e in summary["new_exploits"]}  # whole


def _cut(folder: Path, keep) -> None:
    """Keep the experiment log's lines while ``keep(entry)``, then half a line (a kill)."""
    path = folder / LOG_NAME
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = []
    for line in lines:
        if not keep(json.loads(line)):
            kept.append(line[: len(line) // 2])
            break
        kept.append(line + "\n")
    path.write_text("".join(kept), encoding="utf-8")


def test_an_incomplete_experiment_reports_what_it_has_marked_incomplete(
    copy_experiment, tmp_path, rmh, one_line_error
):
    folder = copy_experiment("killed")
    # Killed while the synthetic arm trained: its round and the verdict are missing.
    _cut(folder, lambda e: not (e["type"] == "train" and e["arm"] == "synthetic"))
    view = experiment_view(folder)
    assert not view.complete and view.truncated
    assert view.missing() == ["synthetic round 1"]

    code, _, err = rmh("report", str(folder), "--out", str(tmp_path / "out"))
    one_line_error(code, err, "is incomplete")
    assert "not measured yet: synthetic round 1" in err and "rmh rounds --resume" in err
    page = _page(tmp_path / "out" / "report.html")
    assert {"incomplete", "no-verdict", "curves", "rounds", "new-exploits"} <= page.ids
    assert len(page.rows["round"]) == 5  # round 0 under each arm, round 1 of two arms
    md = (tmp_path / "out" / "report.md").read_text()
    assert "**Incomplete experiment**" in md and "synthetic round 1" in md
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["experiment"]["complete"] is False and summary["verdict"] is None
    assert summary["experiment"]["missing"] == ["synthetic round 1"]

    before = copy_experiment("before-round-0")
    _cut(before, lambda e: e["type"] in ("init", "split"))
    view = experiment_view(before)
    assert not view.rounds and view.missing() == ["round 0"]
    page = _page(build_experiment_report(before, out=tmp_path / "early").paths["html"])
    assert "incomplete" in page.ids and "round" not in page.rows


def test_an_arm_that_stopped_is_shown_with_its_error(copy_experiment, tmp_path):
    folder = copy_experiment("stopped")
    log = folder / LOG_NAME
    lines = log.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if json.loads(line)["type"] != "verdict"]
    kept = [line for line in kept if json.loads(line).get("arm") != "synthetic"]
    error = {
        "type": "error",
        "time": json.loads(kept[-1])["time"],
        "arm": "synthetic",
        "round": 1,
        "stage": "train",
        "checkpoint": "/nowhere",
        "message": "planted failure <b>bold</b>",
    }
    log.write_text("\n".join([*kept, json.dumps(error)]) + "\n", encoding="utf-8")
    report = build_experiment_report(folder, out=tmp_path)
    assert report.view.missing() == [] and not report.complete  # stopped, not missing
    page = _page(report.paths["html"])
    (row,) = [r for r in page.rows["training"] if r[0] == "synthetic"]
    assert row[1] == "1" and row[-1] == "stopped (train): planted failure <b>bold</b>"
    assert "failure &lt;b&gt;bold&lt;/b&gt;" in report.paths["html"].read_text()  # as text
    summary = json.loads(report.paths["summary"].read_text())
    assert summary["errors"] == [
        {
            "arm": "synthetic",
            "round": 1,
            "replicate": 0,
            "stage": "train",
            "message": error["message"],
        }
    ]


def test_rmh_report_writes_the_experiment_report_and_refuses_run_options(
    tiny_experiment, tmp_path, rmh, one_line_error
):
    code, stdout, err = rmh("report", str(tiny_experiment), "--out", str(tmp_path))
    assert code == 0, err
    assert "verdict for findings (against clean):" in stdout
    assert {p.name for p in tmp_path.iterdir()} == set(EXPERIMENT_FILES.values())
    code, _, err = rmh("report", str(tiny_experiment), "--baseline", str(tiny_experiment))
    one_line_error(code, err, "--baseline: for a run folder")
    # A round's run folder is still a run, reported on its own.
    code, stdout, err = rmh(
        "report", str(tiny_experiment / "round-0"), "--out", str(tmp_path / "r")
    )
    assert code == 0, err
    assert (tmp_path / "r" / "junit.xml").is_file()
