"""Questions in plain words to saved queries: which saved question is asked, with which values.

The rule it keeps: the catalog is the only source of what can be asked.  Nothing here names a
saved query, a parameter or a keyword of one, so a new ``queries/*.rq`` with ``examples:`` is
askable as it stands.  Offline and deterministic: the same question, catalog and graph give the
same answer, with no network and no model beyond what is computed here from the catalog.

A question is read (:func:`read_question`) into *clues* and *features*:

- clues: names of resources (:meth:`kzgraph.resolve.NameIndex.mentions`), dates, months, years
  and periods (:func:`find_dates`), kinds (the labels of the ontology's concepts and classes,
  plural or not: "treaties" is kz:Treaty), languages ("in Turkish") and quoted text;
- features: its stemmed words, with each clue replaced by a placeholder (``{Person}``,
  ``{Place}``, ``{entity}``, ``{year}``, ``{month}``, ``{range}``, ``{kind:DocumentTypes}``,
  ``{lang}``...) so that "Demirel's visits" reads like "Özal's visits".

Each saved query is read the same way from its ``examples:``, title and description
(:func:`build_model`).  A query's score (:meth:`AskModel.ask`) is the TF-IDF cosine of the
question with its closest example and with all its texts together, plus how well the clues fill
its parameters: a parameter admits what its type and classes say (an ``iri`` parameter of class
kz:Person a person's name, a ``gYear`` a year, a ``date`` with ``period: start`` the first end of
a period, a ``string`` whose default or example is a concept any concept of the same scheme, a
``string`` with kebab-case values in its description one of them, ``lang`` a language); a
query that leaves a name or a date of the question unused, or an ``iri``/year parameter empty,
loses a little.  Below a floor nothing fits, and the answer is a full-text search on the
question's content words.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from kzgraph.errors import AskError
from kzgraph.spelling import fold as _fold_text
from kzgraph.spelling import loose

if TYPE_CHECKING:
    from kzgraph.query import Engine, SavedQuery
    from kzgraph.resolve import Candidate, NameIndex

#: the longest question read, in characters (a question, not a document)
MAX_QUESTION = 1000
#: a reading this close to the best one (in score) is listed beside it
CLOSE = 0.08
#: below this score no saved query fits: the answer is a full-text search
FLOOR = 0.2
#: how much the text similarity (0-1) and the parameter fit count
FIT_WEIGHT = 0.2
#: text similarity: the closest example versus all of a query's texts together
NEAREST_WEIGHT = 0.6
#: how much a pair of neighbouring words counts beside a word
BIGRAM = 0.5
MARK = 0.5
ENTITY_MARK = 0.3

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
#: namespaces of the vocabulary terms a graph uses: instances of these are kinds, not names
_SCHEMA = (_RDF, _RDFS, _OWL, _SKOS)
_KIND_CLASSES = (_OWL + "Class", _RDFS + "Class", _SKOS + "Concept")
_LABELS = (_RDFS + "label", _SKOS + "prefLabel", _SKOS + "altLabel")

# --------------------------------------------------------------------------- words

#: words that say nothing about which question is asked
_STOP = frozenset(
    """a an the of is are was were be been being am do does did done me us i you we they it
    its this that these those there their them my our your please show list give tell display
    let see want need know like would could can will shall should may might must have has had
    and or but for as at on into onto any some all every just also ever very really kindly
    get got""".split()
)
#: irregular forms, then a handful of generic synonyms (never a table of queries' keywords)
_IRREGULAR = {
    "met": "meet", "went": "go", "gone": "go", "held": "hold", "took": "take", "came": "come",
    "made": "make", "began": "begin", "begun": "begin", "became": "become", "led": "lead",
    "said": "say", "wrote": "write", "written": "write", "people": "people", "children": "child",
    "data": "data", "news": "news", "was": "be", "were": "be",
}  # fmt: skip
_SYNONYMS = {
    "trip": "visit", "travel": "visit", "journey": "visit", "tour": "visit",
    "talk": "meet", "encount": "meet", "kazakh": "kazakhstan",
    "country": "state", "nation": "state",
    "town": "city",
    "organisat": "institution", "organizat": "institution", "organis": "institution",
    "establish": "found", "creat": "found",
    "chronology": "timeline", "chronological": "timeline",
    "number": "count", "tally": "count",
    "occur": "happen",
    "post": "office", "position": "office", "role": "office", "job": "office",
    "signatory": "sign", "signer": "sign", "signatur": "sign",
    "reference": "cit", "bibliography": "cit",
    "turkish": "turkey", "kazakhstani": "kazakhstan",
}  # fmt: skip
#: language names (the few a reader of this graph asks for) -> primary language subtag
_LANGUAGE_NAMES = {
    "english": "en", "turkish": "tr", "russian": "ru", "kazakh": "kk", "cyrillic": "kk",
    "german": "de", "french": "fr", "spanish": "es",
}  # fmt: skip
#: words after a language name that make it a language ("Turkish names")
_LANGUAGE_NOUNS = frozenset(
    "name names label labels language languages translation translations spelling spellings "
    "version versions".split()
)
#: words before a date that make it the first or the last day of a period
_FROM_CUES = {"since": 0, "after": 1, "starting": 0}
_TO_CUES = {"until": 0, "till": 0, "before": -1, "by": 0, "through": 0}


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """:func:`kzgraph.spelling.fold`, remembered (a question's words are folded many times)."""
    return _fold_text(text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A folded word's light stem: plural, -ing, -ed, -ly and a final e stripped ("treaties" and
    "treaty", "visited" and "visits", "described" and "describe" meet); then a synonym."""
    word = _IRREGULAR.get(word, word)
    if len(word) <= 3 or not word.isalpha():
        return _SYNONYMS.get(word, word)
    if word.endswith(("ies", "ied")):
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # stopped -> stop
            break
    if word.endswith("ation") and len(word) > 7:
        word = word[:-3]  # migration -> migrat, as migrate and migrated
    elif word.endswith("ly") and len(word) > 5:
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return _SYNONYMS.get(word, word)


def _content(folded: str) -> list[str]:
    return [s for s in (stem(w) for w in folded.split()) if s not in _STOP]


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}  # fmt: skip
_M = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_Y = r"(?P<year>1[89]\d\d|20\d\d)"
_D = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_DATE_PATTERNS = (  # the most precise first; each match is one date
    ("day", re.compile(rf"\b{_Y}-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b")),
    ("day", re.compile(r"\b(?P<d>[0-3]?\d)[./](?P<m>[01]?\d)[./](?P<year>1[89]\d\d|20\d\d)\b")),
    ("day", re.compile(rf"\b{_D}\s+(?:of\s+)?{_M},?\s+{_Y}\b", re.IGNORECASE)),
    ("day", re.compile(rf"\b{_M}\s+{_D},?\s+{_Y}\b", re.IGNORECASE)),
    ("month", re.compile(rf"\b{_Y}-(?P<m>0[1-9]|1[0-2])\b(?![-–]?\d)")),
    ("month", re.compile(rf"\b{_M},?\s+(?:of\s+)?{_Y}\b", re.IGNORECASE)),
    ("range", re.compile(rf"\b{_Y}\s*[-–—/]\s*(?P<end>\d{{4}}|\d{{2}})\b")),
    ("decade", re.compile(r"\b(?:the\s+)?(?P<decade>1[89]\d|20\d)0['’]?s\b", re.IGNORECASE)),
    ("year", re.compile(rf"(?<![\w-]){_Y}(?![\w-])")),
    # '94, in 94: a two-digit year after a word that takes a date
    (
        "short",
        re.compile(
            r"['’](?P<yy>\d\d)\b|(?:"
            + "|".join(
                rf"(?<=\b{cue} )" for cue in ("in", "of", "since", "until", "before", "after")
            )
            + r")(?P<y2>\d\d)\b",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True)
class DateClue:
    """A date, month, year or period in a question (word positions ``start``..``end``)."""

    start: int
    end: int
    text: str
    #: the first and the last day-month-or-year of the period ("1994", "1994-10", "1994-10-17");
    #: None for an open end ("since 1995": last is None)
    first: str | None
    last: str | None
    precision: str  # day, month, year (of first/last)

    @property
    def point(self) -> bool:
        return self.first is not None and self.first == self.last


def _shift(value: str, step: int) -> str:
    """The year, month or day before (-1) or after (+1) ``value``."""
    import datetime as dt

    if len(value) == 4:
        return f"{int(value) + step:04d}"
    if len(value) == 7:
        year, month = int(value[:4]), int(value[5:]) + step
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        return f"{year:04d}-{month:02d}"
    day = dt.date.fromisoformat(value) + dt.timedelta(days=step)
    return day.isoformat()


def _date_value(kind: str, m: re.Match[str]) -> tuple[str, str, str] | None:
    """(first, last, precision) of one match, None if it is no real date."""
    import datetime as dt

    groups = m.groupdict()
    if kind == "decade":
        decade = int(groups["decade"]) * 10
        return f"{decade:04d}", f"{decade + 9:04d}", "year"
    if kind == "short":
        yy = int(groups["yy"] or groups["y2"])
        year = f"{1900 + yy if yy >= 30 else 2000 + yy:04d}"
        return year, year, "year"
    year = groups["year"]
    if kind == "year":
        return year, year, "year"
    if kind == "range":
        end = groups["end"]
        end = year[:2] + end if len(end) == 2 else end
        return (year, end, "year") if int(end) > int(year) else None
    month = int(groups.get("m") or _MONTHS[groups["month"].lower().rstrip(".")])
    if kind == "month":
        return (f"{year}-{month:02d}",) * 2 + ("month",) if 1 <= month <= 12 else None
    try:
        day = dt.date(int(year), month, int(groups.get("d") or groups["day"]))
    except ValueError:
        return None
    return day.isoformat(), day.isoformat(), "day"


def _later(words: Sequence[str], end: int) -> bool:
    """Whether the words after a date make it the first of a period ("1995 and later")."""
    return words[end : end + 2] in (["and", "later"], ["or", "later"], ["and", "after"])


def find_dates(text: str) -> list[DateClue]:
    """The dates, months, years and periods of ``text``, with the words that open or close a
    period ("between 1992 and 1994", "from May 1992 to 1994", "since 2000", "before 1995")."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    taken: list[tuple[int, int, str, str, str]] = []  # char start, end, first, last, precision
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e, *_ in taken):
                continue
            value = _date_value(kind, m)
            if value is not None:
                taken.append((m.start(), m.end(), *value))
    taken.sort()
    words = [fold(text[s:e]) for s, e in spans]

    def word_at(pos: int) -> int:
        return next(i for i, (s, e) in enumerate(spans) if s <= pos < e or pos < s)

    found: list[DateClue] = []
    i = 0
    while i < len(taken):
        s, e, first, last, precision = taken[i]
        start, end = word_at(s), word_at(e - 1) + 1
        before = words[start - 1] if start else ""
        before2 = words[start - 2] if start > 1 else ""
        closing = taken[i + 1] if i + 1 < len(taken) else None
        between = [w for w in words[end : word_at(closing[0])]] if closing else []
        opens = before in ("between", "from") or (before2 == "from" and before == "the")
        if closing and (between in (["and"], ["to"], ["until"], ["till"], ["through"], ["-"])):
            if opens or between != ["and"]:
                end = word_at(closing[1] - 1) + 1
                first_text = text[spans[start][0] : spans[end - 1][1]]
                found.append(DateClue(start, end, first_text, first, closing[3], precision))
                i += 2
                continue
        after = words[end] if end < len(words) else ""
        cue = before2 if before in ("the", "of") else before
        if cue == "to" and before2 == "up":
            cue = "until"
        low: str | None = first
        high: str | None = last
        if cue in _FROM_CUES or after in ("on", "onward", "onwards") or _later(words, end):
            step = _FROM_CUES.get(cue, 0)
            low, high = (_shift(first, step) if step else first), None
        elif cue in _TO_CUES:
            step = _TO_CUES[cue]
            low, high = None, (_shift(last, step) if step else last)
        found.append(DateClue(start, end, text[s:e], low, high, precision))
        i += 1
    return found


