"""The letter body: a small JSON tree that renders to safe HTML and flattens to plain text.

Why a tree of blocks with inline marks rather than stored HTML: nothing stored is ever trusted as
markup (every string is escaped when rendered, so there is no sanitiser to get wrong), both TEI and
plain text map onto it without loss of the things a reader needs (paragraphs, salutation, closing,
signature, lists, tables, italics, small caps, page breaks, footnote markers, names), and the plain
text used for search and for footnote anchors is derived from it by one function, so an anchor can
never disagree with the text it points into.

A node is either a string (text) or a dict ``{"tag": ..., "children": [...], **attributes}``.
Block tags hold paragraphs or other blocks; inline tags mark up text inside a paragraph. Two inline
tags are milestones without children: ``{"tag": "fn", "n": 2}`` (a footnote marker) and
``{"tag": "pb", "n": "808"}`` (printed page 808 begins here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BLOCK_TAGS = frozenset(
    {
        "p",
        "salute",
        "closer",
        "signed",
        "postscript",
        "list",
        "item",
        "label",
        "table",
        "row",
        "cell",
        "quote",
        "head",
        "attachment",
        "opener",
        "lg",
        "l",
        "section",
    }
)
PARAGRAPH_SEPARATOR = "\n\n"
MAX_DEPTH = 200  # levels of nested nodes a body may have (``validate_body``)
_WHITESPACE = re.compile(r"\s+")
_FOLDABLE = re.compile(r"[^\S ]|  ")  # white space that folding changes


@dataclass
class FlatBody:
    """A body flattened to plain text, with the offsets of its milestones in that text."""

    text: str
    footnote_anchors: dict[int, int] = field(default_factory=dict)  # footnote number -> offset
    page_breaks: list[tuple[str, int]] = field(default_factory=list)  # (page label, offset)


def is_block(node) -> bool:
    return isinstance(node, dict) and node.get("tag") in BLOCK_TAGS


class _Paragraph:
    """Collects one paragraph's text and milestones, folding white space as a browser would."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0
        self.pending_space = False
        self.milestones: list[tuple[str, object, int]] = []

    def add_text(self, text: str) -> None:
        # Only a string with white space other than single spaces has anything to fold.
        folded = _WHITESPACE.sub(" ", text) if _FOLDABLE.search(text) else text
        if folded.startswith(" "):
            self.pending_space = True
            folded = folded[1:]
        trailing = folded.endswith(" ")
        if trailing:
            folded = folded[:-1]
        if folded:
            if self.pending_space and self.length and not self.parts[-1].endswith((" ", "\n")):
                self.parts.append(" ")
                self.length += 1
            self.parts.append(folded)
            self.length += len(folded)
            self.pending_space = False
        if trailing:
            self.pending_space = True

    def add_line_break(self) -> None:
        if self.length:
            self.parts.append("\n")
            self.length += 1
        self.pending_space = False

    def add_milestone(self, kind: str, value) -> None:
        # A page that begins after a space begins with the next word; a footnote marker stays
        # glued to what precedes it.
        if kind == "pb" and self.pending_space and self.length:
            self.parts.append(" ")
            self.length += 1
            self.pending_space = False
        self.milestones.append((kind, value, self.length))

    def text(self) -> str:
        text = "".join(self.parts)
        if text.endswith(" "):
            text = text[:-1]
            self.length -= 1
            self.milestones = [(k, v, min(p, self.length)) for k, v, p in self.milestones]
        return text


