"""HTML pages of ``kzgraph serve``: pure functions from library values to escaped HTML.

Every piece of text that comes from data, queries or requests goes through
:func:`esc`; links to resources of the graph are mapped from their persistent IRIs
(``https://w3id.org/kzgraph/...``) to this server's paths by :func:`local_href`.
Labels are shown in the requested language where the graph has one
(:func:`localized_labels`), falling back to the English display label.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from kzgraph.namespaces import BASE, ONTOLOGY, RESOURCE_BASE
from kzgraph.terms import IRI, LABEL_PREDICATES, RDF_LANGSTRING, XSD, BNode, Literal, Term

if TYPE_CHECKING:
    from kzgraph.ask import Answer
    from kzgraph.describe import Description, Fact, Sources
    from kzgraph.query import Engine, QueryResult, SavedQuery
    from kzgraph.search import SearchHit, SearchResult, Snippet

#: languages a page can be shown in (label language tags of the data)
LANGUAGES = {"en": "English", "kk-Cyrl": "Қазақша", "tr": "Türkçe", "ru": "Русский"}
_LANG_ALIASES = {"kk": "kk-Cyrl", "kk-cyrl": "kk-Cyrl", "en": "en", "tr": "tr", "ru": "ru"}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_VIEWS = (
    ("turtle", "Turtle"),
    ("jsonld", "JSON-LD"),
    ("nt", "N-Triples"),
    ("xmlrdf", "RDF/XML"),
)


def esc(text: object) -> str:
    """HTML-escape anything (quotes included, so it is safe in attributes too)."""
    return _html.escape(str(text), quote=True)


def pick_language(param: str | None, accept_language: str | None) -> str:
    """The page language: ``?lang=`` if supported, else the best of Accept-Language, else en."""
    if param:
        found = _LANG_ALIASES.get(param.strip().lower())
        if found:
            return found
    best: tuple[float, int, str] | None = None
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        m = re.search(r"q=([0-9.]+)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        tag = tag.strip().lower()
        lang = _LANG_ALIASES.get(tag) or _LANG_ALIASES.get(tag.split("-")[0])
        if lang and q > 0 and (best is None or (-q, order) < (-best[0], best[1])):
            best = (q, order, lang)
    return best[2] if best else "en"


#: where the served resources' IRIs start, and the path they answer at (serve --base)
_RESOURCES = {"base": RESOURCE_BASE, "path": "/resource/"}


def serve_resources(base: str, path: str) -> None:
    """Say where the served graph's resources live and the path they answer at: one
    server process serves one graph (``kzgraph serve --base``; default RESOURCE_BASE at
    /resource/)."""
    _RESOURCES.update(base=base, path=path)


def local_href(iri: str) -> str | None:
    """This server's path for a kzgraph IRI, the IRI itself for other web IRIs, else None."""
    base, path = _RESOURCES["base"], _RESOURCES["path"]
    if iri.startswith(base):
        return path + iri[len(base) :]
    if iri.startswith(ONTOLOGY):
        return "/ontology#" + iri[len(ONTOLOGY) :]
    if iri == BASE + "ontology" or iri.startswith(BASE + "ontology/"):
        return "/ontology"
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def localized_labels(engine: Engine, iris: Iterable[str], lang: str) -> dict[str, str]:
    """Display labels of ``iris``: a label in ``lang`` where the graph has one, else English."""
    iris = set(iris)
    labels = engine.labels(iris)
    if lang == "en":
        return labels
    wanted = lang.lower()
    for iri in iris:
        for pred in LABEL_PREDICATES[::-1]:  # skos:prefLabel first, then rdfs:label
            found = sorted(
                o.value
                for _s, _p, o in engine.triples(IRI(iri), IRI(pred), None)
                if isinstance(o, Literal) and (o.language or "").lower() == wanted
            )
            if found:
                labels[iri] = found[0]
                break
    return labels


