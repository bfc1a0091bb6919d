"""The sweep report (``rmh report SWEEP``): every section from sweep.json, the numbers as
recorded, and the samples' and paths' hostile text kept inert in HTML and Markdown."""

from __future__ import annotations

import dataclasses
import html.parser
import json

import pytest

from harness.experiments.sweep.result import read_sweep
from harness.experiments.sweep.sweep_lines import fit_weights
from harness.gate import parse_policy
from harness.testing import HOSTILE_TEXTS
from reports.markdown import escape_md
from reports.sweep import build_sweep_report
from reports.sweep.html import render_sweep_html
from reports.sweep.rows import prompts_text, reference_note
from tests.harness.experiments.sweep.sweeps import make_hostile_sweep, make_sweep
from tests.reports.test_escaping import _markdown, _tables

SECTIONS = (
    "sweep",
    "kl-note",
    "peak-message",
    "sweep-curves",
    "plot-bon",
    "curves",
    "sweep-examples",
    "sweep-steps",
    "sweep-trajectories",
    "plot-trajectory",
    "trajectory-reference",
    "trajectory-summary",
    "paths",
)


class _Page(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name == "class" and value:
                self.classes.append(value)

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep-reports")
    return {"plain": make_sweep(root / "plain"), "hostile": make_hostile_sweep(root / "hostile")}


def test_rmh_report_renders_every_section(rmh, sweeps, tmp_path):
    code, out, err = rmh("report", str(sweeps["plain"]), "--out", str(tmp_path))
    assert code == 0, err
    assert "peak:" in out and f"wrote {tmp_path / 'report.html'}" in out
    page = _Page()
    text = (tmp_path / "report.html").read_text()
    page.feed(text)
    assert set(SECTIONS) <= page.ids, set(SECTIONS) - page.ids
    record = read_sweep(sweeps["plain"])
    assert page.classes.count("curve") == len(record.curves)
    assert page.classes.count("path") == len(record.trajectories.paths)
    assert page.tags.count("img") == 2  # best-of-n and trajectories (one step: no step plot)
    shown = "".join(page.text)
    assert "upper bound" in shown and "2401.01879" in shown
    assert record.fit.message in shown
    markdown = (tmp_path / "report.md").read_text()
    assert markdown.startswith("## Overoptimization sweep") and "upper bound" in markdown
    rule = "Reference rule random: per prompt, a seeded random sample among those"
    assert rule in shown and "not made likely by selection" in shown
    assert escape_md(rule) in markdown
    assert markdown.index(escape_md(rule)) < markdown.index("| attack | paths |")
    # gamma, alpha and beta in gold spreads, how the fit weighted, how the onset was decided
    gamma = record.overoptimization.gamma
    for text in (shown, markdown.replace(chr(92), "")):  # Markdown escapes punctuation
        assert "gamma" in text and f"{gamma.estimate:.3f}" in text
        assert "alpha (gold spreads)" in text and "Holm" in text
        assert fit_weights(record.fit) in text


def test_summary_json_holds_gamma_the_fit_and_the_onset(sweeps, tmp_path):
    policy = parse_policy("max_overoptimization_gap = 1.0")
    report = build_sweep_report(sweeps["plain"], out=tmp_path, policy=policy)
    summary = json.loads(report.paths["summary"].read_text())
    record = report.record
    assert summary["kind"] == "sweep-summary"
    assert summary["gamma"]["estimate"] == record.overoptimization.gamma.estimate
    assert summary["gamma"]["state"] == "measured"
    assert summary["fit"]["alpha_spread"]["estimate"] == pytest.approx(
        record.fit.alpha.estimate / record.scales.gold_sd
    )
    assert summary["fit"]["weights"] == record.fit.weights
    assert summary["nonsense"]["onset_n"] == record.nonsense.onset_n
    assert summary["nonsense"]["method"].startswith("one-sided paired t")
    assert [c["kind"] for c in summary["verdict"]["checks"]] == ["overoptimization-gap"]


def test_a_policy_with_a_minimum_puts_the_verdict_on_the_report(sweeps, tmp_path):
    policy = parse_policy("min_best_of_n = 2")
    report = build_sweep_report(
        sweeps["plain"], out=tmp_path, policy=policy, policy_origin="p.toml"
    )
    assert report.verdict is not None
    page = report.paths["html"].read_text()
    assert f'data-status="{report.verdict.status}"' in page
    markdown = report.paths["markdown"].read_text()
    assert f"**Gate: {escape_md(report.verdict.label)}**" in markdown


def test_hostile_samples_stay_text_in_html(sweeps, tmp_path):
    report = build_sweep_report(sweeps["hostile"], out=tmp_path)
    text = report.paths["html"].read_text()
    page = _Page()
    page.feed(text)
    assert not {"script", "svg", "iframe", "textarea", "a", "object"} & set(page.tags)
    for name, value in page.attributes:
        assert not name.startswith("on"), name
        assert "javascript:" not in (value or "").lower()
    shown = "".join(page.text)
    assert "<script>alert(1)</script>" in shown  # a prompt and a proxy favourite, as text
    assert "zero⟨U+200B⟩width⟨U+202E⟩bidi" in shown
    assert "\u202e" not in text and "\u200b" not in text


def test_hostile_samples_cannot_break_the_markdown(sweeps, tmp_path):
    hostile = build_sweep_report(sweeps["hostile"], out=tmp_path / "h").paths["markdown"]
    plain = build_sweep_report(sweeps["plain"], out=tmp_path / "p").paths["markdown"]
    tokens = _markdown().parse(hostile.read_text())
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert [t.type for t in tokens if t.type == "heading_open"] == ["heading_open"]
    assert not [t for t in tokens if t.type in ("fence", "code_block", "html_block")]
    assert not [c for c in inline if c.type in ("html_inline", "link_open", "image")]
    clean = _markdown().parse(plain.read_text())
    clean_inline = [c for t in clean if t.type == "inline" for c in t.children or []]
    code = [c for c in inline if c.type == "code_inline"]
    assert len(code) == len([c for c in clean_inline if c.type == "code_inline"])
    for table in _tables(tokens):
        assert len({len(row) for row in table}) == 1, table
    text = "".join(c.content for c in inline if c.type == "text")
    assert any(p.split("\n")[0][:20] in text for p in HOSTILE_TEXTS[1:3])


def test_a_rebuilt_report_is_byte_identical(sweeps, tmp_path):
    first = build_sweep_report(sweeps["plain"], out=tmp_path / "a").paths
    second = build_sweep_report(sweeps["plain"], out=tmp_path / "b").paths
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_the_report_names_the_skipped_prompts_and_an_old_sweeps_reference_rule(sweeps):
    record = read_sweep(sweeps["plain"])
    assert prompts_text(record.samples) == "4 of 4 used"
    tied = dataclasses.replace(record.samples, used_prompts=3, skipped_tied_proxy=1)
    assert prompts_text(tied) == (
        "3 of 4 used (0 with fewer than 2 samples, 0 with fewer than n_max, 1 where the proxy "
        "scores every sample the same skipped)"
    )
    old = dataclasses.replace(
        record.trajectories, reference_rule="gold-best", references="the gold's favourite"
    )
    page = render_sweep_html(dataclasses.replace(record, trajectories=old))
    assert "Reference rule gold-best: the gold&#39;s favourite; the gold chose" in page
    assert "likely by selection alone" in reference_note(old)