# --------------------------------------------------------------------------- clues


@dataclass(frozen=True)
class EntityClue:
    """A name in the question, and the resources it may name (best first)."""

    start: int
    end: int
    text: str
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class KindClue:
    """A kind in the question: the label of a concept or class ("treaties": kz:Treaty)."""

    start: int
    end: int
    text: str
    iris: tuple[str, ...]


@dataclass(frozen=True)
class LanguageClue:
    start: int
    end: int
    text: str
    tag: str


@dataclass(frozen=True)
class Reading:
    """One way to read a question: a saved query and its parameters, as ``-p NAME VALUE``."""

    query: str
    title: str
    params: tuple[tuple[str, str], ...]
    score: float
    command: str
    #: (parameter, the words it was read from, what they were read as) for each value
    because: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Answer:
    """What a question asks: the best reading and close alternatives, or a full-text search."""

    question: str
    best: Reading | None
    alternatives: tuple[Reading, ...] = ()
    #: the words to search for when no saved query fits (best is None)
    fallback: str | None = None
    #: the question as the scorer saw it (placeholders for names, dates, kinds)
    understood: str = ""


@dataclass(frozen=True)
class Question:
    """A question read into clues and features (see the module doc)."""

    text: str
    words: tuple[str, ...]
    dates: tuple[DateClue, ...]
    entities: tuple[EntityClue, ...]
    kinds: tuple[KindClue, ...]
    languages: tuple[LanguageClue, ...]
    quotes: tuple[str, ...]
    features: tuple[str, ...]


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Slot:
    """What a parameter of a saved query admits (see the module doc)."""

    name: str
    #: entity, year, point (day, month or year), day, from, to, concept, option, lang, text, none
    kind: str
    classes: tuple[str, ...] = ()
    #: concept: the concepts admitted; option: the values
    values: tuple[str, ...] = ()
    default: str | None = None
    #: option: stems that show the question is about this parameter (its name, its
    #: description's words)
    cues: frozenset[str] = frozenset()


@dataclass(frozen=True)
class QueryModel:
    """One saved query as the scorer sees it."""

    name: str
    title: str
    slots: tuple[Slot, ...]
    prefixes: Mapping[str, str]
    examples: tuple[Mapping[str, float], ...]
    centroid: Mapping[str, float]
    vocabulary: frozenset[str]


