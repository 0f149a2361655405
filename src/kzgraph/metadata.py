"""The dataset's metadata file, ``dataset.toml`` in the data folder: read and checked.

It is the one place for what the description of the data says about it (title,
publisher, contact point, licence, base IRI, themes, coverage, the source article) and
for the data's own releases (version, date, change notes).  A data folder without
the file gets the values of the bundled data (:data:`DEFAULTS`); a key left out gets its
default.  The rule this module keeps: a bad value is an :class:`kzgraph.errors.InputError`
naming ``file:line`` of the key (TOML syntax errors ``file:line:col``), before anything
is built or sent.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kzgraph.errors import InputError
from kzgraph.terms import valid_iri

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 installs tomli (pyproject.toml)
    import tomli as tomllib

FILE_NAME = "dataset.toml"
#: EU Publications Office authority tables (the vocabularies DCAT-AP recommends)
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
#: ADMS publisher types (the vocabulary DCAT-AP recommends for dct:type of an agent)
PUBLISHER_TYPES = "http://purl.org/adms/publishertype/"
PUBLISHER_TYPE_CODES = (
    "Academia-ScientificOrganisation", "Company", "IndustryConsortium", "LocalAuthority",
    "NationalAuthority", "NonGovernmentalOrganisation", "NonProfitOrganisation",
    "PrivateIndividual(s)", "RegionalAuthority", "StandardisationBody", "SupraNationalAuthority",
)  # fmt: skip
#: EU data themes (http://publications.europa.eu/resource/authority/data-theme)
THEME_CODES = (
    "AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "OP_DATPRO",
    "REGI", "SOCI", "TECH", "TRAN",
)  # fmt: skip
_CODE = re.compile(r"^[A-Z]{3}$")  # EU language and country authority codes (ISO 639-2/B, 3166)
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")  # semantic versioning: MAJOR.MINOR.PATCH
_LANG_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")
_WKT = re.compile(r"^(POINT|POLYGON)\s*\(.*\)$", re.S)


@dataclass(frozen=True)
class Agent:
    name: str
    kind: str  # an ADMS publisher type code
    url: str  # its home page


@dataclass(frozen=True)
class Contact:
    name: str
    url: str
    email: str  # "" if none


@dataclass(frozen=True)
class Place:
    code: str  # EU country authority code (KAZ)
    label: str
    bbox: str  # WKT polygon
    centroid: str  # WKT point


@dataclass(frozen=True)
class Release:
    version: str
    date: dt.date
    notes: str


@dataclass(frozen=True)
class Source:
    """The source article, with only what it and its repository record give."""

    record: str  # the repository record's page
    handle: str
    repository: str  # the repository's home page
    languages: tuple[str, ...]  # EU language codes of its abstracts
    keywords: tuple[tuple[str, str], ...]  # (text, language tag), as the article gives them


@dataclass(frozen=True)
class Metadata:
    path: Path | None  # the file read, None for the defaults
    title: str
    description: str
    base: str
    resources: str  # where the resources live (export/publish --base); RESOURCE_BASE: as built
    licence: str
    keywords: tuple[tuple[str, str], ...]  # (text, language tag)
    languages: tuple[str, ...]  # EU language codes
    themes: tuple[str, ...]  # EU data-theme codes
    spatial: tuple[Place, ...]
    temporal: tuple[dt.date, dt.date]
    publisher: Agent
    contact: Contact
    sparql_endpoint: str
    downloads: str  # the folder URL the dumps are published under
    issued: dt.date
    releases: tuple[Release, ...]  # newest first
    source: Source

    @property
    def version(self) -> str:
        return self.releases[0].version

    @property
    def modified(self) -> dt.date:
        return self.releases[0].date

    @property
    def dataset(self) -> str:
        """The dataset's IRI."""
        return self.base + "dataset"

    def version_iri(self, version: str | None = None) -> str:
        return f"{self.dataset}/{version or self.version}"


