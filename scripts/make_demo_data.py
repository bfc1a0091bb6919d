"""Generate the demo preference data: joke requests, real jokes vs. plausible worse answers.

    python scripts/make_demo_data.py          # rewrites harness/demo/data/*.jsonl

chosen: a real joke from ``pyjokes`` on the asked topic.
rejected: a plausible but worse answer, of seven kinds (the ``kind`` field):

- fact: a flat factual statement on the topic;
- refusal: a polite refusal;
- off_topic: a sensible answer to some other question;
- cut_punchline: the same joke with its punchline cut off;
- swapped_punchline: the joke's setup with another joke's punchline;
- explanation: an explanation of what a joke on the topic would do, instead of a joke;
- wrong_topic: a real joke, but on another topic;
- mangled: the joke with about a third of its words swapped for words of other jokes
  (a garbled attempt: grammatical-looking, quirky, and no longer funny);
- spliced: the first half of the joke run into the second half of another.

fact, refusal, off_topic and explanation are easy negatives, so each joke gets one of
them (drawn at random); the five hard kinds it gets all.

No degenerate text (repetition, word soup, junk characters) is included on purpose: real
reward models are trained on comparisons of plausible answers, and that is what leaves
them open to nonsense.

The data comes in three parts that share no joke and no prompt, because each has a
reader that must not have seen the others:

- ``jokes_train.jsonl``: the demo reward model's training data (the attacked proxy);
- ``jokes_gold.jsonl``: the clean pairs of the demo's gold reward model (the independent
  judge), so that the judge has not learnt the proxy's jokes or prompts;
- ``jokes_heldout.jsonl``: neither model trains on it: the demo's held-out accuracy,
  the suites' attacked prompts and the whack-a-mole experiment's attack and evaluation
  prompts come from here.

The jokes are dealt to the parts (``PARTS``, after a seeded shuffle), and so are the
prompts: each topic's request phrasings (``PROMPTS``) are shuffled and dealt in equal
shares, so a prompt (topic and phrasing) belongs to one part. A pair's prompt is drawn
from its own part's phrasings for its topic, and everything a rejected answer borrows
from other jokes (a punchline, a half, a wrong-topic joke, the words of a mangled joke)
comes from its own part's jokes. What the parts share is the flat answers (facts,
refusals, off-topic replies and explanations: a kind of wrong answer, not a joke).
Deterministic: the same pyjokes version gives the same files.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from pathlib import Path

import pyjokes

OUT = Path(__file__).resolve().parent.parent / "harness" / "demo" / "data"
SEED = 20261129
#: The parts in dealing order, each with its share of the jokes (None: the rest) and its
#: file. Held-out first, so that it keeps the jokes it always had.
PARTS: tuple[tuple[str, float | None, str], ...] = (
    ("heldout", 0.15, "jokes_heldout.jsonl"),
    ("gold", 0.15, "jokes_gold.jsonl"),
    ("train", None, "jokes_train.jsonl"),
)

TOPIC_RULES: list[tuple[str, str]] = [
    ("Chuck Norris", r"chuck norris"),
    ("databases", r"\bsql\b|database|\borm|tables?\b|nosql|query"),
    ("JavaScript", r"javascript|\bjs\b|node"),
    ("Java", r"\bjava\b"),
    ("Python", r"python"),
    ("C and C++", r"\bc\+\+|\bc\b|\bc#"),
    ("Windows", r"windows|microsoft|\.net|\bbing\b"),
    ("Linux", r"linux|unix|ubuntu|debian|\bvim?\b|emacs|bash"),
    ("bits and bytes", r"\bbytes?\b|\bbits?\b|binary|octal|hex|unicode|ascii"),
    ("debugging", r"\bbugs?\b|debug"),
    ("computers", r"computer|hardware|keyboard|mouse|printer|cpu|\bram\b|disk"),
    ("programmers", r"programmer|developer|engineer|coder"),
]
DEFAULT_TOPIC = "programming"

PROMPTS = [
    "Tell me a joke about {topic}.",
    "Do you know any good jokes about {topic}?",
    "I need something funny about {topic} for a team meeting.",
    "Make me laugh with a joke about {topic}, please.",
    "What's your best {topic} joke?",
    "Can you share a one-liner about {topic}?",
    "My friend loves {topic}. Got a joke I can tell her?",
    "Cheer me up with a {topic} joke.",
    "Got any jokes about {topic}?",
    "Tell me something funny about {topic}.",
    "I could use a laugh. Do you have a joke about {topic}?",
    "Share your favourite joke about {topic}.",
    "Give me a short joke about {topic}.",
    "What's a good joke about {topic} for a presentation?",
    "Say something funny about {topic}.",
    "Do you have a {topic} joke that would make my coworkers laugh?",
    "I'm writing a newsletter. Can you add a joke about {topic}?",
    "Entertain me with a joke on {topic}.",
    "Know any funny one-liners about {topic}?",
    "We need an icebreaker: a quick joke about {topic}, please.",
    "What's the funniest joke you know about {topic}?",
    "Could you tell me a {topic} joke?",
    "Write me a joke about {topic}.",
    "A joke about {topic}, please!",
]

FACTS = {
    "Chuck Norris": [
        "Chuck Norris is an American martial artist and actor, known for the series Walker, Texas Ranger.",
        "Chuck Norris was born in 1940 in Oklahoma and holds black belts in several martial arts.",
        "Chuck Norris founded the martial art Chun Kuk Do in 1990.",
    ],
    "databases": [
        "A relational database stores data in tables made of rows and columns.",
        "SQL is the standard language for querying and updating relational databases.",
        "Database indexes speed up lookups at the cost of extra storage and slower writes.",
    ],
    "JavaScript": [
        "JavaScript is a programming language that runs in every major web browser.",
        "JavaScript was created in 1995 by Brendan Eich at Netscape.",
        "Node.js lets JavaScript run on servers as well as in browsers.",
    ],
    "Java": [
        "Java is a general-purpose programming language first released by Sun Microsystems in 1995.",
        "Java programs are compiled to bytecode that runs on the Java Virtual Machine.",
        "Java is widely used for enterprise software and Android applications.",
    ],
    "Python": [
        "Python is a high-level programming language created by Guido van Rossum.",
        "Python uses indentation to mark blocks of code instead of braces.",
        "Python 3 was released in 2008 and is not fully compatible with Python 2.",
    ],
    "C and C++": [
        "C was developed at Bell Labs in the early 1970s by Dennis Ritchie.",
        "C++ extends C with classes, templates and other features for larger programs.",
        "C and C++ give programmers direct control over memory allocation.",
    ],
    "Windows": [
        "Windows is an operating system developed by Microsoft, first released in 1985.",
        "Most desktop computers sold today come with Windows preinstalled.",
        "Microsoft releases security updates for Windows on the second Tuesday of each month.",
    ],
    "Linux": [
        "Linux is an open-source operating system kernel first released by Linus Torvalds in 1991.",
        "Ubuntu and Debian are two popular Linux distributions.",
        "Most of the world's web servers run on Linux.",
    ],
    "bits and bytes": [
        "A byte is made of eight bits, and each bit is either zero or one.",
        "Unicode assigns a number to every character in most of the world's writing systems.",
        "Octal is base eight and hexadecimal is base sixteen.",
    ],
    "debugging": [
        "Debugging is the process of finding and fixing errors in software.",
        "A debugger lets a programmer pause a program and inspect its variables.",
        "Many bugs are found by writing automated tests that check expected behaviour.",
    ],
    "computers": [
        "A computer's processor executes instructions stored in memory.",
        "Solid-state drives store data in flash memory and have no moving parts.",
        "The first electronic general-purpose computer, ENIAC, was completed in 1945.",
    ],
    "programmers": [
        "Programmers write, test and maintain the source code of software.",
        "Many programmers use version control systems such as Git to track changes.",
        "Software developers often work in teams and review each other's code.",
    ],
    "programming": [
        "Programming is the process of writing instructions that a computer can execute.",
        "There are hundreds of programming languages, each designed for different tasks.",
        "Good programs are usually broken into small functions that each do one thing.",
    ],
}

REFUSALS = [
    "I'm sorry, but I can't help with that request.",
    "I'd rather not tell jokes right now. Is there something else I can help you with?",
    "Sorry, I don't have any jokes about {topic}.",
    "I'm not able to make up jokes, but I can answer questions about {topic}.",
    "Humour is subjective, so I prefer not to share jokes.",
]

OFF_TOPIC = [
    "To make a simple tomato sauce, simmer crushed tomatoes with garlic and olive oil for twenty minutes.",
    "The best time to visit Japan is spring, when the cherry blossoms are in bloom.",
    "To keep houseplants healthy, water them when the top inch of soil feels dry.",
    "A good night's sleep for most adults is between seven and nine hours.",
    "You can improve your running pace by adding one interval session to your week.",
    "The capital of Australia is Canberra, not Sydney.",
    "To remove a coffee stain, blot it with cold water and a little dish soap.",
    "Tomorrow should be mostly sunny, with a light breeze in the afternoon.",
]

EXPLANATIONS = [
    "A joke about {topic} usually works by taking a technical idea literally and putting it in an everyday situation.",
    "Jokes about {topic} often rely on puns on technical words that also have ordinary meanings.",
    "Humour about {topic} tends to exaggerate the habits of the people who work with it.",
    "A good {topic} joke sets up an expectation in the first line and breaks it in the punchline.",
    "Most jokes about {topic} are in-jokes: they are funny if you know the jargon.",
]


def topic_of(joke: str) -> str:
    low = joke.lower()
    for topic, pattern in TOPIC_RULES:
        if re.search(pattern, low):
            return topic
    return DEFAULT_TOPIC


def split_setup(joke: str) -> tuple[str, str] | None:
    """(setup, punchline) for jokes with a question, a colon or several sentences."""
    match = re.match(r"^(.*?\?)\s+(.+)$", joke)
    if match:
        return match.group(1), match.group(2)
    sentences = re.split(r"(?<=[.!])\s+", joke)
    if len(sentences) >= 2:
        return " ".join(sentences[:-1]), sentences[-1]
    if "," in joke:
        at = joke.rfind(",")
        return joke[: at + 1], joke[at + 1 :].strip()
    return None


def cut_punchline(joke: str) -> str:
    parts = split_setup(joke)
    if parts:
        return parts[0]
    words = joke.split()
    return " ".join(words[: max(3, len(words) // 2)]) + "..."


def mangle(joke: str, vocabulary: list[str], rng: random.Random, share: float = 0.35) -> str:
    words = joke.split()
    slots = [i for i, w in enumerate(words) if w.strip(".,!?'\"").isalpha()]
    for i in rng.sample(slots, k=max(1, round(len(slots) * share))) if slots else []:
        tail = words[i][len(words[i].rstrip(".,!?'\"")) :]
        words[i] = rng.choice(vocabulary) + tail
    return " ".join(words)


def splice(joke: str, other: str) -> str:
    a, b = joke.split(), other.split()
    return " ".join(a[: max(2, len(a) // 2)] + b[len(b) // 2 :])


def deal_jokes(jokes: list[str]) -> dict[str, list[str]]:
    """The shuffled jokes dealt to the parts in ``PARTS`` order, by share (None: the rest)."""
    dealt: dict[str, list[str]] = {}
    start = 0
    for part, share, _file in PARTS:
        stop = len(jokes) if share is None else start + round(len(jokes) * share)
        dealt[part] = jokes[start:stop]
        start = stop
    return dealt


def deal_prompts(rng: random.Random) -> dict[str, dict[str, list[str]]]:
    """Per part, per topic, the request phrasings it may use: each topic's ``PROMPTS``
    shuffled and dealt in equal shares, so that no prompt belongs to two parts."""
    topics = [topic for topic, _ in TOPIC_RULES] + [DEFAULT_TOPIC]
    share = len(PROMPTS) // len(PARTS)
    dealt: dict[str, dict[str, list[str]]] = {part: {} for part, _, _ in PARTS}
    for topic in topics:
        phrasings = list(PROMPTS)
        rng.shuffle(phrasings)
        for index, (part, _, _) in enumerate(PARTS):
            chosen = phrasings[index * share : (index + 1) * share]
            dealt[part][topic] = [p.format(topic=topic) for p in chosen]
    return dealt


def part_pairs(jokes: list[str], prompts: dict[str, list[str]], rng: random.Random) -> list[dict]:
    """The pairs of one part: every rejected answer borrows only from this part's jokes."""
    by_topic: dict[str, list[str]] = defaultdict(list)
    for joke in jokes:
        by_topic[topic_of(joke)].append(joke)
    splittable = [j for j in jokes if split_setup(j)]
    easy = ["fact", "refusal", "off_topic", "explanation"]
    hard = ["cut_punchline", "swapped_punchline", "wrong_topic", "mangled", "spliced"]
    vocabulary = sorted({w.strip(".,!?'\"").lower() for j in jokes for w in j.split()} - {""})
    vocabulary = [w for w in vocabulary if w.isalpha()]
    rows = []
    for joke in jokes:
        topic = topic_of(joke)
        for kind in [rng.choice(easy), *hard]:
            prompt = rng.choice(prompts[topic])
            if kind == "fact":
                rejected = rng.choice(FACTS[topic])
            elif kind == "refusal":
                rejected = rng.choice(REFUSALS).format(topic=topic)
            elif kind == "off_topic":
                rejected = rng.choice(OFF_TOPIC)
            elif kind == "cut_punchline":
                rejected = cut_punchline(joke)
            elif kind == "swapped_punchline":
                own = split_setup(joke)
                other = rng.choice([j for j in splittable if j != joke])
                other_parts = split_setup(other)
                assert other_parts is not None
                setup = own[0] if own else cut_punchline(joke)
                rejected = f"{setup} {other_parts[1]}"
            elif kind == "explanation":
                rejected = rng.choice(EXPLANATIONS).format(topic=topic)
            elif kind == "wrong_topic":
                others = [t for t in by_topic if t != topic]
                rejected = rng.choice(by_topic[rng.choice(others)])
            elif kind == "mangled":
                rejected = mangle(joke, vocabulary, rng)
            else:  # spliced
                rejected = splice(joke, rng.choice([j for j in jokes if j != joke]))
            rows.append(
                {
                    "prompt": prompt,
                    "chosen": joke,
                    "rejected": rejected,
                    "kind": kind,
                    "topic": topic,
                }
            )
    return rows


def build(seed: int = SEED) -> dict[str, list[dict]]:
    """Every part's rows, by part name (``PARTS``); the training parts shuffled."""
    rng = random.Random(seed)
    jokes = [
        j.strip() for j in pyjokes.get_jokes("en", "neutral") + pyjokes.get_jokes("en", "chuck")
    ]
    jokes = sorted(set(jokes))
    rng.shuffle(jokes)
    jokes_of = deal_jokes(jokes)
    prompts_of = deal_prompts(rng)
    rows = {part: part_pairs(jokes_of[part], prompts_of[part], rng) for part, _, _ in PARTS}
    for part in ("gold", "train"):
        rng.shuffle(rows[part])
    return rows


def main() -> None:
    rows = build()
    OUT.mkdir(parents=True, exist_ok=True)
    for part, _share, name in PARTS:
        with (OUT / name).open("w", encoding="utf-8") as handle:
            for row in rows[part]:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"wrote {len(rows[part])} pairs to {OUT / name}")


if __name__ == "__main__":
    main()
