"""The bandit over families: one budget, counted once, spread where the findings are."""

from __future__ import annotations

import random

import pytest

from attacks import get_attack
from attacks.bandit import DEFAULT_ARMS
from attacks.bandit_policy import ArmState, choose
from harness.core.errors import HarnessError
from harness.judges import HeuristicJudge
from harness.models import CallableRewardModel
from harness.runlog import AttemptEntry, FindingEntry, read_log
from harness.runner import start_run
from harness.scoring import Scorer
from harness.suite import resolve_suite
from harness.testing import PlantedRewardModel, write_tiny_suite

PROMPT = "Tell me a joke about Python."
REFERENCE = "I suggested a Python seminar, but the acronym was unpopular."


class CountingPlanted(PlantedRewardModel):
    """The planted model (white-box, so gcg is an arm), counting every score and gradient."""

    def __init__(self, planted: PlantedRewardModel) -> None:
        super().__init__(planted.words[1:], sorted(planted.planted))
        self.scored: list[str] = []
        self.gradients = 0

    def __call__(self, prompts: list[str], responses: list[str]) -> list[float]:
        self.scored.extend(responses)
        return super().__call__(prompts, responses)

    def token_gradients(self, prompt: str, response: str):
        self.gradients += 1
        return super().token_gradients(prompt, response)


def repetition_wins(prompts: list[str], responses: list[str]) -> list[float]:
    """A reward that loves one word said many times and nothing else: the repetition
    family hits on every pull, a word search never does."""
    out = []
    for response in responses:
        words = response.replace(",", " ").replace("!", " ").split()
        out.append(5.0 if len(words) >= 3 and len(set(words)) == 1 else 0.0)
    return out


def run_bandit(
    model, budget: int, *, seed: int = 0, judges=(), margin: float = 0.0, keep: int = 16, **params
):
    return get_attack("bandit")(**params).run(
        Scorer(CallableRewardModel(model)),
        PROMPT,
        REFERENCE,
        budget=budget,
        seed=seed,
        judges=list(judges) or [HeuristicJudge()],
        margin=margin,
        keep=keep,
    )


# ------------------------------------------------------------------ budget
@pytest.mark.parametrize("budget", [1, 2, 29, 131, 400])
def test_every_target_query_is_counted_once_and_the_budget_is_never_exceeded(planted, gold, budget):
    model = CountingPlanted(planted)
    outcome = run_bandit(model, budget, judges=[gold], margin=3.5)
    assert outcome.error is None, outcome.error
    paid = len(model.scored) + model.gradients
    assert len(set(model.scored)) == len(model.scored)  # nothing was scored twice
    assert outcome.queries == paid <= budget
    pulls = outcome.detail["pulls"]
    assert sum(p["queries"] for p in pulls) == outcome.queries - 1  # and the reference
    assert all(p["queries"] <= p["budget"] for p in pulls)
    arms = outcome.detail["arms"]
    assert sum(a["queries"] for a in arms.values()) == outcome.queries - 1
    assert sum(a["pulls"] for a in arms.values()) == len(pulls)
    if budget >= 131:
        assert outcome.queries == budget  # the budget is spent, not left over
    for finding in outcome.findings:
        assert 1 < finding.queries_at_find <= outcome.queries


def test_findings_are_the_attempts_deduplicated_and_carry_their_arm(planted, gold):
    # the planted words are beyond every template: only the searches find them
    outcome = run_bandit(CountingPlanted(planted), 800, judges=[gold], margin=3.5, keep=1000)
    assert outcome.findings and outcome.first_finding_queries is not None
    pulls = outcome.detail["pulls"]
    for finding in outcome.findings:
        pull = pulls[finding.detail["pull"]]
        arm = get_attack(pull["arm"])
        assert (finding.attack, finding.family) == (arm.name, arm.family) != ("bandit", "bandit")
        assert finding.seed == 0
    texts = [f.text for f in outcome.findings]
    assert len(set(texts)) == len(texts)
    assert sum(p["new_findings"] for p in pulls) == outcome.crossed
    assert {f.family for f in outcome.findings} <= {"black-box-search", "gradient"}


def test_a_later_pull_of_a_search_starts_from_its_best_so_far(planted, gold):
    outcome = run_bandit(
        CountingPlanted(planted),
        300,
        judges=[gold],
        margin=3.5,
        arms=["random-search", "repetition"],
        search_pull=40,
    )
    searches = [p for p in outcome.detail["pulls"] if p["arm"] == "random-search"]
    assert len(searches) >= 2
    assert searches[0]["starts"] == 0 and all(p["starts"] > 0 for p in searches[1:])