def flatten(blocks: list) -> FlatBody:
    """Plain text of a body: paragraphs joined by a blank line, milestones located in it."""
    paragraphs: list[_Paragraph] = []
    current: list[_Paragraph | None] = [None]
    orphan_milestones: list[tuple[str, object]] = []

    def paragraph() -> _Paragraph:
        if current[0] is None:
            current[0] = _Paragraph()
            for kind, value in orphan_milestones:
                current[0].add_milestone(kind, value)
            orphan_milestones.clear()
        return current[0]

    def close_paragraph() -> None:
        if current[0] is not None:
            if current[0].length:
                paragraphs.append(current[0])
            else:
                orphan_milestones.extend((k, v) for k, v, _ in current[0].milestones)
            current[0] = None

    def walk(node) -> None:
        if isinstance(node, str):
            paragraph().add_text(node)
            return
        tag = node.get("tag")
        if tag == "fn":
            paragraph().add_milestone("fn", int(node["n"]))
            return
        if tag == "pb":
            if current[0] is None:
                orphan_milestones.append(("pb", str(node["n"])))
            else:
                current[0].add_milestone("pb", str(node["n"]))
            return
        if tag == "lb":
            paragraph().add_line_break()
            return
        if tag in BLOCK_TAGS:
            close_paragraph()
            for child in node.get("children", []):
                walk(child)
            close_paragraph()
            return
        for child in node.get("children", []):
            walk(child)

    for block in blocks:
        walk(block)
    close_paragraph()

    result = FlatBody(text="")
    offset = 0
    texts = []
    for index, para in enumerate(paragraphs):
        if index:
            offset += len(PARAGRAPH_SEPARATOR)
        text = para.text()
        for kind, value, position in para.milestones:
            if kind == "fn":
                result.footnote_anchors[value] = offset + position
            else:
                result.page_breaks.append((value, offset + position))
        texts.append(text)
        offset += len(text)
    # Milestones after the last paragraph stand at the very end of the text.
    for kind, value in orphan_milestones:
        if kind == "fn":
            result.footnote_anchors[value] = offset
        else:
            result.page_breaks.append((value, offset))
    result.text = PARAGRAPH_SEPARATOR.join(texts)
    return result


def inline_text(children: list) -> str:
    """Plain text of inline content (a heading, a footnote), white space folded, markers dropped."""
    return locate_inline(children)[0]


def locate_inline(children: list) -> tuple[str, dict[int, int]]:
    """``inline_text``, and where the text of each dict node begins in it (keyed by ``id(node)``)."""
    para = _Paragraph()
    starts: dict[int, tuple[int, bool]] = {}

    def walk(node):
        if isinstance(node, str):
            para.add_text(node)
        elif node.get("tag") == "lb":
            para.add_text(" ")
        elif node.get("tag") not in ("fn", "pb"):
            starts[id(node)] = (para.length, para.pending_space)
            for child in node.get("children", []):
                walk(child)

    for child in children:
        walk(child)
    text = para.text()
    # A node that follows folded white space begins after the single space that stands for it.
    return text, {key: min(at + (1 if space and at else 0), len(text)) for key, (at, space) in starts.items()}


def _is_number(value) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdecimal()


def validate_body(blocks, path: str = "body") -> None:
    """Raise ValueError naming the first node that is not of this format (an editor may type JSON).

    Walks the tree with an explicit stack, so no depth of nesting can exhaust Python's recursion;
    a tree nested more than ``MAX_DEPTH`` levels is refused (a FRUS document needs about a dozen;
    the TEI reader refuses XML nested deeper than this, so an imported body always fits)."""
    # Where a node is, kept as (parent, index or ".children") pairs and spelled out only for an error:
    # formatting every node's path cost the import a tenth of its parsing (issue 13).
    stack: list[tuple[bool, object, object, int]] = [(True, blocks, path, 1)]  # (is a list, value, where, depth)
    while stack:
        is_list, value, where, depth = stack.pop()
        if is_list:
            if not isinstance(value, list):
                raise ValueError(f"{_spell(where)}: expected a list of nodes, found {type(value).__name__}")
            if depth > MAX_DEPTH:
                raise ValueError(f"{_spell(where)}: nodes are nested more than {MAX_DEPTH} levels deep")
            for index in range(len(value) - 1, -1, -1):
                node = value[index]
                if type(node) is not str:  # a string is always valid: nothing to check
                    stack.append((False, node, (where, index), depth))
            continue
        if isinstance(value, str):
            continue
        if not isinstance(value, dict) or not isinstance(value.get("tag"), str):
            raise ValueError(f'{_spell(where)}: expected a string or an object with a "tag" string')
        tag = value["tag"]
        if tag == "fn" and not (isinstance(value.get("n"), int) or _is_number(value.get("n", ""))):
            raise ValueError(f'{_spell(where)}: a footnote marker needs a whole number "n", found {value.get("n")!r}')
        if tag == "pb" and not isinstance(value.get("n"), str | int):
            raise ValueError(f'{_spell(where)}: a page break needs its page "n"')
        if "children" in value:
            stack.append((True, value["children"], (where, ".children"), depth + 1))


def _spell(where) -> str:
    """``validate_body``'s (parent, step) pairs as the path they stand for: ``body[0].children[2]``."""
    steps = []
    while type(where) is tuple:
        where, step = where
        steps.append(step if type(step) is str else f"[{step}]")
    return str(where) + "".join(reversed(steps))


def iter_nodes(nodes: list):
    """Every dict node of a tree, depth first."""
    for node in nodes:
        if isinstance(node, dict):
            yield node
            yield from iter_nodes(node.get("children", []))
