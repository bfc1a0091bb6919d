"""The response path's JSONPath subset: what it reaches, and what it refuses to read."""

from __future__ import annotations

import pytest

from harness.core.errors import HarnessError
from harness.models.http.jsonpath import parse_path

ANSWER = {
    "scores": [0.5, -1.0],
    "results": [{"reward": 1.5, "label": "a"}, {"reward": 2.5, "label": "b"}],
    "outputs": [{"scores": [3, 4]}],
    "odd key": {"x-y": [7]},
}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("$.scores", [[0.5, -1.0]]),
        ("scores", [[0.5, -1.0]]),
        ("$.results[*].reward", [1.5, 2.5]),
        ("$.results.*.label", ["a", "b"]),
        ("$.outputs[0].scores", [[3, 4]]),
        ("$.outputs[-1].scores[1]", [4]),
        ("$['odd key'][\"x-y\"][0]", [7]),
        ("$", [ANSWER]),
        ("$.missing", []),
        ("$.scores[5]", []),
        ("$.scores.reward", []),
    ],
)
def test_paths_reach_what_they_name(path, found):
    assert parse_path(path).find(ANSWER) == found


def test_wildcards_are_known():
    assert parse_path("$.a[*].b").has_wildcard
    assert not parse_path("$.a[0].b").has_wildcard


@pytest.mark.parametrize("path", ["$.a[", "$..a", "$.a[?(@.b)]", "$.a[1:2]", "$ scores"])
def test_a_path_outside_the_grammar_is_a_one_line_error(path):
    with pytest.raises(HarnessError, match="cannot be read at"):
        parse_path(path)
