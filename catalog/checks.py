"""Automatic checks: each letter's problems, computed and stored so the review queue filters fast.

``refresh_letters`` recomputes the ``LetterProblem`` rows and ``Letter.problem_count`` of the given
letters (and of their page neighbours, whose overlap or gap depends on them); the admin calls it on
save, the loader at the end of each volume (``refresh_volume``).
"""

from __future__ import annotations

import re
from collections import defaultdict

from django.db import transaction
from django.db.models import Q

from catalog.body import flatten, iter_nodes
from catalog.models import (
    CrossReference,
    Footnote,
    Letter,
    LetterPerson,
    LetterProblem,
    PersonIdentifier,
    SourceCitation,
    Volume,
)

KINDS = {
    "undated": "No date",
    "no_sender": "No sender",
    "no_recipient": "No recipient",
    "mention_unlinked": "A mention linked to no person",
    "person_needs_review": "A person flagged for review",
    "source_unparsed": "A source note not parsed into a repository, box and folder",
    "unresolved_reference": "An unresolved cross-reference into a volume in the catalog",
    "marker_without_footnote": "A footnote marker without its footnote",
    "footnote_without_marker": "A footnote without its marker",
    "page_overlap": "Pages overlap a neighbour's",
    "page_gap": "Pages leave a gap before a neighbour",
    "duplicate_number": "A duplicate document number",
}

# Document types that have a sender and a recipient (a memorandum of conversation, an editorial
# note, minutes or a paper have neither).
CORRESPONDENCE = frozenset(
    {"letter", "telegram", "airgram", "memorandum", "backchannel message", "message", "note", "correspondence"}
)
BOX = re.compile(r"\bbox(?:es)?\b", re.IGNORECASE)
FOLDER = re.compile(r"\b(?:folder|file)\b", re.IGNORECASE)
DOC_ID = re.compile(r"^d(\d+)$")


def _local_id(value: str) -> str:
    return str(value).rsplit("#", 1)[-1].strip()


def body_facts(body: list) -> tuple[set[int], list[tuple[str | None, str]]]:
    """What the checks read in a letter's body: its footnote markers, and each person mention as
    (its id without the volume part, None when it has none; the words it is written as, when that
    id is empty)."""
    markers: set[int] = set()
    mentions: list[tuple[str | None, str]] = []
    for node in iter_nodes(body or []):
        tag = node.get("tag")
        if tag == "fn":
            markers.add(int(node["n"]))
        elif tag == "person":
            key = next((node[k] for k in ("ref", "corresp", "key", "target") if node.get(k)), "")
            local = _local_id(key) if key else None
            words = "" if local else flatten([{"tag": "p", "children": node.get("children", [])}]).text
            mentions.append((local, words))
    return markers, mentions


