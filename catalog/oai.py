"""OAI-PMH 2.0 (https://www.openarchives.org/OAI/openarchivesprotocol.html) with Dublin Core.

One item per letter ever published: a published letter is a record; a letter that was published
(``published_at`` set) and no longer is (withdrawn, returned to draft) is a deleted record. A
letter deleted from the database leaves no trace, hence ``deletedRecord`` is ``transient``.
Sets: one per volume (``setSpec`` = the volume identifier). Datestamps are the letter's last
modification, in UTC, to the second (granularity ``YYYY-MM-DDThh:mm:ssZ``).

Resumption tokens are stateless: the request's arguments and the last identifier served, signed
with the site's secret (tamper-evident) and valid for ``OAI_TOKEN_LIFETIME`` seconds. Paging is by
primary key, so records changed between two pages are neither skipped nor repeated.

The response is built with lxml: every string is escaped and the result is well-formed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db.models import Exists, Min, OuterRef, Prefetch, Q
from django.utils import timezone
from lxml import etree

from catalog.citing import letter_csl, name_text, public_url, volume_title
from catalog.letter_export import xml_text
from catalog.models import Letter, LetterPerson, Volume
from catalog.rendering import letter_citation, volume_heading

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

VERBS = {
    # verb: (required, optional, exclusive)
    "Identify": (set(), set(), None),
    "ListMetadataFormats": (set(), {"identifier"}, None),
    "ListSets": (set(), set(), "resumptionToken"),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}, "resumptionToken"),
    "GetRecord": ({"identifier", "metadataPrefix"}, set(), None),
}
FORMATS = {"oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS)}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", re.ASCII)
TOKEN_SALT = "catalog.oai.resumption"


def page_size() -> int:
    return int(getattr(settings, "OAI_PAGE_SIZE", 100))


def token_lifetime() -> int:
    return int(getattr(settings, "OAI_TOKEN_LIFETIME", 24 * 3600))


def repository_identifier() -> str:
    return getattr(settings, "OAI_REPOSITORY_IDENTIFIER", "letterbook")


def oai_identifier(volume: str, number: int) -> str:
    return f"oai:{repository_identifier()}:{volume}:d{number}"


_IDENTIFIER = re.compile(r"^oai:(?P<repo>[^:]+):(?P<volume>[A-Za-z0-9_-]+):d(?P<number>\d{1,9})$")


def datestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OAIError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Query:
    verb: str
    prefix: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    set_spec: str = ""
    after: int = 0
    cursor: int = 0
    # the arguments as the harvester gave them (for a token: kept to issue the next one)
    from_arg: str = ""
    until_arg: str = ""


# -- the items ---------------------------------------------------------------------------------


def items():
    """Every letter a harvester may know: published, or once published (a deleted record)."""
    live = Letter.objects.published().filter(pk=OuterRef("pk"))
    return (
        Letter.objects.annotate(live=Exists(live))
        .filter(Q(live=True) | Q(published_at__isnull=False))
        .select_related("volume")
    )


def _senders_prefetch() -> Prefetch:
    return Prefetch(
        "letter_people",
        queryset=LetterPerson.objects.filter(role=LetterPerson.Role.SENDER).select_related("person").order_by("id"),
        to_attr="senders",
    )


# -- arguments ---------------------------------------------------------------------------------


def _parse_date(value: str, name: str, *, end: bool) -> dt.datetime:
    if _SECOND.match(value):
        try:
            return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    elif _DAY.match(value):
        try:
            day = dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.UTC)
        except ValueError:
            pass
        else:
            return day + dt.timedelta(days=1, microseconds=-1) if end else day
    raise OAIError("badArgument", f"'{name}' must be a UTC date YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, found '{value}'")


def parse_arguments(params) -> dict[str, str]:
    """The request's arguments, one value each; badVerb / badArgument otherwise."""
    verbs = params.getlist("verb")
    if len(verbs) != 1:
        raise OAIError("badVerb", "The verb argument is missing or repeated.")
    verb = verbs[0]
    if verb not in VERBS:
        raise OAIError("badVerb", f"'{verb}' is not an OAI-PMH verb.")
    required, optional, exclusive = VERBS[verb]
    arguments = {}
    for key in params:
        if key == "verb":
            continue
        values = params.getlist(key)
        if len(values) != 1:
            raise OAIError("badArgument", f"The argument '{key}' is repeated.")
        if key not in required | optional and key != exclusive:
            raise OAIError("badArgument", f"'{key}' is not an argument of {verb}.")
        arguments[key] = values[0]
    if exclusive and exclusive in arguments:
        if len(arguments) > 1:
            raise OAIError("badArgument", f"'{exclusive}' is an exclusive argument.")
        return {"verb": verb, **arguments}
    missing = sorted(required - set(arguments))
    if missing:
        raise OAIError("badArgument", f"{verb} needs the argument '{missing[0]}'.")
    return {"verb": verb, **arguments}


