"""``rmh attack --library STORE``: the search starts from the store's exploits found on other
prompts, says so in one line, and prints what the seeds found apart from the search."""

from __future__ import annotations

import json

import pytest

from tests.harness.runner.test_library_seeding import ATTACKED, GOLD, MODEL, fill


@pytest.fixture()
def prompts(tmp_path):
    path = tmp_path / "prompts.jsonl"
    rows = [{"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected} for p in ATTACKED]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def attack(rmh, prompts, *extra: str):
    return rmh("attack", MODEL, "--prompts", str(prompts), "--budget", "20", "--no-baseline",
               "--judge", f"gold-rm:checkpoint={GOLD},margin=0.5", *extra)  # fmt: skip


def test_seeded_findings_are_printed_apart_from_the_search(rmh, prompts, tmp_path):
    fill(tmp_path / "findings.db")
    code, out, err = attack(
        rmh, prompts, "--attack", "random-search", "--library", str(tmp_path / "findings.db")
    )
    assert code == 0, err
    assert err.strip().splitlines() == [
        "note: library: seeding random-search from 2 exploits of 3 stored (1 found only on "
        "prompts this run attacks left out)"
    ]
    assert out.count("from library starts,") == 2  # one status per prompt
    assert "[library, q=" in out  # the seed that won, as placed
    assert "from 2 library seeds: 2 findings were seeds as placed (2/2 prompts)" in out
    assert "median queries to the first finding: 3" in out  # the reference, then the seeds


def test_an_empty_or_missing_store_proceeds_and_says_so(rmh, prompts, tmp_path):
    code, out, err = attack(
        rmh, prompts, "--attack", "random-search", "--library", str(tmp_path / "none.db")
    )
    assert code == 0, err
    assert err.strip() == "note: the store holds no findings: searching from scratch"
    assert not (tmp_path / "none.db").exists()
    assert "attack success rate:" in out


def test_only_the_attacked_prompts_findings_seed_nothing_and_say_so(rmh, prompts, tmp_path):
    fill(tmp_path / "mine.db", other=False)
    code, _, err = attack(
        rmh, prompts, "--attack", "greedy-coordinate", "--library", str(tmp_path / "mine.db")
    )
    assert code == 0, err
    assert err.strip() == (
        "note: the library holds 1 exploit, all found on prompts this run attacks: seeding "
        "from none of them"
    )


def test_an_attack_that_cannot_take_seeds_and_seeds_without_a_library_are_one_line(
    rmh, one_line_error, prompts, tmp_path
):
    fill(tmp_path / "findings.db")
    code, _, err = attack(
        rmh, prompts, "--attack", "repetition", "--library", str(tmp_path / "findings.db")
    )
    one_line_error(code, err, "--library: attack 'repetition' cannot start from library seeds")
    assert "random-search" in err and "gcg" in err
    code, _, err = attack(rmh, prompts, "--attack", "random-search", "--library-seeds", "4")
    one_line_error(code, err, "--library-seeds needs --library STORE")
