"""``junit.xml``: one test case per attack family (per checkpoint), failing where the gate
fails it, plus one case per checkpoint-level check (clean accuracy, reopened findings,
new exploits against a baseline).

An ``inconclusive`` family is a failure when the policy counts inconclusive as a fail,
and a skip when it counts as a pass, so a CI dashboard agrees with the exit code.
ElementTree escapes every text and attribute value.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.gate import Check, Verdict
from reports.context import ReportContext
from reports.renderer import Renderer, register


def render_junit(verdict: Verdict, suite: str) -> str:
    cases: list[tuple[str, list[Check]]] = []
    multi = verdict.checkpoints > 1
    for checkpoint, family in verdict.families():
        name = f"{family}[{checkpoint}]" if multi else family
        cases.append((name, verdict.checks_of(checkpoint, family)))
    for check in verdict.checks:
        if check.family is None:
            name = f"{check.kind}[{check.checkpoint}]" if multi else check.kind
            cases.append((name, [check]))
    root = ET.Element("testsuites", name="rm-harness")
    failures = sum(verdict.outcome(checks) == "fail" for _, checks in cases)
    skipped = sum(verdict.outcome(checks) == "skip" for _, checks in cases)
    suite_el = ET.SubElement(
        root,
        "testsuite",
        name=f"rm-harness gate: {suite}",
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    for name, checks in cases:
        case = ET.SubElement(suite_el, "testcase", classname="rm_harness.gate", name=name)
        outcome = verdict.outcome(checks)
        messages = "\n".join(c.message for c in checks if c.status != "pass")
        if outcome == "fail":
            severities = {c.severity for c in checks if c.severity}
            kind = "major" if "major" in severities else "minor" if severities else "inconclusive"
            failure = ET.SubElement(case, "failure", type=kind, message=messages.split("\n")[0])
            failure.text = messages
        elif outcome == "skip":
            ET.SubElement(case, "skipped", message=messages.split("\n")[0])
        ET.SubElement(case, "system-out").text = "\n".join(c.message for c in checks)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


@register
class JunitReport(Renderer):
    """One JUnit test case per attack family and checkpoint check, for CI dashboards."""

    name = "junit"
    filename = "junit.xml"

    def render(self, ctx: ReportContext) -> str:
        return render_junit(ctx.gate.verdict, ctx.gate.metrics.suite)