def test_a_white_box_arm_on_a_black_box_model_is_dropped_and_said_so():
    outcome = run_bandit(repetition_wins, 60)
    assert outcome.detail["dropped"] == {"gcg": "white-box, the model gives no gradients"}
    assert "gcg" not in outcome.detail["arms"]


# ------------------------------------------------------------------ allocation
@pytest.mark.parametrize("policy", ["thompson", "ucb"])
def test_an_arm_that_hits_gets_more_pulls_than_one_that_never_does(policy):
    outcome = run_bandit(
        repetition_wins,
        200,
        arms=["random-search", "repetition"],
        policy=policy,
        pull=10,
        search_pull=10,
    )
    arms = outcome.detail["arms"]
    assert arms["repetition"]["hits"] == arms["repetition"]["pulls"] >= 10
    assert arms["random-search"]["hits"] == 0
    assert arms["repetition"]["pulls"] > 3 * arms["random-search"]["pulls"]
    assert {(f.attack, f.family) for f in outcome.findings} == {("repetition", "repetition")}


def test_the_policy_numbers_that_chose_each_pull_are_recorded():
    outcome = run_bandit(repetition_wins, 100, arms=["null-answer", "repetition"], policy="ucb")
    first, second = outcome.detail["pulls"][:2]
    # UCB pulls every arm once first, in the given order
    assert (first["arm"], first["numbers"]) == ("null-answer", {"null-answer": {"ucb": None}})
    assert second["arm"] == "repetition"
    # null-answer's 14 constant answers fit in one pull: its list is done
    assert first["retired"] == "its list is done" and first["new_findings"] == 0
    third = outcome.detail["pulls"][2]
    assert set(third["numbers"]) == {"repetition"} and third["numbers"]["repetition"]["ucb"] > 0


def test_templates_are_retired_when_they_have_nothing_new_and_the_attempt_stops():
    outcome = run_bandit(
        repetition_wins, 5000, arms=["null-answer", "master-key", "empty-formatting"]
    )
    arms = outcome.detail["arms"]
    assert all(a["retired"] == "its list is done" for a in arms.values())
    assert outcome.queries < 100  # every arm retired long before the budget


def test_thompson_takes_a_template_that_hits_first():
    """The prior decides the first pulls; per query a template (30) beats a search (100)."""
    state = [ArmState("greedy-coordinate", "black-box-search", 100, True)]
    state.append(ArmState("repetition", "repetition", 30, False, pulls=2, hits=2))
    picks = [choose("thompson", state, random.Random(s))[0].name for s in range(50)]
    assert picks.count("repetition") > 45


# ------------------------------------------------------------------ determinism
def test_same_seed_same_allocation_and_findings(planted, gold):
    runs = [run_bandit(CountingPlanted(planted), 250, seed=7, judges=[gold], margin=3.5)]
    runs.append(run_bandit(CountingPlanted(planted), 250, seed=7, judges=[gold], margin=3.5))
    first, second = runs
    assert first.detail == second.detail
    assert [f.text for f in first.findings] == [f.text for f in second.findings]
    other = run_bandit(CountingPlanted(planted), 250, seed=8, judges=[gold], margin=3.5)
    assert other.detail["pulls"] != first.detail["pulls"]


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"arms": ["random-search", "greedy-coordinate"]}, "a bandit with one family"),
        ({"arms": ["repetition"]}, "a bandit with one family"),
        ({"arms": []}, "span no family"),
        ({"arms": ["repetition", "nope"]}, "arm 'nope'"),
        ({"arms": ["repetition", "repetition"]}, "name an attack twice"),
        ({"arms": ["repetition", "bandit"]}, "cannot be its own arm"),
        ({"arm_params": {"gcg": {"depth": 1}}}, "arm 'gcg': attack 'gcg' has no parameter"),
        ({"arm_params": {"beam": {}}}, "'beam', which is not an arm"),
        ({"arm_params": {"gcg": 3}}, "arm_params.gcg must be a table"),
        ({"policy": "greedy"}, "parameter 'policy' must be 'thompson' or 'ucb'"),
        ({"pull": 0}, "pull must be >= 1"),
        ({"search_pull": 0}, "search_pull must be >= 1"),
    ],
)
def test_bad_parameters_are_one_line_errors_at_construction(params, fragment):
    with pytest.raises(HarnessError, match=None) as caught:
        get_attack("bandit")(**params)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_arms_left_with_one_family_on_a_black_box_model_are_refused():
    bandit = get_attack("bandit")(arms=["gcg", "random-search", "greedy-coordinate"])
    scorer = Scorer(CallableRewardModel(repetition_wins))
    assert "one family ('black-box-search') once gcg is dropped" in bandit.access_problem(scorer)
    with pytest.raises(HarnessError, match="a bandit with one family"):
        bandit.run(scorer, PROMPT, REFERENCE, budget=50)
    assert scorer.stats.queries == 0


