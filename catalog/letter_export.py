"""A letter as plain text and as its TEI fragment, generated from the stored body tree.

The TEI is a ``<div type="document">`` as the Office of the Historian's files write one: the
page break where the document begins, the heading with its notes, the dateline, the body with
``<pb/>`` and ``<note/>`` where the edition has them. It is built with lxml, so every string is
escaped and the result is well-formed; characters XML cannot carry are dropped.
"""

from __future__ import annotations

import re

from lxml import etree

from catalog.body import PARAGRAPH_SEPARATOR, flatten
from catalog.models import Footnote, Letter
from catalog.rendering import page_label

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_T = f"{{{TEI_NS}}}"

# body block tag -> (TEI element, attributes)
BLOCKS = {
    "p": ("p", {}),
    "salute": ("salute", {}),
    "closer": ("closer", {}),
    "signed": ("signed", {}),
    "postscript": ("postscript", {}),
    "list": ("list", {}),
    "item": ("item", {}),
    "label": ("label", {}),
    "table": ("table", {}),
    "row": ("row", {}),
    "cell": ("cell", {}),
    "quote": ("quote", {}),
    "head": ("head", {}),
    "opener": ("opener", {}),
    "lg": ("lg", {}),
    "l": ("l", {}),
    "attachment": ("div", {"type": "attachment"}),
    "section": ("div", {}),
}
HI = {"i": "italic", "b": "strong", "sc": "smallcaps", "u": "underline", "sup": "superscript", "sub": "subscript"}
KEPT_ATTRIBUTES = ("rend", "type", "role", "rows", "cols")
# Characters XML 1.0 cannot carry.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value) -> str:
    return _NOT_XML.sub("", str(value))


def _pointer(value) -> str:
    value = xml_text(value).strip()
    return value if value.startswith(("#", "http://", "https://", "frus")) else f"#{value}"


# Inline links of the body → TEI: element, attribute, the node's keys in order of preference, and
# how the value is written (a pointer ``#id`` for people and terms, the target as is for refs).
LINKS = {
    "person": ("persName", "corresp", ("ref", "corresp", "key", "target"), _pointer),
    "term": ("gloss", "target", ("ref", "target", "key"), _pointer),
    "ref": ("ref", "target", ("target", "ref", "href"), xml_text),
}


class _Builder:
    def __init__(self, letter: Letter, notes: dict[int, Footnote]):
        self.letter = letter
        self.notes = notes

    def append_text(self, parent, text: str) -> None:
        text = xml_text(text)
        if not text:
            return
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + text
        else:
            parent.text = (parent.text or "") + text

    def children(self, parent, nodes) -> None:
        for node in nodes or []:
            self.node(parent, node)

    def node(self, parent, node) -> None:
        if isinstance(node, str):
            self.append_text(parent, node)
            return
        if not isinstance(node, dict):
            return
        tag = node.get("tag")
        children = node.get("children") or []
        if tag == "fn":
            self.note(parent, node.get("n"))
        elif tag == "pb":
            etree.SubElement(parent, _T + "pb", n=xml_text(page_label(node.get("n", ""))))
        elif tag == "lb":
            etree.SubElement(parent, _T + "lb")
        elif tag in BLOCKS:
            name, attributes = BLOCKS[tag]
            element = etree.SubElement(parent, _T + name, attributes)
            for key in KEPT_ATTRIBUTES:
                if node.get(key) not in (None, "") and key not in attributes:
                    element.set(key, xml_text(node[key]))
            self.children(element, children)
        elif tag in HI:
            element = etree.SubElement(parent, _T + "hi", rend=HI[tag])
            self.children(element, children)
        elif tag in LINKS:
            name, attribute, keys, value = LINKS[tag]
            element = etree.SubElement(parent, _T + name)
            key = next((node[k] for k in keys if node.get(k)), "")
            if key:
                element.set(attribute, value(key))
            self.children(element, children)
        else:
            self.children(parent, children)

    def note(self, parent, number) -> None:
        try:
            footnote = self.notes.pop(int(number))
        except (KeyError, TypeError, ValueError):
            return
        self.footnote(parent, footnote)

    def footnote(self, parent, footnote: Footnote, **attributes) -> None:
        element = etree.SubElement(parent, _T + "note", n=str(footnote.number), **attributes)
        element.set(XML_ID, f"d{self.letter.number}fn{footnote.number}")
        if footnote.kind == Footnote.Kind.SOURCE:
            element.set("type", "source")
        if footnote.content:
            self.children(element, footnote.content)
        else:
            self.append_text(element, footnote.text)


