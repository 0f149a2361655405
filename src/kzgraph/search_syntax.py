"""The search language: what a person types for a full-text search, parsed and matched.

The rule it keeps: a search reaches the index only as an FTS5 expression built here from
quoted folded tokens (``[a-z0-9]`` runs), never as the typed text, and one literal matches
:meth:`SearchQuery.matches` exactly when the index says it does.

The language, kept small: words (all must occur in one text), ``"a phrase"`` (in order),
``word*`` (a prefix), ``a OR b``, ``-word`` or ``NOT word`` (leave out); ``AND`` is allowed
and changes nothing; operators are capitals; anything else that is not a letter or a digit
separates words (so ``Kazakh-Turkish`` is the phrase "kazakh turkish").  Words are compared
after :func:`kzgraph.spelling.fold` or by :func:`search_key`, a coarser key for spelling
variants.  A text that is not a search is a :class:`~kzgraph.errors.SearchError` with a
one-line reason (empty, only punctuation, control characters, over :data:`MAX_CHARS`, an
unclosed quote, an operator without its word).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from kzgraph.errors import SearchError
from kzgraph.spelling import fold, loose

MAX_CHARS = 1000  # of search text
MAX_TERMS = 32  # words, phrases and prefixes in one search


@lru_cache(maxsize=16384)
def search_key(word: str) -> str:
    """The coarse key of one folded word, for spelling variants: its
    :func:`~kzgraph.spelling.loose` form after dropping a final ``s`` (visits = visit,
    Özal's = Özal) or a final ``h`` after a vowel (madrasah = madrasa).  Words with a digit
    and words shorter than four letters are their own key (2000 is not 200, off is not of)."""
    if len(word) < 4 or not word.isalpha():
        return word
    if word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    elif word.endswith("h") and word[-2] in "aeiou":
        word = word[:-1]
    return loose(word)


@dataclass(frozen=True)
class Term:
    """A word (one folded token), a phrase (several, in order), either with the last as prefix."""

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        # a prefix is keyed without dropping an "s" or "h": "visits*" is not "visit*"
        last = self.words[-1]
        if not self.prefix:
            last = search_key(last)
        elif len(last) >= 4 and last.isalpha():
            last = loose(last)
        return (*(search_key(w) for w in self.words[:-1]), last)

    def fts(self) -> str:
        """This term as an FTS5 expression: the folded words, or their keys."""
        star = "*" if self.prefix else ""
        words = " ".join(self.words)
        keys = " ".join(self.keys)
        return f'(fold : "{words}"{star} OR key : "{keys}"{star})'

    def matches(self, folded: tuple[str, ...], keys: tuple[str, ...]) -> bool:
        """True when the words (or their keys) occur in order in ``folded`` (or ``keys``)."""
        return _contains(folded, self.words, self.prefix) or _contains(keys, self.keys, self.prefix)

    def show(self) -> str:
        text = " ".join(self.words)
        text = f'"{text}"' if len(self.words) > 1 else text
        return text + ("*" if self.prefix else "")


def _contains(tokens: tuple[str, ...], phrase: tuple[str, ...], prefix: bool) -> bool:
    n = len(phrase)
    for i in range(len(tokens) - n + 1):
        if tokens[i : i + n - 1] != phrase[:-1]:
            continue
        last = tokens[i + n - 1]
        if last == phrase[-1] or (prefix and last.startswith(phrase[-1])):
            return True
    return False


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search: every group must match (a group matches when one of its terms does),
    and no excluded term may."""

    text: str
    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def wanted_fts(self) -> str:
        """The FTS5 MATCH expression of the groups (quoted folded tokens only)."""
        return " AND ".join("(" + " OR ".join(t.fts() for t in g) + ")" for g in self.groups)

    def excluded_fts(self) -> str | None:
        """The FTS5 MATCH expression of the excluded terms (None when there are none)."""
        return " OR ".join(t.fts() for t in self.excluded) or None

    def fts(self) -> str:
        """One literal's MATCH expression: the groups, NOT the excluded terms."""
        excluded = self.excluded_fts()
        return f"({self.wanted_fts()}) NOT ({excluded})" if excluded else self.wanted_fts()

    def matches(self, text: str) -> bool:
        """Whether ``text`` matches, exactly as the index would decide."""
        folded = tuple(fold(text).split())
        keys = tuple(search_key(w) for w in folded)
        return all(any(t.matches(folded, keys) for t in g) for g in self.groups) and not any(
            t.matches(folded, keys) for t in self.excluded
        )

    def show(self) -> str:
        """The query as it was understood (folded), for messages."""
        parts = [" OR ".join(t.show() for t in g) for g in self.groups]
        parts += [f"-{t.show()}" for t in self.excluded]
        return " ".join(parts)


_OPERATORS = ("AND", "OR", "NOT")
_SPACE = " \t\n\r"


@dataclass(frozen=True)
class _Chunk:
    kind: str  # "term" or "op"
    column: int
    text: str = ""
    term: Term | None = None
    negated: bool = False


def _term(raw: str, prefix: bool) -> Term | None:
    words = tuple(fold(raw).split())
    return Term(words, prefix) if words else None


def _lex(text: str) -> list[_Chunk]:
    """Words, quoted phrases and operators, with their columns (1-based)."""
    chunks: list[_Chunk] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
            continue
        start = i
        negated = False
        if ch == "-" and i + 1 < n and text[i + 1] not in _SPACE:
            negated, i = True, i + 1
        if text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise SearchError(
                    f'unbalanced quote: the phrase opened at column {i + 1} has no closing "'
                )
            raw, i = text[i + 1 : close], close + 1
            prefix = i < n and text[i] == "*"
            i += 1 if prefix else 0
            term = _term(raw, prefix)
            if term is not None:
                chunks.append(_Chunk("term", start + 1, raw, term, negated))
            continue
        while i < n and text[i] not in _SPACE and text[i] != '"':
            i += 1
        raw = text[start:i]
        if raw in _OPERATORS:
            chunks.append(_Chunk("op", start + 1, raw))
            continue
        body = raw[1:] if negated else raw
        prefix = body.endswith("*")
        term = _term(body.rstrip("*"), prefix)
        if term is not None:
            chunks.append(_Chunk("term", start + 1, raw, term, negated))
    return chunks


def _check_text(text: str) -> None:
    if len(text) > MAX_CHARS:
        raise SearchError(
            f"the search text is {len(text)} characters long; the limit is {MAX_CHARS}"
        )
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs":  # how Python passes on bytes of argv that are not UTF-8
            raise SearchError(f"the search text is not UTF-8 (U+{ord(ch):04X})")
        if category == "Cc" and ch not in _SPACE:
            raise SearchError(f"the search text holds a control character (U+{ord(ch):04X})")
    if not text.strip():
        raise SearchError('the search text is empty: give a word, a "phrase" or a prefix*')


@lru_cache(maxsize=512)
def parse_query(text: str) -> SearchQuery:
    """Parse the search language (see docs/cli.md, "Full-text search"); :class:`SearchError`
    with a one-line reason when ``text`` is not a search."""
    _check_text(text)
    chunks = _lex(text)
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending: str | None = None  # an operator waiting for its term
    pending_at = 0
    joinable = False  # the last thing was a term that OR may extend
    for chunk in chunks:
        if chunk.kind == "op":
            if pending is not None:
                raise SearchError(f"'{pending}' at column {pending_at} needs a word after it")
            if chunk.text == "OR" and not joinable:
                raise SearchError(
                    f"'OR' at column {chunk.column} needs a word on each side "
                    "(an excluded word cannot take part in OR)"
                )
            if chunk.text == "AND" and not (groups or excluded):
                raise SearchError(f"'AND' at column {chunk.column} needs a word on each side")
            pending, pending_at = chunk.text, chunk.column
            continue
        assert chunk.term is not None
        negated = chunk.negated or pending == "NOT"
        if pending == "OR":
            if negated:
                raise SearchError(
                    f"'OR' at column {pending_at} cannot join an excluded word; "
                    "exclude it outside the OR"
                )
            groups[-1].append(chunk.term)
        elif negated:
            excluded.append(chunk.term)
        else:
            groups.append([chunk.term])
        joinable = not negated
        pending = None
    if pending is not None:
        raise SearchError(f"'{pending}' at column {pending_at} needs a word after it")
    if not groups:
        if excluded:
            raise SearchError(
                "a search needs a word to find: -word and NOT word only leave things out"
            )
        raise SearchError("the search text has no words to look for (only punctuation)")
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise SearchError(f"the search has more than {MAX_TERMS} words, phrases and prefixes")
    return SearchQuery(text, tuple(tuple(g) for g in groups), tuple(excluded))