@dataclass
class AskModel:
    """Everything :meth:`ask` needs: the queries' features and the graph's names and kinds."""

    queries: tuple[QueryModel, ...]
    idf: dict[str, float]
    names: NameIndex
    #: stemmed label words -> concept or class IRIs ("treaty" -> kz:Treaty)
    kinds: dict[tuple[str, ...], tuple[str, ...]]
    #: concept or class IRI -> its English label; concept -> its schemes
    kind_labels: dict[str, str]
    schemes: dict[str, frozenset[str]]
    #: the classes some iri parameter asks for (placeholders are named after them)
    slot_classes: tuple[str, ...]
    languages: tuple[str, ...]
    #: words of the titles (a state named in a title is a word of the question, too)
    title_words: frozenset[str]
    #: folded words the catalog writes in lower case: never a one-word name
    common: frozenset[str]
    #: folded capitalised words of the titles (names of states: Kazakhstan, Turkey)
    title_names: frozenset[str] = frozenset()
    #: stems of the words of kinds' labels, and those words as written (and their plurals)
    kind_words: frozenset[str] = frozenset()
    kind_nouns: frozenset[str] = frozenset()
    concept_nouns: frozenset[str] = frozenset()
    #: stems of the ontology's labels and comments (words of the graph's own vocabulary)
    known_words: frozenset[str] = frozenset()
    #: a number -> the resources with a short name that holds it ("[P5]": "5")
    numbered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _longest_kind: int = field(default=1, repr=False)

    def ask(self, question: str, *, alternatives: int = 2) -> Answer:
        """The best reading of ``question``, close alternatives, or the words to search."""
        read = read_question(question, self)
        scored = [self._reading(q, read) for q in self.queries]
        scored.sort(key=lambda r: (-r.score, r.query))
        understood = " ".join(read.features)
        if not scored or scored[0].score < FLOOR or self._off_topic(read):
            words = [w for w in _search_words(read) if w]
            return Answer(question, None, (), " ".join(words), understood)
        best = scored[0]
        close = tuple(r for r in scored[1 : 1 + alternatives] if best.score - r.score <= CLOSE)
        return Answer(question, best, close, None, understood)

    def _off_topic(self, read: Question) -> bool:
        """Whether most of a question's words are words no saved query, kind or term of the
        ontology uses ("weather in Almaty tomorrow"): then it is not about what the graph
        holds, however well its names fit a query (three in four words or more)."""
        words = [
            f
            for f in read.features
            if len(f) > 2 and not f.startswith(("{", "~")) and f not in _QUESTION_WORDS
        ]
        unknown = sum(1 for f in words if f not in self.idf and f not in self.known_words)
        return unknown >= 2 and 4 * unknown >= 3 * len(words)

    def _reading(self, query: QueryModel, read: Question) -> Reading:
        vector = _weigh(read.features, self.idf)
        nearest = max((_cosine(vector, e) for e in query.examples), default=0.0)
        text = NEAREST_WEIGHT * nearest + (1 - NEAREST_WEIGHT) * _cosine(vector, query.centroid)
        params, because, fit = fill(query, read, self)
        score = round(text + FIT_WEIGHT * fit, 6)
        return Reading(query.name, query.title, params, score, command(query.name, params), because)


def command(name: str, params: Sequence[tuple[str, str]]) -> str:
    """The ``kzgraph query`` command line that runs a reading."""
    parts = ["kzgraph", "query", name]
    for param, value in params:
        parts += ["-p", param, value]
    return " ".join(shlex.quote(p) for p in parts)


def _weigh(features: Iterable[str], idf: Mapping[str, float]) -> dict[str, float]:
    """A unit vector of unigrams and bigrams, tf x idf (features unseen in the catalog: 0)."""
    counts: dict[str, float] = {}
    items = list(features)
    for f in items:
        counts[f] = counts.get(f, 0.0) + 1.0
    sequence = [f for f in items if not f.startswith("~")]  # "~" marks an extra: no bigrams
    for a, b in zip(sequence, sequence[1:], strict=False):
        counts[a + " " + b] = counts.get(a + " " + b, 0.0) + BIGRAM
    unseen = max(idf.values(), default=1.0)  # a word no query uses: as rare as can be
    vector = {
        f: (1 + math.log(c)) * idf.get(f, 0.0 if " " in f else unseen) * _kind_weight(f)
        for f, c in counts.items()
    }
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {f: v / norm for f, v in vector.items()}


def _kind_weight(feature: str) -> float:
    """Placeholders count less than words: which parameters a clue can fill is the fit's
    business, and in a short question they would outweigh its words."""
    if feature.startswith("{") and " " not in feature:
        return ENTITY_MARK if feature == "{entity}" else MARK
    return 1.0


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(f, 0.0) for f, v in a.items())


# --------------------------------------------------------------------------- reading


def clean_question(text: str) -> str:
    """The question with control characters and extra spaces gone; AskError if it is empty,
    too long or has no word."""
    if len(text) > MAX_QUESTION:
        raise AskError(
            f"the question is {len(text):,} characters long; ask in at most {MAX_QUESTION:,}"
        )
    cleaned = "".join(" " if (ord(ch) < 32 or 127 <= ord(ch) < 160) else ch for ch in text)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise AskError("nothing to ask: the question is empty")
    if not fold(cleaned):
        raise AskError(f"nothing to ask: {text.strip()[:40]!r} has no words")
    return cleaned


def read_question(text: str, model: AskModel) -> Question:
    """Clues and features of a question (see the module doc)."""
    typed = clean_question(text).split()
    words = [_without_possessive(w, model) for w in typed]
    text = " ".join(words)
    languages = _languages(words, set(), model)
    taken = {i for lang in languages for i in range(lang.start, lang.end)}
    quotes = tuple(q.strip() for q in re.findall(r"[\"“«]([^\"”»]+)[\"”»]", text) if q.strip())
    dated = {i for d in find_dates(text) for i in range(d.start, d.end)}
    entities = _entities(words, typed, taken, dated, model)
    taken |= {i for e in entities for i in range(e.start, e.end)}
    dates = [d for d in find_dates(text) if not any(i in taken for i in range(d.start, d.end))]
    entities, dates = _absorb_dates(entities, dates, words, model)
    taken |= {i for d in dates for i in range(d.start, d.end)}
    kinds = _kinds(words, taken, model)
    features = _features(words, typed, (dates, entities, kinds), languages, model)
    return Question(
        text, tuple(words), tuple(dates), entities, kinds, languages, quotes, tuple(features)
    )


def _without_possessive(word: str, model: AskModel) -> str:
    """A word without its possessive: "Demirel's" and "Nazarbayevs" (a name that is one
    without its s) are Demirel and Nazarbayev; "visits" and "Kazakhs" stay."""
    written = re.sub(r"(?<=\w)['’]s?$", "", word)
    if written != word:
        return written or word
    core = word.strip(_PUNCTUATION)
    folded = fold(core)
    if len(folded) < 5 or not folded.endswith("s") or folded in model.common:
        return word
    whole = _kept(model.names.lookup(core, upto="surname"), model)
    if whole and whole[0].how in ("exact", "folded"):
        return word
    bare = _kept(model.names.lookup(core[:-1], upto="surname"), model)
    if bare and (not whole or bare[0].how in ("exact", "folded")):
        return word.replace(core, core[:-1])
    return word


def _languages(words: list[str], taken: set[int], model: AskModel) -> tuple[LanguageClue, ...]:
    """Languages asked for: "in Turkish", "Russian names", "in kk-Cyrl"."""
    found = []
    folded = [fold(w) for w in words]
    for i, word in enumerate(folded):
        if i in taken:
            continue
        before = folded[i - 1] if i else ""
        after = folded[i + 1] if i + 1 < len(folded) else ""
        tag = None
        if word in _LANGUAGE_NAMES and (before in ("in", "into") or after in _LANGUAGE_NOUNS):
            tag = _data_language(_LANGUAGE_NAMES[word], model.languages)
        elif before in ("in", "lang", "language") and word_tag(words[i]) in model.languages:
            tag = word_tag(words[i])
        if tag is not None:
            found.append(LanguageClue(i, i + 1, words[i], _tag_case(tag)))
    return tuple(found)


def word_tag(word: str) -> str:
    return word.strip(_PUNCTUATION).lower()


def _tag_case(tag: str) -> str:
    """A language tag in its usual case (Oxigraph lower-cases them): kk-cyrl -> kk-Cyrl."""
    parts = tag.split("-")
    return "-".join(
        [parts[0].lower()]
        + [p.title() if len(p) == 4 else p.upper() if len(p) == 2 else p for p in parts[1:]]
    )


def _data_language(primary: str, languages: Sequence[str]) -> str | None:
    """The data's language tag for a primary subtag (kk -> kk-Cyrl), None if it has none."""
    tags = sorted(t for t in languages if t.lower().split("-")[0] == primary)
    return tags[0] if tags else None


def _is_instance(model: AskModel, iri: str) -> bool:
    """Whether ``iri`` is a thing of the graph, not a class, concept, scheme or property."""
    types = model.names.types.get(iri, frozenset())
    return any(not t.startswith(_SCHEMA) for t in types) and not any(
        t.startswith(_SCHEMA) and t.endswith(_VOCABULARY) for t in types
    )


