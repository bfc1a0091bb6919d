"""Every registered renderer keeps the report's promises; a new one is one file away."""

from __future__ import annotations

import pytest

from harness.core.errors import HarnessError
from harness.gate import GatePolicy
from harness.runlog import LOG_NAME
from reports import FILES, build_report, report_context, report_files
from reports.context import ReportContext
from reports.renderer import RENDERERS, Renderer

BUILTIN = {
    "findings": "findings.csv",
    "html": "report.html",
    "junit": "junit.xml",
    "markdown": "report.md",
    "summary": "summary.json",
}


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


@pytest.mark.parametrize("name", RENDERERS.names())
def test_renderer_contract(name, tiny_run):
    cls = RENDERERS.get(name)
    assert cls.name == name
    assert cls.description() and "\n" not in cls.description()
    assert [RENDERERS.get(n).filename for n in RENDERERS.names()].count(cls.filename) == 1
    first = cls().render(report_context(tiny_run, policy=GatePolicy()))
    assert isinstance(first, (str, bytes)) and first
    # Rebuilt from the same log (read again, metrics recomputed): the same bytes.
    second = cls().render(report_context(tiny_run, policy=GatePolicy()))
    assert _bytes(first) == _bytes(second)


def test_builtin_renderers_and_their_files():
    assert {n: f for n, f in report_files().items() if n in BUILTIN} == BUILTIN
    assert report_files() == FILES  # the old name still works


class _Verdict(Renderer):
    """The verdict label alone (a test plugin)."""

    name = "test-verdict"
    filename = "verdict.txt"

    def render(self, ctx: ReportContext) -> bytes:
        return ctx.gate.verdict.label.encode("utf-8") + b"\n"


def test_a_registered_renderer_is_written_by_build_report(tiny_run, tmp_path):
    with RENDERERS.temporarily(_Verdict):
        result = build_report(tiny_run, policy=GatePolicy(), out=tmp_path)
        assert set(result.paths) == set(report_files()) >= {*BUILTIN, "test-verdict"}
    assert result.paths["test-verdict"] == tmp_path / "verdict.txt"
    assert (tmp_path / "verdict.txt").read_text() == result.verdict.label + "\n"
    assert "test-verdict" not in RENDERERS  # gone after the block
    assert not list(tmp_path.glob(".*.tmp"))


def test_two_renderers_writing_one_file_are_refused(tiny_run, tmp_path):
    class Shadow(_Verdict):
        """Writes another renderer's file."""

        name = "test-shadow"
        filename = "report.html"

    with RENDERERS.temporarily(Shadow), pytest.raises(HarnessError, match="both write"):
        build_report(tiny_run, policy=GatePolicy(), out=tmp_path)
    assert not (tmp_path / "report.html").exists()  # nothing written


@pytest.mark.parametrize("filename", ["", "../up.txt", "sub/file.txt", ".hidden", LOG_NAME])
def test_a_renderer_must_write_one_plain_file_in_the_folder(filename):
    bad = type("Bad", (_Verdict,), {"__doc__": "Bad.", "name": "test-bad", "filename": filename})
    with pytest.raises(TypeError, match="filename"):
        RENDERERS.register(bad)
    assert "test-bad" not in RENDERERS


def test_a_renderer_needs_a_description_and_to_be_a_renderer():
    class Silent(_Verdict):
        name = "test-silent"
        filename = "silent.txt"

    with pytest.raises(TypeError, match="docstring"):
        RENDERERS.register(Silent)

    class NotOne:
        name = "test-not-one"
        filename = "x.txt"

    with pytest.raises(TypeError, match="not a Renderer"):
        RENDERERS.register(NotOne)  # type: ignore[arg-type]
