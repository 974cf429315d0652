"""History you can read and revert: recording editors' changes, showing them as diffs, undoing them.

Letterbook keeps its own ``Revision`` model rather than django-reversion or django-simple-history:
the importer's three-way merge already reads and writes it (``import_snapshot`` + conflict and
forced-import revisions), a revision stores only the fields that changed (``{"field": [old, new]}``,
not a copy of the whole record per save), and it outlives a deleted letter. This module adds what
editors read: word diffs, the body compared as text, and a recorded revert.
"""

from __future__ import annotations

import datetime
import difflib
import re

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import format_html, format_html_join

from catalog import search
from catalog.body import flatten, inline_text, locate_inline
from catalog.models import ArchivalSource, Letter, Person, Revision, Volume

TRACKED = {"person": Person, "archivalsource": ArchivalSource, "volume": Volume}
WORDS = re.compile(r"\s+|[^\s]+")
FOOTNOTE_KEY = re.compile(r"^footnote (\d+)$")


def jsonable(value):
    """A value as a Revision stores it: JSON types only, dates as ISO strings (aware ones in UTC)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def field_changes(old, new, names) -> dict:
    """``{"field": [old, new]}`` for each named concrete field whose value differs."""
    changes = {}
    for name in names:
        try:
            field = type(new)._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.many_to_many or not field.concrete:
            continue
        before, after = jsonable(getattr(old, field.attname)), jsonable(getattr(new, field.attname))
        if field.is_relation:
            before, after = jsonable(getattr(old, name)), jsonable(getattr(new, name))
        if before != after:
            changes[name] = [before, after]
    return changes


def record(obj, user, changes: dict, comment: str = "", origin=Revision.Origin.EDITOR) -> Revision | None:
    """One revision of a person, an archival source or a volume (letters have their own in the admin)."""
    if not changes and not comment:
        return None
    return Revision.objects.create(
        target_model=obj._meta.model_name,
        target_id=obj.pk,
        target_label=str(obj)[:300],
        user=user,
        origin=origin,
        changes=changes,
        comment=comment[:500],
    )


# -- reading --------------------------------------------------------------------------------------


def as_text(name: str, value) -> str:
    if value is None or value in ([], {}):
        return ""
    if name == "body" and isinstance(value, list):
        try:
            return flatten(value).text
        except (TypeError, ValueError, KeyError):
            pass
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def word_diff(old: str, new: str):
    """Safe HTML of ``new`` against ``old``: removed words in <del>, added words in <ins>."""
    a, b = WORDS.findall(old or ""), WORDS.findall(new or "")
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("{}", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("<del>{}</del>", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(("<ins>{}</ins>", "".join(b[j1:j2])))
    return format_html_join("", "{}", ((format_html(pattern, text),) for pattern, text in parts))


def readable_changes(changes: dict) -> list[dict]:
    """Each change as {field, kind, html}: a word diff for text (the body as text), old → new else."""
    rows = []
    for name, pair in (changes or {}).items():
        old, new = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        is_text = isinstance(old, str | type(None)) and isinstance(new, str | type(None)) or name == "body"
        if is_text and (
            name == "body" or FOOTNOTE_KEY.match(name) or len(as_text(name, old) + as_text(name, new)) > 40
        ):
            html = word_diff(as_text(name, old), as_text(name, new))
            kind = "text"
        else:
            html = format_html("{} → {}", as_text(name, old) or "—", as_text(name, new) or "—")
            kind = "value"
        rows.append({"field": name, "kind": kind, "html": html})
    return rows


# -- reverting ------------------------------------------------------------------------------------


def target_of(revision: Revision):
    if revision.letter_id:
        return revision.letter
    model = TRACKED.get(revision.target_model)
    return model.objects.filter(pk=revision.target_id).first() if model and revision.target_id else None


def revertible(revision: Revision) -> list[str]:
    """The fields of a revision that a revert can put back (scalar fields, the body, footnote texts)."""
    target = target_of(revision)
    if target is None or revision.origin == Revision.Origin.MERGE:
        return []
    names = []
    for name, pair in (revision.changes or {}).items():
        if not (isinstance(pair, list) and len(pair) == 2):
            continue
        if isinstance(target, Letter) and FOOTNOTE_KEY.match(name):
            names.append(name)
            continue
        try:
            field = type(target)._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.concrete and field.editable and not field.is_relation and not field.primary_key:
            names.append(name)
    return names


def revert(revision: Revision, user, comment: str = "") -> Revision:
    """Put back the old values of a revision's fields, as a new revision (origin "reverted").

    The caller claims the record first (``catalog.locking.claim``), inside the same transaction.
    """
    target = target_of(revision)
    names = revertible(revision)
    changes = {}
    for name in names:
        old, _new = revision.changes[name]
        match = FOOTNOTE_KEY.match(name)
        if match:
            note = target.footnotes.filter(number=int(match.group(1))).first()
            if note is None or old is None or note.text == old:
                continue
            changes[name] = [note.text, old]
            note.content = edit_content(note.content, note.text, old)
            note.text = old
            note.save()
            continue
        field = type(target)._meta.get_field(name)
        value = field.to_python(old) if old is not None else None
        if value is None and not field.null:
            value = field.get_default()
        current = getattr(target, name)
        if jsonable(current) != jsonable(value):
            changes[name] = [jsonable(current), jsonable(value)]
            setattr(target, name, value)
    target.save()
    search.reindex_for(target)  # the stored search index and facet keys
    note = f"reverted the change of {revision.created:%Y-%m-%d %H:%M} (revision {revision.pk})"
    if comment:
        note += f": {comment}"
    if isinstance(target, Letter):
        return Revision.objects.create(
            letter=target, user=user, origin=Revision.Origin.REVERT, changes=changes, comment=note[:500]
        )
    return record(target, user, changes, note, origin=Revision.Origin.REVERT)


# -- footnote markup kept through a plain-text edit ----------------------------------------------------


def edit_content(content: list, old_text: str, new_text: str) -> list:
    """The footnote's inline markup with its text edited from ``old_text`` to ``new_text``.

    Each character keeps the marks (italics, names, links …) of the character it came from; an
    inserted character takes those of the character before it. Falls back to plain text only when
    the stored markup does not spell ``old_text``.
    """
    if not content or new_text == old_text:
        return content if new_text == old_text else [new_text]
    text, starts = locate_inline(content)
    if text != old_text:
        return [new_text]
    chains: list[tuple] = [()] * len(text)

    def walk(nodes, chain):
        for node in nodes:
            if isinstance(node, dict) and node.get("tag") not in ("fn", "pb", "lb"):
                start = starts.get(id(node), 0)
                inner = chain + (node,)
                length = len(inline_text(node.get("children", [])))
                for index in range(start, min(start + length, len(text))):
                    if len(chains[index]) < len(inner):
                        chains[index] = inner
                walk(node.get("children", []), inner)

    walk(content, ())
    new_chains: list[tuple] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_text, new_text, autojunk=False).get_opcodes():
        if op == "equal":
            new_chains += chains[i1:i2]
        elif j2 > j1:
            before = chains[i1 - 1] if i1 > 0 else (chains[0] if chains else ())
            new_chains += [before] * (j2 - j1)
    root: list = []
    stack: list[tuple[dict | None, list]] = [(None, root)]
    for char, chain in zip(new_text, new_chains, strict=True):
        depth = 0
        while depth < len(chain) and depth + 1 < len(stack) and stack[depth + 1][0] is chain[depth]:
            depth += 1
        del stack[depth + 1 :]
        for node in chain[depth:]:
            copy = {key: value for key, value in node.items() if key != "children"}
            copy["children"] = []
            stack[-1][1].append(copy)
            stack.append((node, copy["children"]))
        children = stack[-1][1]
        if children and isinstance(children[-1], str):
            children[-1] += char
        else:
            children.append(char)
    return root if inline_text(root) == new_text else [new_text]