def build_query(arguments: dict[str, str]) -> Query:
    verb = arguments["verb"]
    if "resumptionToken" in arguments:
        return read_token(arguments["resumptionToken"], verb)
    query = Query(verb=verb, prefix=arguments.get("metadataPrefix", ""), set_spec=arguments.get("set", ""))
    if query.prefix and query.prefix not in FORMATS:
        raise OAIError("cannotDisseminateFormat", f"'{query.prefix}' is not a metadata format of this repository.")
    query.from_arg, query.until_arg = arguments.get("from", ""), arguments.get("until", "")
    if query.from_arg:
        query.start = _parse_date(query.from_arg, "from", end=False)
    if query.until_arg:
        query.end = _parse_date(query.until_arg, "until", end=True)
    if query.from_arg and query.until_arg and len(query.from_arg) != len(query.until_arg):
        raise OAIError("badArgument", "'from' and 'until' must have the same granularity.")
    if query.start and query.end and query.start > query.end:
        raise OAIError("badArgument", "'from' is later than 'until'.")
    return query


def make_token(query: Query, after: int, cursor: int) -> str:
    data = {
        "v": query.verb,
        "m": query.prefix,
        "f": query.from_arg,
        "u": query.until_arg,
        "s": query.set_spec,
        "a": after,
        "c": cursor,
    }
    return signing.dumps(data, salt=TOKEN_SALT, compress=True)


def read_token(token: str, verb: str) -> Query:
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=token_lifetime())
        if data["v"] != verb:
            raise ValueError("another verb's token")
        query = build_query(
            {"verb": verb, "metadataPrefix": data["m"]}
            | ({"from": data["f"]} if data["f"] else {})
            | ({"until": data["u"]} if data["u"] else {})
            | ({"set": data["s"]} if data["s"] else {})
        )
        query.after, query.cursor = int(data["a"]), int(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, OAIError):
        raise OAIError("badResumptionToken", "The resumption token is invalid or has expired.") from None
    return query


# -- the response ------------------------------------------------------------------------------


