"""The signature of a finding (the trick it plays on its reference) and a distance between two.

A finding is a candidate text that beat a prompt's reference response. What makes it a
*trick* is what it adds to or changes in that reference: the same suffix appended to the
answers of twenty prompts is one trick, a word soup and a repeated word are two. So the
signature is built from the candidate's edits, not from its whole text:

1. **Normal form** (``normal_form``): NFKC, casefold, every whitespace run becomes one
   space (or one newline if it held a line break: the shape of empty markdown is part of
   a formatting trick), ends stripped. Zero-width, bidi and homoglyph characters are *not*
   whitespace and survive: a unicode trick *is* those characters.
2. **Edits** (``edits``): a word-level ``difflib.SequenceMatcher`` (autojunk off, so a
   repeated word is not treated as noise) between reference and candidate. Inserted word
   runs are taken whole. Replaced words are refined to character level when most of the
   old word survives in the new one (zero-width characters glued to a word, homoglyphs,
   a typo), so that only the injected characters count; word for word when as many
   words replace as are replaced, as one span when both sides are short
   (``REFINE_CHARS``: a character diff is quadratic). Otherwise the new words are the
   edit. When less than ``KEEP_SHARE`` of the reference's characters survive, the
   candidate is a replacement answer and its whole text is the edit (a soup that
   happens to share "the" with the reference must not be cut into pieces around it, or
   its near-duplicates would be cut differently). A candidate that only deletes is
   signed by what it deleted (marked ``-``); one equal to its reference in normal form
   gets a fixed ``=`` signature. Empty and whitespace-only texts normalize to ``""`` and
   share the one signature of the empty answer.
3. **Shingles**: each edit, framed by start/end markers, cut into character ``N``-grams
   (an edit shorter than that is one shingle). Characters rather than words, so one-word
   edits and inflections move a signature a little, not all the way; and the set, not
   the multiset, so a word repeated 3 or 32 times has the same signature.

``N = 4``, measured on soups of 8 of the 3,000 commonest words (the searches' default):
one-word edits are at distance 0.27 on average (max 0.41), two-word edits at 0.46, two
unrelated soups at 0.99 (min 0.85). 3-grams pull near-duplicates a little closer (0.23)
but raise the background between unrelated texts (mean 0.97, min 0.83: common trigrams
such as "the", "ing"), which feeds candidate search and chaining; 5-grams push one-word
edits to 0.30 (max 0.46) and short soups past the threshold.

**Distance** is ``1 - Jaccard`` of the two shingle sets, computed exactly. MinHash is only
used to *find* candidate neighbours: ``NUM_PERM`` deterministic hash functions
(multiply-shift over a BLAKE2b hash of the shingle; no per-process salt, so the same text
has the same bands in every process and every store), split into ``BANDS`` bands of
``ROWS``. Two signatures are candidates when one band is equal: the chance for a pair at
Jaccard ``s`` is ``1 - (1 - s**ROWS)**BANDS``: 0.998 at s = 0.5, 0.99 at 0.45 (the
clustering threshold), 0.96 at 0.4, 0.05 at 0.1. Candidacy is a property of the pair
alone, so everything built on it is independent of the order signatures arrive in.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

import numpy as np

VERSION = 1  # bump when the normal form, the edits or the shingles change
N = 4
REFINE_SHARE = 0.5
REFINE_CHARS = 200  # longer replaced runs are not refined: a character diff is quadratic
KEEP_SHARE = 0.5
ROWS = 3
BANDS = 48
NUM_PERM = ROWS * BANDS
START, END = "\x02", "\x03"
SAME = "=" + START + END  # the candidate equals its reference in normal form
DELETED = "-"  # prefix of the shingles of a deletion-only edit

PARAMETERS = f"signature v{VERSION}, {N}-grams, MinHash {BANDS} bands x {ROWS} rows"
"""What a stored signature was made with: a store made with other parameters re-signs."""

_WORD = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")


def normal_form(text: str) -> str:
    """NFKC, casefolded, whitespace runs folded to one space or one newline, ends stripped."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(lambda m: "\n" if "\n" in m.group() else " ", text).strip()