# --------------------------------------------------------------------------- building blocks


def link_iri(iri: str, label: str | None = None) -> str:
    href = local_href(iri)
    text = esc(label if label is not None else iri)
    if href is None:
        return f'<span class="iri">{text}</span>'
    return f'<a href="{esc(href)}" title="{esc(iri)}">{text}</a>'


def term_html(term: Term | None, labels: Mapping[str, str]) -> str:
    """A cell: IRIs linked with their labels, literals with language or datatype shown."""
    if term is None:
        return ""
    if isinstance(term, IRI):
        return link_iri(term.value, labels.get(term.value, term.value))
    if isinstance(term, BNode):
        return f'<span class="bnode">_:{esc(term.value)}</span>'
    out = f'<span class="lit">{esc(term.value)}</span>'
    if term.language:
        tag = esc(term.language)
        out = f'<span lang="{tag}">{out}</span> <sup class="tag">{tag}</sup>'
    elif term.datatype not in (XSD + "string", RDF_LANGSTRING):
        short = term.datatype[len(XSD) :] if term.datatype.startswith(XSD) else term.datatype
        out += f' <sup class="tag">{esc(short)}</sup>'
    return out


def search_box(query: str = "") -> str:
    """The search form every page's header carries (GET /search?q=...)."""
    return (
        '<form class="search" role="search" method="get" action="/search">'
        f'<input type="search" name="q" value="{esc(query)}" placeholder="Search the graph" '
        'aria-label="Search the graph"><button type="submit">Search</button></form>'
    )


#: in every page's head: the dump, the DCAT record and the SPARQL service description
DISCOVERY_LINKS = (
    '<link rel="alternate" type="application/n-triples" href="/dump.nt" title="Data dump">\n'
    '<link rel="alternate" type="text/turtle" href="/.well-known/void" '
    'title="Dataset description (DCAT, VoID)">\n'
    '<link rel="alternate" type="text/turtle" href="/sparql" '
    'title="SPARQL service description">\n'
)


def page(title: str, body: str, *, lang: str = "en", head: str = "", search: str = "") -> str:
    """The common layout (``search``: the text to show in the header's search box)."""
    return f"""<!doctype html>
<html lang="{esc(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · kzgraph</title>
<link rel="stylesheet" href="/static/kzgraph.css">
{DISCOVERY_LINKS}{head}</head>
<body>
<header class="top"><a class="brand" href="/">kzgraph</a>
<nav><a href="/#questions">Questions</a> <a href="/sparql">SPARQL</a>
<a href="/ontology">Ontology</a> <a href="/.well-known/void">VoID</a></nav>
{search_box(search)}</header>
<main>
{body}
</main>
<footer>kzgraph · Kazakhstan–Turkey relations 1991–2020 · data CC BY 4.0 ·
every fact cites its paragraph of the source article [P1]–[P33]</footer>
</body>
</html>
"""


def error_page(status: int, message: str) -> str:
    return page(f"Error {status}", f'<h1>Error {status}</h1>\n<p class="error">{esc(message)}</p>')


def marked_html(snippet: Snippet) -> str:
    """A snippet, escaped, with its matches in ``<mark>``."""
    out, last = [], 0
    for start, end in snippet.spans:
        out += [esc(snippet.text[last:start]), "<mark>", esc(snippet.text[start:end]), "</mark>"]
        last = end
    out.append(esc(snippet.text[last:]))
    return "".join(out)


SEARCH_HELP = """<details class="syntax"><summary>How to search</summary><ul>
<li>Every word must occur in one text of a resource (a name, title, description, note…);
case, accents, Cyrillic, Kazakh and Turkish letters are folded: <code>Назарбаев</code>,
<code>nazarbaev</code> and <code>Nazarbayev</code> are one word.</li>
<li><code>"treaty of friendship"</code>: a phrase; <code>yass*</code>: a prefix;
<code>erdogan OR gul</code>: either; <code>visit -ozal</code> or <code>visit NOT ozal</code>:
leave out.</li>
<li>In SPARQL: <code>kzf:score(?resource, "text")</code>, <code>kzf:match(?literal, "text")</code>,
<code>kzf:snippet(?resource, "text")</code> (prefix <code>kzf:</code> predeclared).</li>
</ul></details>"""


