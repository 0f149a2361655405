"""A small SPARQL lexer: enough to find ``$parameters``, PREFIX declarations, the query
form and the WHERE clause without being fooled by comments, strings, IRIs or prefixed
names that are spelled like keywords (``describe:``, ``service:``).

Used to check saved-query headers and to bind parameters by inserting a ``VALUES``
block; the query text itself is never otherwise edited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

#: the characters of names, as (first, last) code points: letters from U+00C0 to U+FFFF
#: stand for SPARQL's PN_CHARS_BASE there
_BASE = ((ord("A"), ord("Z")), (ord("a"), ord("z")), (0xC0, 0xFFFF))
_DIGITS_ETC = ((ord("0"), ord("9")), (ord("_"), ord("_")), (0xB7, 0xB7))
_PN_CHARS = (*_BASE, *_DIGITS_ETC, (ord("-"), ord("-")))


def char_class(ranges: tuple[tuple[int, int], ...], *also: str) -> str:
    """A regular-expression class of the code points in ``ranges`` and the characters
    ``also``, written as the negation of the rest: Python compiles ``[^\\x00-\\xbf…]``
    ten times faster than ``[…\\u00c0-\\uffff]`` (~6 ms against ~0.5 ms a class), which
    every command that reads a saved query used to pay at import."""
    wanted = sorted([*ranges, *((ord(c), ord(c)) for c in also)])
    gaps, start = [], 0
    for first, last in wanted:
        if first > start:
            gaps.append((start, first - 1))
        start = max(start, last + 1)
    if start <= 0x10FFFF:
        gaps.append((start, 0x10FFFF))
    return (
        "[^" + "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in gaps) + "]"
    )


_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_VAR = re.compile(rf"[?$]({char_class((*_BASE, *_DIGITS_ETC))}+)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
# a prefixed name (SPARQL's PNAME_NS / PNAME_LN): ``describe:``, ``kz:Event``, ``:x``; the
# prefix of ``PREFIX service: <...>`` is a name, never the keyword it is spelled like
_PN, _PN_DOT = char_class(_PN_CHARS), char_class(_PN_CHARS, ".")
_PN_COLON, _PN_DOT_COLON = char_class(_PN_CHARS, ":"), char_class(_PN_CHARS, ".", ":")
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PNAME = re.compile(
    rf"(?:{char_class(_BASE)}(?:{_PN_DOT}*{_PN})?)?:"
    rf"(?:(?:{_PN_COLON}|{_PLX})(?:(?:{_PN_DOT_COLON}|{_PLX})*(?:{_PN_COLON}|{_PLX}))?)?"
)
_BNODE = re.compile(rf"_:{_PN}(?:{_PN_DOT}*{_PN})?")


@dataclass(frozen=True)
class Token:
    kind: str  # "var", "word", "pname" (a prefixed name), "bnode", "iri", "string", "punct"
    text: str
    start: int
    end: int


@lru_cache(maxsize=256)
def token_list(text: str) -> tuple[Token, ...]:
    """The tokens of ``text``, computed once per text (each saved query is checked by
    several of the functions below on every command)."""
    return tuple(tokens(text))


def tokens(text: str) -> Iterator[Token]:
    """Yield significant tokens; comments and whitespace are skipped."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            j = min(n, j + len(quote))
            yield Token("string", text[i:j], i, j)
            i = j
        elif ch == "<" and (m := _IRIREF.match(text, i)):
            yield Token("iri", m.group(), i, m.end())
            i = m.end()
        elif ch in "?$" and (m := _VAR.match(text, i)):
            yield Token("var", m.group(), i, m.end())
            i = m.end()
        elif ch == "_" and (m := _BNODE.match(text, i)):
            yield Token("bnode", m.group(), i, m.end())
            i = m.end()
        elif (m := _PNAME.match(text, i)) and (ch == ":" or ch.isalpha()):
            yield Token("pname", m.group(), i, m.end())
            i = m.end()
        elif m := _WORD.match(text, i):
            yield Token("word", m.group(), i, m.end())
            i = m.end()
        else:
            yield Token("punct", ch, i, i + 1)
            i += 1


def dollar_variables(text: str) -> set[str]:
    """Names of the ``$name`` variables used in the query."""
    return {t.text[1:] for t in token_list(text) if t.kind == "var" and t.text.startswith("$")}


def declared_prefixes(text: str) -> dict[str, str]:
    """PREFIX declarations of the query (prefix -> namespace)."""
    found: dict[str, str] = {}
    toks = list(token_list(text))
    for i, t in enumerate(toks):
        if t.kind != "word" or t.text.upper() != "PREFIX":
            continue
        rest = toks[i + 1 : i + 3]
        if len(rest) == 2 and rest[0].kind == "pname" and rest[0].text.endswith(":"):
            if rest[1].kind == "iri":
                found[rest[0].text[:-1]] = rest[1].text[1:-1]
    return found


def _after_prologue(toks: tuple[Token, ...]) -> int:
    """Index of the first token after the BASE and PREFIX declarations."""
    i = 0
    while i < len(toks) and toks[i].kind == "word" and toks[i].text.upper() in ("PREFIX", "BASE"):
        i += 1
        while i < len(toks) and toks[i].kind != "iri":  # up to the declaration's <IRI>
            i += 1
        i += 1
    return i


def query_form(text: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (upper case): the keyword that follows the
    prologue, as in the grammar; "" when the text does not start a query that way.
    Words elsewhere (``PREFIX describe:``, ``?select``, a string) never count."""
    toks = token_list(text)
    i = _after_prologue(toks)
    if i < len(toks) and toks[i].kind == "word":
        word = toks[i].text.upper()
        if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return word
    return ""


def where_brace(text: str) -> int | None:
    """Index of the ``{`` opening the query's outermost WHERE group, or None."""
    form = query_form(text)
    depth = 0
    seen_where = False
    for t in token_list(text):
        if t.kind == "word" and depth == 0 and t.text.upper() == "WHERE":
            seen_where = True
        elif t.kind == "punct" and t.text == "{":
            if depth == 0 and (seen_where or form in ("SELECT", "ASK")):
                return t.start
            depth += 1
        elif t.kind == "punct" and t.text == "}":
            depth -= 1
    return None


def params_outside_where(text: str) -> set[str]:
    """``$variables`` used outside the outermost WHERE group (e.g. in HAVING).

    A VALUES block in the WHERE group cannot bind those, so saved queries may not
    use parameters there.
    """
    brace = where_brace(text)
    if brace is None:
        return set()
    depth, close = 0, len(text)
    for t in token_list(text):
        if t.start < brace:
            continue
        if t.kind == "punct" and t.text == "{":
            depth += 1
        elif t.kind == "punct" and t.text == "}":
            depth -= 1
            if depth == 0:
                close = t.end
                break
    return {
        t.text[1:]
        for t in token_list(text)
        if t.kind == "var" and t.text.startswith("$") and not brace < t.start < close
    }


def with_values(text: str, bindings: dict[str, str]) -> str:
    """Return ``text`` with a one-row ``VALUES`` block binding ``bindings``.

    ``bindings`` maps variable names to RDF terms already serialized as SPARQL
    terms (see :meth:`kzgraph.terms.Literal.n3`).  The block is placed first in the
    outermost WHERE group, so every FILTER of that group sees the values.
    """
    if not bindings:
        return text
    names = sorted(bindings)
    block = "VALUES ({}) {{ ({}) }}".format(
        " ".join(f"?{n}" for n in names), " ".join(bindings[n] for n in names)
    )
    brace = where_brace(text)
    if brace is None:  # e.g. DESCRIBE $x with no WHERE clause
        return f"{text.rstrip()}\nWHERE {{ {block} }}\n"
    return f"{text[: brace + 1]} {block}\n{text[brace + 1 :]}"


UPDATE_WORDS = (
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "DROP",
    "CREATE",
    "ADD",
    "MOVE",
    "COPY",
    "WITH",
)


def update_keyword(text: str) -> Token | None:
    """The keyword that makes ``text`` a SPARQL update (INSERT, DELETE, LOAD, DROP...),
    i.e. the first word after the PREFIX and BASE declarations; None for a query."""
    toks = token_list(text)
    i = _after_prologue(toks)
    if i < len(toks) and toks[i].kind == "word" and toks[i].text.upper() in UPDATE_WORDS:
        return toks[i]
    return None
