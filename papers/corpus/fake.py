"""What each day's synthetic digest holds: pure Python, no Django.

Day `d` of a corpus is one digest dated START + d days, its entries drawn from a random generator
seeded with (seed, d) alone. So a corpus of N papers is the same whether it was generated at once
or grown with --append, the same seed always gives the same papers, and a digest's first k
entries do not depend on how many more follow.

Most days are daily digests: DIGEST_SIZE entries, MAIN_ENTRIES of them in the main list (titles in
both languages, a Chinese summary, an English abstract, authors, institutions, an arXiv id) and
the rest in the "also worth reading" list (titles, people and an id, no text). Every STREAM_EVERY
days is an abstract stream instead: abstracts without titles, ids or people, the Chinese ones
machine translations, as `load_digests` stores a stream file.

Text comes from a long-tailed (Zipf) word distribution with two topics a paper, so searches have
realistic selectivity (see vocabulary.py).
"""

import bisect
import datetime
import itertools
import operator
import random
from dataclasses import dataclass

from . import vocabulary as words

START = datetime.date(2019, 1, 1)
DIGEST_SIZE = 100  # at most 100: arXiv ids are numbered (day of month, position)
MAIN_ENTRIES = 85
# Days 2, 22, 42…: a corpus of 300 papers has a stream, and the newest digest of one of 1,000, 10,000
# or 100,000 papers (day 9, 99, 999) is a daily digest, so their first pages are alike.
STREAM_EVERY, FIRST_STREAM_DAY = 20, 2
AREA_WEIGHTS = {"LG": 35, "CV": 25, "CL": 20, "RO": 10, "AS": 10}
# Authors: a few hundred prolific ones, the others from a pool that grows as days go by (new people
# keep appearing), so an author has a handful of papers on average and the table grows with the corpus.
PROLIFIC_AUTHORS, PROLIFIC_SHARE = 500, 0.1
AUTHORS_AT_START, NEW_AUTHORS_A_DAY = 1500, 50


@dataclass(frozen=True)
class FakeEntry:
    """One paper as its digest prints it, plus what curators did to it (hidden, featured)."""

    position: int
    section: str  # "main", "other" or "stream", as models.Section
    number: int | None
    area: str | None
    arxiv_id: str | None
    title_en: str | None
    title_zh: str | None
    summary_zh: str | None
    abstract_en: str | None
    abstract_zh: str | None
    authors: tuple[str, ...]
    authors_truncated: bool
    # (index of the kept institution in vocabulary.INSTITUTIONS, the spelling the digest printed)
    institutions: tuple[tuple[int, str], ...]
    machine_translated: tuple[str, ...]
    hidden: bool
    featured: bool


@dataclass(frozen=True)
class FakeDigest:
    day: int
    name: str
    format: str  # "daily" or "stream", as models.DigestFormat
    published_on: datetime.date
    entries: tuple[FakeEntry, ...]

    @property
    def summary_items(self):
        """The digest's 摘要 line: the Chinese titles of its main entries."""
        return [e.title_zh for e in self.entries if e.section == "main"]


def digest_name(day):
    return f"synthetic-{START + datetime.timedelta(days=day):%Y-%m-%d}.txt"


def day_of(name):
    """The day number of a synthetic digest's name, else None (a digest imported from a file)."""
    prefix, _, rest = name.partition("-")
    if prefix != "synthetic" or not rest.endswith(".txt"):
        return None
    try:
        return (datetime.date.fromisoformat(rest[: -len(".txt")]) - START).days
    except ValueError:
        return None


def author_name(k):
    """Author number k's name: every number below len(GIVEN) × len(SURNAMES) is a different person.

    Surnames cycle fastest and given names are offset by the surname, so the first few hundred
    authors already have varied names (and author 0 is Wei Zhang, whom search_bench looks for).
    """
    surnames, given = len(words.SURNAMES), len(words.GIVEN)
    k %= surnames * given
    surname = k % surnames
    return f"{words.GIVEN[(k // surnames + surname * 131) % given]} {words.SURNAMES[surname]}"


def fake_digest(seed, day, count=DIGEST_SIZE):
    """Day `day`'s digest with its first `count` entries."""
    rng = random.Random(f"{seed}:{day}")
    published_on = START + datetime.timedelta(days=day)
    is_stream = day % STREAM_EVERY == FIRST_STREAM_DAY
    make = _stream_entry if is_stream else _daily_entry
    entries = tuple(make(rng, day, published_on, position) for position in range(1, count + 1))
    return FakeDigest(day, digest_name(day), "stream" if is_stream else "daily", published_on, entries)


class _Zipf:
    """Words drawn so that the n-th one is n times rarer than the first."""

    def __init__(self, population):
        self.population = list(population)
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.population))))
        self.share = [c / self.cumulative[-1] for c in self.cumulative]  # the same, summing to 1

    def choices(self, rng, k):
        return rng.choices(self.population, cum_weights=self.cumulative, k=k)


class _Urn:
    """Words of Zipf pools [(probability, _Zipf)], as 65,536 slots each word fills by its weight.

    Drawing k words is then k random 16-bit slot numbers picked by itemgetter(), all in C: 150 words
    in 15 µs, where rng.choices() with weights took 75 µs (measured), and 100,000 papers hold 20
    million words. The rarest word still has a slot or two; a word below 1/65,536 would have none.
    """

    SLOTS = 1 << 16

    def __init__(self, parts):
        population, cumulative, total = [], [], 0.0
        for probability, pool in parts:
            population += pool.population
            cumulative += [total + probability * c for c in pool.share]
            total += probability
        self.slots = [
            population[min(bisect.bisect(cumulative, (s + 0.5) / self.SLOTS * total), len(population) - 1)]
            for s in range(self.SLOTS)
        ]

    def draw(self, rng, k):
        if k < 2:
            return [self.slots[rng.getrandbits(16)] for _ in range(k)]
        return list(operator.itemgetter(*memoryview(rng.randbytes(2 * k)).cast("H"))(self.slots))


