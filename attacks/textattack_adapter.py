"""TextAttack recipes driven through our scorer (the ``textattack`` extra, imported lazily).

TextAttack splits an attack into a goal function, constraints, a transformation and a
search method; only the goal function touches the model. Here:

- ``MaximizeReward`` is the goal function: the score is the reward; the goal is complete
  when the perturbed text outscores the reference by the margin (or, with
  ``maximizable=True``, the search keeps climbing until the budget ends);
- ``ScorerModelWrapper`` is the model: every query goes through our scorer, so dynamic
  padding, the cache, the budget and the finding decisions are ours, not TextAttack's;
- three recipes perturb the reference with transformations that work offline
  (character deletion, neighbour swap, QWERTY typos, and swaps with common words):
  greedy word swap by importance (``textattack-greedy-wir``), beam search
  (``textattack-beam``) and the genetic algorithm of Alzantot et al. 2018
  (``textattack-alzantot``).

Offline: ``import textattack`` needs NLTK's stopwords at import and tries to download
six NLTK corpora on its first import. ``prepare_offline`` writes a stopword list
(scikit-learn's, which the extra already installs) under our cache and the marker file
that tells TextAttack its post-install step is done, so the import makes no network
attempt (tested in a network namespace with no route).
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from attacks.base import Attack, AttackContext
from attacks.registry import register
from harness.core.errors import BudgetExhausted, HarnessError
from harness.core.paths import cache_root

POST_INSTALL_MARKER = "post_install_check_3"


def textattack_cache_dir() -> Path:
    return Path(os.environ.get("TA_CACHE_DIR", Path.home() / ".cache" / "textattack"))


def prepare_offline() -> Path:
    """Make ``import textattack`` work without a network; returns the NLTK data folder."""
    nltk_dir = cache_root() / "nltk_data"
    stopwords = nltk_dir / "corpora" / "stopwords" / "english"
    if not stopwords.is_file():
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        stopwords.parent.mkdir(parents=True, exist_ok=True)
        stopwords.write_text("\n".join(sorted(ENGLISH_STOP_WORDS)) + "\n")
    try:
        import nltk

        if str(nltk_dir) not in nltk.data.path:
            nltk.data.path.insert(0, str(nltk_dir))
    except ImportError:
        pass
    marker = textattack_cache_dir() / POST_INSTALL_MARKER
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch(exist_ok=True)
    return nltk_dir


def import_textattack() -> Any:
    prepare_offline()
    try:
        import textattack

        logging.getLogger("textattack.shared.utils.install").setLevel(logging.ERROR)
    except ImportError as exc:
        raise HarnessError(
            f"TextAttack recipes need the textattack extra: pip install 'rm-harness[textattack]' "
            f"({exc})"
        ) from None
    return textattack


def build_recipe(
    kind: str,
    ctx: AttackContext | None,
    params: TextAttackParams,
    *,
    model_wrapper: Any = None,
    threshold: float | None = None,
    budget: int | None = None,
    seed: int = 0,
    frozen_columns: tuple[list[str], set[str]] | None = None,
) -> Any:
    """A TextAttack ``Attack`` whose goal function queries ``ctx`` (our scorer).

    ``model_wrapper``/``threshold``/``budget`` replace the scorer-backed defaults (the
    benchmark runs the same recipe through TextAttack's stock wrapper);
    ``frozen_columns`` = (column labels, columns not to modify), e.g. the prompt.
    """
    import_textattack()
    from textattack import Attack as TAAttack
    from textattack.constraints.pre_transformation import (
        RepeatModification,
        StopwordModification,
    )
    from textattack.goal_function_results import TextToTextGoalFunctionResult
    from textattack.goal_functions import GoalFunction
    from textattack.models.wrappers import ModelWrapper
    from textattack.search_methods import AlzantotGeneticAlgorithm, BeamSearch, GreedyWordSwapWIR
    from textattack.transformations import (
        CompositeTransformation,
        WordSwap,
        WordSwapNeighboringCharacterSwap,
        WordSwapQWERTY,
        WordSwapRandomCharacterDeletion,
    )

    from harness.core.words import common_words

    class ScorerModelWrapper(ModelWrapper):
        """TextAttack model over our scorer: returns rewards for the fixed prompt."""

        def __init__(self, context: AttackContext) -> None:
            self.context = context
            self.model = context.scorer  # TextAttack only names its class in messages

        def __call__(self, text_input_list: list[str], **kwargs: Any) -> np.ndarray:
            return np.asarray(self.context.evaluate(list(text_input_list)), dtype=np.float64)

    class MaximizeReward(GoalFunction):
        """Score = reward; complete when it beats the reference by the margin."""

        def __init__(self, model_wrapper: Any, threshold: float, **kwargs: Any) -> None:
            super().__init__(model_wrapper, **kwargs)
            self.threshold = threshold

        def _is_goal_complete(self, model_output: Any, attacked_text: Any) -> bool:
            return float(model_output) > self.threshold

        def _get_score(self, model_output: Any, attacked_text: Any) -> float:
            return float(model_output)

        def _goal_function_result_type(self) -> type:
            return TextToTextGoalFunctionResult

        def _process_model_outputs(self, inputs: Any, outputs: Any) -> Any:
            return outputs

    class WordSwapVocabulary(WordSwap):
        """Swap a word for ``n`` common English words (an offline word transformation)."""

        def __init__(self, n: int, seed: int) -> None:
            super().__init__()
            self.n = n
            self.seed = seed
            self.words = list(common_words(3000))

        def _get_replacement_words(self, word: str) -> list[str]:
            rng = random.Random(f"{self.seed}:{word}")
            return rng.sample(self.words, self.n)

    if ctx is not None:
        model_wrapper = model_wrapper or ScorerModelWrapper(ctx)
        threshold = ctx.reference_score + ctx.margin if threshold is None else threshold
        budget = max(ctx.remaining, 1) if budget is None else budget
        seed = ctx.seed
    if model_wrapper is None or threshold is None:
        raise ValueError("build_recipe needs a context, or a model wrapper and a threshold")
    goal = MaximizeReward(
        model_wrapper,
        threshold=threshold,
        maximizable=params.maximizable,
        query_budget=budget or float("inf"),
        model_batch_size=params.batch,
    )
    word_swap = WordSwapVocabulary(params.swaps, seed)
    transformation = CompositeTransformation(
        [
            WordSwapRandomCharacterDeletion(),
            WordSwapNeighboringCharacterSwap(),
            WordSwapQWERTY(),
            word_swap,
        ]
    )
    constraints = [RepeatModification(), StopwordModification(stopwords=set())]
    if frozen_columns is not None:
        from textattack.constraints.pre_transformation import InputColumnModification

        constraints.append(InputColumnModification(*frozen_columns))
    if kind == "greedy-wir":
        search = GreedyWordSwapWIR(wir_method="delete")
    elif kind == "beam":
        search = BeamSearch(beam_width=params.beam_width)
    elif kind == "alzantot":
        transformation = word_swap
        search = AlzantotGeneticAlgorithm(
            pop_size=params.population, max_iters=params.iterations, post_crossover_check=False
        )
    else:
        raise ValueError(f"unknown TextAttack recipe {kind!r}")
    return TAAttack(goal, constraints, transformation, search)


@contextmanager
def global_rngs_seeded(seed: int) -> Iterator[None]:
    """Seed ``random`` and ``numpy.random`` for the block, then put their states back.

    TextAttack's search methods draw from the global generators; seeding them makes a
    recipe repeat itself, and restoring them keeps the caller's streams untouched.
    """
    python_state, numpy_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % (2**32))
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


@dataclass(frozen=True)
class TextAttackParams:
    maximizable: bool = False
    batch: int = 32
    swaps: int = 8
    beam_width: int = 4
    population: int = 20
    iterations: int = 10


class TextAttackRecipe(Attack):
    """Base: run a TextAttack recipe on the reference through our scorer."""

    family = "textattack"
    requires = ("textattack",)
    extra = "textattack"
    recipe = ""
    Params = TextAttackParams

    def search(self, ctx: AttackContext) -> None:
        import_textattack()
        from textattack.shared import AttackedText

        attack = build_recipe(self.recipe, ctx, self.params)
        with global_rngs_seeded(ctx.seed):
            try:
                attack.attack(AttackedText(ctx.reference), ctx.reference)
            except BudgetExhausted:
                return


@register
class TextAttackGreedyWIR(TextAttackRecipe):
    """TextAttack greedy word swap by word importance (deletion), through our scorer."""

    name = "textattack-greedy-wir"
    recipe = "greedy-wir"
    citation = "Morris et al. 2020, TextAttack; Gao et al. 2018, DeepWordBug (WIR search)"


@register
class TextAttackBeam(TextAttackRecipe):
    """TextAttack beam search over character and word swaps, through our scorer."""

    name = "textattack-beam"
    recipe = "beam"
    citation = "Morris et al. 2020, TextAttack: A Framework for Adversarial Attacks"


@register
class TextAttackAlzantot(TextAttackRecipe):
    """TextAttack's Alzantot genetic algorithm over word swaps, through our scorer."""

    name = "textattack-alzantot"
    recipe = "alzantot"
    citation = "Alzantot et al. 2018, Generating Natural Language Adversarial Examples"