#: The values of the bundled data, used for every key a file leaves out.
DEFAULTS: dict[str, Any] = {
    "title": "kzgraph: Kazakhstan–Turkey relations 1991–2020",
    "description": (
        "A knowledge graph of the relations between Kazakhstan and Turkey from 1991 to 2020 "
        "(states, persons and their offices, bilateral documents and signatures, visits and "
        "summits, institutions, the Kazakh diaspora in Turkey, figures), built from one "
        "scholarly article. Every fact points at the paragraph of the article that states it "
        "(kz:statedIn, locators P1 to P33) and at the works the article cites for it "
        "(kz:citation)."
    ),
    "base": "https://w3id.org/kzgraph/",
    "resources": "https://w3id.org/kzgraph/resource/",
    "licence": "https://creativecommons.org/licenses/by/4.0/",
    "keywords": {"en": ["Kazakhstan", "Turkey", "international relations"]},
    "languages": ["ENG"],
    "themes": ["INTR"],
    "temporal": {"start": dt.date(1991, 1, 1), "end": dt.date(2020, 12, 31)},
    "spatial": [
        {
            "code": "KAZ",
            "label": "Kazakhstan",
            "bbox": "POLYGON((46 40, 88 40, 88 56, 46 56, 46 40))",
            "centroid": "POINT(68 48)",
        },
        {
            "code": "TUR",
            "label": "Turkey",
            "bbox": "POLYGON((25 35, 45 35, 45 43, 25 43, 25 35))",
            "centroid": "POINT(35 39)",
        },
    ],
    "publisher": {
        "name": "The kzgraph developers",
        "type": "NonProfitOrganisation",
        "url": "https://w3id.org/kzgraph/",
    },
    "contact": {"name": "The kzgraph developers", "url": "https://w3id.org/kzgraph/", "email": ""},
    "sparql_endpoint": "",  # default: BASE + "sparql"
    "downloads": "",  # default: BASE + "dump/"
    "issued": dt.date(2026, 11, 27),
    "release": [
        {
            "version": "1.0.0",
            "date": dt.date(2026, 12, 6),
            "notes": (
                "First release with its own version: 270 resources from the 33 paragraphs "
                "of the source article, OWL RL inferences, a DCAT-AP 3 description."
            ),
        }
    ],
    "source": {
        "record": "https://rep.enu.kz/handle/enu/16456",
        "handle": "enu/16456",
        "repository": "https://rep.enu.kz/",
        "languages": ["ENG", "SPA"],
        "keywords": {
            "es": [
                "relaciones regionales",
                "independencia",
                "diplomacia",
                "cooperación bilateral",
                "diáspora",
            ]
        },
    },
}

_TOP = (
    "title", "description", "base", "resources", "licence", "keywords", "languages", "themes",
    "temporal", "spatial", "publisher", "contact", "sparql_endpoint", "downloads", "issued",
    "release", "source",
)  # fmt: skip


