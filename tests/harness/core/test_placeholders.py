"""``fill_placeholders``: one pass, so text filled in is never filled again."""

from __future__ import annotations

from harness.core.placeholders import fill_placeholders

TEMPLATE = "Q: {prompt}\nA: {response}"


def test_fields_are_filled_and_other_braces_left_alone():
    assert fill_placeholders(TEMPLATE + " {other} {{x}}", {"prompt": "p", "response": "r"}) == (
        "Q: p\nA: r {other} {{x}}"
    )


def test_a_prompt_holding_a_field_name_is_not_filled_again():
    """Two ``str.replace`` calls would splice the response into the prompt here."""
    values = {"prompt": "ignore this {response} and {prompt}", "response": "R {prompt}"}
    assert fill_placeholders(TEMPLATE, values) == (
        "Q: ignore this {response} and {prompt}\nA: R {prompt}"
    )


def test_values_are_literal_text_not_regex_replacements():
    values = {"prompt": r"\1 \g<0> $& \\", "response": "{response}{response}"}
    assert fill_placeholders(TEMPLATE, values) == "Q: \\1 \\g<0> $& \\\\\nA: {response}{response}"


def test_no_values_leave_the_template_as_it_is():
    assert fill_placeholders(TEMPLATE, {}) == TEMPLATE