#: the local names of the types of vocabulary terms (owl:Class, skos:Concept, rdf:Property...)
_VOCABULARY = ("Class", "Concept", "ConceptScheme", "Property", "Ontology")


def _entities(
    words: list[str], typed: list[str], taken: set[int], dated: set[int], model: AskModel
) -> tuple[EntityClue, ...]:
    """Names of resources (instances, not kinds) in the question, in four passes: a kind and a
    number ("paragraph 5"); a few words of one name ("the friendship treaty", "foreign minister
    of the Kazakh SSR"); names of two words or more as written
    (:meth:`~kzgraph.resolve.NameIndex.mentions`; "Kazakh diaspora in Turkey", "Kara 2011");
    then one-word names ("Demirel")."""
    found = list(_numbered(words, taken, model))
    for passes in ("words", "long", "short"):
        taken = taken | {i for e in found for i in range(e.start, e.end)}
        if passes == "words":
            found += _by_words(words, typed, taken, dated, model)
            continue
        written = typed if passes == "long" else words  # long names keep their 's
        masked = " ".join("·" if i in taken else w for i, w in enumerate(written))
        for m in model.names.mentions(masked, skip=model.common):
            keep = _kept(m.candidates, model)
            if keep and (passes == "short" or m.end - m.start > 1):
                found.append(EntityClue(m.start, m.end, m.text, keep))
    return _merged(sorted(found, key=lambda e: e.start), words)


def _merged(found: list[EntityClue], words: list[str]) -> tuple[EntityClue, ...]:
    """Neighbouring clues that name the same resource as one ("Recep Tayyip" "Erdoğan")."""
    out: list[EntityClue] = []
    for e in found:
        last = out[-1] if out else None
        if last and last.end == e.start and last.candidates[0].iri == e.candidates[0].iri:
            out[-1] = EntityClue(
                last.start, e.end, " ".join(words[last.start : e.end]), last.candidates
            )
        else:
            out.append(e)
    return tuple(out)


def _absorb_dates(
    entities: tuple[EntityClue, ...], dates: list[DateClue], words: list[str], model: AskModel
) -> tuple[tuple[EntityClue, ...], list[DateClue]]:
    """A year beside a name that holds it is part of the name ("the 1994 friendship treaty",
    "Kara 2011"), not a date of the question."""
    kept = []
    found = list(entities)
    for d in dates:
        year = (d.first or d.last or "")[:4]
        for n, e in enumerate(found):
            gap = words[d.end : e.start] if d.end <= e.start else words[e.end : d.start]
            named = {e.candidates[0].matched, model.names.labels.get(e.candidates[0].iri, "")}
            if (
                len(gap) <= 1
                and all(fold(w) in _EDGE for w in gap)
                and any(year in t for t in named)
            ):
                start, end = min(d.start, e.start), max(d.end, e.end)
                found[n] = EntityClue(start, end, " ".join(words[start:end]), e.candidates)
                break
        else:
            kept.append(d)
    return tuple(found), kept


def _kept(candidates: Iterable[Candidate], model: AskModel) -> tuple[Candidate, ...]:
    """The candidates of a mention that are resources (not kinds), preferred names first;
    a surname only of a person, a fuzzy match only of a resource some parameter could take."""
    person = {c for c in model.slot_classes if c.endswith(("#Person", "/Person"))}
    keep = []
    for c in candidates:
        if not _is_instance(model, c.iri):
            continue
        types = model.names.types.get(c.iri, frozenset())
        if c.how == "surname" and person and types.isdisjoint(person):
            continue  # "president" is no surname of the President of Kazakhstan
        if c.how == "fuzzy" and (c.score < 88 or not _fits_any(types, model.slot_classes)):
            continue
        keep.append(c)
    return tuple(sorted(keep, key=lambda c: not _preferred(c)))


_NUMBERS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}


def _number(word: str) -> int | None:
    """A number written in digits or as an English word ("17", "nine")."""
    if word.isdigit() and len(word) <= 3:
        return int(word)
    return _NUMBERS.get(fold(word))


def _numbered(words: list[str], taken: set[int], model: AskModel) -> Iterable[EntityClue]:
    """A kind followed by a number, naming the one resource of that kind whose short name
    holds the number ("paragraph 5": [P5])."""
    for i in range(len(words) - 1):
        number = _number(words[i + 1].strip(_PUNCTUATION))
        if i in taken or i + 1 in taken or number is None:
            continue
        classes = set(model.kinds.get(tuple(_content(fold(words[i]))), ()))
        iris = [
            iri
            for iri in model.numbered.get(str(number), ())
            if not classes.isdisjoint(model.names.types.get(iri, ()))
        ]
        if len(iris) == 1:
            shown = model.names.candidate(iris[0], " ".join(words[i : i + 2]), "exact")
            yield EntityClue(i, i + 2, " ".join(words[i : i + 2]), (shown,))


def _by_words(
    words: list[str], typed: list[str], taken: set[int], dated: set[int], model: AskModel
) -> list[EntityClue]:
    """Stretches of one to six words that name one resource by some of the words of its name
    (see :func:`_one_name`); a year among them must be in that name ("Ayagan 2010")."""
    found = []
    start = 0
    while start < len(words):
        for end in range(min(len(words), start + 6), start, -1):
            piece = [w.strip(_PUNCTUATION) for w in words[start:end]]
            span = range(start, end)
            if any(i in taken for i in span) or not all(fold(w) for w in piece):
                continue
            if fold(piece[0]) in _EDGE or fold(piece[-1]) in _EDGE:
                continue
            years = [piece[i - start] for i in span if i in dated]
            if years and not all(re.fullmatch(r"\d{4}", y) for y in years):
                continue  # a month or a day is a date of the question, never part of a name
            best = _one_name(piece, [w.strip(_PUNCTUATION) for w in typed[start:end]], model)
            if best == _AS_WRITTEN:
                start = end - 1  # mentions() reads these words
                break
            if (
                best is not None
                and not isinstance(best, str)
                and all(y in best.matched for y in years)
            ):
                found.append(EntityClue(start, end, " ".join(piece), (best,)))
                start = end - 1
                break
        start += 1
    return found


#: what :func:`_one_name` returns for words that are a name as written (left to mentions())
_AS_WRITTEN = "as written"


def _one_name(piece: list[str], typed: list[str], model: AskModel) -> Candidate | str | None:
    """The resource whose shortest name holds the words of ``piece``, trying them with their
    possessive 's (as ``typed``: "Turkey's recognition") and "Turkish" as "Turkey" if the words
    as they are name none; :data:`_AS_WRITTEN` if they are a name as written.  Words of a name
    count if they are half of it and of a class some parameter asks for or with an uncommon
    word ("foreign minister of Turkey", "the friendship treaty"), two uncommon words of it
    ("direct flights"), a name and a kind ("Yassawi university", "the Nakhchivan summit"), or
    one uncommon word of a short name ("Toybaeva": Toybaeva 2016)."""
    variant = " ".join(_DEMONYMS.get(fold(w), w) for w in piece)
    for text in dict.fromkeys((" ".join(piece), " ".join(typed), variant)):
        found = model.names.lookup(text, upto="words")
        if found and found[0].how != "words":
            return _AS_WRITTEN
        found = [c for c in found if _is_instance(model, c.iri)]
        sizes = sorted((len(_content(fold(c.matched))), c.iri) for c in found)
        if not sizes or (len(sizes) > 1 and sizes[1][0] == sizes[0][0]):
            continue
        words = _content(fold(text))
        named = sum(1 for w in piece if _names_alone(w, model))
        if named == len(words):
            return None  # names ("Sezer and Nazarbayev"), not one name
        plain = sum(1 for w in piece if _distinctive(w, model) and not _names_alone(w, model))
        best = next(c for c in found if c.iri == sizes[0][1])
        named_words = {loose(w) for w in fold(best.matched).split()}
        if any(loose(w) not in named_words for w in fold(text).split() if w not in _EDGE):
            continue  # every word typed is a word of the name (not one the resolver skips)
        if len(piece) == 1:
            return best if plain and sizes[0][0] <= 3 else None
        half = 2 * len(words) >= sizes[0][0]
        slot = _fits_any(model.names.types.get(best.iri, frozenset()), model.slot_classes)
        # a name and a kind: "Nakhchivan summit", a person's name and a concept: "Yassawi
        # university"; not a person's and a class ("Özal's signature"), nor a verb ("meet")
        last = fold(piece[-1])
        kind = last in model.kind_nouns and (
            named > _persons_named(piece, model) or last in model.concept_nouns
        )
        if (half and (slot or plain)) or plain >= 2 or kind:
            return best
    return None