def _spans(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    matches = list(_WORD.finditer(text))
    return [m.group() for m in matches], [m.span() for m in matches]


def _refine(old: str, new: str, added: list[str], removed: list[str]) -> int | None:
    """Character-level edits of ``old`` into ``new`` if most of ``old`` survives, else None.

    Appends the inserted and deleted characters; returns how many characters of ``old``
    (whitespace aside) survived.
    """
    chars = SequenceMatcher(None, old, new, autojunk=False)
    if sum(block.size for block in chars.get_matching_blocks()) < REFINE_SHARE * len(old):
        return None
    kept = 0
    for op, a1, a2, b1, b2 in chars.get_opcodes():
        if op == "equal":
            kept += len("".join(old[a1:a2].split()))
        if op in ("insert", "replace"):
            added.append(new[b1:b2])
        if op in ("delete", "replace"):
            removed.append(old[a1:a2])
    return kept


def edits(reference: str, text: str) -> tuple[tuple[str, ...], bool]:
    """The candidate's added or changed pieces, in normal form; and whether they are deletions.

    Returns ``(pieces, deleted)``: ``deleted`` is true when the candidate adds nothing and
    the pieces are what it removed. ``((), False)`` means equal to the reference.
    """
    ref, cand = normal_form(reference), normal_form(text)
    ref_words, ref_spans = _spans(ref)
    cand_words, cand_spans = _spans(cand)
    ref_chars = sum(len(w) for w in ref_words)
    added: list[str] = []
    removed: list[str] = []
    kept = 0

    def span(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> str:
        return text[spans[lo][0] : spans[hi - 1][1]] if hi > lo else ""

    matcher = SequenceMatcher(None, ref_words, cand_words, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            kept += sum(len(w) for w in ref_words[i1:i2])
            continue
        old, new = span(ref, ref_spans, i1, i2), span(cand, cand_spans, j1, j2)
        if op == "replace" and i2 - i1 == j2 - j1:
            # Word for word: refine each pair, keep runs of unrefined new words together.
            run = j1
            for offset in range(i2 - i1):
                i, j = i1 + offset, j1 + offset
                gained = _refine(ref_words[i], cand_words[j], added, removed)
                if gained is None:
                    removed.append(ref_words[i])
                    continue
                kept += gained
                added.append(span(cand, cand_spans, run, j))
                run = j + 1
            added.append(span(cand, cand_spans, run, j2))
            continue
        if op == "replace" and max(len(old), len(new)) <= REFINE_CHARS:
            gained = _refine(old, new, added, removed)
            if gained is not None:
                kept += gained
                continue
        added.append(new)
        removed.append(old)
    if ref_chars == 0 or kept < KEEP_SHARE * ref_chars:
        return (cand,), False  # a replacement answer: the whole text is the trick
    added = [piece for piece in (p.strip() for p in added) if piece]
    if added:
        return tuple(added), False
    removed = [piece for piece in (p.strip() for p in removed) if piece]
    return tuple(removed), bool(removed)


def shingles_of(pieces: tuple[str, ...], *, deleted: bool = False) -> tuple[str, ...]:
    """Sorted, distinct character ``N``-grams of the framed pieces (see the module docstring)."""
    if not pieces:
        return (SAME,)
    prefix = DELETED if deleted else ""
    grams: set[str] = set()
    for piece in pieces:
        framed = START + piece + END
        if len(framed) <= N:
            grams.add(prefix + framed)
        else:
            grams.update(prefix + framed[i : i + N] for i in range(len(framed) - N + 1))
    return tuple(sorted(grams))


@dataclass(frozen=True)
class Signature:
    """A finding's trick: the sorted distinct shingles of its edits to its reference."""

    shingles: tuple[str, ...]
    digest: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        raw = "\x00".join(self.shingles).encode("utf-8", "surrogatepass")
        object.__setattr__(self, "digest", hashlib.sha256(raw).hexdigest()[:32])

    @property
    def bands(self) -> tuple[int, ...]:
        """The ``BANDS`` LSH band keys (uint64 values) of this signature."""
        return tuple(int(k) for k in band_keys([self.shingles])[0])


def signature(reference: str, text: str) -> Signature:
    """The signature of ``text`` as an attack on ``reference``; never fails, even on ``""``."""
    pieces, deleted = edits(reference, text)
    return Signature(shingles_of(pieces, deleted=deleted))


def jaccard(a: tuple[str, ...] | frozenset[str], b: tuple[str, ...] | frozenset[str]) -> float:
    """Exact Jaccard similarity of two sets of distinct shingles (tuples hold no repeats)."""
    if not a and not b:
        return 1.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    large_set = large if isinstance(large, frozenset) else frozenset(large)
    common = sum(1 for s in small if s in large_set)
    return common / (len(a) + len(b) - common)


def distance(a: Signature, b: Signature) -> float:
    """``1 - Jaccard`` of the shingle sets: 0 for the same trick spelled alike, 1 for disjoint."""
    return 1.0 - jaccard(a.shingles, b.shingles)


# --------------------------------------------------------------------------- MinHash
_RNG = np.random.Generator(np.random.PCG64(20240611))
_MUL = _RNG.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_ADD = _RNG.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
_BAND_MUL = _RNG.integers(1, 2**63, size=(ROWS, BANDS), dtype=np.uint64) * np.uint64(2) + 1
_BAND_SALT = _RNG.integers(0, 2**63, size=BANDS, dtype=np.uint64)
_CHUNK = 1 << 14  # shingles per numpy block: (CHUNK, NUM_PERM) uint64 is 24 MiB


@lru_cache(maxsize=1 << 18)
def _shingle_hash(shingle: str) -> int:
    raw = shingle.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(raw, digest_size=4).digest(), "little")


def band_keys(shingle_sets: list[tuple[str, ...]]) -> np.ndarray:
    """``(len(shingle_sets), BANDS)`` uint64 LSH band keys, computed in vectorised blocks.

    Each row is the MinHash (``NUM_PERM`` multiply-shift hashes, minimum over the
    shingles) folded band by band into one 64-bit key. An empty set gets all-max keys.
    """
    count = len(shingle_sets)
    lengths = np.fromiter((len(s) for s in shingle_sets), dtype=np.int64, count=count)
    flat = np.fromiter(
        (_shingle_hash(s) for shingles in shingle_sets for s in shingles),
        dtype=np.uint64,
        count=int(lengths.sum()),
    )
    mins = np.full((count, NUM_PERM), np.iinfo(np.uint64).max, dtype=np.uint64)
    starts = np.concatenate(([0], np.cumsum(lengths)))
    row = 0
    while row < count:
        # Take whole signatures until the block holds about _CHUNK shingles.
        end = int(np.searchsorted(starts, starts[row] + _CHUNK, side="right")) - 1
        end = min(max(end, row + 1), count)
        block = flat[starts[row] : starts[end]]
        rows = np.arange(row, end)
        nonempty = rows[lengths[row:end] > 0]
        if block.size:
            with np.errstate(over="ignore"):
                hashed = (block[:, None] * _MUL[None, :] + _ADD[None, :]) >> np.uint64(32)
            offsets = (starts[nonempty] - starts[row]).astype(np.int64)
            mins[nonempty] = np.minimum.reduceat(hashed, offsets, axis=0)
        row = end
    folded = mins.reshape(count, BANDS, ROWS).transpose(0, 2, 1)  # (count, ROWS, BANDS)
    with np.errstate(over="ignore"):
        keys = (folded * _BAND_MUL[None, :, :]).sum(axis=1, dtype=np.uint64) ^ _BAND_SALT
    return keys