#: the label languages the search page offers (``--lang``; ``kk`` takes ``kk-Cyrl``)
SEARCH_LANGUAGES = (("en", "English"), ("kk", "Қазақша"), ("tr", "Türkçe"), ("ru", "Русский"))


def _options(values: Sequence[tuple[str, str]], chosen: str) -> str:
    return '<option value="">any</option>' + "".join(
        f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(text)}</option>'
        for v, text in values
    )


def _hit_html(hit: SearchHit, locators: Mapping[str, str]) -> str:
    where = hit.property_label + (f"@{hit.language}" if hit.language else "")
    sources = " ".join(
        link_iri(locators[loc], f"[{loc}]") if loc in locators else esc(f"[{loc}]")
        for loc in hit.locators
    )
    return (
        f'<li>{link_iri(hit.iri, hit.label)} <span class="kind">{esc(hit.kind_label)}</span>'
        f'<div class="snippet"><span class="prop">{esc(where)}</span> '
        f"{marked_html(hit.snippet)}</div>"
        + (f'<span class="src">{sources}</span>' if sources else "")
        + "</li>"
    )


def search_page(
    query: str,
    result: SearchResult | None,
    *,
    kind: str = "",
    lang: str = "",
    kinds: Sequence[str] = (),
    locators: Mapping[str, str] | None = None,
    error: str | None = None,
) -> str:
    """The /search page: the form, then the hits (or the error), then the syntax."""
    parts = [
        "<h1>Search</h1>",
        '<form class="search-page" method="get" action="/search">'
        f'<input type="search" name="q" value="{esc(query)}" aria-label="Search text" autofocus>'
        f'<label>kind <select name="kind">{_options([(k, k) for k in kinds], kind)}</select>'
        f'</label><label>language <select name="lang">{_options(SEARCH_LANGUAGES, lang)}'
        '</select></label><button type="submit">Search</button></form>',
    ]
    if error:
        parts.append(f'<p class="error">{esc(error)}</p>')
    elif result is not None and not result.hits:
        parts.append(f'<p class="count">Nothing matches {esc(result.understood)}.</p>')
    elif result is not None:
        shown, total = len(result.hits), result.total
        note = f"{total} resource{'s' if total != 1 else ''} match {result.understood}"
        note += f"; the best {shown} shown" if shown < total else ""
        fields = [("q", query), ("kind", kind), ("lang", lang), ("format", "json")]
        json_href = "/search?" + urlencode([(k, v) for k, v in fields if v])
        parts.append(f'<p class="count">{esc(note)} · <a href="{esc(json_href)}">JSON</a></p>')
        items = "\n".join(_hit_html(hit, locators or {}) for hit in result.hits)
        parts.append(f'<ol class="hits">\n{items}\n</ol>')
    parts.append(SEARCH_HELP)
    title = f"Search: {query}" if query.strip() else "Search"
    return page(title, "\n".join(parts), search=query)


def ask_box(question: str = "") -> str:
    """The form that asks in plain words (GET /ask?q=...), on the home page and /ask."""
    return (
        '<form class="ask" method="get" action="/ask">'
        f'<input type="search" name="q" value="{esc(question)}" aria-label="Your question" '
        'placeholder="Ask in plain words: Which treaties were signed? Who was president of '
        'Turkey in 1994?" maxlength="1000"><button type="submit">Ask</button></form>'
    )


def _run_href(name: str, params: Sequence[tuple[str, str]]) -> str:
    """The home page's form of a saved query, filled and run."""
    return "/?" + urlencode([("run", name), *params]) + f"#q-{name}"


