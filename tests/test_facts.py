"""Spot checks of data/ against the article: dates, numbers, signatories and sources.

Every expected value below was read in ../shared/sources/paper-paragraphs.md at the
paragraph named in the test, not copied from the data. If the data drifts, these fail.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

ROOT = Path(__file__).resolve().parent.parent
R = "https://w3id.org/kzgraph/resource/"
KZ = "https://w3id.org/kzgraph/ontology#"


@cache
def data() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def res(path: str) -> URIRef:
    return URIRef(R + path)


def kz(name: str) -> URIRef:
    return URIRef(KZ + name)


def values(subject: str, prop: str) -> set[str]:
    return {str(o) for o in data().objects(res(subject), kz(prop))}


def one(subject: str, prop: str) -> str:
    found = values(subject, prop)
    assert len(found) == 1, f"{subject} {prop}: {found}"
    return found.pop()


def locators(subject: str) -> set[str]:
    return {str(p).rsplit("/", 1)[1] for p in data().objects(res(subject), kz("statedIn"))}


def signatures(document: str) -> set[tuple[str, str]]:
    """(signer slug or '-', signed-for slug) of each signature on the document."""
    graph = data()
    found = set()
    for sig in graph.objects(res(document), kz("hasSignature")):
        signer = graph.value(sig, kz("signer"))
        state = graph.value(sig, kz("signedFor"))
        found.add((str(signer).rsplit("/", 1)[1] if signer else "-", str(state).rsplit("/", 1)[1]))
    return found


# --- documents and their signatories ---------------------------------------------------


def test_treaty_of_friendship_signed_by_the_presidents_in_ankara_on_17_october_1994() -> None:
    # P17: signed by the Presidents of the two countries in Ankara on October 17 [1994].
    doc = "document/friendship-treaty-1994"
    assert data().value(res(doc), kz("date")) == Literal("1994-10-17", datatype=XSD.date)
    assert values(doc, "place") == {R + "place/ankara"}
    assert values(doc, "documentType") == {KZ + "Treaty"}
    assert {("nursultan-nazarbayev", "kazakhstan"), ("suleyman-demirel", "turkey")} <= signatures(
        doc
    )
    # P18 names Çiller as well: kept as its own signature, stated in P18 only.
    assert ("tansu-ciller", "turkey") in signatures(doc)
    assert {"P17", "P18"} <= locators(doc)


def test_1991_cooperation_agreement_signed_for_the_kazakh_ssr_on_15_march() -> None:
    # P14: talks on March 14, 1991 and on March 15 the agreement between the Kazakh SSR and
    # the Turkish Republic; P10: signed by N.A. Nazarbayev and T. Ozal.
    doc = "document/cooperation-agreement-1991"
    assert data().value(res(doc), kz("date")) == Literal("1991-03-15", datatype=XSD.date)
    assert signatures(doc) == {("nursultan-nazarbayev", "kazakh-ssr"), ("turgut-ozal", "turkey")}
    assert values(doc, "party") == {R + "state/kazakh-ssr", R + "state/turkey"}
    assert "Kazakh Soviet Socialist Republic" in one(doc, "title")
    assert {"P10", "P14"} <= locators(doc)
    assert data().value(res("event/talks-1991-03-14"), kz("date")) == Literal(
        "1991-03-14", datatype=XSD.date
    )


def test_1992_joint_statement_and_investment_agreement_on_29_april_in_almaty() -> None:
    # P15: Demirel's visit to Almaty on April 29, 1992; joint statement by Nazarbayev and
    # Demirel; the heads of government signed an agreement on investment protection.
    day = Literal("1992-04-29", datatype=XSD.date)
    for subject in (
        "event/demirel-visit-1992-04-29",
        "event/embassy-opening-1992-04-29",
        "document/joint-statement-1992",
        "document/investment-protection-agreement-1992",
    ):
        assert data().value(res(subject), kz("date")) == day, subject
        assert R + "place/almaty" in values(subject, "place"), subject
    assert signatures("document/joint-statement-1992") == {
        ("nursultan-nazarbayev", "kazakhstan"),
        ("suleyman-demirel", "turkey"),
    }
    assert values("document/joint-statement-1992", "documentType") == {KZ + "JointStatement"}


def test_foreign_ministers_protocol_is_the_first_of_its_kind() -> None:
    # P19: the protocol signed by A.Kh. Arystanbekova (Kazakh SSR) and A.A. Kurtzebe (Turkey).
    doc = "document/foreign-ministries-protocol"
    assert signatures(doc) == {
        ("akmaral-arystanbekova", "kazakh-ssr"),
        ("ahmet-kurtcebe-alptemocin", "turkey"),
    }
    assert values(doc, "documentType") == {KZ + "Protocol"}
    assert values(doc, "firstOf"), "P19 says it is the first such protocol"
    assert "A.A. Kurtzebe" in {
        str(o)
        for o in data().objects(res("person/ahmet-kurtcebe-alptemocin"), kz("articleSpelling"))
    }


# --- events ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "date", "paragraph"),
    [
        (
            "event/independence-declaration-1991-12-16",
            Literal("1991-12-16", datatype=XSD.date),
            "P14",
        ),
        ("event/nazarbayev-visit-1991-09", Literal("1991-09", datatype=XSD.gYearMonth), "P16"),
        ("event/nazarbayev-visit-1992-10", Literal("1992-10", datatype=XSD.gYearMonth), "P4"),
        ("event/turkic-summit-1992-ankara", Literal("1992-10", datatype=XSD.gYearMonth), "P4"),
        ("event/ozal-visit-1993-04", Literal("1993-04", datatype=XSD.gYearMonth), "P9"),
        ("event/demirel-election-1993-05", Literal("1993-05", datatype=XSD.gYearMonth), "P17"),
        ("event/astana-summit-1998-06-09", Literal("1998-06-09", datatype=XSD.date), "P20"),
        ("event/sezer-visit-2000-10-20", Literal("2000-10-20", datatype=XSD.date), "P20"),
        ("event/nazarbayev-visit-2003-05", Literal("2003-05", datatype=XSD.gYearMonth), "P21"),
        ("event/gul-visit-2007-10", Literal("2007-10", datatype=XSD.gYearMonth), "P21"),
        ("event/turkic-summit-2009-nakhchivan", Literal("2009-10-03", datatype=XSD.date), "P21"),
        (
            "event/turkic-academy-opening-2010-05-25",
            Literal("2010-05-25", datatype=XSD.date),
            "P21",
        ),
        ("event/kazakh-foundation-founding-1987", Literal("1987", datatype=XSD.gYear), "P24"),
        ("event/yasawi-foundation-founding-1992", Literal("1992", datatype=XSD.gYear), "P24"),
        (
            "event/kazakh-cultural-centre-founding-1997-03",
            Literal("1997-03", datatype=XSD.gYearMonth),
            "P25",
        ),
        ("event/akhiska-founding-1991-02", Literal("1991-02", datatype=XSD.gYearMonth), "P26"),
        ("event/akhiska-renaming-1994", Literal("1994", datatype=XSD.gYear), "P26"),
        ("event/akhiska-astana-branch-opening-2007", Literal("2007", datatype=XSD.gYear), "P26"),
    ],
)
def test_event_date_at_the_articles_precision(event: str, date: Literal, paragraph: str) -> None:
    assert data().value(res(event), kz("date")) == date
    assert paragraph in locators(event)


def test_date_bounds_never_invent_a_day() -> None:
    # A month-precision date is bounded by the whole month: October 1992 -> 1 … 31 October.
    event = "event/nazarbayev-visit-1992-10"
    assert one(event, "earliestDate") == "1992-10-01"
    assert one(event, "latestDate") == "1992-10-31"


def test_1994_visit_spans_16_to_18_october() -> None:
    # P17: On October 16-18, 1994, Nazarbayev's official visit to Turkey.
    event = "event/nazarbayev-visit-1994-10"
    assert one(event, "startDate") == "1994-10-16"
    assert one(event, "endDate") == "1994-10-18"
    assert values(event, "visitor") == {R + "person/nursultan-nazarbayev"}
    assert values(event, "hostState") == {R + "state/turkey"}


def test_ninth_turkic_summit_in_nakhchivan_azerbaijan() -> None:
    event = "event/turkic-summit-2009-nakhchivan"
    assert data().value(res(event), kz("ordinal")).toPython() == 9
    assert values(event, "place") == {R + "place/nakhchivan"}
    assert values("place/nakhchivan", "locatedIn") == {R + "state/azerbaijan"}


def test_first_ankara_meeting_names_the_five_unambiguous_states() -> None:
    # P4: Turkey, Azerbaijan, Kazakhstan, Kyrgyzstan, "Turkestan" and Uzbekistan; Turkestan is a
    # city, so it is not a participating state (see the conflict test below).
    states = values("event/turkic-summit-1992-ankara", "participantState")
    assert states == {
        R + f"state/{s}" for s in ("turkey", "azerbaijan", "kazakhstan", "kyrgyzstan", "uzbekistan")
    }


def test_turkey_was_the_first_to_recognise_independence() -> None:
    event = "event/recognition-by-turkey"
    assert values(event, "agent") == {R + "state/turkey"}
    assert values(event, "recognizedState") == {R + "state/kazakhstan"}
    assert values(event, "firstOf")
    assert {"P14", "P19"} <= locators(event)


def test_migration_of_the_kazakhs_to_turkey() -> None:
    # P22: appeared in 1940-1950, through China, India and Pakistan; 1.800 survived.
    event = "event/kazakh-migration-to-turkey"
    assert (one(event, "startDate"), one(event, "endDate")) == ("1940", "1950")
    assert values(event, "via") >= {R + "state/china", R + "state/india", R + "state/pakistan"}
    assert one("figure/migration-survivors-1940-1950", "value") == "1800.0"


def test_sezer_is_the_tenth_president_of_turkey() -> None:
    tenure = "tenure/sezer-president-of-turkey"
    assert data().value(res(tenure), kz("ordinalInOffice")).toPython() == 10
    assert values(tenure, "holder") == {R + "person/ahmet-necdet-sezer"}


def test_demirel_tenure_as_president_starts_with_his_may_1993_election() -> None:
    tenure = "tenure/demirel-president-of-turkey"
    assert one(tenure, "startDate") == "1993-05"
    assert one(tenure, "attestedFrom") == "1993-05-01"


# --- figures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("figure", "value", "status", "paragraph"),
    [
        ("turkish-companies-1995", "150", "LowerBound", "P18"),
        ("construction-completed-early-2000s", "1500000000", "Actual", "P20"),
        ("construction-value-early-2000s", "5000000000", "Actual", "P20"),
        ("turkish-companies-accredited", "30", "LowerBound", "P20"),
        ("joint-ventures", "90", "LowerBound", "P20"),
        ("trade-turnover-2007", "1500000000", "Actual", "P21"),
        ("trade-turnover-target-2010", "5000000000", "Target", "P21"),
        ("enterprises-with-turkish-capital", "1674", "Actual", "P21"),
        ("turkish-investment-total", "560000000", "Actual", "P21"),
        ("migration-survivors-1940-1950", "1800", "Actual", "P22"),
        ("kazakh-foundation-members", "400", "LowerBound", "P24"),
        ("kazakhs-in-turkey-1990s", "20000", "UpperBound", "P25"),
        ("turks-in-kazakhstan", "104792", "Actual", "P26"),
        ("documents-2018-value", "2000000000", "LowerBound", "P28"),
    ],
)
def test_figure_value_and_status(figure: str, value: str, status: str, paragraph: str) -> None:
    subject = f"figure/{figure}"
    assert Decimal(one(subject, "value")) == Decimal(value)
    assert values(subject, "status") == {KZ + status}
    assert paragraph in locators(subject)


def test_money_is_in_us_dollars_and_counts_have_units() -> None:
    graph = data()
    for figure in graph.subjects(URIRef(KZ + "measure"), None):
        currency = {str(o) for o in graph.objects(figure, kz("currency"))}
        unit = {str(o) for o in graph.objects(figure, kz("unit"))}
        assert (currency == {"USD"}) != bool(unit), figure


def test_target_is_set_at_the_2008_meeting_for_2010() -> None:
    figure = "figure/trade-turnover-target-2010"
    assert one(figure, "referencePeriod") == "2010"
    assert values(figure, "statedDuring") == {R + "event/leaders-meeting-2008"}


# --- sources and conflicts -----------------------------------------------------------------


def test_every_work_the_article_cites_is_a_cited_work() -> None:
    # The in-text citations of the article, as it writes them.
    cited = {
        "Agency for Strategic..., 2021", "Akpynar et al., 2018", "Asankeldiuly, 2018",
        "Asylbekov et al., 2010", "Ayagan et al., 2010", "Burabaev, 2002", "Giritliogly, 2021",
        "Imasheva, 2003", "Joint Declaration..., 1995", "Kara, 2011", "Karasaev et al., 2012",
        "Ketners, 2015", "Ketners, 2020", "Martinkovic, 2005", "National Archive of…, 2021",
        "Nazarbayev, 2003", "Nazarbayev, 2017", "Perepelitsa, 2007",
        "Republic of Kazakhstan, 2021", "Stepanchuk et al., 2016", "Toybaeva, 2016",
        "Tuimebaev, 2013", "Yensenov, 2018",
    }  # fmt: skip
    assert {str(o) for o in data().objects(None, kz("citationText"))} == cited


def test_facts_carry_the_citation_the_paragraph_gives() -> None:
    # P26 cites (Agency for Strategic..., 2021) for the 104.792 Turks.
    assert values("figure/turks-in-kazakhstan", "citation") == {
        R + "work/agency-for-strategic-2021"
    }
    # P21 cites (Yensenov, 2018) for the opening of the Turkic Academy.
    assert R + "work/yensenov-2018" in values("event/turkic-academy-opening-2010-05-25", "citation")


def test_the_first_visit_conflict_keeps_all_three_readings() -> None:
    # P16 (September 1991), P4 (October 1992, "first formal visit"), P18 ("my first official
    # visit to Turkey in October 1994").
    conflict = "conflict/nazarbayev-first-visit-to-turkey"
    assert values(conflict, "involves") >= {
        R + "event/nazarbayev-visit-1991-09",
        R + "event/nazarbayev-visit-1992-10",
        R + "event/nazarbayev-visit-1994-10",
    }
    assert values(conflict, "conflictKind") == {KZ + "ConflictingDates"}
    assert {
        str(o)
        for o in data().objects(
            res(conflict), URIRef("http://www.w3.org/2004/02/skos/core#editorialNote")
        )
    }


def test_turkestan_among_the_nations_is_a_doubtful_reading() -> None:
    conflict = "conflict/turkestan-among-nations"
    assert values(conflict, "conflictKind") == {KZ + "DoubtfulReading"}
    assert values(conflict, "probableReading") == {R + "state/turkmenistan"}
    assert "P4" in locators(conflict)
    assert values("place/turkestan", "locatedIn") == {R + "state/kazakhstan"}
    # P4's word is the conflict's reading, never a name of the editors' candidate
    assert values(conflict, "articleReading") == {"Turkestan"}
    assert values("state/turkmenistan", "articleSpelling") == set()
    assert statement_locators(conflict, "articleReading", Literal("Turkestan")) == {"P4"}


OWL = "http://www.w3.org/2002/07/owl#"


def statement_locators(subject: str, prop: str, target: object) -> set[str]:
    """The [P#] of one statement's axiom annotation (its own sources)."""
    graph = data()
    target_term = target if isinstance(target, Literal) else res(str(target))
    found = set()
    for axiom in graph.subjects(URIRef(OWL + "annotatedSource"), res(subject)):
        if (axiom, URIRef(OWL + "annotatedProperty"), kz(prop)) in graph and (
            axiom,
            URIRef(OWL + "annotatedTarget"),
            target_term,
        ) in graph:
            for paragraph in graph.objects(axiom, kz("axiomStatedIn")):
                found.add(str(paragraph).rsplit("/", 1)[1])
    return found


@pytest.mark.parametrize(
    ("place", "kind"),
    [
        # P22: 'Zytunburyn district' and the microdistricts Kazakent, Cefox, Uskudar Kushikshezheme
        ("place/zeytinburnu", "District"),
        ("place/kazakhkent", "Microdistrict"),
        ("place/sefakoy", "Microdistrict"),
        ("place/uskudar", "Microdistrict"),
        ("place/kucukcekmece", "Microdistrict"),
        # P15, P16: Europe and Asia are continents, lying in no state; Central Asia spans states
        ("place/europe", "Continent"),
        ("place/asia", "Continent"),
        ("place/central-asia", "WorldRegion"),
    ],
)
def test_places_are_typed_as_the_article_calls_them(place: str, kind: str) -> None:
    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert {str(o) for o in data().objects(res(place), rdf_type)} == {KZ + kind}
    assert values(place, "locatedIn") <= {R + "place/istanbul"}


def test_the_akhiska_name_has_two_dates_in_p26() -> None:
    conflict = "conflict/akhiska-name-dates"
    assert values(conflict, "conflictKind") == {KZ + "ConflictingDates"}
    assert values(conflict, "involves") == {
        R + "institution/akhiska", R + "event/akhiska-founding-1991-02",
        R + "event/akhiska-renaming-1994",
        R + "institution/akhiska-name-1991", R + "institution/akhiska-name-1994",
    }  # fmt: skip
    assert locators(conflict) == {"P26"}


def test_the_akhiska_names_have_the_periods_p26_gives() -> None:
    """Founded in February 1991 as the Turkish Ethnocultural Center, called Akhiska since 1994
    (P26): each name with its period, the event that gave it and the one that ended it."""
    prov = "http://www.w3.org/ns/prov#"
    names = {
        str(name): one(str(name).removeprefix(R), "nameString")
        for name in data().subjects(kz("nameOf"), res("institution/akhiska"))
    }
    assert names == {
        R + "institution/akhiska-name-1991": "Turkish Ethnocultural Center",
        R + "institution/akhiska-name-1994": "Turkish Ethnocultural Center Akhiska",
    }
    old, new = "institution/akhiska-name-1991", "institution/akhiska-name-1994"
    assert values(old, "earliestDate") == {"1991-02-01"}
    assert values(old, "latestDate") == {"1994-12-31"}
    assert values(new, "earliestDate") == {"1994-01-01"}
    assert values(new, "latestDate") == set()  # still the name
    generated = URIRef(prov + "wasGeneratedBy")
    invalidated = URIRef(prov + "wasInvalidatedBy")
    assert set(data().objects(res(old), generated)) == {res("event/akhiska-founding-1991-02")}
    assert set(data().objects(res(old), invalidated)) == {res("event/akhiska-renaming-1994")}
    assert set(data().objects(res(new), generated)) == {res("event/akhiska-renaming-1994")}
    assert set(data().objects(res(new), invalidated)) == set()
    assert locators(old) == locators(new) == {"P26"}
    # the founding is not called by the later name as if the article dated it to 1991
    label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    assert {str(o) for o in data().objects(res("event/akhiska-founding-1991-02"), label)} == {
        "Founding of the Turkish Ethnocultural Center (later Akhiska), February 1991"
    }
    assert {str(o) for o in data().objects(res("event/akhiska-renaming-1994"), label)} == {
        "Renaming of the Turkish Ethnocultural Center as Akhiska, 1994"
    }


def test_prose_does_not_state_what_the_conflict_notes_deny() -> None:
    # P20 never says Demirel stood in the election of the tenth President
    demirel = one("person/suleyman-demirel", "role")
    assert "lost" not in demirel and "stood in that election" in demirel
    # P29 leaves open where Giritliogly defended his PhD
    giritliogly = one("person/m-giritliogly", "role")
    assert "in Kazakhstan" not in giritliogly and "ambiguous" in giritliogly


@pytest.mark.parametrize(
    ("subject", "prop", "target", "paragraphs"),
    [
        # titles and epithets, distinct from offices
        (
            "person/nursultan-nazarbayev",
            "epithet",
            Literal("First President of the Republic of Kazakhstan", lang="en"),
            {"P8", "P17", "P21"},
        ),
        ("person/turgut-ozal", "epithet", Literal("the Turkish leader", lang="en"), {"P9"}),
        ("person/perepelitsa", "epithet", Literal("Russian scientist", lang="en"), {"P11"}),
        ("state/turkey", "epithet", Literal("the Motherland", lang="en"), {"P19"}),
        ("place/central-asia", "epithet", Literal("the Homeland", lang="en"), {"P19"}),
        # the article's word, where it puts it: in Ozal's admiration during his visit
        (
            "event/ozal-official-visit-central-asia",
            "originalTerm",
            Literal("Atamekenim", lang="kk-Latn"),
            {"P19"},
        ),
        ("place/turkestan", "epithet", Literal("sacred city", lang="en"), {"P20"}),
        ("person/m-giritliogly", "academicDegree", Literal("PhD in history", lang="en"), {"P29"}),
        # relations between people, and the roles the article gives them in the relations
        ("person/nursultan-nazarbayev", "trustedPartnerOf", "person/turgut-ozal", {"P5"}),
        ("person/nursultan-nazarbayev", "trustedPartnerOf", "person/suleyman-demirel", {"P5"}),
        ("person/turgut-ozal", "furtheredRelationsWith", "state/kazakhstan", {"P5", "P15"}),
        ("person/turgut-ozal", "influencedBy", "person/khoja-akhmet-yassawi", {"P19"}),
        ("person/turgut-ozal", "affectionFor", "people/kazakhs", {"P19"}),
        ("person/khoja-akhmet-yassawi", "eponymOf", "institution/yasawi-foundation", {"P24"}),
        # priorities and partners of the states' policies
        ("state/turkey", "priorityPartner", "state/kazakhstan", {"P1", "P2"}),
        ("state/kazakhstan", "priorityPartner", "state/russia", {"P15"}),
        ("state/kazakhstan", "priorityPartner", "state/china", {"P15"}),
        ("state/turkey", "seeksMembershipIn", "institution/european-community", {"P16"}),
        ("diaspora/kazakhs-in-turkey", "supportedBy", "state/turkey", {"P22", "P23"}),
        ("state/turkey", "partlyIn", "place/europe", {"P16"}),
        ("state/ussr", "hinderedRelationsOf", "state/turkey", {"P5"}),
        ("people/kazakhs", "kindredPeopleOf", "people/turks", {"P16", "P26"}),
        ("state/azerbaijan", "epithet", Literal("Turkic-speaking nation", lang="en"), {"P4"}),
    ],
)
def test_facts_lifted_from_prose_have_their_own_paragraphs(
    subject: str, prop: str, target: object, paragraphs: set[str]
) -> None:
    target_term = target if isinstance(target, Literal) else res(str(target))
    assert (res(subject), kz(prop), target_term) in data()
    assert statement_locators(subject, prop, target) == paragraphs


def test_atamekenim_is_recorded_once_and_is_no_name_of_central_asia() -> None:
    """P19 uses the word in Ozal's admiration; reading it as Central Asia is the editors' note."""
    word = Literal("Atamekenim", lang="kk-Latn")
    assert {
        (str(s), str(p))
        for s, p, o in data()
        if o == word and p != URIRef("http://www.w3.org/2002/07/owl#annotatedTarget")
    } == {(R + "event/ozal-official-visit-central-asia", KZ + "originalTerm")}
    # no name, epithet or spelling of Central Asia carries it; its editorial note explains why
    skos = "http://www.w3.org/2004/02/skos/core#"
    names = {
        URIRef(skos + "prefLabel"),
        URIRef(skos + "altLabel"),
        kz("epithet"),
        kz("articleSpelling"),
        URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
    }
    region = res("place/central-asia")
    assert not [o for p, o in data().predicate_objects(region) if p in names and "Atamekenim" in o]
    assert "editors' reading" in str(data().value(region, URIRef(skos + "editorialNote")))


def test_demirel_had_twenty_years_in_politics() -> None:
    figure = "figure/demirel-years-in-politics"
    assert values(figure, "about") == {R + "person/suleyman-demirel"}
    assert values(figure, "measure") == {KZ + "YearsInPolitics"}
    assert Decimal(one(figure, "value")) == 20
    assert locators(figure) == {"P20"}


def _readme_lifted_facts_example() -> tuple[str, str]:
    import re

    text = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    section = text[text.index("## Facts lifted from prose (people, places, states)") :]
    found = re.search(r"```sparql\n(.*?)```\n\n```text\n(.*?)```", section, re.S)
    assert found, "the data-model guide's lifted-facts section has no example"
    return found.group(1), found.group(2)


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_readme_example_lists_the_titles_the_article_gives(engine: str) -> None:
    from click.testing import CliRunner

    from kzgraph.cli import cli

    query, shown = _readme_lifted_facts_example()
    args = ["--data", str(ROOT / "data"), "--ontology", str(ROOT / "ontology")]
    result = CliRunner().invoke(cli, [*args, "sparql", query, "--engine", engine])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown
