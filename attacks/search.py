"""Black-box search over words: the attacked RM is a score oracle, nothing more.

Each search builds a candidate of ``length`` words drawn from a vocabulary (the most
frequent English words from ``wordfreq``, plus the prompt's own words), either as the
whole response (``mode="response"``) or as a suffix appended to the reference
(``mode="suffix"``), and climbs the reward. The random starting candidates are
evaluated as *seeded*: a finding among them is chance, not search, and is counted apart.

- ``random-search``: mutate a few positions of the best candidate, keep improvements.
- ``greedy-coordinate``: coordinate ascent; at each position try a batch of words.
- ``beam``: keep the best ``width`` candidates, expand each by single-word mutations.
- ``genetic``: tournament selection, one-point crossover, mutation, elitism
  (in the spirit of Alzantot et al. 2018).

``greedy-coordinate`` and ``genetic`` take ``mutation = "lm"``: a span of words is then
resampled from a small language model instead of swapped for random words
(``attacks.lm_mutation``); the default, ``"word"``, is the word swap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from attacks.base import Attack, AttackContext
from attacks.lm_mutation import LMMutationFields, LMRewriter, load_rewriter
from attacks.registry import register
from attacks.templates import prompt_words
from harness.core.errors import HarnessError
from harness.core.words import common_words


@dataclass(frozen=True)
class SearchParams:
    mode: str = "response"  # "response" or "suffix"
    length: int = 8
    vocabulary: int = 3000
    batch: int = 32

    def __post_init__(self) -> None:
        check_mode(self.mode, "a word search")


def check_mode(mode: str, owner: str) -> None:
    """A search's ``mode``, refused in one line when the attack is built (not per attempt)."""
    if mode not in ("response", "suffix"):
        raise HarnessError(f"{owner}: mode must be 'response' or 'suffix', got {mode!r}")


class WordSearch(Attack):
    """Base for word-level black-box searches.

    Given starting texts (``ctx.starts``: library seeds, a bandit's earlier best), a
    search begins from them instead of random words: the ones its mode can rewrite word
    by word (any text as a whole response; as a suffix, a text that extends this prompt's
    reference), best first.
    """

    family = "black-box-search"
    Params = SearchParams
    seedable = True

    def vocabulary(self, ctx: AttackContext) -> list[str]:
        words = list(common_words(self.params.vocabulary))
        return words + prompt_words(ctx.prompt)

    def render(self, ctx: AttackContext, words: list[str]) -> str:
        soup = " ".join(words)
        return f"{ctx.reference} {soup}" if self.params.mode == "suffix" else soup

    def start(self, ctx: AttackContext, vocab: list[str], n: int) -> list[list[str]]:
        """The first ``n`` candidates: the given starts this mode can take, else random."""
        given = self.start_words(ctx)[:n]
        return given or self.random_words(ctx, vocab, n)

    def random_words(self, ctx: AttackContext, vocab: list[str], n: int) -> list[list[str]]:
        return [[ctx.rng.choice(vocab) for _ in range(self.params.length)] for _ in range(n)]

    def start_words(self, ctx: AttackContext) -> list[list[str]]:
        """``ctx.starts`` as this search's word lists (best first); a suffix search skips
        texts that do not extend the prompt's reference."""
        out = []
        for text in ctx.starts:
            if self.params.mode == "suffix":
                if not text.startswith(ctx.reference):
                    continue
                text = text[len(ctx.reference) :]
            words = text.split()
            if words:
                out.append(words)
        return out

    @staticmethod
    def mutate(
        rng: random.Random,
        words: list[str],
        vocab: list[str],
        k: int = 1,
        promising: list[str] | None = None,
    ) -> list[str]:
        """Replace ``k`` random positions; a third of the time with a word that helped before."""
        out = list(words)
        for position in rng.sample(range(len(out)), k=min(k, len(out))):
            pool = promising if promising and rng.random() < 1 / 3 else vocab
            out[position] = rng.choice(pool)
        return out

    def rewriter(self, ctx: AttackContext) -> LMRewriter:
        """The ``lm`` mutation's rewriter for this prompt (``params`` with LM fields)."""
        return load_rewriter(self.params, ctx.prompt, ctx.seed, lambda w: self.render(ctx, w))

    def prepare(self) -> None:
        if getattr(self.params, "mutation", "word") == "lm":
            load_rewriter(self.params, "", 0, " ".join)  # load the LM once, up front

    @staticmethod
    def learn(promising: list[str], parent: list[str], child: list[str]) -> None:
        """Remember the words that an improving move brought in."""
        for old, new in zip(parent, child, strict=True):
            if old != new and new not in promising:
                promising.append(new)