def ask_page(
    question: str,
    answer: Answer | None,
    *,
    result: QueryResult | None = None,
    labels: Mapping[str, str] | None = None,
    truncated: bool = False,
    search: SearchResult | None = None,
    locators: Mapping[str, str] | None = None,
    error: str | None = None,
) -> str:
    """/ask: the question, the saved query chosen with its parameters and the command that
    gives the same answer, close readings, then the answer (or the full-text search's)."""
    parts = ["<h1>Ask</h1>", ask_box(question)]
    best = answer.best if answer is not None else None
    if error:
        parts.append(f'<p class="error">{esc(error)}</p>')
    elif best is not None:
        href = _run_href(best.query, best.params)
        parts.append(
            f'<p class="asked">Asked as <a href="{esc(href)}">{esc(best.title)}</a> '
            f"<code>{esc(best.query)}</code></p>"
        )
        if best.params:
            why = {name: (typed, shown) for name, typed, shown in best.because}
            rows = "".join(
                f"<tr><td><code>{esc(name)}</code></td><td>{esc(value)}</td>"
                f"<td>{esc(why.get(name, ('', value))[1])}</td>"
                f"<td>{esc(why.get(name, ('', ''))[0])}</td></tr>"
                for name, value in best.params
            )
            parts.append(
                '<table class="params"><thead><tr><th>parameter</th><th>value</th>'
                f"<th>read as</th><th>from the words</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        parts.append(f'<pre class="command">$ {esc(best.command)}</pre>')
        if answer is not None and answer.alternatives:
            others = "".join(
                f'<li><a href="{esc(_run_href(r.query, r.params))}">{esc(r.title)}</a> '
                f"<code>{esc(r.command)}</code></li>"
                for r in answer.alternatives
            )
            parts.append(f'<p>Close readings:</p><ul class="readings">{others}</ul>')
        if result is not None:
            parts.append(results_table(result, labels or {}, truncated))
    elif answer is not None:
        words = answer.fallback or ""
        parts.append(
            f'<p class="asked">No saved question fits; a full-text search for '
            f'<a href="/search?{esc(urlencode([("q", words)]))}">{esc(words)}</a>:</p>'
        )
        if search is not None and search.hits:
            items = "\n".join(_hit_html(hit, locators or {}) for hit in search.hits)
            parts.append(f'<ol class="hits">\n{items}\n</ol>')
        else:
            parts.append('<p class="count">Nothing matches.</p>')
    title = f"Ask: {question}" if question.strip() else "Ask"
    return page(title, "\n".join(parts))


def results_table(result: QueryResult, labels: Mapping[str, str], truncated: bool = False) -> str:
    """A SELECT result as a table, an ASK result as yes/no, a graph as a triple table."""
    if result.kind == "ask":
        return f'<p class="ask">Answer: <strong>{"yes" if result.boolean else "no"}</strong></p>'
    if result.kind == "graph":
        header: tuple[str, ...] = ("subject", "predicate", "object")
        rows: Sequence[Sequence[Term | None]] = result.triples
    else:
        header, rows = result.variables, result.rows
    note = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    if truncated:
        note += " (cut at the server's result limit)"
    head = "".join(f"<th>{esc(v)}</th>" for v in header)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{term_html(t, labels)}</td>" for t in row) + "</tr>" for row in rows
    )
    return (
        f'<p class="count">{esc(note)}</p>\n<div class="scroll"><table class="results">'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>"
    )


_INPUT_TYPES = {"date": "date", "gYear": "number", "integer": "number"}