def test_the_default_arms_span_the_cheap_templates_and_the_searches():
    bandit = get_attack("bandit")()
    assert tuple(bandit.arms) == DEFAULT_ARMS
    assert {"repetition", "black-box-search", "gradient"} <= {
        a.family for a in bandit.arms.values()
    }
    assert repr(bandit).startswith("Bandit(") and "thompson" in repr(bandit)


def test_a_one_family_bandit_is_refused_by_the_cli(rmh, one_line_error, tmp_path):
    code, _, err = rmh(
        "attack",
        "demo",
        "--attack",
        "bandit",
        "--param",
        'arms=["random-search", "greedy-coordinate"]',
    )
    one_line_error(code, err, "a bandit with one family is that family's attack")


# ------------------------------------------------------------------ run log
def test_the_allocation_is_in_the_run_logs_attempt_line(checkpoints, tmp_path):
    suite = write_tiny_suite(tmp_path)
    suite.write_text(
        suite.read_text().split("[[attacks]]")[0]
        + '[[attacks]]\nname = "bandit"\nbudget = 60\n'
        + 'params = { arms = ["repetition", "null-answer", "random-search"], search_pull = 25 }\n'
    )
    start_run(
        [str(checkpoints["bert"])],
        resolve_suite(str(suite)),
        tmp_path / "run",
        progress="quiet",
        echo=lambda _: None,
    )
    log = read_log(tmp_path / "run" / "log.jsonl")
    attempts = [e for e in log.of_type(AttemptEntry) if e.attack == "bandit"]
    assert len(attempts) == 4
    for attempt in attempts:
        assert attempt.family == "bandit" and attempt.queries <= 60
        pulls = attempt.detail["pulls"]
        assert pulls and sum(p["queries"] for p in pulls) == attempt.queries - 1
        assert set(attempt.detail["arms"]) == {"repetition", "null-answer", "random-search"}
        assert attempt.detail["policy"] == "thompson" and attempt.detail["dropped"] == {}
    families = {f.family for f in log.of_type(FindingEntry)}
    assert "bandit" not in families


def test_a_bandit_left_with_one_family_on_a_served_model_is_one_line(rmh, one_line_error, tmp_path):
    """gcg cannot search a model behind HTTP: what is left is one family, refused up front."""
    from tests.harness.models.http.servers import fault_server

    server, faults = fault_server()
    with server:
        code, _, err = rmh(
            "attack",
            server.url,
            "--attack",
            "bandit",
            "--param",
            'arms=["gcg", "random-search", "greedy-coordinate"]',
            "--no-baseline",
        )
    one_line_error(
        code, err, f"attack 'bandit' cannot search {server.url}: its arms span one family"
    )
    assert not faults.seen  # refused before anything was scored


def test_a_suite_names_the_arms_and_their_parameters_in_one_table(tmp_path):
    write_tiny_suite(tmp_path)
    head = (tmp_path / "suite.toml").read_text().split("[[attacks]]")[0]
    good = head + (
        '[[attacks]]\nname = "bandit"\nbudget = 150\n'
        'params = { arms = ["repetition", "greedy-coordinate"], policy = "ucb", '
        "arm_params = { greedy-coordinate = { batch = 16 } } }\n"
    )
    (tmp_path / "good.toml").write_text(good)
    suite = resolve_suite(str(tmp_path / "good.toml"))
    bandit = get_attack("bandit")(**suite.config.attacks[0].params)
    assert bandit.arms["greedy-coordinate"].params.batch == 16
    (tmp_path / "bad.toml").write_text(good.replace('"repetition", ', ""))
    with pytest.raises(HarnessError, match=r"line \d+: attacks\[0\]\.params: .*one family"):
        resolve_suite(str(tmp_path / "bad.toml"))


def test_an_arm_that_names_a_checkpoint_of_its_own_is_refused():
    """A transfer's surrogate would be loaded unresolved and unchecked inside a pull."""
    with pytest.raises(HarnessError, match="arm 'transfer': it names a checkpoint of its own"):
        get_attack("bandit")(arms=["repetition", "transfer"])
