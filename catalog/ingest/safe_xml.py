"""Reading untrusted XML safely: one set of lxml settings, and the checks made before lxml sees a file.

A volume file comes from outside (a release of the Office of the Historian, a colleague's corrected
copy, an upload), so it is read as hostile input:

- no DTD is loaded, no entity is expanded and nothing is fetched over the network;
- a DOCTYPE that declares entities is refused outright, before parsing: that is how both the
  "billion laughs" expansion bomb and external-entity (XXE) reads of local files are written, and no
  FRUS volume needs one; so is a DOCTYPE naming an external subset (``SYSTEM "…"`` or
  ``PUBLIC "…" "…"``), even when no entity is used (OWASP's advice: nothing is fetched, and nothing
  that would be fetched is accepted);
- documents nested deeper than ``MAX_DEPTH`` elements are refused (FRUS volumes nest about 12 deep; the
  letter body format allows the same depth, ``catalog.body.MAX_DEPTH``);
- lxml's ``huge_tree`` stays off, so libxml2 keeps its limits on text node size and nesting.

Every refusal and every syntax error becomes a ``ParseError`` naming the file and the line.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from .limits import MAX_TEI_FILE_BYTES, line_at_byte_limit
from .records import ParseError

MAX_DEPTH = 200
PROLOG_LIMIT = 1 << 20  # the XML declaration, comments and DOCTYPE before the root must fit in 1 MiB
SNIFF_BYTES = 8192

PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
    "collect_ids": False,  # no ID table growing with the file
}

_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_EXTERNAL_SUBSET = re.compile(r"<!DOCTYPE\s+[^\s\[>]+\s+(?P<keyword>SYSTEM|PUBLIC)\b")
_UNDEFINED_ENTITY = re.compile(r"^Entity '([^']*)' not defined")
_ROOT_START = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?(?P<name>[A-Za-z_][\w.\-]*)")


def read_prefix(path: str | Path, size: int) -> str:
    """The first ``size`` bytes of a file as text, for sniffing (undecodable bytes replaced)."""
    with open(path, "rb") as handle:
        data = handle.read(size)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if data.startswith(b"<\x00") or data.startswith(b"\x00<"):
        return data.decode("utf-16-le" if data[0] == 0x3C else "utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _doctype_end(text: str, start: int) -> int | None:
    """Offset just after the DOCTYPE declaration that begins at ``start``, or None if it does not end."""
    index, bracket, quote = start + len("<!DOCTYPE"), 0, ""
    while index < len(text):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif text.startswith("<!--", index):
            end = text.find("-->", index + 4)
            if end < 0:
                return None
            index = end + 3
            continue
        elif char in "\"'":
            quote = char
        elif char == "[":
            bracket += 1
        elif char == "]":
            bracket -= 1
        elif char == ">" and bracket <= 0:
            return index + 1
        index += 1
    return None


def scan_prolog(text: str) -> tuple[str | None, int | None, str]:
    """Walk the prolog: (root element's local name or None, offset of a DOCTYPE or None, the DOCTYPE).

    Raises ValueError(offset) when a DOCTYPE, comment or processing instruction does not end
    inside ``text``: what lies beyond cannot be vetted, so it is not read.
    """
    index, doctype_at, doctype = 0, None, ""
    length = len(text)
    while index < length:
        while index < length and text[index] in " \t\r\n\ufeff":
            index += 1
        if text.startswith("<?", index):
            end = text.find("?>", index + 2)
            if end < 0:
                raise ValueError(index)
            index = end + 2
        elif text.startswith("<!--", index):
            end = text.find("-->", index + 4)
            if end < 0:
                raise ValueError(index)
            index = end + 3
        elif text.startswith("<!DOCTYPE", index):
            end = _doctype_end(text, index)
            if end is None:
                raise ValueError(index)
            doctype_at, doctype = index, text[index:end]
            index = end
        else:
            match = _ROOT_START.match(text, index)
            return (match.group("name") if match else None), doctype_at, doctype
    return None, doctype_at, doctype


def check_prolog(path: str | Path) -> None:
    """Refuse a file beyond the size limit, and a DOCTYPE that declares entities or names an
    external subset, before any XML parser reads the file."""
    try:
        size = Path(path).stat().st_size
    except OSError as error:
        raise ParseError(path, None, f"cannot read the file: {error.strerror or error}") from error
    if size > MAX_TEI_FILE_BYTES:
        raise ParseError(
            path,
            line_at_byte_limit(path, MAX_TEI_FILE_BYTES),
            f"refused: the file is larger than {MAX_TEI_FILE_BYTES // (1024 * 1024)} MiB "
            "(a real volume is far smaller)",
        )
    try:
        text = read_prefix(path, PROLOG_LIMIT)
    except OSError as error:
        raise ParseError(path, None, f"cannot read the file: {error.strerror or error}") from error
    try:
        _, doctype_at, doctype = scan_prolog(text)
    except ValueError as error:
        offset = error.args[0]
        raise ParseError(
            path,
            _line(text, offset),
            "refused: a DOCTYPE, comment or processing instruction before the root element does not end "
            f"within the first {PROLOG_LIMIT // 1024} KiB",
        ) from None
    external = _EXTERNAL_SUBSET.match(doctype) if doctype_at is not None else None
    if external:
        raise ParseError(
            path,
            _line(text, doctype_at),
            f"refused: the DOCTYPE names an external subset ({external.group('keyword')} …); volume files "
            "may not point at other files or servers",
        )
    if doctype_at is not None and "<!ENTITY" in doctype:
        at = doctype_at + doctype.index("<!ENTITY")
        raise ParseError(
            path,
            _line(text, at),
            "refused: the DOCTYPE declares entities (<!ENTITY …>); entity declarations are not accepted "
            "in volume files (protection against entity-expansion bombs and external-entity reads)",
        )


def iterparse_events(path: str | Path, events=("start", "end")) -> Iterator[tuple[str, etree._Element]]:
    """lxml's iterparse with the safe settings, the prolog check, a depth bound and clean errors."""
    check_prolog(path)
    etree.clear_error_log()  # libxml2's log is per thread: only this file's errors are read from it
    try:
        context = etree.iterparse(str(path), events=events, **PARSER_OPTIONS)
    except OSError as error:  # pragma: no cover - lxml opens lazily, but be safe
        raise ParseError(path, None, f"cannot read the file: {error}") from error
    depth = 0
    try:
        for event, element in context:
            if event == "start":
                depth += 1
                if depth > MAX_DEPTH:
                    raise ParseError(
                        path,
                        element.sourceline,
                        f"refused: elements are nested more than {MAX_DEPTH} levels deep",
                    )
            elif event == "end":
                depth -= 1
            yield event, element
    except etree.XMLSyntaxError as error:
        line = error.lineno or (error.position[0] if error.position else None)
        message = (error.msg or str(error)).strip()
        logged = [
            entry
            for entry in error.error_log
            if entry.level >= etree.ErrorLevels.ERROR and entry.filename in (str(path), None, "<string>")
        ]
        if logged and (not line or message == "no element found"):
            # libxml2 stopped on an earlier error (an undefined entity, say): that one has the line.
            line, message = logged[0].line or line, logged[0].message.strip()
        if not line:
            # No line from libxml2 (the file ended before any element, say): the file's last line.
            size = Path(path).stat().st_size
            if size == 0:
                raise ParseError(path, 1, "expected a TEI document, found an empty file") from None
            line = line_at_byte_limit(path, size)
        undefined = _UNDEFINED_ENTITY.match(message)
        if undefined:
            raise ParseError(
                path,
                line,
                f"entity reference &{undefined.group(1)}; is not defined (no DTD is loaded): "
                "expected the character itself or a numeric character reference",
            ) from None
        if "depth" in message.lower():
            raise ParseError(
                path, line, f"refused: elements are nested more than {MAX_DEPTH} levels deep ({message})"
            ) from None
        if "entit" in message.lower() and ("amplification" in message.lower() or "loop" in message.lower()):
            raise ParseError(path, line, f"refused: entity expansion ({message})") from None
        raise ParseError(path, line, f"malformed XML: {message}") from None
    except OSError as error:
        raise ParseError(path, None, f"cannot read the file: {error.strerror or error}") from error


def sniff_root(path: str | Path) -> tuple[str | None, str]:
    """(local name of the root element or None, the text sniffed): reads only the first few KB."""
    text = read_prefix(path, SNIFF_BYTES)
    try:
        root, _, _ = scan_prolog(text)
    except ValueError:
        root = None
    return root, text