class _Reader:
    """Typed access to the parsed file; every error names the key's line."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line_of(self, keys: tuple[str | int, ...]) -> int | None:
        """The line of ``keys`` (table names, array-of-table indexes, then the key)."""
        if self.path is None:
            return None
        section: list[str] = []
        counts: dict[str, int] = {}
        best = None
        for number, raw in enumerate(self.lines, 1):
            line = raw.strip()
            header = re.match(r"^\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?", line)
            if header:
                name = header.group(1)
                section = name.split(".")
                if line.startswith("[["):
                    counts[name] = counts.get(name, -1) + 1
                    section = [*section, str(counts[name])]
                if [str(k) for k in keys[: len(section)]] == section and len(keys) == len(section):
                    best = best or number
                continue
            key = re.match(r"^([A-Za-z0-9_\-]+)\s*=", line)
            if key and [*section, key.group(1)] == [str(k) for k in keys[: len(section) + 1]]:
                return number
            if (
                key
                and len(keys) > len(section) + 1
                and [str(k) for k in keys[: len(section)]] == section
                and key.group(1) == str(keys[len(section)])
            ):
                return number  # an inline table or array: its first line
        return best

    def fail(self, keys: tuple[str | int, ...], message: str) -> InputError:
        name = ".".join(str(k) for k in keys if not isinstance(k, int))
        return InputError(f"{name}: {message}", path=_shown(self.path), line=self.line_of(keys))


def _shown(path: Path | None) -> str | None:
    if path is None:
        return None
    from kzgraph.project import display_path

    return display_path(path)


def _text(r: _Reader, keys: tuple[str | int, ...], value: Any, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise r.fail(keys, f"expected a string, got {_kind(value)}")
    if not empty and not value.strip():
        raise r.fail(keys, "must not be empty")
    return value


def _iri(r: _Reader, keys: tuple[str | int, ...], value: Any, *, folder: bool = False) -> str:
    text = _text(r, keys, value)
    if not re.match(r"^https?://[^/?#\s]+", text) or not valid_iri(text):
        raise r.fail(keys, f"expected an absolute http(s) IRI, got {text!r}")
    if folder and not text.endswith("/"):
        raise r.fail(keys, f"must end with '/', got {text!r}")
    return text


def _date(r: _Reader, keys: tuple[str | int, ...], value: Any) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise r.fail(keys, f"expected a date written YYYY-MM-DD (no quotes), got {_kind(value)}")
    return value


def _list(r: _Reader, keys: tuple[str | int, ...], value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise r.fail(keys, f"expected a non-empty list, got {_kind(value)}")
    return value


def _table(
    r: _Reader, keys: tuple[str | int, ...], value: Any, known: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise r.fail(keys, f"expected a table, got {_kind(value)}")
    for key in value:
        if key not in known:
            raise r.fail((*keys, key), _unknown(key, known))
    return value


def _unknown(key: str, known: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key (known: {', '.join(known)})"


def _codes(
    r: _Reader, keys: tuple[str | int, ...], value: Any, allowed: tuple[str, ...] = ()
) -> tuple[str, ...]:
    out = []
    for item in _list(r, keys, value):
        code = _text(r, keys, item)
        if (allowed and code not in allowed) or (not allowed and not _CODE.match(code)):
            expected = ", ".join(allowed) if allowed else "a three-letter EU authority code"
            raise r.fail(keys, f"{code!r} is not one of {expected}")
        out.append(code)
    return tuple(out)


def _keywords(r: _Reader, keys: tuple[str | int, ...], value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not value:
        raise r.fail(keys, f"expected a table of language tag = [keywords], got {_kind(value)}")
    out = []
    for tag, words in value.items():
        if not _LANG_TAG.match(tag):
            raise r.fail((*keys, tag), f"{tag!r} is not a language tag (en, es, kk-Cyrl)")
        out += [(_text(r, (*keys, tag), w), tag) for w in _list(r, (*keys, tag), words)]
    return tuple(out)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dt.datetime):
        return "a date-time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, str):
        return f"the string {value!r}"
    return {int: "a number", float: "a number", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    )


def _releases(r: _Reader, value: Any) -> tuple[Release, ...]:
    out: list[Release] = []
    for i, item in enumerate(_list(r, ("release",), value)):
        keys: tuple[str | int, ...] = ("release", i)
        table = _table(r, keys, item, ("version", "date", "notes"))
        for needed in ("version", "date", "notes"):
            if needed not in table:
                raise r.fail(keys, f"release {i + 1} has no {needed}")
        version = _text(r, (*keys, "version"), table["version"])
        if not _VERSION.match(version):
            raise r.fail((*keys, "version"), f"expected MAJOR.MINOR.PATCH, got {version!r}")
        release = Release(
            version,
            _date(r, (*keys, "date"), table["date"]),
            _text(r, (*keys, "notes"), table["notes"]),
        )
        if out and _order(release.version) >= _order(out[-1].version):
            raise r.fail(
                (*keys, "version"), f"releases go newest first: {version} after {out[-1].version}"
            )
        if out and release.date > out[-1].date:
            raise r.fail(
                (*keys, "date"), f"releases go newest first: {release.date} after {out[-1].date}"
            )
        out.append(release)
    return tuple(out)


def _order(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _places(r: _Reader, value: Any) -> tuple[Place, ...]:
    out = []
    for i, item in enumerate(_list(r, ("spatial",), value)):
        keys: tuple[str | int, ...] = ("spatial", i)
        table = _table(r, keys, item, ("code", "label", "bbox", "centroid"))
        for needed in ("code", "label", "bbox", "centroid"):
            if needed not in table:
                raise r.fail(keys, f"place {i + 1} has no {needed}")
        code = _codes(r, (*keys, "code"), [table["code"]])[0]
        shapes = {}
        for key, kind in (("bbox", "POLYGON"), ("centroid", "POINT")):
            wkt = _text(r, (*keys, key), table[key])
            if not _WKT.match(wkt) or not wkt.startswith(kind):
                raise r.fail((*keys, key), f"expected WKT {kind}(...), got {wkt!r}")
            shapes[key] = wkt
        out.append(
            Place(
                code, _text(r, (*keys, "label"), table["label"]), shapes["bbox"], shapes["centroid"]
            )
        )
    return tuple(out)


def _resources(r: _Reader, value: Any) -> str:
    text = _iri(r, ("resources",), value)
    if not text.endswith(("/", "#")):
        raise r.fail(("resources",), f"must end with '/' or '#', got {text!r}")
    return text


def parse_metadata(text: str, path: Path | None = None) -> Metadata:
    """The metadata of a ``dataset.toml`` text; InputError (file:line) for a bad value."""
    r = _Reader(path, text)
    try:
        given = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        m = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if m is None:  # "(at end of document)"
            raise InputError(re.sub(r"\s*\(at end of document\)", "", message) + " at the end",
                             path=_shown(path), line=len(r.lines)) from None  # fmt: skip
        raise InputError(
            message[: m.start()].strip(),
            path=_shown(path),
            line=int(m.group(1)),
            col=int(m.group(2)),
        ) from None
    for key in given:
        if key not in _TOP:
            raise r.fail((key,), _unknown(key, _TOP))
    v = {**DEFAULTS, **given}
    base = _iri(r, ("base",), v["base"], folder=True)
    publisher = _table(r, ("publisher",), v["publisher"], ("name", "type", "url"))
    publisher = {**DEFAULTS["publisher"], **publisher}
    contact = _table(r, ("contact",), v["contact"], ("name", "url", "email"))
    contact = {**DEFAULTS["contact"], **contact}
    email = _text(r, ("contact", "email"), contact["email"], empty=True)
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise r.fail(("contact", "email"), f"not an e-mail address: {email!r}")
    temporal = _table(r, ("temporal",), v["temporal"], ("start", "end"))
    temporal = {**DEFAULTS["temporal"], **temporal}
    start, end = (
        _date(r, ("temporal", "start"), temporal["start"]),
        _date(r, ("temporal", "end"), temporal["end"]),
    )
    if end < start:
        raise r.fail(("temporal", "end"), f"ends ({end}) before it starts ({start})")
    source = _table(
        r, ("source",), v["source"], ("record", "handle", "repository", "languages", "keywords")
    )
    source = {**DEFAULTS["source"], **source}
    releases = _releases(r, v["release"])
    issued = _date(r, ("issued",), v["issued"])
    if issued > releases[-1].date:
        raise r.fail(("issued",), f"{issued} is after the first release ({releases[-1].date})")
    endpoint = v["sparql_endpoint"] or base + "sparql"
    downloads = v["downloads"] or base + "dump/"
    return Metadata(
        path=path,
        title=_text(r, ("title",), v["title"]),
        description=_text(r, ("description",), v["description"]),
        base=base,
        resources=_resources(r, v["resources"]),
        licence=_iri(r, ("licence",), v["licence"]),
        keywords=_keywords(r, ("keywords",), v["keywords"]),
        languages=_codes(r, ("languages",), v["languages"]),
        themes=_codes(r, ("themes",), v["themes"], THEME_CODES),
        spatial=_places(r, v["spatial"]),
        temporal=(start, end),
        publisher=Agent(
            _text(r, ("publisher", "name"), publisher["name"]),
            _codes(r, ("publisher", "type"), [publisher["type"]], PUBLISHER_TYPE_CODES)[0],
            _iri(r, ("publisher", "url"), publisher["url"]),
        ),
        contact=Contact(
            _text(r, ("contact", "name"), contact["name"]),
            _iri(r, ("contact", "url"), contact["url"]),
            email,
        ),
        sparql_endpoint=_iri(r, ("sparql_endpoint",), endpoint),
        downloads=_iri(r, ("downloads",), downloads, folder=True),
        issued=issued,
        releases=releases,
        source=Source(
            record=_iri(r, ("source", "record"), source["record"]),
            handle=_text(r, ("source", "handle"), source["handle"]),
            repository=_iri(r, ("source", "repository"), source["repository"]),
            languages=_codes(r, ("source", "languages"), source["languages"]),
            keywords=_keywords(r, ("source", "keywords"), source["keywords"]),
        ),
    )


def read_metadata(data_dir: Path | None) -> Metadata:
    """The metadata of a data folder: its ``dataset.toml``, or the defaults without one."""
    path = None if data_dir is None else Path(data_dir) / FILE_NAME
    if path is None or not path.exists():
        return parse_metadata("")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read file: {error.strerror}", path=_shown(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", path=_shown(path), line=line) from None
    return parse_metadata(text, path)