def letter_problems(letter: Letter, ctx: dict, facts: tuple | None = None) -> list[tuple[str, str]]:
    """(kind, detail) of each problem of one letter; ``ctx`` holds what was loaded for all at once;
    ``facts`` is ``body_facts(letter.body)`` when the caller has it already (the loader, which keeps
    no body)."""
    found: list[tuple[str, str]] = []
    if letter.date_min is None and letter.doc_type != "editorial note":
        found.append(("undated", "The letter has no date."))
    roles = ctx["roles"].get(letter.pk, set())
    if letter.doc_type in CORRESPONDENCE:
        if "sender" not in roles:
            found.append(("no_sender", f"A {letter.doc_type} without a sender."))
        if "recipient" not in roles:
            found.append(("no_recipient", f"A {letter.doc_type} without a recipient."))
    known_ids = ctx["person_ids"].get(letter.volume_id, set())
    markers, mentions = facts if facts is not None else body_facts(letter.body)
    unlinked = [local or words for local, words in mentions if local is None or local not in known_ids]
    for name in dict.fromkeys(unlinked):
        found.append(("mention_unlinked", f"The mention {name} is linked to no person."))
    for name in ctx["flagged"].get(letter.pk, []):
        found.append(("person_needs_review", f"{name} is flagged for review (possible duplicate)."))
    notes = ctx["footnotes"].get(letter.pk, {})
    for number, (kind, text) in sorted(notes.items()):
        if kind != Footnote.Kind.SOURCE:
            continue
        cited = ctx["citations"].get((letter.pk, number), [])
        if not cited or not any(source.repository for source in cited):
            found.append(("source_unparsed", f"Source note {number} names no repository."))
            continue
        if BOX.search(text) and not any(source.box for source in cited):
            found.append(("source_unparsed", f"Source note {number} gives a box that was not read."))
        if FOLDER.search(text) and not any(source.folder for source in cited):
            found.append(("source_unparsed", f"Source note {number} gives a folder that was not read."))
    for target_volume, target_number in ctx["unresolved"].get(letter.pk, []):
        found.append(("unresolved_reference", f"Reference to {target_volume} d{target_number} does not resolve."))
    numbered = {n for n in notes if n}
    for number in sorted(markers - numbered):
        found.append(("marker_without_footnote", f"Marker {number} has no footnote."))
    heading_notes = ctx["heading_notes"]
    for number in sorted(numbered - markers - heading_notes.get(letter.pk, set())):
        found.append(("footnote_without_marker", f"Footnote {number} has no marker in the text."))
    previous = ctx["by_number"].get((letter.volume_id, letter.number - 1))
    if previous is not None and letter.page_start and previous.page_end:
        if letter.page_start < previous.page_end:
            found.append(
                (
                    "page_overlap",
                    f"Starts on page {letter.page_start}, before d{previous.number} ends ({previous.page_end}).",
                )
            )
        elif letter.page_start > previous.page_end + 1:
            found.append(
                ("page_gap", f"Starts on page {letter.page_start}; d{previous.number} ends on {previous.page_end}.")
            )
    match = DOC_ID.match(letter.xml_id or "")
    if match and int(match.group(1)) != letter.number:
        found.append(("duplicate_number", f"Numbered {letter.number} but its id is {letter.xml_id}."))
    if letter.xml_id and ctx["xml_ids"][(letter.volume_id, letter.xml_id)] > 1:
        found.append(("duplicate_number", f"Another document of the volume has the id {letter.xml_id}."))
    return found


def _context(letters: list[Letter]) -> dict:
    ids = [letter.pk for letter in letters]
    volumes = {letter.volume_id for letter in letters}
    roles: dict[int, set] = defaultdict(set)
    flagged: dict[int, list] = defaultdict(list)
    for letter_id, role, needs_review, name in LetterPerson.objects.filter(letter_id__in=ids).values_list(
        "letter_id", "role", "person__needs_review", "person__display_name"
    ):
        roles[letter_id].add(role)
        if needs_review and name not in flagged[letter_id]:
            flagged[letter_id].append(name)
    person_ids: dict[int, set] = defaultdict(set)
    for volume_id, local_id in PersonIdentifier.objects.filter(volume_id__in=volumes).values_list(
        "volume_id", "local_id"
    ):
        person_ids[volume_id].add(local_id)
    footnotes: dict[int, dict] = defaultdict(dict)
    heading_notes: dict[int, set] = defaultdict(set)
    for letter_id, number, kind, text, anchor in Footnote.objects.filter(letter_id__in=ids).values_list(
        "letter_id", "number", "kind", "text", "anchor"
    ):
        footnotes[letter_id][number] = (kind, text)
        if anchor is None:
            heading_notes[letter_id].add(number)  # the heading's note: its marker is on the title
    citations: dict[tuple, list] = defaultdict(list)
    for cite in SourceCitation.objects.filter(letter_id__in=ids).select_related("source", "footnote"):
        citations[(cite.letter_id, cite.footnote.number if cite.footnote_id else None)].append(cite.source)
    catalogued = set(Volume.objects.values_list("identifier", flat=True))
    unresolved: dict[int, list] = defaultdict(list)
    for letter_id, target_volume, target_number in (
        CrossReference.objects.filter(letter_id__in=ids, target__isnull=True, target_number__isnull=False)
        .order_by("pk")
        .values_list("letter_id", "target_volume", "target_number")
    ):
        if target_volume in catalogued and (target_volume, target_number) not in unresolved[letter_id]:
            unresolved[letter_id].append((target_volume, target_number))
    neighbours = Letter.objects.filter(volume_id__in=volumes).only("pk", "volume_id", "number", "page_end", "xml_id")
    by_number, xml_ids = {}, defaultdict(int)
    for other in neighbours:
        by_number[(other.volume_id, other.number)] = other
        if other.xml_id:
            xml_ids[(other.volume_id, other.xml_id)] += 1
    return {
        "roles": roles,
        "flagged": flagged,
        "person_ids": person_ids,
        "footnotes": footnotes,
        "heading_notes": heading_notes,
        "citations": citations,
        "unresolved": unresolved,
        "by_number": by_number,
        "xml_ids": xml_ids,
    }


def refresh_letters(letters, in_hand: dict | None = None) -> int:
    """Recompute and store the problems of ``letters`` (a queryset or ids) and of their next neighbours.

    ``in_hand`` (the loader's new letters): letter id → (a ``Letter`` holding the fields the checks read
    and the ``problem_count`` it was stored with, ``body_facts`` of its body). Those letters are not
    read back; the others are. The problems are the same either way (tests/ingest/test_import_checks.py).
    """
    in_hand = in_hand or {}
    if getattr(letters, "model", None) is Letter:
        ids = list(letters.values_list("pk", flat=True))
    else:
        ids = list(set(letters))  # letter ids (a list, or a values_list of another model's letter_id)
    if not ids:
        return 0
    keys = set(Letter.objects.filter(pk__in=ids).values_list("volume_id", "number"))
    if not keys:
        return 0
    numbers: dict[int, set] = defaultdict(set)
    for volume_id, number in keys:
        numbers[volume_id].add(number)
    ids = set(ids)
    for volume_id, known in numbers.items():
        following = {number + 1 for number in known} - known  # one per run of consecutive numbers
        ids |= set(Letter.objects.filter(volume_id=volume_id, number__in=following).values_list("pk", flat=True))
    rows = [in_hand[pk][0] for pk in ids if pk in in_hand]
    rows += Letter.objects.filter(pk__in=[pk for pk in ids if pk not in in_hand]).defer("body_text", "import_snapshot")
    total = 0
    with transaction.atomic():
        ctx = _context(rows)
        stored: dict[tuple, list[int]] = defaultdict(list)
        for pk, letter_id, kind, detail in LetterProblem.objects.filter(letter_id__in=ids).values_list(
            "pk", "letter_id", "kind", "detail"
        ):
            stored[(letter_id, kind, detail)].append(pk)
        new, counts = [], {}
        for letter in rows:
            found = letter_problems(letter, ctx, in_hand[letter.pk][1] if letter.pk in in_hand else None)
            counts[letter.pk] = len(found)
            for kind, detail in found:
                key = (letter.pk, kind, detail[:500])
                if stored.get(key):
                    stored[key].pop()  # already stored: kept as it is
                else:
                    new.append(LetterProblem(letter=letter, kind=kind, detail=detail[:500]))
        gone = [pk for pks in stored.values() for pk in pks]
        # Only what changed is written: re-importing an unchanged volume writes nothing.
        if gone:
            LetterProblem.objects.filter(pk__in=gone).delete()
        LetterProblem.objects.bulk_create(new, batch_size=1000)
        changed = [letter for letter in rows if letter.problem_count != counts[letter.pk]]
        for letter in changed:
            letter.problem_count = counts[letter.pk]
        # problem_count is derived data: writing it must not change the letter's version.
        if changed:
            Letter.objects.bulk_update(changed, ["problem_count"], batch_size=500)
        total = sum(counts.values())
    return total


def refresh_volume(volume: Volume) -> int:
    """The problems of every letter of a volume, and of the letters elsewhere that cite it (their
    references may resolve now). The loader calls this at the end of each volume."""
    citing = CrossReference.objects.filter(target_volume=volume.identifier).values("letter_id")
    return refresh_letters(Letter.objects.filter(Q(volume=volume) | Q(pk__in=citing)))


def refresh_for(obj) -> int:
    """After a person, an archival source or a volume changed: the problems of the letters it touches."""
    name = obj._meta.model_name
    if name == "person":
        return refresh_letters(LetterPerson.objects.filter(person=obj).values_list("letter_id", flat=True))
    if name == "archivalsource":
        return refresh_letters(SourceCitation.objects.filter(source=obj).values_list("letter_id", flat=True))
    if name == "volume":
        return refresh_volume(obj)
    return 0


def problem_kinds(letter: Letter) -> list[str]:
    return sorted({p.kind for p in letter.problems.all()})
