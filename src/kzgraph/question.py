"""Questions in plain words, read: the names, dates, kinds and languages in them, and their words.

The rule it keeps: a question is read against the graph's own names and vocabulary and the
catalog's words (:class:`Vocabulary`), never against a list of keywords; :mod:`kzgraph.ask`
reads every saved query's examples, title and description the same way, so a question and an
example are compared word for word.

A question is read (:func:`read_question`) into *clues* and *features*:

- clues: names of resources (:meth:`kzgraph.resolve.NameIndex.mentions`, and a few words of
  one name: "the friendship treaty", "foreign minister of Turkey"), dates, months, years and
  periods (:func:`find_dates`: "October 1994", "between 1992 and 1994", "since 2000", "in the
  1990s"), kinds (the labels of the ontology's concepts and classes, plural or not: "treaties"
  is kz:Treaty), languages ("in Turkish") and quoted text;
- features: its light-stemmed words (a misspelt word read as the catalog's word it misspells),
  each clue replaced by a placeholder (``{Person}``, ``{Place}``, ``{entity}``, ``{year}``,
  ``{month}``, ``{range}``, ``{kind:DocumentTypes}``, ``{lang}``...) so that "Demirel's visits"
  reads like "Özal's visits", and the roles of the two states the titles name (``~from:turkey``,
  ``~to:kazakhstan``: which way a question runs).

Offline and deterministic; a handful of generic English words (stop words, irregular verbs,
synonyms such as trip = visit, the names of a few languages) is all that is written here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from kzgraph.errors import AskError
from kzgraph.spelling import fold as _fold_text
from kzgraph.spelling import loose

if TYPE_CHECKING:
    from kzgraph.query import Engine, SavedQuery
    from kzgraph.resolve import Candidate, NameIndex

#: the longest question read, in characters (a question, not a document)
MAX_QUESTION = 1000

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
STOP_WORDS = frozenset(
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


def content_words(folded: str) -> list[str]:
    return [s for s in (stem(w) for w in folded.split()) if s not in STOP_WORDS]


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
                ends = (first, closing[3])
                if before == "between" and closing[3] < first and not first.startswith(closing[3]):
                    ends = (closing[2], last)  # "between 1995 and 1993": the same years
                found.append(DateClue(start, end, first_text, *ends, precision))
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


@dataclass
class Vocabulary:
    """What reading a question needs: the graph's names and kinds, the catalog's words."""

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
    #: the folded words of the catalog's texts (a misspelt word is read as one of them)
    spellings: frozenset[str] = frozenset()
    #: stems of the ontology's labels and comments (words of the graph's own vocabulary)
    known_words: frozenset[str] = frozenset()
    #: a number -> the resources with a short name that holds it ("[P5]": "5")
    numbered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _longest_kind: int = field(default=1, repr=False)

    #: the inverse document frequency of each feature over the saved queries
    idf: dict[str, float] = field(default_factory=dict)


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


def read_question(text: str, vocab: Vocabulary) -> Question:
    """Clues and features of a question (see the module doc)."""
    typed = clean_question(text).split()
    words = [_without_possessive(w, vocab) for w in typed]
    text = " ".join(words)
    languages = _languages(words, set(), vocab)
    taken = {i for lang in languages for i in range(lang.start, lang.end)}
    quotes = tuple(
        "".join(q).strip() for q in _QUOTED.findall(" ".join(typed)) if "".join(q).strip()
    )
    dated = {i for d in find_dates(text) for i in range(d.start, d.end)}
    entities = _entities(words, typed, taken, dated, vocab)
    taken |= {i for e in entities for i in range(e.start, e.end)}
    dates = [d for d in find_dates(text) if not any(i in taken for i in range(d.start, d.end))]
    entities, dates = _absorb_dates(entities, dates, words, vocab)
    taken |= {i for d in dates for i in range(d.start, d.end)}
    kinds = _kinds(words, taken, vocab)
    features = _features(words, typed, (dates, entities, kinds), languages, vocab)
    return Question(
        text, tuple(words), tuple(dates), entities, kinds, languages, quotes, tuple(features)
    )


#: quoted words: "...", “...”, «...», and '...' between spaces (not an apostrophe)
_QUOTED = re.compile(r"[\"“«]([^\"”»]+)[\"”»]|(?<![\w'’])['‘]([^'’]+)['’](?![\w'’])")


def _without_possessive(word: str, vocab: Vocabulary) -> str:
    """A word without its possessive: "Demirel's" and "Nazarbayevs" (a name that is one
    without its s) are Demirel and Nazarbayev; "visits" and "Kazakhs" stay."""
    written = re.sub(r"(?<=\w)['’]s?$", "", word)
    if written != word:
        return written or word
    core = word.strip(PUNCTUATION)
    folded = fold(core)
    if len(folded) < 5 or not folded.endswith("s") or folded in vocab.common:
        return word
    whole = _kept(vocab.names.lookup(core, upto="surname"), vocab)
    if whole and whole[0].how in ("exact", "folded"):
        return word
    bare = _kept(vocab.names.lookup(core[:-1], upto="surname"), vocab)
    if bare and (not whole or bare[0].how in ("exact", "folded")):
        return word.replace(core, core[:-1])
    return word


def _languages(words: list[str], taken: set[int], vocab: Vocabulary) -> tuple[LanguageClue, ...]:
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
            tag = _data_language(_LANGUAGE_NAMES[word], vocab.languages)
        elif before in ("in", "lang", "language") and word_tag(words[i]) in vocab.languages:
            tag = word_tag(words[i])
        if tag is not None:
            found.append(LanguageClue(i, i + 1, words[i], _tag_case(tag)))
    return tuple(found)


def word_tag(word: str) -> str:
    return word.strip(PUNCTUATION).lower()


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


def _is_instance(vocab: Vocabulary, iri: str) -> bool:
    """Whether ``iri`` is a thing of the graph, not a class, concept, scheme or property."""
    types = vocab.names.types.get(iri, frozenset())
    return any(not t.startswith(_SCHEMA) for t in types) and not any(
        t.startswith(_SCHEMA) and t.endswith(_VOCABULARY) for t in types
    )


#: the local names of the types of vocabulary terms (owl:Class, skos:Concept, rdf:Property...)
_VOCABULARY = ("Class", "Concept", "ConceptScheme", "Property", "Ontology")


def _entities(
    words: list[str], typed: list[str], taken: set[int], dated: set[int], vocab: Vocabulary
) -> tuple[EntityClue, ...]:
    """Names of resources (instances, not kinds) in the question, in four passes: a kind and a
    number ("paragraph 5"); a few words of one name ("the friendship treaty", "foreign minister
    of the Kazakh SSR"); names of two words or more as written
    (:meth:`~kzgraph.resolve.NameIndex.mentions`; "Kazakh diaspora in Turkey", "Kara 2011");
    then one-word names ("Demirel")."""
    found = list(_numbered(words, taken, vocab))
    for passes in ("words", "long", "short"):
        taken = taken | {i for e in found for i in range(e.start, e.end)}
        if passes == "words":
            found += _by_words(words, typed, taken, dated, vocab)
            continue
        written = typed if passes == "long" else words  # long names keep their 's
        masked = " ".join("·" if i in taken else w for i, w in enumerate(written))
        for m in vocab.names.mentions(masked, skip=vocab.common):
            keep = _kept(m.candidates, vocab)
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
    entities: tuple[EntityClue, ...], dates: list[DateClue], words: list[str], vocab: Vocabulary
) -> tuple[tuple[EntityClue, ...], list[DateClue]]:
    """A year beside a name that holds it is part of the name ("the 1994 friendship treaty",
    "Kara 2011"), not a date of the question."""
    kept = []
    found = list(entities)
    for d in dates:
        year = (d.first or d.last or "")[:4]
        for n, e in enumerate(found):
            gap = words[d.end : e.start] if d.end <= e.start else words[e.end : d.start]
            named = {e.candidates[0].matched, vocab.names.labels.get(e.candidates[0].iri, "")}
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


def _kept(candidates: Iterable[Candidate], vocab: Vocabulary) -> tuple[Candidate, ...]:
    """The candidates of a mention that are resources (not kinds), preferred names first;
    a surname only of a person, a fuzzy match only of a resource some parameter could take."""
    person = {c for c in vocab.slot_classes if c.endswith(("#Person", "/Person"))}
    keep = []
    for c in candidates:
        if not _is_instance(vocab, c.iri):
            continue
        types = vocab.names.types.get(c.iri, frozenset())
        if c.how == "surname" and person and types.isdisjoint(person):
            continue  # "president" is no surname of the President of Kazakhstan
        if c.how == "fuzzy" and (c.score < 88 or not fits_any(types, vocab.slot_classes)):
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


def _numbered(words: list[str], taken: set[int], vocab: Vocabulary) -> Iterable[EntityClue]:
    """A kind followed by a number, naming the one resource of that kind whose short name
    holds the number ("paragraph 5": [P5])."""
    for i in range(len(words) - 1):
        number = _number(words[i + 1].strip(PUNCTUATION))
        if i in taken or i + 1 in taken or number is None:
            continue
        classes = set(vocab.kinds.get(tuple(content_words(fold(words[i]))), ()))
        iris = [
            iri
            for iri in vocab.numbered.get(str(number), ())
            if not classes.isdisjoint(vocab.names.types.get(iri, ()))
        ]
        if len(iris) == 1:
            shown = vocab.names.candidate(iris[0], " ".join(words[i : i + 2]), "exact")
            yield EntityClue(i, i + 2, " ".join(words[i : i + 2]), (shown,))


def _by_words(
    words: list[str], typed: list[str], taken: set[int], dated: set[int], vocab: Vocabulary
) -> list[EntityClue]:
    """Stretches of one to six words that name one resource by some of the words of its name
    (see :func:`_one_name`); a year among them must be in that name ("Ayagan 2010")."""
    found = []
    start = 0
    while start < len(words):
        for end in range(min(len(words), start + 6), start, -1):
            piece = [w.strip(PUNCTUATION) for w in words[start:end]]
            span = range(start, end)
            if any(i in taken for i in span) or not all(fold(w) for w in piece):
                continue
            if fold(piece[0]) in _EDGE or fold(piece[-1]) in _EDGE:
                continue
            years = [piece[i - start] for i in span if i in dated]
            if years and not all(re.fullmatch(r"\d{4}", y) for y in years):
                continue  # a month or a day is a date of the question, never part of a name
            best = _one_name(piece, [w.strip(PUNCTUATION) for w in typed[start:end]], vocab)
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


def _one_name(piece: list[str], typed: list[str], vocab: Vocabulary) -> Candidate | str | None:
    """The resource whose shortest name holds the words of ``piece``, trying them with their
    possessive 's (as ``typed``: "Turkey's recognition") and "Turkish" as "Turkey" if the words
    as they are name none; :data:`_AS_WRITTEN` if they are a name as written.  Words of a name
    count if they are half of it and of a class some parameter asks for or with an uncommon
    word ("foreign minister of Turkey", "the friendship treaty"), two uncommon words of it
    ("direct flights"), a name and a kind ("Yassawi university", "the Nakhchivan summit"), or
    one uncommon word of a short name ("Toybaeva": Toybaeva 2016)."""
    variant = " ".join(_DEMONYMS.get(fold(w), w) for w in piece)
    for text in dict.fromkeys((" ".join(piece), " ".join(typed), variant)):
        found = vocab.names.lookup(text, upto="words")
        if found and found[0].how != "words":
            return _AS_WRITTEN
        found = [c for c in found if _is_instance(vocab, c.iri)]
        sizes = sorted((len(content_words(fold(c.matched))), c.iri) for c in found)
        if not sizes or (len(sizes) > 1 and sizes[1][0] == sizes[0][0]):
            continue
        words = content_words(fold(text))
        named = sum(1 for w in piece if _names_alone(w, vocab))
        if named == len(words):
            return None  # names ("Sezer and Nazarbayev"), not one name
        plain = sum(1 for w in piece if _distinctive(w, vocab) and not _names_alone(w, vocab))
        best = next(c for c in found if c.iri == sizes[0][1])
        named_words = {loose(w) for w in fold(best.matched).split()}
        if any(loose(w) not in named_words for w in fold(text).split() if w not in _EDGE):
            continue  # every word typed is a word of the name (not one the resolver skips)
        if len(piece) == 1:
            return best if plain and sizes[0][0] <= 3 else None
        half = 2 * len(words) >= sizes[0][0]
        slot = fits_any(vocab.names.types.get(best.iri, frozenset()), vocab.slot_classes)
        # a name and a kind: "Nakhchivan summit", a person's name and a concept: "Yassawi
        # university"; not a person's and a class ("Özal's signature"), nor a verb ("meet")
        last = fold(piece[-1])
        kind = (
            bool(named)
            and last in vocab.kind_nouns
            and (named > _persons_named(piece, vocab) or last in vocab.concept_nouns)
        )
        if (half and (slot or plain)) or plain >= 2 or kind:
            return best
    return None


def _persons_named(piece: list[str], vocab: Vocabulary) -> int:
    """How many words of ``piece`` are the name of a person by themselves ("Özal")."""
    person = {c for c in vocab.slot_classes if c.endswith(("#Person", "/Person"))}
    return sum(
        1
        for w in piece
        if _names_alone(w, vocab)
        and any(
            not vocab.names.types.get(c.iri, frozenset()).isdisjoint(person)
            for c in vocab.names.lookup(w, upto="surname")
        )
    )


def _names_alone(word: str, vocab: Vocabulary) -> bool:
    """Whether one word of a question is a name of some resource by itself ("Yassawi")."""
    folded = fold(word)
    if not folded or folded in vocab.common or not folded.isalpha():
        return False
    return bool(_kept(vocab.names.lookup(word.strip(PUNCTUATION), upto="surname"), vocab))


#: words that neither begin nor end a name found by its words
_EDGE = STOP_WORDS | frozenset(
    "in by to from with at on of for between about who what when where which how why".split()
)
#: adjectives of the two states, read as their names when a name is looked for
_DEMONYMS = {"turkish": "Turkey", "kazakh": "Kazakhstan", "kazakhstani": "Kazakhstan"}


def _distinctive(word: str, vocab: Vocabulary) -> bool:
    """A word that is not the catalog's, a title's, a kind's, a language's or a number."""
    folded = fold(word)
    return (
        folded.isalpha()
        and folded not in vocab.common
        and folded not in _LANGUAGE_NAMES
        and stem(folded) not in vocab.title_words
        and stem(folded) not in vocab.kind_words
        and stem(folded) not in STOP_WORDS
    )


PUNCTUATION = " ,.;:!?\"'()«»“”[]"


def fits_any(types: frozenset[str], classes: Iterable[str]) -> bool:
    return not types.isdisjoint(classes)


def _preferred(candidate: Candidate) -> bool:
    """Whether the name matched is the resource's own label (not an alternative name)."""
    return fold(candidate.matched) == fold(candidate.label)


def _kinds(words: list[str], taken: set[int], vocab: Vocabulary) -> tuple[KindClue, ...]:
    """Labels of concepts and classes, longest first ("joint statements", "treaties")."""
    stems = [tuple(stem(w) for w in fold(word).split()) for word in words]
    found = []
    i = 0
    while i < len(words):
        for n in range(min(vocab._longest_kind, len(words) - i), 0, -1):
            span = range(i, i + n)
            if any(j in taken for j in span):
                continue
            key = tuple(s for j in span for s in stems[j])
            iris = vocab.kinds.get(key)
            if iris:
                found.append(KindClue(i, i + n, " ".join(words[i : i + n]), iris))
                i += n
                break
        else:
            i += 1
    taken = taken | {j for k in found for j in range(k.start, k.end)}
    return tuple(sorted([*found, *_loose_kinds(stems, words, taken, vocab)], key=lambda k: k.start))


def _loose_kinds(
    stems: list[tuple[str, ...]], words: list[str], taken: set[int], vocab: Vocabulary
) -> list[KindClue]:
    """Labels of two words or more in another order or with one word of three or more
    missing, within a few words ("turnover of trade": trade turnover; "enterprises with
    Turkish capital": enterprises with foreign capital)."""
    found: list[KindClue] = []
    for key, iris in sorted(vocab.kinds.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        wanted = [w for w in key if w not in _EDGE]
        if len(wanted) < 2:
            continue
        free = [j for j in range(len(words)) if j not in taken]
        hits = [j for j in free if any(s in wanted for s in stems[j])]
        matched = {s for j in hits for s in stems[j] if s in wanted}
        if len(matched) < len(wanted) - (len(wanted) >= 3) or not hits:
            continue
        if hits[-1] - hits[0] > len(key) + 1 or fold(words[hits[-1]]) not in vocab.kind_nouns:
            continue  # a label's words close together, ending on one of its nouns
        found.append(KindClue(hits[0], hits[-1] + 1, " ".join(words[hits[0] : hits[-1] + 1]), iris))
        taken = taken | set(range(hits[0], hits[-1] + 1))
    return found


def _placeholders(candidate: Candidate, vocab: Vocabulary) -> list[str]:
    types = vocab.names.types.get(candidate.iri, frozenset())
    return ["{entity}"] + ["{" + local_name(c) + "}" for c in vocab.slot_classes if c in types]


def local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _scheme_of(iri: str, vocab: Vocabulary) -> str:
    schemes = sorted(vocab.schemes.get(iri, ()))
    return "{kind:" + (local_name(schemes[0]) if schemes else "class") + "}"


def _features(
    words: list[str],
    typed: list[str],
    clues: tuple[Sequence[DateClue], Sequence[EntityClue], Sequence[KindClue]],
    languages: Sequence[LanguageClue],
    vocab: Vocabulary,
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
        raw = [s for s in content_words(fold(e.text)) if s in vocab.title_words]
        background = background_words(e, vocab)
        if background:
            starts[e.start] = (e.end, background)  # Kazakhstan, Turkey: words of the titles
        else:
            starts[e.start] = (e.end, raw + _placeholders(e.candidates[0], vocab))
    for k in kinds:
        schemes = {_scheme_of(iri, vocab) for iri in k.iris}
        concept = sorted(s for s in schemes if s != "{kind:class}")
        starts[k.start] = (k.end, concept + content_words(fold(k.text)))
    for lang in languages:
        starts[lang.start] = (lang.end, ["{lang}"])
    out: list[str] = []
    states: list[tuple[int, bool]] = []  # (position in out, named as the agent's)
    i = 0
    while i < len(words):
        if i in starts:
            end, marks = starts[i]
            if marks and all(m in vocab.title_words for m in marks):
                states += [
                    (len(out) + j, typed[end - 1] != words[end - 1]) for j in range(len(marks))
                ]
            out.extend(marks)
            i = end
            continue
        for w in fold(words[i]).split():
            s = stem(_spelled(w, vocab))
            if s not in STOP_WORDS:
                if w in _DEMONYMS:
                    states.append((len(out), True))
                out.append(s)
        i += 1
    return out + _roles(out, states)


def _spelled(word: str, vocab: Vocabulary) -> str:
    """A word the catalog never uses, as the catalog's word it is a misspelling of ("artcle":
    article), else as it is."""
    if len(word) < 5 or not word.isalpha() or word in vocab.spellings:
        return word
    if stem(word) in vocab.idf or stem(word) in vocab.known_words:
        return word
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    edits = 1 if len(word) < 8 else 2  # one letter wrong, missing or extra; two in long words
    found = process.extractOne(
        word, vocab.spellings, scorer=Levenshtein.distance, score_cutoff=edits
    )
    return found[0] if found else word


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


def background_words(clue: EntityClue, vocab: Vocabulary) -> list[str]:
    """The words of a resource's label, if the titles use them all (Kazakhstan, Turkey: named in
    many questions, whichever way they are spelt), else []."""
    words = fold(vocab.names.labels.get(clue.candidates[0].iri, "")).split()
    return words if words and all(w in vocab.title_names for w in words) else []


def search_words(read: Question) -> list[str]:
    """The content words of a question, folded (for the full-text fallback): no stop words,
    prepositions or question words."""
    out = []
    for word in read.words:
        folded = fold(word)
        if folded and all(stem(w) not in STOP_WORDS and w not in _EDGE for w in folded.split()):
            out.append(folded)
    return out


QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())


# --------------------------------------------------------------------------- the vocabulary


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


def vocabulary(
    catalog: Mapping[str, SavedQuery], names: NameIndex, terms: GraphTerms
) -> Vocabulary:
    """The vocabulary of a catalog over a graph (its idf is the scorer's to fill in)."""
    kinds: dict[tuple[str, ...], set[str]] = {}
    kind_labels: dict[str, str] = {}
    for name in names.names:
        types = names.types.get(name.iri, frozenset())
        if name.property not in _LABELS or types.isdisjoint(_KIND_CLASSES):
            continue
        if name.language not in (None, "en"):
            continue
        key = tuple(content_words(fold(name.text)))
        if key:
            kinds.setdefault(key, set()).add(name.iri)
        if name.property != _SKOS + "altLabel":
            kind_labels.setdefault(name.iri, names.labels.get(name.iri, name.text))
    titles, common = _catalog_words(catalog)
    slot_classes = sorted({c for q in catalog.values() for p in q.params for c in p.classes})
    built = Vocabulary(
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
        known_words=frozenset(
            w for text in terms.glossary.values() for w in content_words(fold(text))
        )
        | frozenset(w for k in kinds for w in k),
        _longest_kind=max((len(k) for k in kinds), default=1),
    )
    built.spellings = frozenset(
        w
        for q in catalog.values()
        for text in (q.title, q.description, *q.examples)
        for w in fold(text).split()
        if len(w) >= 5 and w.isalpha()
    )
    return built


def _catalog_words(catalog: Mapping[str, SavedQuery]) -> tuple[frozenset[str], frozenset[str]]:
    """Stems of the titles' words, and the words the catalog writes in lower case (titles,
    descriptions, examples): a question's one-word names are looked for among the others."""
    titles = {s for q in catalog.values() for s in content_words(fold(q.title))}
    common = set(STOP_WORDS) | set(_LANGUAGE_NAMES)
    for q in catalog.values():
        texts = [q.title, q.description, *q.examples] + [p.description for p in q.params]
        for text in texts:
            text = re.sub(r"\S*[-:]\S*", " ", text)  # kebab-case values, prefixed names
            common |= {fold(w) for w in re.findall(r"\b[a-z][a-z]+\b", text)}
    return frozenset(titles), frozenset(common)


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