@register
class RandomSearch(WordSearch):
    """Random search: mutate 1-3 words of the best candidate, keep any improvement."""

    name = "random-search"
    citation = (
        "Andriushchenko et al. 2024, Jailbreaking Leading Safety-Aligned LLMs "
        "with Simple Adaptive Attacks"
    )

    def search(self, ctx: AttackContext) -> None:
        vocab = self.vocabulary(ctx)
        starts = self.start(ctx, vocab, self.params.batch)
        scores = ctx.evaluate([self.render(ctx, s) for s in starts], seeded=True)
        best_index = int(scores.argmax())
        best, best_score = starts[best_index], float(scores[best_index])
        promising: list[str] = []
        while not ctx.exhausted:
            proposals = [
                self.mutate(ctx.rng, best, vocab, k=ctx.rng.randint(1, 3), promising=promising)
                for _ in range(self.params.batch)
            ]
            scores = ctx.evaluate([self.render(ctx, p) for p in proposals])
            index = int(scores.argmax())
            if scores[index] > best_score:
                self.learn(promising, best, proposals[index])
                best, best_score = proposals[index], float(scores[index])


@dataclass(frozen=True)
class GreedyParams(LMMutationFields, SearchParams):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_mutation("attack 'greedy-coordinate'")


@register
class GreedyCoordinate(WordSearch):
    """Greedy coordinate ascent: for each position in turn, try a batch of words, keep the best.

    Words that raised the reward at one position are tried first at the others (half of
    each batch at most): reward models are close to additive over tokens, so a word
    that helps once tends to help again. With ``mutation = "lm"`` the batch at a position
    is instead ``batch`` LM rewrites of the ``span`` words from it.
    """

    name = "greedy-coordinate"
    Params = GreedyParams

    def search(self, ctx: AttackContext) -> None:
        vocab = self.vocabulary(ctx)
        starts = self.start(ctx, vocab, self.params.batch)
        scores = ctx.evaluate([self.render(ctx, s) for s in starts], seeded=True)
        best, best_score = starts[int(scores.argmax())], float(scores.max())
        rewriter = self.rewriter(ctx) if self.params.mutation == "lm" else None
        promising: list[str] = []
        position = idle = 0
        try:
            while not ctx.exhausted and idle < len(best):  # a sweep with nothing new: done
                spent = ctx.outcome.queries
                if rewriter is not None:
                    proposals = rewriter.rewrite(
                        [best] * self.params.batch, [position] * self.params.batch, self.params.span
                    )
                    words = [p[position] for p in proposals]
                else:
                    words, proposals = self.word_proposals(ctx, vocab, best, position, promising)
                scores = ctx.evaluate([self.render(ctx, p) for p in proposals])
                index = int(scores.argmax())
                if scores[index] > best_score:
                    best, best_score = proposals[index], float(scores[index])
                    if words[index] not in promising:
                        promising.insert(0, words[index])
                position = (position + 1) % len(best)
                idle = idle + 1 if ctx.outcome.queries == spent else 0
        finally:
            ctx.outcome.lm_tokens = rewriter.proposer.tokens if rewriter is not None else 0

    def word_proposals(
        self,
        ctx: AttackContext,
        vocab: list[str],
        best: list[str],
        position: int,
        promising: list[str],
    ) -> tuple[list[str], list[list[str]]]:
        """The word swap at ``position``: promising words first, then random ones."""
        reuse = [w for w in promising if w != best[position]][: self.params.batch // 2]
        fresh = ctx.rng.sample(vocab, k=min(self.params.batch - len(reuse), len(vocab)))
        words = reuse + fresh
        proposals = []
        for word in words:
            candidate = list(best)
            candidate[position] = word
            proposals.append(candidate)
        return words, proposals


@dataclass(frozen=True)
class BeamParams(SearchParams):
    width: int = 4


@register
class BeamSearch(WordSearch):
    """Beam search: expand each of the best ``width`` candidates by single-word mutations."""

    name = "beam"
    Params = BeamParams

    def search(self, ctx: AttackContext) -> None:
        vocab = self.vocabulary(ctx)
        pool = self.start(ctx, vocab, self.params.batch)
        scores = ctx.evaluate([self.render(ctx, s) for s in pool], seeded=True)
        beam = [
            (float(s), c) for s, c in sorted(zip(scores, pool, strict=True), key=lambda x: -x[0])
        ]
        beam = beam[: self.params.width]
        per_beam = max(1, self.params.batch // self.params.width)
        promising: list[str] = []
        while not ctx.exhausted:
            parents = [(score, words) for score, words in beam for _ in range(per_beam)]
            proposals = [self.mutate(ctx.rng, w, vocab, promising=promising) for _, w in parents]
            scores = ctx.evaluate([self.render(ctx, p) for p in proposals])
            for (parent_score, parent), child, score in zip(
                parents, proposals, scores, strict=True
            ):
                if score > parent_score:
                    self.learn(promising, parent, child)
            merged = beam + [(float(s), p) for s, p in zip(scores, proposals, strict=True)]
            unique: dict[str, tuple[float, list[str]]] = {}
            for score, words in merged:
                unique.setdefault(" ".join(words), (score, words))
            beam = sorted(unique.values(), key=lambda x: -x[0])[: self.params.width]


#: Generations in a row that score nothing new (every child cached) before a genetic
#: search stops: an LM at a low temperature can keep proposing what was already scored.
IDLE_GENERATIONS = 10


@dataclass(frozen=True)
class GeneticParams(LMMutationFields, SearchParams):
    population: int = 32
    mutation_rate: float = 0.15
    elite: int = 2

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_mutation("attack 'genetic'")


@register
class Genetic(WordSearch):
    """Genetic algorithm: tournament selection, one-point crossover, word mutation, elitism.

    With ``mutation = "lm"`` a child is mutated with the chance that any of its words
    would be (``1 - (1 - mutation_rate) ** length``), by an LM rewrite of ``span`` words
    from a random position.
    """

    name = "genetic"
    citation = "Alzantot et al. 2018, Generating Natural Language Adversarial Examples"
    Params = GeneticParams

    def search(self, ctx: AttackContext) -> None:
        p = self.params
        vocab = self.vocabulary(ctx)
        population = self.start(ctx, vocab, p.population)
        if len(population) < p.population:  # few starts: fill up with random members
            population += self.random_words(ctx, vocab, p.population - len(population))
        fitness = list(ctx.evaluate([self.render(ctx, s) for s in population], seeded=True))
        rng = ctx.rng
        rewriter = self.rewriter(ctx) if p.mutation == "lm" else None
        promising: list[str] = []
        idle = 0
        try:
            # ten generations in a row with nothing new to score (all cached): done
            while not ctx.exhausted and idle < IDLE_GENERATIONS:
                spent = ctx.outcome.queries
                ranked = sorted(range(len(population)), key=lambda i: -fitness[i])
                children = [population[i] for i in ranked[: p.elite]]
                child_fitness = [fitness[i] for i in ranked[: p.elite]]
                room = p.population - len(children)
                offspring = self.breed(rng, population, fitness, vocab, promising, rewriter, room)
                scores = ctx.evaluate([self.render(ctx, c) for c in offspring])
                parent_best = max(fitness)
                for child, score in zip(offspring, scores, strict=True):
                    if score > parent_best:
                        self.learn(promising, population[ranked[0]], child)
                population = children + offspring
                fitness = child_fitness + [float(s) for s in scores]
                idle = idle + 1 if ctx.outcome.queries == spent else 0
        finally:
            ctx.outcome.lm_tokens = rewriter.proposer.tokens if rewriter is not None else 0

    def breed(
        self,
        rng: random.Random,
        population: list[list[str]],
        fitness: list[float],
        vocab: list[str],
        promising: list[str],
        rewriter: LMRewriter | None,
        room: int,
    ) -> list[list[str]]:
        """``room`` new members: crossover of tournament winners, then word mutation (or,
        with a rewriter, LM rewrites of the children picked to mutate)."""
        p = self.params
        offspring: list[list[str]] = []
        picked: list[tuple[int, int]] = []  # (child, start of the span) for LM rewrites
        while len(offspring) < room:
            mother = _tournament(rng, population, fitness)
            father = _tournament(rng, population, fitness)
            cut = rng.randint(1, max(1, len(mother) - 1))
            child = mother[:cut] + father[cut:]
            if rewriter is None:
                child = [
                    self.mutate(rng, [w], vocab, promising=promising)[0]
                    if rng.random() < p.mutation_rate
                    else w
                    for w in child
                ]
            elif rng.random() < 1 - (1 - p.mutation_rate) ** len(child):
                picked.append((len(offspring), rng.randrange(len(child))))
            offspring.append(child)
        if rewriter is not None and picked:
            rewritten = rewriter.rewrite(
                [offspring[i] for i, _ in picked], [s for _, s in picked], p.span
            )
            for (i, _), child in zip(picked, rewritten, strict=True):
                offspring[i] = child
        return offspring


def _tournament(rng: random.Random, population: list[list[str]], fitness: list[float]) -> list[str]:
    """Binary tournament: the fitter of two random members."""
    a, b = rng.sample(range(len(population)), 2)
    return population[a] if fitness[a] >= fitness[b] else population[b]