def _persons_named(piece: list[str], model: AskModel) -> int:
    """How many words of ``piece`` are the name of a person by themselves ("Özal")."""
    person = {c for c in model.slot_classes if c.endswith(("#Person", "/Person"))}
    return sum(
        1
        for w in piece
        if _names_alone(w, model)
        and any(
            not model.names.types.get(c.iri, frozenset()).isdisjoint(person)
            for c in model.names.lookup(w, upto="surname")
        )
    )


def _names_alone(word: str, model: AskModel) -> bool:
    """Whether one word of a question is a name of some resource by itself ("Yassawi")."""
    folded = fold(word)
    if not folded or folded in model.common or not folded.isalpha():
        return False
    return bool(_kept(model.names.lookup(word.strip(_PUNCTUATION), upto="surname"), model))


#: words that neither begin nor end a name found by its words
_EDGE = _STOP | frozenset(
    "in by to from with at on of for between about who what when where which how why".split()
)
#: adjectives of the two states, read as their names when a name is looked for
_DEMONYMS = {"turkish": "Turkey", "kazakh": "Kazakhstan", "kazakhstani": "Kazakhstan"}


def _distinctive(word: str, model: AskModel) -> bool:
    """A word that is not the catalog's, a title's, a kind's, a language's or a number."""
    folded = fold(word)
    return (
        folded.isalpha()
        and folded not in model.common
        and folded not in _LANGUAGE_NAMES
        and stem(folded) not in model.title_words
        and stem(folded) not in model.kind_words
        and stem(folded) not in _STOP
    )


_PUNCTUATION = " ,.;:!?\"'()«»“”[]"


def _fits_any(types: frozenset[str], classes: Iterable[str]) -> bool:
    return not types.isdisjoint(classes)


def _preferred(candidate: Candidate) -> bool:
    """Whether the name matched is the resource's own label (not an alternative name)."""
    return fold(candidate.matched) == fold(candidate.label)


def _kinds(words: list[str], taken: set[int], model: AskModel) -> tuple[KindClue, ...]:
    """Labels of concepts and classes, longest first ("joint statements", "treaties")."""
    stems = [tuple(stem(w) for w in fold(word).split()) for word in words]
    found = []
    i = 0
    while i < len(words):
        for n in range(min(model._longest_kind, len(words) - i), 0, -1):
            span = range(i, i + n)
            if any(j in taken for j in span):
                continue
            key = tuple(s for j in span for s in stems[j])
            iris = model.kinds.get(key)
            if iris:
                found.append(KindClue(i, i + n, " ".join(words[i : i + n]), iris))
                i += n
                break
        else:
            i += 1
    return tuple(found)


def _placeholders(candidate: Candidate, model: AskModel) -> list[str]:
    types = model.names.types.get(candidate.iri, frozenset())
    return ["{entity}"] + ["{" + _local(c) + "}" for c in model.slot_classes if c in types]


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _scheme_of(iri: str, model: AskModel) -> str:
    schemes = sorted(model.schemes.get(iri, ()))
    return "{kind:" + (_local(schemes[0]) if schemes else "class") + "}"


def _features(
    words: list[str],
    typed: list[str],
    clues: tuple[Sequence[DateClue], Sequence[EntityClue], Sequence[KindClue]],
    languages: Sequence[LanguageClue],
    model: AskModel,
) -> list[str]:
    """The stemmed words, each clue replaced by its placeholders, and the roles of the states
    the titles name (see :func:`_roles`)."""
    dates, entities, kinds = clues
    starts: dict[int, tuple[int, list[str]]] = {}
    for d in dates:
        marks = ["{date}", "{" + d.precision + "}"] if d.point else ["{date}", "{range}"]
        if d.first is None or d.last is None:
            marks = ["{date}", "{since}" if d.last is None else "{until}"]
        starts[d.start] = (d.end, marks)
    for e in entities:
        raw = [s for s in _content(fold(e.text)) if s in model.title_words]
        background = _background(e, model)
        if background:
            starts[e.start] = (e.end, background)  # Kazakhstan, Turkey: words of the titles
        else:
            starts[e.start] = (e.end, raw + _placeholders(e.candidates[0], model))
    for k in kinds:
        schemes = {_scheme_of(iri, model) for iri in k.iris}
        concept = sorted(s for s in schemes if s != "{kind:class}")
        starts[k.start] = (k.end, concept + _content(fold(k.text)))
    for lang in languages:
        starts[lang.start] = (lang.end, ["{lang}"])
    out: list[str] = []
    states: list[tuple[int, bool]] = []  # (position in out, named as the agent's)
    i = 0
    while i < len(words):
        if i in starts:
            end, marks = starts[i]
            if marks and all(m in model.title_words for m in marks):
                states += [
                    (len(out) + j, typed[end - 1] != words[end - 1]) for j in range(len(marks))
                ]
            out.extend(marks)
            i = end
            continue
        for w in fold(words[i]).split():
            s = stem(w)
            if s not in _STOP:
                if w in _DEMONYMS:
                    states.append((len(out), True))
                out.append(s)
        i += 1
    return out + _roles(out, states)


def _roles(out: list[str], states: list[tuple[int, bool]]) -> list[str]:
    """``~from:turkey``, ``~to:kazakhstan``: which way a question about two states runs.
    A state is the origin after "from" or named as the agent's ("Turkish leaders",
    "Kazakhstan's president"), the destination after "to", "in" or "visit"."""
    roles = []
    for j, agent in states:
        before = out[j - 1] if j else ""
        if agent or before == "from":
            roles.append("~from:" + out[j])
        elif before in ("to", "into", "in", "visit"):
            roles.append("~to:" + out[j])
    return roles


def _background(clue: EntityClue, model: AskModel) -> list[str]:
    """The words of a resource's label, if the titles use them all (Kazakhstan, Turkey: named in
    many questions, whichever way they are spelt), else []."""
    words = fold(model.names.labels.get(clue.candidates[0].iri, "")).split()
    return words if words and all(w in model.title_names for w in words) else []


def _search_words(read: Question) -> list[str]:
    """The content words of a question, as typed (for the full-text fallback)."""
    out = []
    for word in read.words:
        folded = fold(word)
        if folded and all(
            stem(w) not in _STOP and w not in _QUESTION_WORDS for w in folded.split()
        ):
            out.append(folded)
    return out


_QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())


# --------------------------------------------------------------------------- filling


#: what a clue a parameter takes adds to a query's fit, and what an empty parameter or a clue
#: the query leaves unused costs it (see :func:`fill`)
FIT = {
    "entity": 0.6,  # a name, in an iri parameter of its class
    "entity-any": 0.3,  # a name, in an iri parameter of any class
    "date": 0.4,  # a day, month or year, in a date or year parameter
    "date-coarse": 0.3,  # a day or month, in a year parameter (its year)
    "bound": 0.4,  # a period or its first or last day, in parameters for either end
    "none": 0.0,
    "concept": 0.3,  # a kind ("treaties") in a string parameter of concepts
    "option": 0.4,  # a value ("from Turkey to Kazakhstan") of a string parameter's values
    "option-literal": 0.8,  # such a value as the query writes it ("turkey-to-kazakhstan")
    "lang": 0.4,
    "quote": 0.6,  # quoted words, in a free-text parameter
    "name-text": 0.3,  # a name, in a free-text parameter
    "empty-entity": 0.6,  # an iri parameter no name fills (its default is an example)
    "empty-date": 0.4,  # a year or date parameter no date fills
    "unused-entity": 0.4,  # a name some query's iri parameter could take
    "unused-other": 0.15,  # any other name
    "unused-background": 0.05,  # a name the titles use (Kazakhstan, Turkey)
    "unused-date": 0.3,
    "unused-concept": 0.1,
    "unused-lang": 0.2,
}


