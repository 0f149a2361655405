"""Generate a synthetic kzgraph data folder of a requested size, shaped like the real data.

The generated graph has what data/ has, scaled: sovereign states (and a union republic
in a federal union, with successors), regions, cities, districts and sites in
located-in chains up to the state, persons with citizenships, offices and dated
tenures attested by events and documents, official visits, summits in a series,
documents with two signatures each (signer, signed-for, signed-as) signed during a
visit, institutions with their foundings, diasporas, observations (money and counts)
and conflicts between claims with ranks.  Every node carries ``kz:statedIn``
paragraphs and most facts ``kz:citation`` works; dates come at the three precisions
with their earliest/latest bounds.  The output conforms to ``ontology/shapes.ttl``
(``tests/test_fast.py`` checks that with pyshacl at a small size) and is consistent
under the ontology.  Same ``triples`` and ``seed`` give byte-identical files.

Usage::

    python benchmarks/generate.py 100000 --seed 1 --out /tmp/kz-100k
    kzgraph --data /tmp/kz-100k build

or from Python: ``generate(100_000, seed=1, out=Path(...)) -> Path`` (the data folder).
"""

from __future__ import annotations

import argparse
import calendar
import random
import sys
from pathlib import Path

R = "https://w3id.org/kzgraph/resource/"

PREFIXES = {
    "dcterms": "http://purl.org/dc/terms/",
    "diaspora": R + "diaspora/",
    "document": R + "document/",
    "event": R + "event/",
    "figure": R + "figure/",
    "conflict": R + "conflict/",
    "institution": R + "institution/",
    "kz": "https://w3id.org/kzgraph/ontology#",
    "office": R + "office/",
    "paragraph": R + "paragraph/",
    "person": R + "person/",
    "place": R + "place/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "state": R + "state/",
    "tenure": R + "tenure/",
    "work": R + "work/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

FILES = {
    "sources": "# Synthetic paragraphs, the article and cited works (benchmarks/generate.py).",
    "states": "# Synthetic polities (benchmarks/generate.py).",
    "places": "# Synthetic places in located-in chains (benchmarks/generate.py).",
    "persons": "# Synthetic persons and ethnic groups (benchmarks/generate.py).",
    "offices": "# Synthetic offices and tenures (benchmarks/generate.py).",
    "events": "# Synthetic visits, summits, foundings (benchmarks/generate.py).",
    "documents": "# Synthetic documents and their signatures (benchmarks/generate.py).",
    "institutions": "# Synthetic institutions and diasporas (benchmarks/generate.py).",
    "figures": "# Synthetic observations (benchmarks/generate.py).",
    "conflicts": "# Synthetic conflicts between claims (benchmarks/generate.py).",
}

DOC_TYPES = ("kz:Treaty", "kz:Agreement", "kz:Declaration", "kz:JointStatement", "kz:Protocol")
INST_TYPES = ("kz:University", "kz:CulturalCentre", "kz:Foundation", "kz:ResearchCentre")
MONEY = ("kz:TradeTurnover", "kz:Investment", "kz:ConstructionValue", "kz:DocumentValue")
COUNTS = (
    ("kz:CompanyCount", "companies"),
    ("kz:StudentCount", "people"),
    ("kz:MemberCount", "members"),
    ("kz:JointVentureCount", "joint ventures"),
)
STATUSES = ("kz:Actual", "kz:Target", "kz:LowerBound", "kz:Approximate")
OFFICE_KINDS = (
    ("kz:PresidentialOffice", "President"),
    ("kz:PrimeMinisterialOffice", "Prime Minister"),
    ("kz:ForeignMinisterOffice", "Foreign Minister"),
)
SYLLABLES = (
    "na",
    "zar",
    "bay",
    "tur",
    "gut",
    "de",
    "mir",
    "el",
    "kas",
    "ym",
    "sul",
    "ta",
    "ber",
    "ken",
    "al",
    "ma",
    "san",
    "dar",
    "ay",
    "gul",
    "er",
    "dog",
    "an",
    "ser",
)


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _en(text: str) -> str:
    return _lit(text) + "@en"


class _Writer:
    """Collects subject blocks per file and counts the triples written."""

    def __init__(self) -> None:
        self.blocks: dict[str, list[str]] = {name: [] for name in FILES}
        self.triples = 0

    def block(self, file: str, subject: str, pairs: list[tuple[str, list[str]]]) -> None:
        lines = []
        for pred, objects in pairs:
            if not objects:
                continue
            self.triples += len(objects)
            lines.append(f"    {pred} {' , '.join(objects)}")
        self.blocks[file].append(f"{subject}\n" + " ;\n".join(lines) + " .\n")

    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        head = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(PREFIXES.items()))
        for name, first_line in FILES.items():
            if not self.blocks[name]:  # a small graph has no conflicts: no file, which
                (out / f"{name}.ttl").unlink(missing_ok=True)  # kzgraph would refuse empty
                continue
            body = "\n".join(self.blocks[name])
            (out / f"{name}.ttl").write_text(f"{first_line}\n{head}\n{body}", encoding="utf-8")


