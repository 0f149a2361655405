"""Questions in plain words to saved queries: which saved question is asked, with which values.

The rule it keeps: the catalog is the only source of what can be asked.  Nothing here names a
saved query, a parameter or a keyword of one, so a new ``queries/*.rq`` with ``examples:`` is
askable as it stands.  Offline and deterministic: the same question, catalog and graph give the
same answer, with no network and no model beyond what is computed here from the catalog.

Each saved query is read as a question is (:mod:`kzgraph.question`) from its ``examples:``,
title and description, and the labels and comments of the ontology terms its SPARQL uses
(:func:`build_model`).  A query's score (:meth:`AskModel.ask`) is the TF-IDF cosine of the
question with its closest example and with all its texts together, plus how well the clues fill
its parameters (:func:`fill`): a parameter admits what its type and classes say (an ``iri``
parameter of class kz:Person a person's name, a ``gYear`` a year, a ``date`` with ``period:
start`` the first end of a period, an ``iri`` of a class of concepts or a ``string`` whose
default or example is a concept a kind of that scheme, a ``string`` with kebab-case values in
its description one of them, ``lang`` a language); a query that leaves a name or a date of the
question unused, or an ``iri``/year parameter empty, loses a little.  Below a floor, or when
most of its words are words no query or ontology term uses, nothing fits: the answer is a
full-text search on the question's content words.  The model is kept in the cache entry
(:func:`load_model`).
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kzgraph.question import (
    MAX_QUESTION,
    PUNCTUATION,
    QUESTION_WORDS,
    STOP_WORDS,
    GraphTerms,
    KindClue,
    Question,
    Vocabulary,
    background_words,
    content_words,
    fits_any,
    fold,
    local_name,
    read_question,
    search_words,
    stem,
    vocabulary,
)

if TYPE_CHECKING:
    from kzgraph.query import Engine, SavedQuery
    from kzgraph.resolve import Candidate, NameIndex

#: a reading this close to the best one (in score) is listed beside it
CLOSE = 0.08
#: below this score no saved query fits: the answer is a full-text search
FLOOR = 0.1
#: how much the text similarity (0-1) and the parameter fit count
FIT_WEIGHT = 0.2
#: text similarity: the closest example versus all of a query's texts together
NEAREST_WEIGHT = 0.6
#: how much a pair of neighbouring words counts beside a word
BIGRAM = 0.5
#: how much a placeholder counts beside a word ({entity}, which every name gives, less)
MARK = 0.5
ENTITY_MARK = 0.3

# --------------------------------------------------------------------------- readings


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
    """Everything :meth:`ask` needs: the vocabulary questions are read with, and the saved
    queries' features."""

    vocabulary: Vocabulary
    queries: tuple[QueryModel, ...] = ()

    def ask(self, question: str, *, alternatives: int = 2) -> Answer:
        """The best reading of ``question``, close alternatives, or the words to search."""
        read = read_question(question, self.vocabulary)
        scored = [self._reading(q, read) for q in self.queries]
        scored.sort(key=lambda r: (-r.score, r.query))
        understood = " ".join(read.features)
        if not scored or scored[0].score < FLOOR or self._off_topic(read):
            words = [w for w in search_words(read) if w]
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
            if len(f) > 2 and not f.startswith(("{", "~")) and f not in QUESTION_WORDS
        ]
        known = self.vocabulary.idf.keys() | self.vocabulary.known_words
        unknown = sum(1 for f in words if f not in known)
        return unknown >= 2 and 4 * unknown >= 3 * len(words)

    def _reading(self, query: QueryModel, read: Question) -> Reading:
        vector = _weigh(read.features, self.vocabulary.idf)
        nearest = max((_cosine(vector, e) for e in query.examples), default=0.0)
        text = NEAREST_WEIGHT * nearest + (1 - NEAREST_WEIGHT) * _cosine(vector, query.centroid)
        params, because, fit = fill(query, read, self.vocabulary)
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


# --------------------------------------------------------------------------- filling


#: what a clue a parameter takes adds to a query's fit, and what an empty parameter or a clue
#: the query leaves unused costs it (see :func:`fill`)
FIT = {
    "entity": 0.8,  # a name, in an iri parameter of its class
    "entity-any": 0.2,  # a name, in an iri parameter of any class
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
    "unused-entity": 0.6,  # a name some query's iri parameter could take
    "unused-other": 0.15,  # any other name
    "unused-background": 0.05,  # a name the titles use (Kazakhstan, Turkey)
    "unused-date": 0.3,
    "unused-concept": 0.1,
    "unused-lang": 0.2,
}


def fill(
    query: QueryModel, read: Question, model: Vocabulary
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
                label = model.kind_labels.get(kind_hit[1], local_name(kind_hit[1]))
                value = _compact(kind_hit[1], query.prefixes)
                take(slot.name, value, read.kinds[kind_hit[0]].text, label, "concept")
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
                    label = model.kind_labels.get(iri, local_name(iri))
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
    read: Question, model: Vocabulary, used: Mapping[str, set[int]], query: QueryModel
) -> float:
    """What the clues a query leaves unused cost it."""
    cost = 0.0
    for i, e in enumerate(read.entities):
        if i not in used["entity"]:
            types = model.names.types.get(e.candidates[0].iri, frozenset())
            if background_words(e, model):
                cost += FIT["unused-background"]  # in the titles, in many questions
            elif fits_any(types, model.slot_classes) and e.candidates[0].how != "words":
                cost += FIT["unused-entity"]  # not a few words of a name ("Kazakh president")
            else:
                cost += FIT["unused-other"]
    cost += FIT["unused-date"] * sum(1 for i in range(len(read.dates)) if i not in used["date"])
    cost += FIT["unused-concept"] * sum(
        1 for i, k in enumerate(read.kinds) if i not in used["kind"] and _concept_clue(k, model)
    )
    if read.languages and not any(s.kind == "lang" for s in query.slots):
        cost += FIT["unused-lang"]
    return cost


def _concept_clue(clue: KindClue, model: Vocabulary) -> bool:
    return any(iri in model.schemes for iri in clue.iris)


def _entity_for(
    slot: Slot, read: Question, model: Vocabulary, used: set[int]
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
    slot: Slot, read: Question, model: Vocabulary, used: Mapping[str, set[int]]
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
        if stems and all(s not in STOP_WORDS and s not in query.vocabulary for s in stems):
            if folded not in QUESTION_WORDS:
                kept.append(word.strip(PUNCTUATION))
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


def _slots(query: SavedQuery, model: Vocabulary) -> tuple[Slot, ...]:
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
                concepts += list(model.kinds.get(tuple(content_words(fold(raw))), ()))
            schemes = {s for c in concepts for s in model.schemes.get(c, ())}
            if schemes:
                kind = "concept"
                values = _admitted(query.text, prefixes, schemes, model)
            else:
                options = set(re.findall(r"\b[a-z]+(?:-[a-z]+)+\b", p.description))
                options |= {v for v in (p.default, p.example) if v and re.fullmatch(r"[a-z-]+", v)}
                kind, values = ("option", tuple(sorted(options))) if options else ("text", ())
        cues = set(content_words(fold(p.name + " " + p.description)))
        cues -= {stem(part) for v in values for part in v.split("-")}
        slots.append(Slot(p.name, kind, p.classes, values, p.default, frozenset(cues)))
    return tuple(slots)


def _admitted(
    text: str, prefixes: Mapping[str, str], schemes: set[str], model: Vocabulary
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


def _description(text: str) -> str:
    """A description without IRIs, prefixed names and parenthesised asides."""
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"\S+:\S+", " ", text)
    return text


def build_model(catalog: Mapping[str, SavedQuery], names: NameIndex, terms: GraphTerms) -> AskModel:
    """The scorer for ``catalog`` over the graph whose names and terms are given."""
    vocab = vocabulary(catalog, names, terms)
    texts = {q.name: _documents(q, vocab, terms) for q in catalog.values()}
    vocab.idf = _idf(texts)
    queries = tuple(_query_model(q, texts[q.name], vocab) for q in catalog.values())
    return AskModel(vocab, queries)


#: how much each of a query's texts counts in its centroid
_DOC_WEIGHTS = {"example": 1.0, "title": 1.0, "description": 1.0, "glossary": 1.0}


def _documents(
    query: SavedQuery, model: Vocabulary, terms: GraphTerms
) -> list[tuple[list[str], str]]:
    """A query's texts as features, each with what it is (a key of :data:`_DOC_WEIGHTS`)."""
    docs = [(list(read_question(e, model).features), "example") for e in query.examples]
    docs.append((list(read_question(query.title, model).features), "title"))
    if query.description:
        described = _description(query.description)[:MAX_QUESTION]
        docs.append((list(read_question(described, model).features), "description"))
    used = _terms_used(query)
    words = [w for iri in sorted(used) for w in content_words(fold(terms.glossary.get(iri, "")))]
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
    query: SavedQuery, docs: list[tuple[list[str], str]], model: Vocabulary
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
                continue  # the graph's words weigh in the centroid, not in the rarity
            seen |= set(features)
            seen |= {a + " " + b for a, b in zip(features, features[1:], strict=False)}
        for f in seen:
            df[f] = df.get(f, 0) + 1
    n = len(texts)
    return {f: math.log((n + 1) / (d + 0.5)) for f, d in df.items()}


def ask(question: str, catalog: Mapping[str, SavedQuery], names: NameIndex) -> Answer:
    """Read ``question`` against ``catalog`` (no graph terms; see :func:`build_model`)."""
    return build_model(catalog, names, GraphTerms()).ask(question)


def model_path(entry_dir: Path, queries_dir: Path) -> Path:
    """Where the model of the catalog in ``queries_dir`` over a cache entry is kept: named after
    the catalog's files (and this code), so a changed or new saved query makes a new one."""
    from kzgraph.kept import code, stamp

    files = [*sorted(queries_dir.glob("*.rq")), *code(*_MODEL_CODE)]
    return entry_dir / "ask" / f"{stamp(files, salt=MODEL_VERSION)}.pickle"


#: bumped when a model's fields change (with :data:`_MODEL_CODE`, names the kept models)
MODEL_VERSION = "1"
#: the modules whose code shapes a model: a change to one makes a new model
_MODEL_CODE = ("ask.py", "question.py", "resolve.py", "spelling.py")


def load_model(entry_dir: Path, queries_dir: Path, build: Callable[[], AskModel]) -> AskModel:
    """The model kept in the cache entry for this catalog; else ``build()``'s, then kept
    (:func:`kzgraph.kept.load_or_build`)."""
    from kzgraph.kept import load_or_build

    return load_or_build(model_path(entry_dir, queries_dir), AskModel, build)


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
