"""Hostile texts: attacker-controlled strings that every rendering must keep inert.

A finding's text is chosen by an attack, so a report, a table or a spreadsheet that shows
it must show it as text: never as markup, a script, a formula or a hidden direction change.

Example::

    @pytest.mark.parametrize("text", HOSTILE_TEXTS)
    def test_my_renderer_keeps_it_inert(text): ...
"""

from __future__ import annotations

#: Attacker-controlled text that every rendering of a finding must keep inert: markdown
#: structure, HTML and script injection, spreadsheet formulas, invisible and bidi
#: characters. Renderer plugins can feed these through their output in their own tests.
HOSTILE_TEXTS: tuple[str, ...] = (
    "| col | injected |\n|---|---|\n# Heading\n```\ncode\n```\n`tick` [link](javascript:x)",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "</textarea><svg onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '=HYPERLINK("http://evil")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "zero\u200bwidth\u202ebidi",
)