class _Dates:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def any(self, lo: int = 1991, hi: int = 2020) -> tuple[str, str, str]:
        """(kz:date literal, earliest, latest) at a random precision."""
        rng = self.rng
        year = rng.randint(lo, hi)
        month = rng.randint(1, 12)
        kind = rng.random()
        if kind < 0.6:
            day = rng.randint(1, 28)
            d = f"{year}-{month:02d}-{day:02d}"
            return f'"{d}"^^xsd:date', d, d
        if kind < 0.85:
            last = calendar.monthrange(year, month)[1]
            return (
                f'"{year}-{month:02d}"^^xsd:gYearMonth',
                f"{year}-{month:02d}-01",
                f"{year}-{month:02d}-{last}",
            )
        return f'"{year}"^^xsd:gYear', f"{year}-01-01", f"{year}-12-31"


def _bounds(earliest: str, latest: str) -> list[tuple[str, list[str]]]:
    return [
        ("kz:earliestDate", [f'"{earliest}"^^xsd:date']),
        ("kz:latestDate", [f'"{latest}"^^xsd:date']),
    ]


def _labels(label: str, extra_lang: str | None = None) -> list[tuple[str, list[str]]]:
    pref = [_en(label)]
    if extra_lang:
        pref.append(_lit(label) + f"@{extra_lang}")
    return [("rdfs:label", [_en(label)]), ("skos:prefLabel", pref)]