def query_form(
    query: SavedQuery, values: Mapping[str, str], *, action: str = "/", anchor: bool = True
) -> str:
    fields = [f'<input type="hidden" name="run" value="{esc(query.name)}">']
    for p in query.params:
        value = values.get(p.name, p.default or "")
        kind = _INPUT_TYPES.get(p.type, "text")
        hint = p.description or p.type
        fields.append(
            f"<label>{esc(p.name)} <small>{esc(hint)}</small>"
            f'<input type="{kind}" name="{esc(p.name)}" value="{esc(value)}"'
            f"{' required' if p.default is None else ''}"
            f"{' placeholder=' + chr(34) + esc(p.example) + chr(34) if p.example else ''}></label>"
        )
    target = f"{action}#q-{query.name}" if anchor else action
    return (
        f'<form class="params" method="get" action="{esc(target)}">'
        + "".join(fields)
        + '<button type="submit">Run</button></form>'
    )


@dataclass(frozen=True)
class CannedRun:
    """A saved query run from the home page: its parameter values and result (or error)."""

    name: str
    values: Mapping[str, str]
    result: QueryResult | None = None
    labels: Mapping[str, str] | None = None
    truncated: bool = False
    error: str | None = None


def home_page(
    catalog: Mapping[str, SavedQuery],
    stats: Mapping[str, object],
    run: CannedRun | None,
    example_query: str,
    pictures: str = "",
    head: str = "",
) -> str:
    """The home page (``head``: extra elements for its head, e.g. the dataset's JSON-LD)."""
    parts = [
        "<h1>kzgraph</h1>",
        '<p class="lede">A knowledge graph of the relations between Kazakhstan and Turkey from '
        "1991 to 2020, built from one scholarly article. Every fact points at the paragraph of "
        "the article that states it ([P1]–[P33]) and at the works the article cites for it.</p>",
        '<ul class="stats">'
        + "".join(f"<li><strong>{esc(v)}</strong> {esc(k)}</li>" for k, v in stats.items())
        + "</ul>",
        ask_box(),
        f'<p>Browse: <a href="{esc(_RESOURCES["path"])}state/kazakhstan">Kazakhstan</a> · '
        f'<a href="{esc(_RESOURCES["path"])}state/turkey">Turkey</a> · '
        '<a href="/ontology">the ontology</a> · '
        '<a href="/.well-known/void">dataset description (VoID)</a> · '
        '<a href="/dump.nt">data dump (N-Triples)</a></p>',
        pictures,
        '<h2 id="questions">Questions</h2>',
    ]
    if not catalog:
        parts.append("<p>No saved queries are installed.</p>")
    for query in catalog.values():
        parts.append(f'<section class="question" id="q-{esc(query.name)}">')
        parts.append(f"<h3>{esc(query.title)}</h3>")
        if query.description:
            parts.append(f"<p>{esc(query.description)}</p>")
        values = run.values if run is not None and run.name == query.name else {}
        parts.append(query_form(query, values))
        if run is not None and run.name == query.name:
            parts.append(canned_result(query, run))
        parts.append("</section>")
    parts.append(sparql_editor(example_query))
    return page("Kazakhstan–Turkey relations 1991–2020", "\n".join(parts), head=head)


def canned_result(query: SavedQuery, run: CannedRun) -> str:
    params = [(k, v) for k, v in run.values.items() if query.param(k) is not None]
    base = "/query/" + quote(query.name) + "?"
    links = " · ".join(
        f'<a href="{esc(base + urlencode([("format", f), *params]))}">{label}</a>'
        for f, label in (("csv", "CSV"), ("json", "JSON"), ("tsv", "TSV"), ("xml", "XML"))
    )
    out = [f'<div class="result"><p class="links">Download: {links}</p>']
    if run.error:
        out.append(f'<p class="error">{esc(run.error)}</p>')
    elif run.result is not None:
        out.append(results_table(run.result, run.labels or {}, run.truncated))
    out.append(f"<details><summary>SPARQL</summary><pre>{esc(query.text)}</pre></details></div>")
    return "\n".join(out)


