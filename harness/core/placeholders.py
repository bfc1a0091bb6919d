"""Filling ``{name}`` fields of a text template in one pass, so filled-in text stays inert.

Why one pass: replacing ``{prompt}`` and then ``{response}`` with two ``str.replace``
calls lets a prompt that itself contains the characters ``{response}`` get the response
spliced into it, and adversarial text contains whatever an attack puts there. Every
place that renders a pair through a template (the local ``--format`` template, the
``template`` and ``vllm-score`` HTTP protocols) fills it here, so a served model and the
same checkpoint loaded locally read the same text.

Example::

    fill_placeholders("Q: {prompt}\\nA: {response}", {"prompt": "{response}", "response": "4"})
    # 'Q: {response}\\nA: 4'
"""

from __future__ import annotations

import re
from collections.abc import Mapping


def fill_placeholders(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` of ``values`` replaced; other braces are left as
    they are, and nothing a value brings in is filled again."""
    if not values:
        return template
    names = "|".join(re.escape(name) for name in sorted(values, key=len, reverse=True))
    return re.sub(r"\{(" + names + r")\}", lambda m: values[m.group(1)], template)
