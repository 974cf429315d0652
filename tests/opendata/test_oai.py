"""OAI-PMH 2.0 at /oai/ (catalog.oai): every verb's structure, every error code, from/until,
a resumption-token walk over several pages, deleted records, and nothing unpublished harvested."""

import datetime as dt

import pytest
from django.core import signing
from django.utils import timezone
from lxml import etree

from catalog import oai
from catalog.models import Letter, Volume

OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
D328 = "oai:letterbook.example.org:frus1981-88v04:d328"
D193 = "oai:letterbook.example.org:frus1969-76v33:d193"


def harvest(client, method="get", **params):
    response = getattr(client, method)("/oai/", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert root.tag == f"{OAI}OAI-PMH"
    assert root.get(f"{XSI}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
    )
    assert [child.tag for child in root][:2] == [f"{OAI}responseDate", f"{OAI}request"]
    dt.datetime.strptime(root.findtext(f"{OAI}responseDate"), "%Y-%m-%dT%H:%M:%SZ")
    assert root.findtext(f"{OAI}request") == "https://letterbook.example.org/oai/"
    return root


def error_code(root) -> str:
    errors = root.findall(f"{OAI}error")
    assert len(errors) == 1 and len(root) == 3
    return errors[0].get("code")


def identifiers(root, verb="ListIdentifiers"):
    return [h.findtext(f"{OAI}identifier") for h in root.find(f"{OAI}{verb}").iter(f"{OAI}header")]


def set_modified(letter, when):
    Letter.objects.filter(pk=letter.pk).update(modified=when)


def test_identify(client, d328):
    root = harvest(client, verb="Identify")
    assert root.find(f"{OAI}request").attrib == {"verb": "Identify"}
    identify = root.find(f"{OAI}Identify")
    assert [(child.tag.removeprefix(OAI), child.text) for child in identify] == [
        ("repositoryName", "Letterbook"),
        ("baseURL", "https://letterbook.example.org/oai/"),
        ("protocolVersion", "2.0"),
        ("adminEmail", "letterbook@localhost"),
        ("earliestDatestamp", oai.datestamp(Letter.objects.order_by("modified").first().modified)),
        ("deletedRecord", "transient"),
        ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
    ]


def test_list_metadata_formats(client, d328):
    for params in ({}, {"identifier": D328}):
        formats = harvest(client, verb="ListMetadataFormats", **params).find(f"{OAI}ListMetadataFormats")
        assert [[(c.tag.removeprefix(OAI), c.text) for c in f] for f in formats] == [
            [
                ("metadataPrefix", "oai_dc"),
                ("schema", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
                ("metadataNamespace", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
            ]
        ]
    assert error_code(harvest(client, verb="ListMetadataFormats", identifier="oai:x:y")) == "idDoesNotExist"


def test_list_sets_one_per_volume_with_published_letters(client, d328):
    Volume.objects.create(identifier="frus1977-80v06")  # nothing published: no set
    sets = harvest(client, verb="ListSets").find(f"{OAI}ListSets")
    assert [(s.findtext(f"{OAI}setSpec"), s.findtext(f"{OAI}setName")) for s in sets] == [
        ("frus1969-76v33", "Foreign Relations of the United States, 1969–1976, Volume XXXIII"),
        (
            "frus1981-88v04",
            "Foreign Relations of the United States, 1981–1988, Volume IV, Soviet Union, January 1983–March 1985",
        ),
    ]


def test_empty_repository(client, db):
    assert error_code(harvest(client, verb="ListSets")) == "noSetHierarchy"
    assert error_code(harvest(client, verb="ListRecords", metadataPrefix="oai_dc")) == "noRecordsMatch"
    identify = harvest(client, verb="Identify").find(f"{OAI}Identify")
    assert identify.findtext(f"{OAI}deletedRecord") == "transient"


def test_get_record_of_d328(client, d328):
    set_modified(d328, dt.datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=dt.UTC))
    root = harvest(client, verb="GetRecord", identifier=D328, metadataPrefix="oai_dc")
    assert root.find(f"{OAI}request").attrib == {"verb": "GetRecord", "identifier": D328, "metadataPrefix": "oai_dc"}
    [record] = root.find(f"{OAI}GetRecord")
    header = record.find(f"{OAI}header")
    assert header.get("status") is None
    assert [(c.tag.removeprefix(OAI), c.text) for c in header] == [
        ("identifier", D328),
        ("datestamp", "2025-03-04T05:06:07Z"),
        ("setSpec", "frus1981-88v04"),
    ]
    dc = record.find(f"{OAI}metadata/{OAI_DC}dc")
    assert dc.get(f"{XSI}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )
    assert [(c.tag.removeprefix(DC), c.text) for c in dc] == [
        ("title", "Letter From President Reagan to Soviet General Secretary Chernenko"),
        ("creator", "Reagan, Ronald"),
        ("contributor", "Charles, Elizabeth C."),
        ("publisher", "Office of the Historian"),
        ("type", "Text"),
        ("type", "Letter"),
        ("format", "text/html"),
        ("identifier", "https://letterbook.example.org/volumes/frus1981-88v04/d328/"),
        ("source", "FRUS, 1981–1988, Volume IV, Document 328"),
        ("language", "en"),
        (
            "relation",
            "Foreign Relations of the United States, 1981–1988, Volume IV, Soviet Union, January 1983–March 1985",
        ),
        ("rights", "Public domain"),
    ]


def test_list_identifiers_and_records(client, d328, d193):
    root = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert identifiers(root) == [D193, D328]
    assert root.find(f"{OAI}ListIdentifiers/{OAI}resumptionToken") is None  # one page: no token
    root = harvest(client, verb="ListRecords", metadataPrefix="oai_dc", set="frus1981-88v04")
    records = root.find(f"{OAI}ListRecords")
    assert identifiers(root, "ListRecords") == [D328]
    assert records.find(f"{OAI}record/{OAI}metadata/{OAI_DC}dc/{DC}title").text == d328.title


def test_from_and_until(client, d328, d193):
    set_modified(d193, dt.datetime(2024, 1, 1, 23, 59, 59, 500000, tzinfo=dt.UTC))
    set_modified(d328, dt.datetime(2024, 1, 2, 0, 0, 0, tzinfo=dt.UTC))

    def listed(**params):
        root = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **params)
        return [] if root.find(f"{OAI}error") is not None else identifiers(root)

    assert listed(**{"from": "2024-01-02"}) == [D328]
    assert listed(until="2024-01-01") == [D193]
    assert listed(until="2024-01-01T23:59:59Z") == [D193]  # granularity: the second includes .5
    assert listed(**{"from": "2024-01-01T23:59:59Z", "until": "2024-01-02T00:00:00Z"}) == [D193, D328]
    assert listed(**{"from": "2024-01-02T00:00:01Z"}) == []
    assert error_code(harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2023-12-31")) == (
        "noRecordsMatch"
    )


@pytest.mark.parametrize(
    "params,code",
    [
        ({}, "badVerb"),
        ({"verb": "Explode"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "GetRecord", "identifier": D328}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T10:00:00+01:00"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01", "until": "2024-01-02T00:00:00Z"},
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-01", "until": "2024-01-01"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "GetRecord", "identifier": D328, "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
        (
            {
                "verb": "GetRecord",
                "identifier": "oai:letterbook.example.org:frus1981-88v04:d999",
                "metadataPrefix": "oai_dc",
            },
            "idDoesNotExist",
        ),
        (
            {"verb": "GetRecord", "identifier": "oai:elsewhere.org:frus1981-88v04:d328", "metadataPrefix": "oai_dc"},
            "idDoesNotExist",
        ),
        ({"verb": "GetRecord", "identifier": "<script>", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "garbage"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "frus1861"}, "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2999-01-01"}, "noRecordsMatch"),
    ],
)
def test_error_codes(client, d328, params, code):
    root = harvest(client, **params)
    assert error_code(root) == code
    request = root.find(f"{OAI}request")
    if code in ("badVerb", "badArgument"):
        assert request.attrib == {}  # the spec: echo no arguments of a request not understood
    else:
        assert request.get("verb") == params["verb"]


@pytest.fixture
def many_letters(d328, d193, settings):
    """Seven more published letters in v04 and a draft: nine records, three to a page."""
    settings.OAI_PAGE_SIZE = 3
    now = timezone.now()
    for number in range(329, 336):
        Letter.objects.create(
            volume=d328.volume, number=number, title=f"Document {number}", status="published", published_at=now
        )
    Letter.objects.create(volume=d328.volume, number=900, title="A draft", status="draft")
    return [D193, D328] + [f"oai:letterbook.example.org:frus1981-88v04:d{n}" for n in range(329, 336)]


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_resumption_token_walk(client, many_letters, verb):
    seen, tokens, params = [], [], {"verb": verb, "metadataPrefix": "oai_dc"}
    while True:
        root = harvest(client, **params)
        listing = root.find(f"{OAI}{verb}")
        seen += identifiers(root, verb)
        token = listing.find(f"{OAI}resumptionToken")
        assert token is not None and listing[-1] is token
        tokens.append(token)
        if not token.text:
            break
        params = {"verb": verb, "resumptionToken": token.text}
    assert seen == many_letters  # each record once, in a stable order; the draft never
    assert [t.get("cursor") for t in tokens] == ["0", "3", "6"]
    assert [t.get("completeListSize") for t in tokens] == ["9", "9", "9"]
    assert all(t.get("expirationDate") for t in tokens[:-1]) and tokens[-1].get("expirationDate") is None
    if verb == "ListRecords":
        assert len(list(root.iter(f"{OAI_DC}dc"))) == 3


def test_resumption_tokens_are_tamper_evident_and_expire(client, many_letters, settings):
    first = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="frus1981-88v04")
    token = first.findtext(f"{OAI}ListIdentifiers/{OAI}resumptionToken")
    data = signing.loads(token, salt=oai.TOKEN_SALT)
    assert data["s"] == "frus1981-88v04"
    forged = signing.dumps(dict(data, s="frus1969-76v33"), salt="another salt", compress=True)
    assert error_code(harvest(client, verb="ListIdentifiers", resumptionToken=forged)) == "badResumptionToken"
    assert error_code(harvest(client, verb="ListIdentifiers", resumptionToken=token[:-2] + "xx")) == (
        "badResumptionToken"
    )
    # A token is for the verb that issued it.
    assert error_code(harvest(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    settings.OAI_TOKEN_LIFETIME = -1
    assert error_code(harvest(client, verb="ListIdentifiers", resumptionToken=token)) == "badResumptionToken"


def test_post_requests(client, d328):
    root = harvest(client, method="post", verb="GetRecord", identifier=D328, metadataPrefix="oai_dc")
    assert identifiers(root, "GetRecord") == [D328]


def test_withdrawn_letter_is_a_deleted_record_and_drafts_are_never_harvested(client, d328, d193):
    # d193 was published and is withdrawn: a deleted record, no metadata.
    Letter.objects.filter(pk=d193.pk).update(status=Letter.Status.DRAFT)
    # A letter never published: invisible to harvesters.
    Letter.objects.create(volume=d328.volume, number=400, title="Never published", status="review")
    root = harvest(client, verb="ListRecords", metadataPrefix="oai_dc")
    records = root.find(f"{OAI}ListRecords")
    assert identifiers(root, "ListRecords") == [D193, D328]
    deleted = records[0]
    assert deleted.find(f"{OAI}header").get("status") == "deleted"
    assert deleted.find(f"{OAI}metadata") is None
    assert records[1].find(f"{OAI}header").get("status") is None
    assert b"Never published" not in etree.tostring(root)
    root = harvest(client, verb="GetRecord", identifier=D193, metadataPrefix="oai_dc")
    assert root.find(f"{OAI}GetRecord/{OAI}record/{OAI}header").get("status") == "deleted"
    missing = "oai:letterbook.example.org:frus1981-88v04:d400"
    assert error_code(harvest(client, verb="GetRecord", identifier=missing, metadataPrefix="oai_dc")) == (
        "idDoesNotExist"
    )
    # The set of a volume with only a withdrawn letter stays listed (its deleted records are in it).
    sets = harvest(client, verb="ListSets").find(f"{OAI}ListSets")
    assert [s.findtext(f"{OAI}setSpec") for s in sets] == ["frus1969-76v33", "frus1981-88v04"]


def test_query_count_per_page_is_fixed(client, many_letters, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # page, senders, count (+ savepoint-free)
        harvest(client, verb="ListRecords", metadataPrefix="oai_dc")


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "params,code",
    [
        ({"verb": "listrecords"}, "badVerb"),
        ({"verb": "Identify\u00e9"}, "badVerb"),
        ({"verb": "ListRecords", "resumptionToken": ""}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": "a:b:c"}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": ".eJyrVkosLlayUkpKTC0qSgUAJmAFJA:1r:xyz"}, "badResumptionToken"),
        ({"verb": "ListIdentifiers", "resumptionToken": "x" * 4000}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "0000-01-01"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "0001-01-01"}, "noRecordsMatch"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "9999-12-31"}, "noRecordsMatch"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "9999-12-31T23:59:59Z"}, "noRecordsMatch"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": D328[:-3] + "9" * 30}, "idDoesNotExist"),
    ],
)
def test_a_bad_verb_token_or_argument_is_a_clean_oai_error(client, d328, method, params, code):
    """Never a server error: an OAI-PMH error, in an OAI-PMH response with status 200, by GET or POST."""
    assert error_code(harvest(client, method, **params)) == code
