"""Suite TOML: the builtins validate, and every error names the key, the line and the fix."""

from __future__ import annotations

import json

import pytest

from harness.core.errors import HarnessError
from harness.core.toml_config import locate
from harness.suite import builtin_suites, parse_suite, resolve_suite

GOOD = """\
name = "mine"
seed = 3

[data]
source = "pairs.jsonl"
sample = 2

[judges]
heuristic = true

[[attacks]]
name = "repetition"
budget = 50

[[attacks]]
name = "random-search"
budget = 80
params = { length = 6 }
"""


def error_of(text: str) -> str:
    with pytest.raises(HarnessError) as info:
        parse_suite(text, origin="s.toml", base_dir=None)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", ["quick", "rounds", "standard"])
def test_builtin_suites_validate(name):
    suite = resolve_suite(name)
    assert suite.name == name
    assert suite.config.attacks
    assert name in builtin_suites()


def test_standard_covers_every_family():
    from attacks.registry import all_attacks

    families = {all_attacks()[a.name].family for a in resolve_suite("standard").config.attacks}
    shipped = [cls for cls in all_attacks().values() if cls.__module__.startswith("attacks.")]
    assert families == {cls.family for cls in shipped}  # (tests register attacks of their own)


def test_lm_guided_is_in_standard_optional_and_not_in_quick():
    """``rmh demo`` runs quick: it installs no policy extra and must stay fast."""
    standard = {a.name: a for a in resolve_suite("standard").config.attacks}
    assert standard["lm-guided"].optional and standard["lm-guided"].budget <= 600
    assert "lm-guided" not in {a.name for a in resolve_suite("quick").config.attacks}


def test_unknown_key_names_line_and_allowed_keys():
    text = GOOD.replace("budget = 80", "budget = 80\nbudgte = 3")
    message = error_of(text)
    assert "line 18" in message and "attacks[1].budgte" in message
    assert "allowed keys: name, budget, params" in message


def test_wrong_type_names_line_and_value():
    message = error_of(GOOD.replace("budget = 50", 'budget = "fifty"'))
    assert "line 13" in message and "attacks[0].budget" in message and "'fifty'" in message


def test_non_positive_budget_is_refused():
    message = error_of(GOOD.replace("budget = 50", "budget = 0"))
    assert "attacks[0].budget" in message and "greater than 0" in message


def test_keep_defaults_to_16_and_reads_a_positive_count():
    assert parse_suite(GOOD, origin="s.toml", base_dir=None).config.keep == 16
    kept = parse_suite(GOOD.replace("seed = 3", "seed = 3\nkeep = 4"), origin="s", base_dir=None)
    assert kept.config.keep == 4


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("0", "greater than 0"), ("-3", "greater than 0"), ('"many"', "valid integer")],
)
def test_bad_keep_is_one_line_naming_its_line(value, fragment):
    message = error_of(GOOD.replace("seed = 3", f"seed = 3\nkeep = {value}"))
    assert message.startswith("suite s.toml line 3: keep: ") and fragment in message


def test_unknown_attack_lists_the_valid_names():
    message = error_of(GOOD.replace('name = "repetition"', 'name = "repetitoin"'))
    assert "line 12" in message and "unknown attack 'repetitoin'" in message
    assert "gcg" in message


def test_bad_attack_parameter_names_line():
    message = error_of(GOOD.replace("length = 6", "n_wordz = 6"))
    assert "line 18" in message and "attacks[1].params" in message and "n_wordz" in message


def test_missing_section_and_bad_toml():
    assert "data: missing required key" in error_of(GOOD.split("[data]")[0])
    assert "not valid TOML" in error_of("name = ")


def test_duplicate_attack_needs_a_label():
    text = GOOD + '\n[[attacks]]\nname = "repetition"\nbudget = 5\n'
    assert "appears twice" in error_of(text)
    labelled = text + 'label = "repetition-small"\n'
    assert [a.id for a in parse_suite(labelled, origin="s", base_dir=None).config.attacks] == [
        "repetition",
        "random-search",
        "repetition-small",
    ]


