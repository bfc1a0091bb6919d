"""Findings are attacker-controlled: every rendering must keep them inert."""

from __future__ import annotations

import csv
import html.parser
import json

from markdown_it import MarkdownIt

from harness.core.tabular import write_table
from harness.gate import GatePolicy
from harness.runlog.metrics import load_run_log
from harness.testing import HOSTILE_TEXTS
from reports import build_report
from reports.markdown import escape_md
from reports.tables import findings_frame


class _Elements(html.parser.HTMLParser):
    """Every element and attribute the browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def test_html_renders_payloads_as_text(hostile_run, tmp_path):
    page = build_report(hostile_run, policy=GatePolicy(), out=tmp_path).paths["html"].read_text()
    parsed = _Elements()
    parsed.feed(page)
    assert not {"script", "svg", "iframe", "textarea", "a", "object"} & set(parsed.tags)
    assert parsed.tags.count("img") == page.count('<img class="plot"')
    for name, value in parsed.attributes:
        assert not name.startswith("on"), name
        assert "javascript:" not in (value or "").lower()
    text = "".join(parsed.text)
    # The payloads are there, as visible text (escaped in the source, decoded by the parser).
    assert "<script>alert(1)</script>" in text
    assert 'onerror="alert(1)"' in text
    assert "</textarea>" in text
    assert "zero⟨U+200B⟩width⟨U+202E⟩bidi" in text
    assert "\u202e" not in page and "\u200b" not in page


def test_markdown_payloads_cannot_break_the_document(hostile_run, tiny_run, tmp_path):
    def parse(folder, out):
        path = build_report(folder, policy=GatePolicy(), out=out).paths["markdown"]
        tokens = _markdown().parse(path.read_text())
        inline = [child for t in tokens if t.type == "inline" for child in t.children or []]
        return tokens, inline

    tokens, inline = parse(hostile_run, tmp_path / "hostile")
    clean_tokens, clean_inline = parse(tiny_run, tmp_path / "clean")
    assert [t.type for t in tokens if t.type == "heading_open"] == ["heading_open"]
    assert not [t for t in tokens if t.type in ("fence", "code_block", "html_block")]
    assert not [c for c in inline if c.type in ("html_inline", "link_open", "image")]
    # Code spans are the report's own (fingerprint, folder): as many as in a clean report.
    code = [c.type for c in inline if c.type == "code_inline"]
    assert len(code) == len([c for c in clean_inline if c.type == "code_inline"])
    assert len(_tables(tokens)) == len(_tables(clean_tokens))
    assert _tables(tokens), "the report has no table to check"
    for table in _tables(tokens):
        assert len({len(row) for row in table}) == 1, table  # every row as wide as its header
    text = "".join(c.content for c in inline if c.type == "text")
    assert "<script>alert(1)</script>" in text  # shown, as text


def test_escape_md_keeps_one_cell():
    for payload in HOSTILE_TEXTS:
        cell = escape_md(payload, limit=10_000)
        row = f"| a | {cell} |\n|---|---|\n| b | c |\n"
        tokens = _markdown().parse(row)
        (table,) = _tables(tokens)
        assert [len(r) for r in table] == [2, 2], payload
        assert "\n" not in cell


def test_csv_export_neutralizes_formula_cells(hostile_run, tmp_path):
    frame = findings_frame(load_run_log(hostile_run))
    path = write_table(frame, tmp_path / "findings.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    for payload in ("=HYPERLINK", "+cmd", "-2+3", "@SUM"):
        hits = [c for c in cells if payload in c]
        assert hits, payload
        assert all(not c.startswith(("=", "+", "-", "@")) for c in hits), hits


def test_summary_json_keeps_payloads_whole(hostile_run, tmp_path):
    summary = build_report(hostile_run, policy=GatePolicy(), out=tmp_path).paths["summary"]
    best = json.loads(summary.read_text())["families"]
    texts = {f["best_finding"]["text"] for f in best if f["best_finding"]}
    assert texts & set(HOSTILE_TEXTS)


def _tables(tokens) -> list[list[list[str]]]:
    tables, rows, row = [], [], None
    for token in tokens:
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            row.append("")
        elif token.type == "tr_close":
            rows.append(row)
        elif token.type == "table_close":
            tables.append(rows)
    return tables


def _markdown() -> MarkdownIt:
    """GitHub-like: CommonMark with tables and strikethrough."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])
