"""The sweep report's RL section for a watch's sweep (``rmh sweep --watch``): the stop step
and its reason, the best step, the failed evaluation, each evaluation's tests, steps.png
with the stop and the best step; the judged-bad completions stay inert text."""

from __future__ import annotations

from harness.cli import main
from harness.experiments.sweep.result import read_sweep
from harness.testing import HOSTILE_TEXTS
from reports.sweep import build_sweep_report
from tests.harness.experiments.sweep.watches import make_watch
from tests.reports.test_escaping import _markdown, _tables
from tests.reports.test_sweep_report import _Page

#: Markdown structure, a script tag, invisible and bidi characters: the first three
#: judged-bad completions of the planted run start with these.
HOSTILE = (HOSTILE_TEXTS[0], HOSTILE_TEXTS[1], HOSTILE_TEXTS[-1])


def _watch_sweep(tmp_path):
    watch = make_watch(tmp_path / "watch", hostile=HOSTILE)
    out = tmp_path / "sweep"
    assert main(["sweep", "--watch", str(watch), "--out", str(out), "--resamples", "200"]) == 0
    return out


def test_the_rl_section_shows_the_stop_and_keeps_judged_bad_text_inert(tmp_path):
    out = _watch_sweep(tmp_path)
    record = read_sweep(out)
    assert record.watch.bad_examples[0].startswith(HOSTILE[0])
    report = build_sweep_report(out, out=tmp_path / "report")

    text = report.paths["html"].read_text()
    page = _Page()
    page.feed(text)
    ids = {"sweep-steps", "plot-steps", "steps", "sweep-watch", "watch-stop", "watch-best"}
    assert ids | {"watch-failures", "watch-rule", "watch-decisions", "watch-bad-examples"} <= (
        page.ids
    )
    assert page.classes.count("watch-decision") == 3 and page.tags.count("img") == 2
    assert not {"script", "iframe", "textarea", "a", "object"} & set(page.tags)
    for name, value in page.attributes:
        assert not name.startswith("on"), name
        assert "javascript:" not in (value or "").lower()
    shown = "".join(page.text)
    assert "stopped at step 3, reason peaked" in shown and "best step 2 by gold" in shown
    assert "1 failed evaluation(s), at step(s) 1: they decide nothing" in shown
    assert "<script>alert(1)</script> funny" in shown  # the judged-bad completion, as text
    assert "zero⟨U+200B⟩width⟨U+202E⟩bidi" in shown
    assert "\u202e" not in text and "\u200b" not in text

    markdown = report.paths["markdown"].read_text()
    tokens = _markdown().parse(markdown)
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert [t.type for t in tokens if t.type == "heading_open"] == ["heading_open"]
    assert not [t for t in tokens if t.type in ("fence", "code_block", "html_block")]
    assert not [c for c in inline if c.type in ("html_inline", "link_open", "image")]
    for table in _tables(tokens):
        assert len({len(row) for row in table}) == 1, table
    words = "".join(c.content for c in inline if c.type == "text")
    assert "stopped at step 3, reason peaked" in words and "best step 2 by gold" in words
    assert "<script>alert(1)</script> funny" in words


def test_a_watch_report_is_byte_identical_when_rebuilt(tmp_path):
    out = _watch_sweep(tmp_path)
    first = build_sweep_report(out, out=tmp_path / "a").paths
    second = build_sweep_report(out, out=tmp_path / "b").paths
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name