def test_data_resolves_from_the_suite_folder_and_samples_deterministically(tmp_path):
    rows = [{"prompt": f"p{i}", "chosen": "c", "rejected": "r"} for i in range(6)]
    (tmp_path / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "s.toml").write_text(GOOD)
    suite = resolve_suite(str(tmp_path / "s.toml"))
    first = [p.prompt for p in suite.prompts()]
    assert len(first) == 2 and first == [p.prompt for p in suite.prompts()]
    assert len(suite.pairs()) == 6


def test_unknown_suite_lists_builtins():
    with pytest.raises(HarnessError, match="not a builtin \\(quick, rounds, standard\\)"):
        resolve_suite("no-such-suite")


def test_locate_handles_arrays_of_tables_and_subtables():
    text = "[[attacks]]\nname = 'a'\n[attacks.params]\nx = 1\n[[attacks]]\nname = 'b'\n"
    assert locate(text, ("attacks", 0, "params", "x")) == 4
    assert locate(text, ("attacks", 1, "name")) == 6
    assert locate(text, ("attacks", 1, "budget")) == 5


def judges_of(judges_toml: str) -> list[tuple[str, dict]]:
    text = GOOD.replace("[judges]\nheuristic = true\n", judges_toml)
    suite = parse_suite(text, origin="s.toml", base_dir=None)
    return [(spec.name, dict(spec.params)) for spec in suite.judge_specs()]


def test_judge_tables_name_registered_judges_with_their_params():
    specs = judges_of(
        '[judges.gold-rm]\ncheckpoint = "gold/"\nmargin = 0.25\n\n'
        '[judges.ensemble]\ncheckpoints = ["a/", "b/"]\n'
    )
    assert specs == [
        ("heuristic", {}),
        ("gold-rm", {"checkpoint": "gold/", "margin": 0.25}),
        ("ensemble", {"checkpoints": ["a/", "b/"]}),
    ]


def test_the_heuristic_judge_is_on_unless_switched_off():
    assert judges_of("") == [("heuristic", {})]
    assert judges_of("[judges]\nheuristic = false\n") == []
    assert judges_of("[judges.heuristic]\nmax_repetition = 0.4\n") == [
        ("heuristic", {"max_repetition": 0.4})
    ]


def test_the_first_formats_flat_judge_keys_still_read():
    specs = judges_of(
        '[judges]\nheuristic = true\ngold = "demo"\ngold_margin = "calibrate"\n'
        'ensemble = ["a/", "b/"]\nensemble_quorum = 0.75\n'
    )
    assert specs == [
        ("heuristic", {}),
        ("gold-rm", {"checkpoint": "gold-demo", "margin": "calibrate"}),
        ("ensemble", {"checkpoints": ["a/", "b/"], "quorum": 0.75}),
    ]
    # No gold RM named: a lone margin (the old default) adds no judge.
    assert judges_of('[judges]\ngold_margin = "calibrate"\nensemble = []\n') == [("heuristic", {})]


@pytest.mark.parametrize(
    ("judges_toml", "fragment"),
    [
        ("[judges.oracle]\n", "line 8: judges.oracle: unknown judge 'oracle'; choose one of:"),
        (
            "[judges.gold-rm]\ncheckpoint = 'g/'\nmargin = 'wide'\n",
            "parameter 'margin' must be float or 'calibrate'",
        ),
        ("[judges.gold-rm]\nmargin = 0.1\n", "judge 'gold-rm' needs parameter 'checkpoint'"),
        ("[judges.heuristic]\nmax_repetiton = 0.4\n", "has no parameter 'max_repetiton'"),
        ("[judges]\ngold-rm = 3\n", "judges.gold-rm must be a table of parameters, or true/false"),
    ],
)
def test_bad_judge_config_is_one_line_naming_the_judge(judges_toml, fragment):
    message = error_of(GOOD.replace("[judges]\nheuristic = true\n", judges_toml))
    assert fragment in message