def sparql_editor(query_text: str) -> str:
    return f"""<section id="sparql"><h2>SPARQL query</h2>
<p>Common prefixes (kz:, state:, person:, event:, rdfs:, skos:, xsd: …) are predeclared.
The endpoint <code>/sparql</code> speaks the SPARQL 1.1 Protocol (GET or POST).</p>
<form class="editor" method="post" action="/sparql">
<textarea name="query" rows="12" spellcheck="false">{esc(query_text)}</textarea>
<div class="row"><label>Result as <select name="format">
<option value="html" selected>table</option><option value="json">SPARQL JSON</option>
<option value="xml">SPARQL XML</option><option value="csv">CSV</option>
<option value="tsv">TSV</option></select></label>
<button type="submit">Run query</button></div>
</form></section>"""


def sparql_page(
    query_text: str,
    result: QueryResult | None = None,
    labels: Mapping[str, str] | None = None,
    *,
    truncated: bool = False,
    error: str | None = None,
    seconds: float | None = None,
) -> str:
    parts = [sparql_editor(query_text)]
    if error:
        parts.append(f'<p class="error">{esc(error)}</p>')
    elif result is not None:
        if seconds is not None:
            parts.append(f'<p class="timing">answered in {seconds * 1000:.1f} ms</p>')
        parts.append(results_table(result, labels or {}, truncated))
    return page("SPARQL", "\n".join(parts))


# --------------------------------------------------------------------------- resources


def _sources_html(sources: Sources, locators: Mapping[str, str], works: Mapping[str, str]) -> str:
    parts = []
    for loc in sources.locators:
        iri = locators.get(loc)
        text = f"[{loc}]"
        parts.append(link_iri(iri, text) if iri else esc(text))
    groups = [" ".join(parts)] if parts else []
    cites = []
    for cite in sources.citations:
        iri = works.get(cite)
        cites.append(link_iri(iri, cite) if iri else esc(cite))
    if cites:
        groups.append("; ".join(cites))
    if sources.editorial:
        reasons = esc(", ".join(sources.editorial))
        groups.append(f'<span class="editorial">editorial: {reasons}</span>')
    return '<span class="src">' + " · ".join(groups) + "</span>" if groups else ""


def _fact_rows(
    facts: Sequence[Fact],
    labels: Mapping[str, str],
    locators: Mapping[str, str],
    works: Mapping[str, str],
) -> str:
    rows = []
    for fact in facts:
        prop = link_iri(fact.property, labels.get(fact.property, fact.property_label))
        if isinstance(fact.value, IRI):
            value = link_iri(fact.value.value, labels.get(fact.value.value, fact.value_label))
        else:
            value = term_html(fact.value, labels)
        if fact.details:
            value += (
                '<ul class="details">'
                + "".join(f"<li>{esc(p)}: {esc(v)}</li>" for p, v in fact.details)
                + "</ul>"
            )
        rows.append(
            f"<tr><th>{prop}</th><td>{value}</td>"
            f"<td>{_sources_html(fact.sources, locators, works)}</td></tr>"
        )
    return "\n".join(rows)