def tei_element(letter: Letter, footnotes: list[Footnote]):
    """The letter's ``<div type="document">`` as an lxml element."""
    notes = {note.number: note for note in footnotes}
    builder = _Builder(letter, notes)
    div = etree.Element(_T + "div", {"type": "document", "n": str(letter.number)}, nsmap={None: TEI_NS})
    div.set(XML_ID, xml_text(letter.xml_id or f"d{letter.number}"))
    body = letter.body or []
    first = next((node for node in body if not (isinstance(node, str) and not node.strip())), None)
    if letter.page_start and not (isinstance(first, dict) and first.get("tag") == "pb"):
        etree.SubElement(div, _T + "pb", n=str(letter.page_start))
    head = etree.SubElement(div, _T + "head")
    head.text = xml_text(f"{letter.number}. {letter.title}")
    anchored = set(flatten(body).footnote_anchors)
    for note in footnotes:
        if note.number > 0 and note.number not in anchored:
            notes.pop(note.number, None)
            builder.footnote(head, note)
    if 0 in notes:
        builder.footnote(div, notes.pop(0), rend="inline")
    if letter.dateline:
        dateline = etree.SubElement(div, _T + "dateline")
        dateline.text = xml_text(letter.dateline)
    builder.children(div, body)
    for note in list(notes.values()):  # a note whose marker the body lost: kept, at the end
        builder.footnote(div, note)
    return div


def tei_fragment(letter: Letter, footnotes: list[Footnote] | None = None) -> str:
    """The TEI fragment as UTF-8 text with an XML declaration."""
    if footnotes is None:
        footnotes = list(Footnote.objects.filter(letter=letter).order_by("number"))
    element = tei_element(letter, footnotes)
    return etree.tostring(element, encoding="UTF-8", xml_declaration=True, pretty_print=False).decode() + "\n"


def plain_text(letter: Letter, citation: str, footnotes: list[Footnote] | None = None) -> str:
    """The letter as the edition prints it, in plain text: the citation, the heading with its
    markers, the dateline, the text with ``[Page N]`` and footnote numbers where the edition has
    them, then the footnotes as ``  N. text``: after the citation line, the edition's own text
    export format, which the text importer reads back."""
    if footnotes is None:
        footnotes = list(Footnote.objects.filter(letter=letter).order_by("number"))
    flat = flatten(letter.body or [])
    inserts: list[tuple[int, int, str]] = []
    for number, offset in flat.footnote_anchors.items():
        inserts.append((offset, 1, str(number)))
    for label, offset in flat.page_breaks:
        text = f"[Page {page_label(label)}]"
        at_start = offset == 0 or flat.text[max(0, offset - len(PARAGRAPH_SEPARATOR)) : offset] == PARAGRAPH_SEPARATOR
        inserts.append((offset, 0, text + PARAGRAPH_SEPARATOR if at_start else text))
    text = flat.text
    for offset, _, piece in sorted(inserts, key=lambda i: (i[0], i[1]), reverse=True):
        text = text[:offset] + piece + text[offset:]
    anchored = set(flat.footnote_anchors)
    heading_markers = "".join(str(n.number) for n in footnotes if n.number > 0 and n.number not in anchored)
    lines = [citation, "", f"{letter.number}. {letter.title}{heading_markers}", ""]
    if letter.dateline:
        lines += [letter.dateline, ""]
    lines.append(text)
    if footnotes:
        lines += [f"  {note.number}. {note.text}" if note.number else f"  {note.text}" for note in footnotes]
    return xml_text("\n".join(lines)) + "\n"