def generate(triples: int, seed: int = 1, out: Path | str | None = None) -> Path:
    """Write a data folder of about ``triples`` asserted triples (within ~1%); return it.

    ``out`` defaults to ``/tmp/kzgraph-gen-<triples>-<seed>``.
    """
    rng = random.Random(seed)
    dates = _Dates(rng)
    w = _Writer()
    out = Path(out) if out is not None else Path(f"/tmp/kzgraph-gen-{triples}-{seed}")
    units = max(4, triples // 120)

    # ---- sources: the article, paragraphs, cited works
    n_par = max(33, units // 40)
    n_work = max(20, units // 80)
    w.block("sources", "work:article", [("a", ["kz:Article"]), *_labels("Synthetic article")])
    paragraphs = [f"paragraph:P{i}" for i in range(1, n_par + 1)]
    for i, par in enumerate(paragraphs, start=1):
        w.block(
            "sources",
            par,
            [
                ("a", ["kz:Paragraph"]),
                *_labels(f"Paragraph {i}"),
                ("kz:locator", [_lit(f"P{i}")]),
                ("kz:paragraphNumber", [str(i)]),
                ("dcterms:isPartOf", ["work:article"]),
            ],
        )
    works = [f"work:w{i}" for i in range(n_work)]
    for i, work in enumerate(works):
        year = rng.randint(1990, 2021)
        w.block(
            "sources",
            work,
            [
                ("a", ["kz:CitedWork"]),
                *_labels(f"Author{i} et al. {year}"),
                ("kz:citationText", [_lit(f"Author{i} et al., {year}")]),
                ("kz:year", [f'"{year}"^^xsd:gYear']),
                ("kz:citedIn", [rng.choice(paragraphs)]),
            ],
        )

    def src(k: int = 2) -> list[tuple[str, list[str]]]:
        pars = sorted(set(rng.sample(paragraphs, k)))
        pairs = [("kz:statedIn", pars)]
        if rng.random() < 0.7:
            pairs.append(("kz:citation", [rng.choice(works)]))
        return pairs

    def name() -> str:
        first = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
        last = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
        return f"{first} {last}"

    # ---- polities and places (located-in chains: site -> district -> city -> region -> state)
    n_states = max(4, units // 150)
    states = [f"state:s{i}" for i in range(n_states)]
    cities: dict[str, list[str]] = {}
    all_cities: list[str] = []
    all_places: list[str] = []
    for i, state in enumerate(states):
        regions = [f"place:s{i}-r{j}" for j in range(2)]
        cs = []
        for j, region in enumerate(regions):
            w.block(
                "places",
                region,
                [
                    ("a", ["kz:Region"]),
                    *_labels(f"Region {j} of state {i}"),
                    ("kz:locatedIn", [state]),
                    ("kz:statedIn", [rng.choice(paragraphs)]),
                ],
            )
            for k in range(2):
                city = f"place:s{i}-r{j}-c{k}"
                cs.append(city)
                w.block(
                    "places",
                    city,
                    [
                        ("a", ["kz:City"]),
                        *_labels(f"City {k} of region {j} of state {i}"),
                        ("kz:locatedIn", [region]),
                        ("kz:statedIn", [rng.choice(paragraphs)]),
                    ],
                )
                district = f"{city}-d0"
                w.block(
                    "places",
                    district,
                    [
                        ("a", ["kz:District"]),
                        *_labels(f"District of city {k}/{j}/{i}"),
                        ("kz:locatedIn", [city]),
                        ("kz:statedIn", [rng.choice(paragraphs)]),
                    ],
                )
                site = f"{city}-d0-site"
                w.block(
                    "places",
                    site,
                    [
                        ("a", ["kz:Site"]),
                        *_labels(f"Site in district {k}/{j}/{i}"),
                        ("kz:locatedIn", [district]),
                        ("kz:statedIn", [rng.choice(paragraphs)]),
                    ],
                )
                all_places += [region, city, district, site]
        cities[state] = cs
        all_cities += cs
        w.block(
            "states",
            state,
            [
                ("a", ["kz:SovereignState"]),
                *_labels(f"Republic {i}", "ru"),
                ("kz:capital", [cs[0]]),
                *src(1),
            ],
        )
    # a union republic in a federal union, succeeded by the first state
    w.block(
        "states",
        "state:union",
        [
            ("a", ["kz:FederalUnion"]),
            *_labels("Synthetic union"),
            ("kz:statedIn", [paragraphs[0]]),
        ],
    )
    w.block(
        "states",
        "state:republic",
        [
            ("a", ["kz:UnionRepublic"]),
            *_labels("Synthetic union republic"),
            ("kz:constituentOf", ["state:union"]),
            ("kz:predecessorOf", [states[0]]),
            ("kz:statedIn", [paragraphs[0]]),
        ],
    )
    w.block("states", states[1], [("kz:successorOf", ["state:republic"])])

    # ---- ethnic groups and diasporas
    w.block(
        "persons",
        "person:group-a",
        [
            ("a", ["kz:EthnicGroup"]),
            *_labels("People A"),
            ("kz:statedIn", [paragraphs[1]]),
        ],
    )
    diasporas = []
    for i, state in enumerate(states):
        dia = f"diaspora:d{i}"
        diasporas.append(dia)
        w.block(
            "institutions",
            dia,
            [
                ("a", ["kz:Diaspora"]),
                *_labels(f"People A in state {i}"),
                ("kz:people", ["person:group-a"]),
                ("kz:residentIn", [state]),
                ("kz:homeland", [states[0]]),
                ("kz:settledIn", [rng.choice(cities[state])]),
                *src(),
            ],
        )

    # ---- offices (three per state)
    offices: dict[str, list[str]] = {}
    for i, state in enumerate(states):
        offices[state] = []
        for cls, title in OFFICE_KINDS:
            office = f"office:s{i}-{title.lower().replace(' ', '-')}"
            offices[state].append(office)
            w.block(
                "offices",
                office,
                [
                    ("a", [cls]),
                    *_labels(f"{title} of state {i}"),
                    ("kz:officeOf", [state]),
                    ("kz:statedIn", [rng.choice(paragraphs)]),
                ],
            )

    # ---- the repeated unit: a person, a tenure, a visit, a document, a figure...
    w.block(
        "events",
        "event:summits",
        [
            ("a", ["kz:EventSeries"]),
            *_labels("Synthetic summit series"),
            ("kz:statedIn", [paragraphs[2]]),
        ],
    )
    persons: list[str] = []
    visits: list[str] = []
    institutions: list[str] = []
    claims: list[str] = []
    i = 0
    while w.triples < triples:
        state = rng.choice(states)
        host = rng.choice([s for s in states if s != state])
        person = f"person:p{i}"
        pname = name()
        persons.append(person)
        w.block(
            "persons",
            person,
            [
                ("a", ["kz:Person"]),
                *_labels(pname),
                ("kz:articleSpelling", [_lit(pname[0] + ". " + pname.split()[1])]),
                ("kz:citizenOf", [state]),
                ("kz:statedIn", [rng.choice(paragraphs)]),
            ],
        )
        # the visit
        visit = f"event:v{i}"
        date, early, late = dates.any()
        end_y, end_m, end_d = (int(x) for x in late.split("-"))
        place = rng.choice(cities[host])
        if rng.random() < 0.3:
            place = place + "-d0-site"
        host_person = rng.choice(persons[-50:])
        visit_pairs = [
            ("a", ["kz:OfficialVisit"]),
            *_labels(f"Visit {i} of {pname}"),
            ("dcterms:description", [_en(f"Synthetic official visit number {i}.")]),
            ("kz:visitor", [person]),
            ("kz:visitingState", [state]),
            ("kz:hostState", [host]),
            ("kz:place", [place]),
        ]
        if host_person != person:
            visit_pairs.append(("kz:hostPerson", [host_person]))
        visit_pairs += [("kz:date", [date]), *_bounds(early, late), *src()]
        w.block("events", visit, visit_pairs)
        visits.append(visit)
        # the document signed during it, with two signatures
        doc = f"document:doc{i}"
        office_a = rng.choice(offices[state])
        office_b = rng.choice(offices[host])
        sig_a, sig_b = f"{doc}-signature-a", f"{doc}-signature-b"
        w.block(
            "documents",
            doc,
            [
                ("a", ["kz:Document"]),
                *_labels(f"Document {i}"),
                ("kz:title", [_en(f"Agreement number {i} between two states")]),
                ("kz:documentType", [rng.choice(DOC_TYPES)]),
                ("kz:bilateral", ["true"]),
                ("kz:date", [date]),
                *_bounds(early, late),
                ("kz:place", [place]),
                ("kz:party", [state, host]),
                ("kz:signedDuring", [visit]),
                ("kz:hasSignature", [sig_a, sig_b]),
                ("kz:subject", [_en("Cooperation in a synthetic field.")]),
                *src(),
            ],
        )
        w.block(
            "documents",
            sig_a,
            [
                ("a", ["kz:Signature"]),
                *_labels(f"Signature of {pname} on document {i}"),
                ("kz:signatureOn", [doc]),
                ("kz:signer", [person]),
                ("kz:signedFor", [state]),
                ("kz:signedAs", [office_a]),
                ("kz:statedIn", [rng.choice(paragraphs)]),
            ],
        )
        w.block(
            "documents",
            sig_b,
            [
                ("a", ["kz:Signature"]),
                *_labels(f"Host signature on document {i}"),
                ("kz:signatureOn", [doc]),
                ("kz:signedFor", [host]),
                ("kz:signedAs", [office_b]),
                ("kz:statedIn", [rng.choice(paragraphs)]),
            ],
        )
        # the person's tenure, attested by the visit and the document
        tenure = f"tenure:t{i}"
        start_year = rng.randint(1985, int(early[:4]))
        w.block(
            "offices",
            tenure,
            [
                ("a", ["kz:Tenure"]),
                *_labels(f"{pname}, office holder"),
                ("kz:holder", [person]),
                ("kz:office", [office_a]),
                ("kz:organization", [state]),
                ("kz:startDate", [f'"{start_year}"^^xsd:gYear']),
                ("kz:attestedFrom", [f'"{early}"^^xsd:date']),
                ("kz:attestedUntil", [f'"{end_y:04d}-{end_m:02d}-{end_d:02d}"^^xsd:date']),
                ("kz:attestedBy", [visit, doc]),
                *src(),
            ],
        )
        # a figure about the two states, stated during the visit
        fig = f"figure:f{i}"
        year = rng.randint(1992, 2020)
        fig_pairs = [("a", ["kz:Observation"]), *_labels(f"Figure {i}")]
        if rng.random() < 0.5:
            fig_pairs += [
                ("kz:measure", [rng.choice(MONEY)]),
                ("kz:value", [f"{rng.randint(1, 9000)}000000.0"]),
                ("kz:currency", [_lit("USD")]),
            ]
        else:
            measure, unit = rng.choice(COUNTS)
            fig_pairs += [
                ("kz:measure", [measure]),
                ("kz:value", [f"{rng.randint(1, 900)}.0"]),
                ("kz:unit", [_lit(unit)]),
            ]
        fig_pairs += [
            ("kz:status", [rng.choice(STATUSES)]),
            ("kz:about", [state, host]),
            ("kz:statedDuring", [visit]),
            ("kz:referencePeriod", [f'"{year}"^^xsd:gYear']),
            *_bounds(f"{year}-01-01", f"{year}-12-31"),
            *src(),
        ]
        w.block("figures", fig, fig_pairs)
        # every 4th unit: an institution, its founding, cooperation
        if i % 4 == 0:
            inst = f"institution:i{i}"
            founded = rng.randint(1991, 2019)
            inst_pairs = [
                ("a", ["kz:Institution"]),
                *_labels(f"Institution {i}"),
                ("kz:institutionType", [rng.choice(INST_TYPES)]),
                ("kz:locatedIn", [rng.choice(cities[host])]),
                ("kz:founder", [state]),
                ("kz:serves", [rng.choice(diasporas)]),
                ("kz:purpose", [_en("A synthetic purpose.")]),
            ]
            if institutions:
                inst_pairs.append(("kz:cooperatesWith", [rng.choice(institutions)]))
            if institutions and rng.random() < 0.2:
                inst_pairs.append(("kz:branchOf", [rng.choice(institutions)]))
            inst_pairs += src()
            w.block("institutions", inst, inst_pairs)
            institutions.append(inst)
            w.block(
                "events",
                f"event:founding-{i}",
                [
                    ("a", ["kz:Founding"]),
                    *_labels(f"Founding of institution {i}"),
                    ("kz:institution", [inst]),
                    ("kz:agent", [state]),
                    ("kz:place", [rng.choice(cities[host])]),
                    ("kz:date", [f'"{founded}"^^xsd:gYear']),
                    *_bounds(f"{founded}-01-01", f"{founded}-12-31"),
                    *src(1),
                ],
            )
        # every 10th unit: a summit in the series, with a signing as a sub-event
        if i % 10 == 0:
            summit = f"event:summit-{i}"
            date, early, late = dates.any()
            parts = sorted(set(rng.sample(states, min(4, len(states)))))
            w.block(
                "events",
                summit,
                [
                    ("a", ["kz:Summit"]),
                    *_labels(f"Summit {i // 10 + 1}"),
                    ("kz:series", ["event:summits"]),
                    ("kz:ordinal", [str(i // 10 + 1)]),
                    ("kz:participantState", parts),
                    (
                        "kz:participantPerson",
                        sorted(set(rng.sample(persons, min(3, len(persons))))),
                    ),
                    ("kz:place", [rng.choice(all_cities)]),
                    ("kz:date", [date]),
                    *_bounds(early, late),
                    *src(),
                ],
            )
            w.block(
                "events",
                f"event:summit-{i}-talks",
                [
                    ("a", ["kz:Meeting"]),
                    *_labels(f"Talks at summit {i // 10 + 1}"),
                    ("kz:subEventOf", [summit]),
                    ("kz:participantPerson", [person]),
                    ("skos:editorialNote", [_en("Undated: the synthetic article gives no date.")]),
                    ("kz:statedIn", [rng.choice(paragraphs)]),
                ],
            )
            w.block("events", visit, [("kz:subEventOf", [f"event:summit-{i}-talks"])])
        # every 25th unit: two conflicting claims about a visit
        if i % 25 == 0 and len(visits) > 1:
            other = visits[-2]
            w.block(
                "events", visit, [("kz:conflictsWith", [other]), ("kz:rank", ["kz:PreferredRank"])]
            )
            claims.append(visit)
            w.block(
                "conflicts",
                f"conflict:c{i}",
                [
                    ("a", ["kz:Conflict"]),
                    *_labels(f"Which visit came first ({i})?"),
                    ("kz:conflictKind", ["kz:ConflictingDates"]),
                    ("kz:involves", [visit, other]),
                    ("skos:editorialNote", [_en("Two synthetic paragraphs date the visit apart.")]),
                    *src(1),
                ],
            )
        i += 1
    w.write(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("triples", type=int, help="about how many asserted data triples")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="data folder to write")
    args = parser.parse_args(argv)
    path = generate(args.triples, args.seed, args.out)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