def resource_page(
    desc: Description,
    type_iris: Sequence[str],
    labels: Mapping[str, str],
    locators: Mapping[str, str],
    works: Mapping[str, str],
    *,
    path: str,
    lang: str,
    pictures: str = "",
    head: str = "",
) -> str:
    """A resource's page (``head``: extra elements for its head, e.g. its JSON-LD)."""
    title = labels.get(desc.iri, desc.label)
    types = ", ".join(link_iri(t, labels.get(t, t)) for t in type_iris)
    langs = " · ".join(
        f'<a href="{esc(path)}?lang={esc(code)}"{" class=current" if code == lang else ""}>'
        f"{esc(name)}</a>"
        for code, name in LANGUAGES.items()
    )
    views = " · ".join(f'<a href="{esc(path)}?format={f}">{name}</a>' for f, name in RDF_VIEWS)
    own = _sources_html(desc.sources, locators, works)
    body = [
        f'<h1>{esc(title)}</h1>\n<p class="iri"><a href="{esc(path)}">{esc(desc.iri)}</a></p>',
        f'<p class="types">{types}</p>' if types else "",
        f'<p class="sources">Stated in: {own}</p>' if own else "",
        f'<p class="alt">Also as {views} · Language: {langs}</p>',
        "<h2>Facts</h2>",
        '<table class="facts"><thead><tr><th>property</th><th>value</th><th>sources</th></tr>'
        "</thead><tbody>",
        _fact_rows(desc.facts, labels, locators, works),
        "</tbody></table>",
    ]
    if desc.incoming:
        body += [
            "<h2>Incoming links</h2>",
            '<table class="facts incoming"><thead><tr><th>property</th><th>from</th>'
            "<th>sources</th></tr></thead><tbody>",
            _fact_rows(desc.incoming, labels, locators, works),
            "</tbody></table>",
        ]
    body.append(pictures)
    head += "".join(
        f'<link rel="alternate" type="{esc(media)}" href="{esc(path)}?format={f}">\n'
        for f, media in (
            ("turtle", "text/turtle"),
            ("jsonld", "application/ld+json"),
            ("nt", "application/n-triples"),
            ("xmlrdf", "application/rdf+xml"),
        )
    )
    return page(title, "\n".join(b for b in body if b), lang=lang, head=head)


@dataclass(frozen=True)
class OntologyTerm:
    iri: str
    label: str
    kind: str  # "class", "object property", "datatype property", "concept", ...
    comment: str
    parents: tuple[str, ...]  # superclasses / superproperties / broader
    domain: tuple[str, ...] = ()
    range: tuple[str, ...] = ()


def ontology_page(
    title: str, description: str, terms: Sequence[OntologyTerm], labels: Mapping[str, str]
) -> str:
    groups: dict[str, list[OntologyTerm]] = {}
    for t in terms:
        groups.setdefault(t.kind, []).append(t)
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="iri">{esc(BASE + "ontology")} · <a href="/ontology?format=turtle">Turtle</a>'
        ' · <a href="/ontology?format=jsonld">JSON-LD</a></p>',
        f'<p class="lede">{esc(description)}</p>',
    ]
    for kind, members in groups.items():
        body.append(f'<h2>{esc(kind.capitalize())}s ({len(members)})</h2><dl class="terms">')
        for t in members:
            local = t.iri[len(ONTOLOGY) :] if t.iri.startswith(ONTOLOGY) else t.iri
            extra = []
            if t.parents:
                extra.append(
                    "sub of " + ", ".join(link_iri(p, labels.get(p, p)) for p in t.parents)
                )
            if t.domain:
                extra.append("domain " + ", ".join(link_iri(p, labels.get(p, p)) for p in t.domain))
            if t.range:
                extra.append("range " + ", ".join(link_iri(p, labels.get(p, p)) for p in t.range))
            body.append(
                f'<dt id="{esc(local)}"><a href="#{esc(local)}">kz:{esc(local)}</a> '
                f"<span>{esc(t.label)}</span></dt><dd>{esc(t.comment)}"
                + (f"<br><small>{'; '.join(extra)}</small>" if extra else "")
                + "</dd>"
            )
        body.append("</dl>")
    return page("Ontology", "\n".join(body))


_KINDS = (
    ("http://www.w3.org/2002/07/owl#Class", "class"),
    ("http://www.w3.org/2002/07/owl#ObjectProperty", "object property"),
    ("http://www.w3.org/2002/07/owl#DatatypeProperty", "datatype property"),
    ("http://www.w3.org/2002/07/owl#AnnotationProperty", "annotation property"),
    ("http://www.w3.org/2004/02/skos/core#ConceptScheme", "concept scheme"),
    ("http://www.w3.org/2004/02/skos/core#Concept", "concept"),
)
_PARENTS = (
    "http://www.w3.org/2000/01/rdf-schema#subClassOf",
    "http://www.w3.org/2000/01/rdf-schema#subPropertyOf",
    "http://www.w3.org/2004/02/skos/core#broader",
    "http://www.w3.org/2004/02/skos/core#inScheme",
)
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def ontology_terms(engine: Engine) -> list[OntologyTerm]:
    """The classes, properties and concepts of the kz namespace, from an ontology-only engine."""
    out: dict[str, OntologyTerm] = {}
    for kind_iri, kind in _KINDS:
        for s, _p, _o in engine.triples(None, IRI(RDF_TYPE), IRI(kind_iri)):
            if not isinstance(s, IRI) or not s.value.startswith(ONTOLOGY) or s.value in out:
                continue

            def objects(pred: str, node: IRI = s) -> tuple[str, ...]:
                return tuple(
                    sorted(
                        o.value
                        for _a, _b, o in engine.triples(node, IRI(pred), None)
                        if isinstance(o, IRI)
                    )
                )

            comments = sorted(
                o.value
                for _a, _b, o in engine.triples(s, IRI(RDFS + "comment"), None)
                if isinstance(o, Literal) and (o.language or "en").startswith("en")
            )
            parents = tuple(p for pred in _PARENTS for p in objects(pred))
            out[s.value] = OntologyTerm(
                iri=s.value,
                label=engine.labels([s.value])[s.value],
                kind=kind,
                comment=comments[0] if comments else "",
                parents=parents,
                domain=objects(RDFS + "domain"),
                range=objects(RDFS + "range"),
            )
    order = {kind: i for i, (_iri, kind) in enumerate(_KINDS)}
    return sorted(out.values(), key=lambda t: (order[t.kind], t.iri.casefold()))


def limits_page(max_results: int, timeout: float, max_body: int) -> str:
    """What the endpoint's limits are, and how a cut answer says it was cut (the page the
    ``link`` of a cut SPARQL result points at: ``/limits#truncated``)."""
    n = f"{max_results:,}"
    return page(
        "Limits",
        f"""<h1>Limits of this endpoint</h1>
<section id="truncated"><h2>Cut answers</h2>
<p>An answer holds at most <strong>{n}</strong> rows (SELECT) or triples (CONSTRUCT,
DESCRIBE); the rest is left out and the answer is still <code>200 OK</code>.
A cut answer says so:</p>
<ul>
<li>SPARQL JSON results: <code>"link": ["…/limits#truncated"]</code> in <code>"head"</code>;
SPARQL XML results: <code>&lt;link href="…/limits#truncated"/&gt;</code> in
<code>&lt;head&gt;</code>;</li>
<li>Turtle and N-Triples: a first line <code># truncated: only the first {n} triples…</code>;
RDF/XML: the same as an XML comment;</li>
<li>every answer, CSV, TSV and JSON-LD included (they have no place for a note): the
headers <code>X-Result-Truncated: true</code>, <code>X-Result-Limit: {max_results}</code> and
<code>Link: &lt;…/limits#truncated&gt;; rel="describedby"</code>;</li>
<li>the HTML table: “cut at the server's result limit”.</li>
</ul>
<p>To get everything, page through it: <code>ORDER BY</code> with <code>LIMIT</code> (at most
{n}) and <code>OFFSET</code>, after a <code>SELECT (COUNT(*) AS ?n)</code> to know how much
there is; or download the whole graph from <a href="/dump.nt">/dump.nt</a>.</p></section>
<section id="time"><h2>Time and size</h2>
<p>A query runs for at most {timeout:g} s, then it is stopped (<code>503</code>). A request
body holds at most {max_body:,} bytes (<code>413</code>) and must arrive within
{timeout:g} s (<code>408</code>).</p></section>""",
    )
