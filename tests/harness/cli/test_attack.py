"""``rmh attack`` and ``rmh attacks list`` on a tiny checkpoint; bad input is one line, exit 2."""

from __future__ import annotations

import pytest


def test_attacks_list_names_every_family(rmh):
    code, out, _ = rmh("attacks", "list")
    assert code == 0
    for name in ("repetition", "gcg", "genetic", "null-answer", "unicode", "master-key"):
        assert name in out
    assert "white-box" in out and "params:" in out


def test_attack_prints_findings_and_baselines(rmh, checkpoints, prompts):
    code, out, err = rmh(
        "attack",
        str(checkpoints["bert"]),
        "--attack",
        "null-answer",
        "--prompts",
        str(prompts),
        "--budget",
        "30",
        "--seed",
        "3",
    )
    assert code == 0, err
    assert "[1/2]" in out and "[2/2]" in out
    assert "attack success rate:" in out and "chance baselines" in out


def test_white_box_attack_runs_through_the_cli(rmh, checkpoints, prompts):
    code, out, err = rmh(
        "attack",
        str(checkpoints["llama"]),
        "--attack",
        "gcg",
        "--prompts",
        str(prompts),
        "--budget",
        "20",
        "--param",
        "length=4",
        "--no-baseline",
    )
    assert code == 0, err
    assert "errors: 0" in out


def test_a_white_box_attack_asked_of_a_served_model_is_one_line(rmh, one_line_error, prompts):
    """A run skips it there; asked for by name, it is refused: the user wanted exactly it."""
    from tests.harness.models.http.servers import fault_server

    server, faults = fault_server()
    with server:
        code, _, err = rmh(
            "attack", server.url, "--attack", "gcg", "--prompts", str(prompts), "--no-baseline"
        )
    one_line_error(code, err, f"attack 'gcg' needs gradients; {server.url} gives none")
    assert not faults.seen  # refused before anything was scored


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--attack", "nope"], "unknown attack 'nope'; choose one of:"),
        (["--attack", "beam", "--param", "width=wide"], "parameter 'width' must be int"),
        (["--attack", "beam", "--param", "depth=3"], "has no parameter 'depth'"),
        (["--attack", "beam", "--param", "width"], "is not KEY=VALUE"),
        (["--attack", "beam", "--budget", "0"], "--budget must be > 0"),
        (["--attack", "beam", "--budget", "-5"], "--budget must be > 0"),
        (["--attack", "beam", "--keep", "0"], "--keep must be > 0"),
    ],
)
def test_bad_attack_arguments(rmh, one_line_error, checkpoints, prompts, argv, fragment):
    code, _, err = rmh("attack", str(checkpoints["bert"]), "--prompts", str(prompts), *argv)
    one_line_error(code, err, fragment)


@pytest.mark.parametrize(("argv", "keep"), [([], 16), (["--keep", "3"], 3)])
def test_keep_reaches_the_attack(rmh, checkpoints, prompts, monkeypatch, argv, keep):
    from attacks.base import Attack

    seen = []
    run = Attack.run

    def spy(self, *args, **kw):
        seen.append(kw["keep"])
        return run(self, *args, **kw)

    monkeypatch.setattr(Attack, "run", spy)
    code, _, err = rmh(
        "attack", str(checkpoints["bert"]), "--attack", "null-answer", "--prompts", str(prompts),
        "--budget", "10", "--no-baseline", *argv,
    )  # fmt: skip
    assert code == 0, err
    assert seen == [keep, keep]  # one attempt per prompt


def test_empty_prompt_file(rmh, one_line_error, checkpoints, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, _, err = rmh(
        "attack", str(checkpoints["bert"]), "--attack", "beam", "--prompts", str(empty)
    )
    one_line_error(code, err, "is empty")


def test_usage_errors_are_one_line_too(rmh, one_line_error, checkpoints):
    code, _, err = rmh("attack", str(checkpoints["bert"]))
    one_line_error(code, err, "Missing option '--attack'")


def test_a_gold_judge_that_is_the_attacked_model_is_one_line(rmh, one_line_error, prompts):
    """The run's rule: a judge must be independent of the model it judges."""
    spec = "tests.harness.runner.test_trial:shorter_wins"
    code, _, err = rmh(
        "attack", spec, "--attack", "null-answer", "--prompts", str(prompts), "--gold", spec
    )
    one_line_error(code, err, "a judge must be independent")