_TOPICS = [(_Zipf(en.split()), _Zipf(zh.split())) for en, zh in words.TOPICS]
_RARE_EN = _Zipf(words.RARE_EN)
# The words every text shares; its two topics add theirs (see _text).
_EN_SHARED = _Urn([(0.65, _Zipf(words.COMMON_EN)), (0.2, _RARE_EN)])
_ZH_SHARED = _Urn([(0.35, _Zipf(words.COMMON_ZH)), (0.4, _Zipf(words.RARE_ZH))])
_CONNECT_ZH = _Urn([(1.0, _Zipf(words.CONNECT_ZH))])
_INSTITUTIONS = _Zipf(range(len(words.INSTITUTIONS)))
_AREAS, _AREA_CUMULATIVE = list(AREA_WEIGHTS), list(itertools.accumulate(AREA_WEIGHTS.values()))


def _text(rng, n, topic, other, shares, shared):
    """n words: about shares[0] of them from the paper's topic, shares[1] from its second topic, the
    rest shared by all papers, the topic words at random places among them."""
    k_topic = round(n * shares[0] * rng.uniform(0.5, 1.5))
    k_other = round(n * shares[1] * rng.uniform(0.5, 1.5))
    drawn = shared.draw(rng, n - k_topic - k_other)
    for word in topic.choices(rng, k_topic) + other.choices(rng, k_other):
        drawn.insert(rng.randrange(len(drawn) + 1), word)
    return drawn


def _english(rng, topic, other, n):
    return " ".join(_text(rng, n, topic, other, (0.12, 0.03), _EN_SHARED)).capitalize() + "."


def _chinese(rng, topic, other, n):
    drawn = _text(rng, n, topic, other, (0.2, 0.05), _ZH_SHARED)
    connectors = _CONNECT_ZH.draw(rng, n)
    return "".join(w + c for w, c in zip(drawn, connectors, strict=True)) + "。"


def _daily_entry(rng, day, published_on, position):
    (en, zh), (en_other, zh_other) = rng.sample(_TOPICS, 2)
    title = rng.sample(en.population, 3)
    title += rng.sample(words.COMMON_EN[:12], 1) + _RARE_EN.choices(rng, 2)
    title_en = " ".join(title).title()
    if rng.random() < 0.3:  # "Name: What It Does"
        title_en = f"{_RARE_EN.choices(rng, 1)[0].capitalize()}: {title_en}"
    main = position <= MAIN_ENTRIES
    authors = _authors(rng, day)
    return FakeEntry(
        position=position,
        section="main" if main else "other",
        number=position if main else None,
        area=rng.choices(_AREAS, cum_weights=_AREA_CUMULATIVE)[0],
        arxiv_id=f"{published_on:%y%m}.{90000 + (published_on.day - 1) * DIGEST_SIZE + position - 1:05d}",
        title_en=title_en,
        title_zh="".join(rng.sample(zh.population, 2)) + "的" + rng.choice(words.COMMON_ZH),
        summary_zh=_chinese(rng, zh, zh_other, rng.randint(25, 45)) if main else None,
        abstract_en=_english(rng, en, en_other, rng.randint(120, 220)) if main else None,
        abstract_zh=None,
        authors=authors,
        authors_truncated=rng.random() < 0.1,
        institutions=_institutions(rng),
        machine_translated=(),
        hidden=rng.random() < 0.005,
        featured=rng.random() < 0.01,
    )


def _stream_entry(rng, day, published_on, position):
    (en, zh), (en_other, zh_other) = rng.sample(_TOPICS, 2)
    chinese = rng.random() < 0.5
    return FakeEntry(
        position=position,
        section="stream",
        number=None,
        area=None,
        arxiv_id=None,
        title_en=None,
        title_zh=None,
        summary_zh=None,
        abstract_en=None if chinese else _english(rng, en, en_other, rng.randint(120, 220)),
        abstract_zh=_chinese(rng, zh, zh_other, rng.randint(80, 140)) if chinese else None,
        authors=(),
        authors_truncated=False,
        institutions=(),
        machine_translated=("abstract_zh",) if chinese else (),
        hidden=rng.random() < 0.005,
        featured=False,
    )


def _authors(rng, day):
    pool = AUTHORS_AT_START + NEW_AUTHORS_A_DAY * day
    wanted, picked = rng.randint(2, 8), []
    while len(picked) < wanted:
        k = rng.randrange(PROLIFIC_AUTHORS) if rng.random() < PROLIFIC_SHARE else rng.randrange(pool)
        if k not in picked:
            picked.append(k)
    return tuple(author_name(k) for k in picked)


def _institutions(rng):
    if rng.random() < 0.05:
        return ()  # the digest printed no institutions line
    wanted, picked = rng.randint(1, 3), []
    while len(picked) < wanted:
        (index,) = _INSTITUTIONS.choices(rng, 1)
        if index not in picked:
            picked.append(index)
    spelled = []
    for index in picked:
        kept, aliases = words.INSTITUTIONS[index]
        spelled.append((index, rng.choice(aliases) if aliases and rng.random() < 0.3 else kept))
    return tuple(spelled)