def _element(parent, name: str, text=None, ns: str = OAI_NS, **attributes):
    element = etree.SubElement(parent, f"{{{ns}}}{name}", {k: xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def respond(params, base_url: str, request=None) -> bytes:
    """The OAI-PMH response to ``params`` (a QueryDict of the GET or POST arguments)."""
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    _element(root, "responseDate", datestamp(timezone.now()))
    request_element = _element(root, "request", base_url)
    try:
        arguments = parse_arguments(params)
        for key, value in arguments.items():
            request_element.set(key, xml_text(value))
        query = build_query(arguments)
        HANDLERS[query.verb](root, query, base_url, request, arguments)
    except OAIError as error:
        if error.code in ("badVerb", "badArgument"):
            request_element.attrib.clear()  # the spec: no attributes on a request that was not understood
        _element(root, "error", error.message, code=error.code)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def identify(root, query: Query, base_url: str, request, arguments) -> None:
    element = _element(root, "Identify")
    _element(element, "repositoryName", getattr(settings, "OAI_REPOSITORY_NAME", "Letterbook"))
    _element(element, "baseURL", base_url)
    _element(element, "protocolVersion", "2.0")
    _element(element, "adminEmail", getattr(settings, "OAI_ADMIN_EMAIL", "letterbook@localhost"))
    earliest = items().aggregate(first=Min("modified"))["first"]
    _element(element, "earliestDatestamp", datestamp(earliest or timezone.now()))
    _element(element, "deletedRecord", "transient")
    _element(element, "granularity", "YYYY-MM-DDThh:mm:ssZ")


def list_metadata_formats(root, query: Query, base_url: str, request, arguments) -> None:
    if "identifier" in arguments:
        _find(arguments["identifier"])
    element = _element(root, "ListMetadataFormats")
    for prefix, (schema, namespace) in FORMATS.items():
        fmt = _element(element, "metadataFormat")
        _element(fmt, "metadataPrefix", prefix)
        _element(fmt, "schema", schema)
        _element(fmt, "metadataNamespace", namespace)


def list_sets(root, query: Query, base_url: str, request, arguments) -> None:
    volumes = list(Volume.objects.filter(pk__in=items().values("volume_id")).order_by("identifier"))
    if not volumes:  # the schema wants at least one set in a list
        raise OAIError("noSetHierarchy", "No volume has published letters yet.")
    element = _element(root, "ListSets")
    for volume in volumes:
        spec = _element(element, "set")
        _element(spec, "setSpec", volume.identifier)
        _element(spec, "setName", volume_title(volume) or volume_heading(volume))


def _find(identifier: str) -> Letter:
    match = _IDENTIFIER.match(identifier or "")
    letter = None
    if match and match["repo"] == repository_identifier():
        letter = (
            items()
            .prefetch_related(_senders_prefetch())
            .filter(volume__identifier=match["volume"], number=int(match["number"]))
            .first()
        )
    if letter is None:
        raise OAIError("idDoesNotExist", f"'{identifier}' is not an identifier of this repository.")
    return letter


def get_record(root, query: Query, base_url: str, request, arguments) -> None:
    letter = _find(arguments["identifier"])
    element = _element(root, "GetRecord")
    _record(element, letter, request)


def _selection(query: Query):
    selection = items()
    if query.set_spec:
        selection = selection.filter(volume__identifier=query.set_spec)
    if query.start:
        selection = selection.filter(modified__gte=query.start)
    if query.end:
        # Datestamps are to the second: until 12:00:00Z takes 12:00:00.999.
        selection = selection.filter(modified__lt=query.end.replace(microsecond=0) + dt.timedelta(seconds=1))
    return selection


def list_items(root, query: Query, base_url: str, request, arguments) -> None:
    selection = _selection(query)
    if query.verb == "ListRecords":
        selection = selection.prefetch_related(_senders_prefetch())
    size = page_size()
    page = list(selection.filter(pk__gt=query.after).order_by("pk")[: size + 1])
    if not page:
        if query.after:
            raise OAIError("badResumptionToken", "The resumption token is invalid or has expired.")
        raise OAIError("noRecordsMatch", "No records match the request.")
    more = len(page) > size
    page = page[:size]
    element = _element(root, query.verb)
    for letter in page:
        if query.verb == "ListRecords":
            _record(element, letter, request)
        else:
            _header(element, letter)
    if more or query.after:
        attributes = {"completeListSize": str(selection.count()), "cursor": str(query.cursor)}
        if more:
            expires = timezone.now() + dt.timedelta(seconds=token_lifetime())
            attributes["expirationDate"] = datestamp(expires)
            _element(element, "resumptionToken", make_token(query, page[-1].pk, query.cursor + len(page)), **attributes)
        else:
            _element(element, "resumptionToken", "", **attributes)  # the last page: an empty token


def _header(parent, letter: Letter):
    header = _element(parent, "header")
    if not letter.live:
        header.set("status", "deleted")
    _element(header, "identifier", oai_identifier(letter.volume.identifier, letter.number))
    _element(header, "datestamp", datestamp(letter.modified))
    _element(header, "setSpec", letter.volume.identifier)
    return header


def _record(parent, letter: Letter, request) -> None:
    record = _element(parent, "record")
    _header(record, letter)
    if not letter.live:
        return
    metadata = _element(record, "metadata")
    dc = etree.SubElement(metadata, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    dc.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    for name, value in dublin_core(letter, request):
        _element(dc, name, value, ns=DC_NS)


def dublin_core(letter: Letter, request) -> list[tuple[str, str]]:
    """A published letter in simple Dublin Core, from its citation item."""
    senders = getattr(letter, "senders", None)
    item = letter_csl(
        letter,
        public_url(request, letter.get_absolute_url()),
        [link.person for link in senders] if senders is not None else None,
    )
    fields = [("title", item["title"])]
    fields += [("creator", name_text(name)) for name in item.get("author", [])]
    fields += [("contributor", name_text(name)) for name in item.get("editor", [])]
    fields.append(("publisher", item["publisher"]))
    if letter.date_min and letter.date_precision:
        fields.append(("date", _dc_date(letter)))
    fields.append(("type", "Text"))
    if letter.doc_type:
        fields.append(("type", letter.get_doc_type_display()))
    fields.append(("format", "text/html"))
    fields.append(("identifier", item["URL"]))
    fields.append(("source", letter_citation(letter)))
    fields.append(("language", "en"))
    fields.append(("relation", item["container-title"]))
    if letter.place:
        fields.append(("coverage", letter.place))
    fields.append(("rights", "Public domain"))
    return fields


def _dc_date(letter: Letter) -> str:
    local = timezone.localtime(letter.date_min)
    if letter.date_precision == "year":
        return f"{local.year:04d}"
    if letter.date_precision == "month":
        return f"{local.year:04d}-{local.month:02d}"
    return local.date().isoformat()


HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "ListIdentifiers": list_items,
    "ListRecords": list_items,
    "GetRecord": get_record,
}
