"""One resolver for every name a person types: text in, resources of the graph out.

The rule it keeps: every place that takes a term (saved-query ``iri`` parameters,
``describe``, ``plot --focus``, the endpoint's forms, ``ask``) resolves it here, through
:class:`NameIndex`, so a name that works in one place works in all of them.

Matching runs in tiers of falling confidence, and the first tier that finds anything
decides (:data:`TIERS`):

1. ``iri``: a full IRI (``<…>`` or ``https://…``) or a prefixed name (``person:turgut-ozal``)
   of a resource the graph mentions;
2. ``exact``: a name as written (case-insensitive): ``rdfs:label``, ``skos:prefLabel``,
   ``skos:altLabel``, ``kz:articleSpelling``, ``kz:title`` or ``kz:citationText``, in any
   language;
3. ``folded``: the same after :func:`kzgraph.spelling.fold` (case, diacritics, script and
   punctuation: Erdoğan = ERDOGAN = Эрдоган);
4. ``spelling``: after :func:`kzgraph.spelling.loose` (Chiller = Çiller, Nazarbaev = Nazarbayev);
5. ``surname``: a surname alone or after initials ("Demirel", "S. Demirel", "A.N. Sezer");
6. ``words``: every word typed is a word of one name ("friendship treaty");
7. ``fuzzy``: rapidfuzz's similarity of the loose forms, at least :data:`FUZZY_CUTOFF`
   (Nazarbaiev, Yesevy).

One resource found in the deciding tier is the answer; several are reported ranked
(:class:`~kzgraph.errors.AmbiguousTermError`), none with the nearest names
(:class:`~kzgraph.errors.TermNotFoundError`).  A class (``kz:Person``) narrows the
candidates before the tiers run.  The index is built from any :class:`~kzgraph.engine.Engine`
with three SPARQL queries, so it works the same on the local graph and on ``--endpoint``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from kzgraph.errors import AmbiguousTermError, TermNotFoundError
from kzgraph.spelling import fold, loose
from kzgraph.terms import IRI, RDFS_LABEL, SKOS_ALTLABEL, SKOS_PREFLABEL, Literal, pick_label

if TYPE_CHECKING:
    from kzgraph.engine import Engine

KZ = "https://w3id.org/kzgraph/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_SUBCLASSOF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
SKOS_INSCHEME = "http://www.w3.org/2004/02/skos/core#inScheme"
#: the properties whose values are names of their subject
NAME_PROPERTIES = (
    RDFS_LABEL,
    SKOS_PREFLABEL,
    SKOS_ALTLABEL,
    KZ + "articleSpelling",
    KZ + "title",
    KZ + "citationText",
)
TIERS = ("iri", "exact", "folded", "spelling", "surname", "words", "fuzzy")
#: the lowest rapidfuzz ratio (0-100) of loose forms that counts as a fuzzy match
FUZZY_CUTOFF = 85.0
#: a fuzzy winner must lead the next resource by this many points to be the answer
FUZZY_MARGIN = 4.0
#: how many candidates an ambiguity error lists
SHOWN = 8

#: words that never make a name on their own (for surname and words matching)
_SMALL = frozenset(
    "a an and at by de del der di du el for in la le of on or the to van von with".split()
)


class Name(NamedTuple):
    """One name of a resource, as the graph writes it (a tuple: a kept index of 2M names
    unpickles in half the time of frozen dataclasses)."""

    iri: str
    text: str
    language: str | None
    property: str


@dataclass(frozen=True)
class Candidate:
    """A resource that what was typed may mean, and how it matched."""

    iri: str
    label: str
    kind: str  # the label of its most specific class ("person", "official visit", ...)
    matched: str  # the name that matched, as the graph writes it
    how: str  # one of TIERS
    score: float  # 100 for every tier but fuzzy


@dataclass(frozen=True)
class Mention:
    """A stretch of a sentence (token positions ``start``..``end``) that names resources."""

    start: int
    end: int
    text: str
    candidates: tuple[Candidate, ...]


#: the modules whose code shapes a NameIndex: a change to one makes the kept index a new one
_INDEX_CODE = ("resolve.py", "spelling.py", "terms.py")
#: bumped when the index's fields change
_INDEX_VERSION = "1"


def names_path(folder: Path) -> Path:
    """Where the index of the names of the graph in ``folder`` (a cache entry, or its rebased
    copy) is kept: named after this code, so a change to it makes a new one."""
    from kzgraph import __version__
    from kzgraph.kept import code, stamp

    name = stamp(code(*_INDEX_CODE), salt=f"{_INDEX_VERSION} {__version__}")
    return folder / "names" / f"{name}.pickle"


def _exact_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _values(engine: Engine, text: str) -> Iterator[tuple[str, str, str, str | None]]:
    """The rows of a two- or three-column SELECT whose columns are IRIs but for a last
    literal one: (first, second, the literal's text or "", its language).  Rows with an
    unbound or other term are left out.  Read straight from an Oxigraph store's terms when
    the engine has one: the 600k rows of a 1M-triple graph took 9 s as kzgraph's own terms."""
    from kzgraph.engine import OxigraphEngine

    if isinstance(engine, OxigraphEngine):
        import pyoxigraph as ox

        solutions = engine.store.query(text)
        assert isinstance(solutions, ox.QuerySolutions)  # a SELECT
        if len(solutions.variables) == 2:
            for a, b in solutions:
                if isinstance(a, ox.NamedNode) and isinstance(b, ox.NamedNode):
                    yield a.value, b.value, "", None
        else:
            for a, b, c in solutions:
                if isinstance(a, ox.NamedNode) and isinstance(c, ox.Literal):
                    yield a.value, b.value, c.value, c.language
        return
    for row in engine.run(text).rows:
        if len(row) == 2 and isinstance(row[0], IRI) and isinstance(row[1], IRI):
            yield row[0].value, row[1].value, "", None
        elif len(row) == 3 and isinstance(row[0], IRI) and isinstance(row[2], Literal):
            assert row[1] is not None
            yield row[0].value, row[1].value, row[2].value, row[2].language


@dataclass
class NameIndex:
    """Every name of every resource, keyed for each tier (see the module doc)."""

    names: list[Name]
    types: Mapping[str, frozenset[str]]  # IRI -> every class (the closure's rdf:type), scheme
    labels: Mapping[str, str]  # IRI -> display label
    kinds: Mapping[str, str]  # IRI -> label of its most specific class
    known: frozenset[str] = frozenset()  # every IRI that occurs as a subject
    _exact: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _folded: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _loose: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _surname: dict[str, list[tuple[int, tuple[str, ...]]]] = field(default_factory=dict, repr=False)
    _word_ids: dict[str, list[int]] = field(default_factory=dict, repr=False)  # word -> names
    _loose_keys: list[str] = field(default_factory=list, repr=False)  # names[i]'s loose form
    _surname_keys: list[tuple[int, str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        for i, name in enumerate(self.names):
            self._exact.setdefault(_exact_key(name.text), []).append(i)
            folded = fold(name.text)
            if not folded:
                self._loose_keys.append("")
                continue
            self._folded.setdefault(folded, []).append(i)
            loose_key = loose(name.text)
            self._loose_keys.append(loose_key)
            self._loose.setdefault(loose_key, []).append(i)
            words = loose_key.split()
            for word in dict.fromkeys(_split_numbers(words)):
                self._word_ids.setdefault(word, []).append(i)
            if _personal(name.text, words):
                self._surname.setdefault(words[-1], []).append((i, tuple(words[:-1])))
                self._surname_keys.append((i, words[-1]))

    # ------------------------------------------------------------------ building

    @classmethod
    def from_engine(cls, engine: object) -> NameIndex:
        """The index of the graph behind ``engine`` (a :class:`kzgraph.engine.Engine`).

        An engine over a cache entry's graph names the entry's folder
        (:attr:`~kzgraph.engine.Engine.kept_dir`): the index is kept there
        (:func:`kzgraph.kept.load_or_build`), so only the first name looked up in an entry
        pays for reading every name of the graph (1M triples: ~13 s to build, ~0.8 s to read)."""
        from kzgraph.engine import Engine

        assert isinstance(engine, Engine)
        folder = engine.kept_dir
        if folder is None:
            return cls._build(engine)
        from kzgraph.kept import load_or_build

        return load_or_build(names_path(folder), NameIndex, lambda: cls._build(engine))

    @classmethod
    def _build(cls, engine: Engine) -> NameIndex:
        props = " ".join(IRI(p).n3() for p in NAME_PROPERTIES)
        names_q = (
            f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {props} }} ?s ?p ?o "
            "FILTER(isIRI(?s) && isLiteral(?o)) }"
        )
        types_q = (  # a concept's scheme narrows like a class (class: kz:DocumentTypes)
            f"SELECT ?s ?t WHERE {{ {{ ?s <{RDF_TYPE}> ?t }} UNION {{ ?s <{SKOS_INSCHEME}> ?t }} "
            "FILTER(isIRI(?s) && isIRI(?t)) }"
        )
        subclass_q = (
            f"SELECT ?c ?d WHERE {{ ?c <{RDFS_SUBCLASSOF}> ?d FILTER(isIRI(?c) && isIRI(?d)) }}"
        )
        names = []
        label_pairs: dict[str, list[tuple[str, Literal]]] = {}
        for s, p, text, language in _values(engine, names_q):
            names.append(Name(s, text, language, p))
            if p in (RDFS_LABEL, SKOS_PREFLABEL):
                label_pairs.setdefault(s, []).append((p, Literal(text, language=language)))
        types: dict[str, set[str]] = {}
        for s, t, _text, _language in _values(engine, types_q):
            types.setdefault(s, set()).add(t)
        supers: dict[str, set[str]] = {}
        for c, d, _text, _language in _values(engine, subclass_q):
            if c != d:
                supers.setdefault(c, set()).add(d)
        subjects = {n.iri for n in names} | set(types)
        labels = {iri: pick_label(iri, label_pairs.get(iri, [])) for iri in subjects}
        kinds = {iri: _kind(classes, supers, labels) for iri, classes in types.items()}
        return cls(
            names=sorted(names, key=lambda n: (n.iri, n.property, n.text, n.language or "")),
            types={iri: frozenset(c) for iri, c in types.items()},
            labels=labels,
            kinds=kinds,
            known=frozenset(subjects),
        )

    # ------------------------------------------------------------------ lookup

    def _allowed(self, iri: str, classes: Collection[str] | None) -> bool:
        return not classes or not self.types.get(iri, frozenset()).isdisjoint(classes)

    def _candidates(
        self, ids: Iterable[int], how: str, classes: Collection[str] | None, score: float = 100.0
    ) -> list[Candidate]:
        best: dict[str, Candidate] = {}
        for i in ids:
            name = self.names[i]
            if not self._allowed(name.iri, classes) or name.iri in best:
                continue
            best[name.iri] = self.candidate(name.iri, name.text, how, score)
        return sorted(best.values(), key=lambda c: (-c.score, c.label.casefold(), c.iri))

    def candidate(self, iri: str, matched: str, how: str, score: float = 100.0) -> Candidate:
        label = self.labels.get(iri) or pick_label(iri, [])
        return Candidate(iri, label, self.kinds.get(iri, "resource"), matched, how, score)

    def lookup(
        self,
        text: str,
        classes: Collection[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        *,
        upto: str = "fuzzy",
    ) -> list[Candidate]:
        """The candidates of the first tier that finds any (see the module doc), trying the
        tiers up to ``upto`` only (one of :data:`TIERS`)."""
        typed = text.strip()
        if not typed:
            return []
        from kzgraph.terms import expand_iri, looks_like_iri

        if looks_like_iri(typed):
            iri = expand_iri(typed, prefixes)
            if iri is not None and iri in self.known and self._allowed(iri, classes):
                return [self.candidate(iri, typed, "iri")]
            if iri is not None and (typed.startswith("<") or "://" in typed):
                return []  # a full IRI is never read as a name
        if upto == "iri":
            return []
        singular = _singular(loose(typed))
        for how, ids in (
            ("exact", self._exact.get(_exact_key(typed), [])),
            ("folded", self._folded.get(fold(typed), [])),
            ("spelling", self._loose.get(loose(typed), []) or self._loose.get(singular, [])),
        ):
            found = self._candidates(ids, how, classes)
            if found or how == upto:
                return found
        words = loose(typed).split()
        if not words:
            return []
        found = self._candidates(self._by_surname(words), "surname", classes)
        if found or upto == "surname":
            return found
        # "paragraph 15" for a kz:Paragraph: the class's own name adds nothing; P15 = P 15
        named = {w for c in classes or () for w in loose(self.labels.get(c, "")).split()}
        content = [w for w in _split_numbers(words) if w not in _SMALL and w not in named]
        if content:
            postings = sorted((self._word_ids.get(w, []) for w in set(content)), key=len)
            having = set(postings[0]).intersection(*postings[1:])
            found = self._candidates(sorted(having), "words", classes)
            if found:
                return found
        return self._fuzzy(typed, classes) if upto == "fuzzy" else []

    def _by_surname(self, words: list[str]) -> list[int]:
        surname, initials = words[-1], [w for w in words[:-1] if w not in _SMALL]
        if len(surname) <= 2 or not surname.isalpha():
            return []
        if any(len(w) > 1 for w in initials):  # given names written out: not this tier
            return []
        hits = []
        for i, given in self._surname.get(surname, []):
            if not initials or _initials_fit(initials, given):
                hits.append(i)
        return hits

    def _fuzzy(self, typed: str, classes: Collection[str] | None) -> list[Candidate]:
        """Names whose loose form (or, for one word typed, a person's surname) is at least
        FUZZY_CUTOFF similar; rapidfuzz scores all names in one call, in C."""
        from rapidfuzz import fuzz, process

        key = loose(typed)
        if len(key.replace(" ", "")) < 5:
            return []
        # every name's loose form, then (for one word typed) each person's surname
        surnames = self._surname_keys if " " not in key else []
        choices = self._loose_keys + [surname for _i, surname in surnames]
        scored: dict[str, tuple[float, str]] = {}
        for _key, score, at in process.extract(
            key, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
        ):
            i = at if at < len(self._loose_keys) else surnames[at - len(self._loose_keys)][0]
            name = self.names[i]
            if self._allowed(name.iri, classes) and score > scored.get(name.iri, (0.0, ""))[0]:
                scored[name.iri] = (score, name.text)
        found = [self.candidate(iri, text, "fuzzy", s) for iri, (s, text) in scored.items()]
        return sorted(found, key=lambda c: (-c.score, c.label.casefold(), c.iri))

    def resolve(
        self,
        text: str,
        classes: Collection[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        *,
        what: str | None = None,
    ) -> Candidate:
        """The one resource ``text`` names, else AmbiguousTermError / TermNotFoundError.

        ``what`` names the place that asked (``parameter 'person' of query …``) in errors."""
        found = self.lookup(text, classes, prefixes)
        if len(found) == 1:
            return found[0]
        if found and found[0].how == "fuzzy" and found[0].score - found[1].score >= FUZZY_MARGIN:
            return found[0]
        if found:
            raise AmbiguousTermError(
                text,
                [(describe_candidate(c), c.iri) for c in found[:SHOWN]],
                total=len(found),
                what=what,
            )
        if classes:
            other = self.lookup(text, None, prefixes)
            if other:
                wanted = " or ".join(sorted({self.labels.get(c, c) for c in classes}))
                shown = "; ".join(f"{describe_candidate(c)} <{c.iri}>" for c in other[:3])
                raise TermNotFoundError(
                    text,
                    self.nearest(text, classes),
                    what=what,
                    note=f"wanted: {wanted}; found: {shown}",
                )
        raise TermNotFoundError(text, self.nearest(text, classes), what=what)

    def nearest(self, text: str, classes: Collection[str] | None = None, n: int = 5) -> list[str]:
        """Up to ``n`` names closest to ``text`` (for "did you mean"), as "label <iri>"."""
        from rapidfuzz import fuzz

        from kzgraph.terms import looks_like_iri

        key = loose(text.rsplit(":", 1)[-1] if looks_like_iri(text) else text)
        if not key:
            return []
        scored: dict[str, float] = {}
        for name, name_key in zip(self.names, self._loose_keys, strict=True):
            if not self._allowed(name.iri, classes):
                continue
            score = max(
                [fuzz.ratio(key, name_key)]
                + [fuzz.ratio(key, w) for w in name_key.split() if len(w) > 3 and " " not in key]
            )
            score += fuzz.ratio(key, name_key) / 1000  # ties: the closer whole name first
            if score >= 70 and score > scored.get(name.iri, 0.0):
                scored[name.iri] = score
        best = sorted(scored, key=lambda iri: (-scored[iri], self.labels.get(iri, iri)))[:n]
        return [f"{self.labels.get(i, i)} ({self.kinds.get(i, 'resource')}) <{i}>" for i in best]

    def mentions(
        self, text: str, *, max_words: int = 8, skip: Collection[str] = ()
    ) -> list[Mention]:
        """The names in a sentence: the longest stretches of words that resolve to resources
        (tiers up to ``surname``; single common words, and words in ``skip``, never count)."""
        words = text.split()
        found: list[Mention] = []
        start = 0
        while start < len(words):
            for end in range(min(len(words), start + max_words), start, -1):
                piece = " ".join(words[start:end]).strip(" ,.;:!?\"'()«»“”")
                key = fold(piece)
                edge = key.split()[:1] + key.split()[-1:]
                if not key or any(w in _SMALL for w in edge) or (end - start == 1 and key in skip):
                    continue
                if end - start == 1 and len(key) < 3:
                    continue
                hits = self.lookup(piece, upto="surname")
                if not hits and end - start == 1 and len(key) >= 6:
                    hits = self._fuzzy(piece, None)[:3]
                if hits:
                    found.append(Mention(start, end, piece, tuple(hits)))
                    start = end
                    break
            else:
                start += 1
        return found


def _singular(key: str) -> str:
    """``key`` with its last word in the singular, as English plurals go (treaties -> treaty,
    summits -> summit; ``ss`` and short words stay)."""
    head, _, last = key.rpartition(" ")
    if len(last) > 4 and last.endswith("ies"):
        last = last[:-3] + "y"
    elif len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return f"{head} {last}" if head else last


_LETTERS_DIGITS = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


def _split_numbers(words: list[str]) -> list[str]:
    """Words with letters and digits split apart (``p15`` -> ``p``, ``15``)."""
    return [part for w in words for part in _LETTERS_DIGITS.sub(" ", w).split()]


def _personal(text: str, words: list[str]) -> bool:
    """Whether a name reads as a person's: 2-4 capitalised words or initials, a surname last
    ("Süleyman Demirel", "A.N. Sezer"; not "Mausoleum of Khoja Akhmet Yassawi")."""
    written = text.replace(".", ". ").split()
    return (
        2 <= len(words) <= 4
        and 2 <= len(written) <= 5
        and all(w[:1].isupper() for w in written)
        and words[-1].isalpha()
        and len(words[-1]) > 2
        and not any(w in _SMALL for w in words)
    )


def _initials_fit(initials: list[str], given: tuple[str, ...]) -> bool:
    """Whether initials (``["a", "n"]``) are the first letters of given names, in order."""
    pos = 0
    for initial in initials:
        while pos < len(given) and not given[pos].startswith(initial):
            pos += 1
        if pos == len(given):
            return False
        pos += 1
    return True


def _kind(classes: set[str], supers: Mapping[str, set[str]], labels: Mapping[str, str]) -> str:
    """The label of the most specific of ``classes`` (kz: classes first)."""
    ours = {c for c in classes if c.startswith(KZ)} or classes
    specific = sorted(c for c in ours if not any(c in supers.get(o, ()) for o in ours if o != c))
    if not specific:
        return "resource"
    return min(labels.get(c, pick_label(c, [])) for c in specific)


def describe_candidate(candidate: Candidate) -> str:
    """``Süleyman Demirel (person)``: how a candidate is shown in lists."""
    return f"{candidate.label} ({candidate.kind})"