def fill(
    query: QueryModel, read: Question, model: AskModel
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, str], ...], float]:
    """The parameters the question's clues fill, why, and how well they fit the query."""
    params: list[tuple[str, str]] = []
    because: list[tuple[str, str, str]] = []
    used: dict[str, set[int]] = {"entity": set(), "date": set(), "kind": set()}
    bounded: set[int] = set()
    fit = 0.0

    def take(name: str, value: str, words: str, shown: str, weight: str) -> None:
        nonlocal fit
        params.append((name, value))
        because.append((name, words, shown))
        fit += FIT[weight]

    for slot in sorted(query.slots, key=lambda s: s.kind != "entity" or not s.classes):
        if slot.kind == "entity":
            hit = _entity_for(slot, read, model, used["entity"])
            kind_hit = None if hit or not slot.classes else _kind_for(slot, read, model, used)
            if kind_hit is not None:  # a concept an iri parameter takes ("treaties": kz:Treaty)
                label = model.kind_labels.get(kind_hit[1], _local(kind_hit[1]))
                value = _compact(kind_hit[1], query.prefixes)
                take(slot.name, value, read.kinds[kind_hit[0]].text, label, "entity")
                continue
            if hit is None:
                fit -= FIT["empty-entity"]
                continue
            index, candidate = hit
            used["entity"].add(index)
            value = _compact(candidate.iri, query.prefixes)
            weight = "entity" if slot.classes else "entity-any"
            take(slot.name, value, read.entities[index].text, candidate.label, weight)
        elif slot.kind in ("year", "point", "day"):
            found = _date_for(slot, read, used["date"])
            if found is None:
                fit -= FIT["empty-date"]
                continue
            index, value, weight = found
            used["date"].add(index)
            take(slot.name, value, read.dates[index].text, value, weight)
        elif slot.kind in ("from", "to"):
            found_bound = _bound_for(slot, read, used["date"], query)
            if found_bound is not None:
                index, value = found_bound
                weight = "bound" if index not in bounded else "none"  # a period counts once
                bounded.add(index)
                take(slot.name, value, read.dates[index].text, value, weight)
        elif slot.kind == "concept":
            for i, k in enumerate(read.kinds):
                iri = next((x for x in k.iris if x in slot.values), None)
                if iri is not None and i not in used["kind"]:
                    used["kind"].add(i)
                    label = model.kind_labels.get(iri, _local(iri))
                    take(slot.name, _compact(iri, query.prefixes), k.text, label, "concept")
                    break
        elif slot.kind == "option":
            option = _option_for(slot, read)
            if option is not None:
                literal = "-" in option and option in read.text.lower()
                take(slot.name, option, option, option, "option-literal" if literal else "option")
        elif slot.kind == "lang" and read.languages:
            lang = read.languages[0]
            take(slot.name, lang.tag, lang.text, lang.tag, "lang")
        elif slot.kind == "text":
            found_text = _text_for(query, read, used["entity"])
            if found_text is not None:
                text, weight = found_text
                take(slot.name, text, text, text, weight) if weight else params.append(
                    (slot.name, text)
                )
    fit -= _unused(read, model, used, query)
    return tuple(params), tuple(because), fit


def _unused(
    read: Question, model: AskModel, used: Mapping[str, set[int]], query: QueryModel
) -> float:
    """What the clues a query leaves unused cost it."""
    cost = 0.0
    for i, e in enumerate(read.entities):
        if i not in used["entity"]:
            types = model.names.types.get(e.candidates[0].iri, frozenset())
            if _background(e, model):
                cost += FIT["unused-background"]  # in the titles, in many questions
            elif _fits_any(types, model.slot_classes):
                cost += FIT["unused-entity"]
            else:
                cost += FIT["unused-other"]
    cost += FIT["unused-date"] * sum(1 for i in range(len(read.dates)) if i not in used["date"])
    cost += FIT["unused-concept"] * sum(
        1 for i, k in enumerate(read.kinds) if i not in used["kind"] and _concept_clue(k, model)
    )
    if read.languages and not any(s.kind == "lang" for s in query.slots):
        cost += FIT["unused-lang"]
    return cost


def _concept_clue(clue: KindClue, model: AskModel) -> bool:
    return any(iri in model.schemes for iri in clue.iris)


def _entity_for(
    slot: Slot, read: Question, model: AskModel, used: set[int]
) -> tuple[int, Candidate] | None:
    """The first unused name in the question that fits the slot's classes."""
    taken = {read.entities[i].candidates[0].iri for i in used}
    for i, e in enumerate(read.entities):
        if i in used:
            continue
        for c in e.candidates:
            types = model.names.types.get(c.iri, frozenset())
            if c.iri not in taken and (not slot.classes or not types.isdisjoint(slot.classes)):
                return i, c
    return None


def _kind_for(
    slot: Slot, read: Question, model: AskModel, used: Mapping[str, set[int]]
) -> tuple[int, str] | None:
    """The first unused kind in the question that is of the slot's classes (then used)."""
    for i, k in enumerate(read.kinds):
        if i in used["kind"]:
            continue
        for iri in k.iris:
            if not model.names.types.get(iri, frozenset()).isdisjoint(slot.classes):
                used["kind"].add(i)
                return i, iri
    return None


def _date_for(slot: Slot, read: Question, used: set[int]) -> tuple[int, str, str] | None:
    for i, d in enumerate(read.dates):
        if i in used or not d.point or d.first is None:
            continue
        if slot.kind == "point":
            return i, d.first, "date"
        if slot.kind == "year":
            return i, d.first[:4], "date" if d.precision == "year" else "date-coarse"
        if slot.kind == "day" and d.precision == "day":
            return i, d.first, "date"
    return None


def _bound_for(
    slot: Slot, read: Question, used: set[int], query: QueryModel
) -> tuple[int, str] | None:
    """The first (``from``) or last (``to``) end of the question's period."""
    for i, d in enumerate(read.dates):
        if i in used and not any(s.kind in ("from", "to") for s in query.slots):
            continue
        value = d.first if slot.kind == "from" else d.last
        if value is not None:
            used.add(i)
            return i, value
    return None


def _option_for(slot: Slot, read: Question) -> str | None:
    """A value of an option slot the question names ("from Turkey to Kazakhstan")."""
    words = [w for word in read.words for w in fold(word).split()]
    stems = {stem(w) for w in words}
    for option in sorted(slot.values, key=lambda o: (-o.count("-"), o)):
        parts = option.split("-")
        if len(parts) == 1:
            # a one-word value ("all") counts where the question names the parameter
            # ("all readings", "including deprecated readings", "in both directions")
            if stems.isdisjoint(slot.cues):
                continue
            if not (option in words or (option == "all" and not stems.isdisjoint(_ALL))):
                continue
        elif not _in_order(parts, words):
            continue
        return None if option == slot.default else option
    return None


#: words that ask for every value of an option ("including deprecated readings": all)
_ALL = frozenset({"all", "every", "includ", "incl", "both", "any", "too", "also", "plus"})


def _in_order(parts: Sequence[str], words: Sequence[str]) -> bool:
    """Whether ``parts`` occur in ``words`` in order, at most two words apart."""
    for start, word in enumerate(words):
        if not _same_word(parts[0], word):
            continue
        pos, ok = start, True
        for part in parts[1:]:
            nxt = next(
                (j for j in range(pos + 1, min(pos + 4, len(words))) if _same_word(part, words[j])),
                None,
            )
            if nxt is None:
                ok = False
                break
            pos = nxt
        if ok:
            return True
    return False


def _same_word(a: str, b: str) -> bool:
    """Equal, or one word's stem runs into the other's ("turkish" and "turkey")."""
    if a == b:
        return True
    prefix = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix += 1
    return prefix >= 4 and prefix >= 0.6 * min(len(a), len(b))


def _text_for(query: QueryModel, read: Question, used: set[int]) -> tuple[str, str] | None:
    """Free text for a string parameter, and what it counts (a :data:`FIT` key, or "" for
    nothing): a quotation, an unused name (then used), else the words the query's own texts
    do not explain."""
    if read.quotes:
        return read.quotes[0], "quote"
    for i, e in enumerate(read.entities):
        if i not in used:
            used.add(i)
            return e.text, "name-text"
    kept = []
    for word in read.words:
        folded = fold(word)
        stems = [stem(w) for w in folded.split()]
        if stems and all(s not in _STOP and s not in query.vocabulary for s in stems):
            if folded not in _QUESTION_WORDS:
                kept.append(word.strip(_PUNCTUATION))
    return (" ".join(kept), "") if kept else None


def _compact(iri: str, prefixes: Mapping[str, str]) -> str:
    """``prefix:local`` for an IRI under one of the query's prefixes, else ``<iri>``."""
    best = ""
    for prefix, namespace in prefixes.items():
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and re.fullmatch(r"[\w\-.]*", local) and prefix:
            if len(namespace) > len(best):
                best = namespace
                found = f"{prefix}:{local}"
    if best:
        return found
    from kzgraph.namespaces import PREFIXES  # the project's, if the query declares none

    return _compact(iri, PREFIXES) if prefixes is not PREFIXES else f"<{iri}>"


# --------------------------------------------------------------------------- building


def _slots(query: SavedQuery, model: AskModel) -> tuple[Slot, ...]:
    """What each parameter of ``query`` admits (see the module doc)."""
    from kzgraph.query import expand_iri
    from kzgraph.sparql_text import declared_prefixes

    prefixes = declared_prefixes(query.text)
    slots = []
    for p in query.params:
        kind = {"iri": "entity", "gYear": "year", "lang": "lang"}.get(p.type, "none")
        values: tuple[str, ...] = ()
        if p.type == "date":
            kind = {"span": "point", "start": "from", "end": "to"}.get(p.period or "", "day")
        elif p.type == "string":
            concepts = []
            for raw in (p.default, p.example):
                if raw is None:
                    continue
                iri = expand_iri(raw, prefixes, project_prefixes=False)
                concepts += [iri] if iri in model.kind_labels else []
                concepts += list(model.kinds.get(tuple(_content(fold(raw))), ()))
            schemes = {s for c in concepts for s in model.schemes.get(c, ())}
            if schemes:
                kind = "concept"
                values = _admitted(query.text, prefixes, schemes, model)
            else:
                options = set(re.findall(r"\b[a-z]+(?:-[a-z]+)+\b", p.description))
                options |= {v for v in (p.default, p.example) if v and re.fullmatch(r"[a-z-]+", v)}
                kind, values = ("option", tuple(sorted(options))) if options else ("text", ())
        cues = set(_content(fold(p.name + " " + p.description)))
        cues -= {stem(part) for v in values for part in v.split("-")}
        slots.append(Slot(p.name, kind, p.classes, values, p.default, frozenset(cues)))
    return tuple(slots)


def _admitted(
    text: str, prefixes: Mapping[str, str], schemes: set[str], model: AskModel
) -> tuple[str, ...]:
    """The concepts of ``schemes``; only those the query's text names, if it names any."""
    members = {c for c, s in model.schemes.items() if not s.isdisjoint(schemes)}
    named = set()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for prefix, local in re.findall(r"\b([A-Za-z][\w-]*):([A-Za-z_][\w-]*)", body):
        namespace = prefixes.get(prefix)
        if namespace and namespace + local in members:
            named.add(namespace + local)
    return tuple(sorted(named or members))


def _catalog_words(catalog: Mapping[str, SavedQuery]) -> tuple[frozenset[str], frozenset[str]]:
    """Stems of the titles' words, and the words the catalog writes in lower case (titles,
    descriptions, examples): a question's one-word names are looked for among the others."""
    titles = {s for q in catalog.values() for s in _content(fold(q.title))}
    common = set(_STOP) | set(_LANGUAGE_NAMES)
    for q in catalog.values():
        texts = [q.title, q.description, *q.examples] + [p.description for p in q.params]
        for text in texts:
            text = re.sub(r"\S*[-:]\S*", " ", text)  # kebab-case values, prefixed names
            common |= {fold(w) for w in re.findall(r"\b[a-z][a-z]+\b", text)}
    return frozenset(titles), frozenset(common)


def _description(text: str) -> str:
    """A description without IRIs, prefixed names and parenthesised asides."""
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"\S+:\S+", " ", text)
    return text


@dataclass(frozen=True)
class GraphTerms:
    """What the graph says about its own vocabulary: concept schemes, and the labels and
    comments of its classes and properties (a query's doc gains the words of those it uses)."""

    #: concept IRI -> the IRIs of its ``skos:inScheme`` schemes
    schemes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: class or property IRI -> its English label and comment
    glossary: Mapping[str, str] = field(default_factory=dict)


def graph_terms(engine: Engine) -> GraphTerms:
    """The concept schemes and the glossary of the graph behind ``engine``."""
    schemes: dict[str, set[str]] = {}
    for c, s in engine.run(f"SELECT ?c ?s WHERE {{ ?c <{_SKOS}inScheme> ?s }}").rows:
        if c is not None and s is not None:
            schemes.setdefault(c.value, set()).add(s.value)
    glossary: dict[str, list[str]] = {}
    text_q = (
        f"SELECT ?s ?t WHERE {{ VALUES ?p {{ <{_RDFS}label> <{_RDFS}comment> }} ?s ?p ?t "
        f'FILTER(isIRI(?s) && isLiteral(?t) && LANGMATCHES(LANG(?t), "en")) }}'
    )
    for subject, text in engine.run(text_q).rows:
        if subject is not None and text is not None:
            glossary.setdefault(subject.value, []).append(text.value)
    return GraphTerms(
        {c: frozenset(s) for c, s in schemes.items()},
        {iri: " ".join(sorted(texts)) for iri, texts in glossary.items()},
    )


def build_model(catalog: Mapping[str, SavedQuery], names: NameIndex, terms: GraphTerms) -> AskModel:
    """The scorer for ``catalog`` over the graph whose names and terms are given."""
    kinds: dict[tuple[str, ...], set[str]] = {}
    kind_labels: dict[str, str] = {}
    for name in names.names:
        types = names.types.get(name.iri, frozenset())
        if name.property not in _LABELS or types.isdisjoint(_KIND_CLASSES):
            continue
        if name.language not in (None, "en"):
            continue
        key = tuple(_content(fold(name.text)))
        if key:
            kinds.setdefault(key, set()).add(name.iri)
        if name.property != _SKOS + "altLabel":
            kind_labels.setdefault(name.iri, names.labels.get(name.iri, name.text))
    titles, common = _catalog_words(catalog)
    slot_classes = sorted({c for q in catalog.values() for p in q.params for c in p.classes})
    model = AskModel(
        queries=(),
        idf={},
        names=names,
        kinds={k: tuple(sorted(v)) for k, v in kinds.items()},
        kind_labels=kind_labels,
        schemes=dict(terms.schemes),
        slot_classes=tuple(slot_classes),
        languages=tuple(sorted({n.language.lower() for n in names.names if n.language})),
        title_words=titles,
        title_names=frozenset(
            fold(w) for q in catalog.values() for w in re.findall(r"\b[A-Z]\w+", q.title)[1:]
        ),
        common=common,
        kind_words=frozenset(w for k in kinds for w in k),
        kind_nouns=_kind_nouns(names, _KIND_CLASSES),
        concept_nouns=_kind_nouns(names, (_SKOS + "Concept",)),
        numbered=_numbers(names),
        known_words=frozenset(w for text in terms.glossary.values() for w in _content(fold(text)))
        | frozenset(w for k in kinds for w in k),
        _longest_kind=max((len(k) for k in kinds), default=1),
    )
    texts = {q.name: _documents(q, model, terms.glossary) for q in catalog.values()}
    model.idf = _idf(texts)
    model.queries = tuple(_query_model(q, texts[q.name], model) for q in catalog.values())
    return model


#: how much each of a query's texts counts in its centroid
_DOC_WEIGHTS = {"example": 1.0, "title": 1.0, "description": 1.0, "glossary": 1.0}


def _documents(
    query: SavedQuery, model: AskModel, glossary: Mapping[str, str]
) -> list[tuple[list[str], str]]:
    """A query's texts as features, each with what it is (a key of :data:`_DOC_WEIGHTS`)."""
    docs = [(list(read_question(e, model).features), "example") for e in query.examples]
    docs.append((list(read_question(query.title, model).features), "title"))
    if query.description:
        described = _description(query.description)[:MAX_QUESTION]
        docs.append((list(read_question(described, model).features), "description"))
    used = _terms_used(query)
    words = [w for iri in sorted(used) for w in _content(fold(glossary.get(iri, "")))]
    if words:
        docs.append((words, "glossary"))
    return docs


def _terms_used(query: SavedQuery) -> set[str]:
    """The IRIs the query's SPARQL (not its header) names."""
    from kzgraph.sparql_text import declared_prefixes

    prefixes = declared_prefixes(query.text)
    body = "\n".join(line for line in query.text.splitlines() if not line.lstrip().startswith("#"))
    body = body[body.upper().find("SELECT") :] if "SELECT" in body.upper() else body
    used = set(re.findall(r"<([^<>\s]+)>", body))
    for prefix, local in re.findall(r"(?<![\w?$])([A-Za-z][\w-]*):([A-Za-z_][\w-]*)", body):
        if prefix in prefixes:
            used.add(prefixes[prefix] + local)
    return used


def _query_model(
    query: SavedQuery, docs: list[tuple[list[str], str]], model: AskModel
) -> QueryModel:
    examples = tuple(_weigh(f, model.idf) for f, what in docs if what in ("example", "title"))
    centroid: dict[str, float] = {}
    for features, what in docs:
        for f, v in _weigh(features, model.idf).items():
            centroid[f] = centroid.get(f, 0.0) + _DOC_WEIGHTS[what] * v
    norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
    return QueryModel(
        query.name,
        query.title,
        _slots(query, model),
        _prefixes(query),
        examples,
        {f: v / norm for f, v in centroid.items()},
        frozenset(f for features, what in docs if what != "glossary" for f in features),
    )


def _kind_nouns(names: NameIndex, kinds: Iterable[str]) -> frozenset[str]:
    """The folded words of the English labels of the instances of ``kinds`` (classes,
    concepts), and their plurals."""
    found = set()
    for name in names.names:
        types = names.types.get(name.iri, frozenset())
        if name.property in _LABELS and not types.isdisjoint(kinds):
            if name.language in (None, "en"):
                found |= {w for w in fold(name.text).split() if len(w) > 3}
    return frozenset(
        found | {w + "s" for w in found} | {w[:-1] + "ies" for w in found if w[-1:] == "y"}
    )


def _numbers(names: NameIndex) -> dict[str, tuple[str, ...]]:
    """Number -> the resources one of whose names is that number and at most a word ("P5")."""
    found: dict[str, set[str]] = {}
    for name in names.names:
        folded = fold(name.text).split()
        digits = "".join(ch for ch in "".join(folded) if ch.isdigit())
        if digits and len(folded) <= 2 and len(digits) <= 3:
            found.setdefault(str(int(digits)), set()).add(name.iri)
    return {n: tuple(sorted(iris)) for n, iris in found.items()}


def _prefixes(query: SavedQuery) -> dict[str, str]:
    from kzgraph.sparql_text import declared_prefixes

    return declared_prefixes(query.text)


def _idf(texts: Mapping[str, list[tuple[list[str], str]]]) -> dict[str, float]:
    """Inverse document frequency over queries (all of a query's texts are one document)."""
    df: dict[str, int] = {}
    for docs in texts.values():
        seen = set()
        for features, what in docs:
            if what == "glossary":
                continue  # the ontology's words weigh in the centroid, not in the rarity
            seen |= set(features)
            seen |= {a + " " + b for a, b in zip(features, features[1:], strict=False)}
        for f in seen:
            df[f] = df.get(f, 0) + 1
    n = len(texts)
    return {f: math.log((n + 1) / (d + 0.5)) for f, d in df.items()}


def concept_schemes(engine: Engine) -> dict[str, set[str]]:
    """Concept IRI -> the IRIs of its ``skos:inScheme`` schemes, from the graph."""
    found: dict[str, set[str]] = {}
    rows = engine.run(f"SELECT ?c ?s WHERE {{ ?c <{_SKOS}inScheme> ?s }}").rows
    for c, s in rows:
        if c is not None and s is not None:
            found.setdefault(c.value, set()).add(s.value)
    return found


def ask(question: str, catalog: Mapping[str, SavedQuery], names: NameIndex) -> Answer:
    """Read ``question`` against ``catalog`` (no graph terms; see :func:`build_model`)."""
    return build_model(catalog, names, GraphTerms()).ask(question)


def model_path(entry_dir: Path, queries_dir: Path) -> Path:
    """Where the model of the catalog in ``queries_dir`` over a cache entry is kept: named after
    the catalog's files (and this code), so a changed or new saved query makes a new one."""
    import hashlib

    here = Path(__file__).parent
    h = hashlib.sha256(MODEL_VERSION.encode())
    for path in [*sorted(queries_dir.glob("*.rq")), *(here / m for m in _MODEL_CODE)]:
        stat = path.stat()
        h.update(f"{path.name}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return entry_dir / "ask" / f"{h.hexdigest()[:32]}.pickle"


#: bumped when a model's fields change (with :data:`_MODEL_CODE`, names the kept models)
MODEL_VERSION = "1"
#: the modules whose code shapes a model: a change to one makes a new model
_MODEL_CODE = ("ask.py", "resolve.py", "spelling.py")


def load_model(entry_dir: Path, queries_dir: Path, build: Callable[[], AskModel]) -> AskModel:
    """The model kept in the cache entry for this catalog; else ``build()``'s, then kept
    (atomically; a cache that cannot be written is no error)."""
    import os
    import pickle
    import tempfile

    path = model_path(entry_dir, queries_dir)
    try:
        with path.open("rb") as f:
            model = pickle.load(f)  # our own cache entry, written below
        if isinstance(model, AskModel):
            return model
    except Exception:  # noqa: BLE001 - absent, partial or stale: build it again
        pass
    model = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("*.pickle"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
    return model


def answer_sources(engine: Engine, iris: Iterable[str], limit: int = 200) -> tuple[str, ...]:
    """The ``[P#]`` locators of the paragraphs that state the resources of an answer."""
    from kzgraph.terms import IRI

    chosen = sorted(set(iris))[:limit]
    if not chosen:
        return ()
    values = " ".join(IRI(i).n3() for i in chosen)
    rows = engine.run(
        f"SELECT DISTINCT ?locator WHERE {{ VALUES ?s {{ {values} }} "
        f"?s <{_KZ}statedIn> ?p . ?p <{_KZ}locator> ?locator }}"
    ).rows
    found = {row[0].value for row in rows if row[0] is not None}
    return tuple(sorted(found, key=lambda loc: (len(loc), loc)))


_KZ = "https://w3id.org/kzgraph/ontology#"
