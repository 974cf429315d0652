"""Headings and names: document types, parties, and people as FRUS prints them.

Pure functions over strings. Nothing here guesses beyond the text: a person known only by a
surname stays a surname until the text itself gives more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The shared vocabulary lives in catalog.vocabulary; re-exported here for code that imports it from names.
from catalog.vocabulary import DOC_TYPE_CHOICES, DOC_TYPES, normalise  # noqa: F401

# Words that make up titles and offices; a name is what follows them.
TITLE_WORDS = frozenset(
    """President Vice Secretary General Minister Foreign Prime Ambassador Chairman Premier Chancellor
    Director Deputy Assistant Under Senator Admiral Governor Mr. Mrs. Ms. Miss Dr. Soviet State Defense
    Treasury Central Intelligence Council Security National Affairs Counselor Leader Marshal King Queen
    Emperor Shah Pope Prince Representative Chief Staff Commander Colonel Major Captain Lieutenant Lt.
    Gen. Sir Lord Judge Justice Attorney Congressman Party Communist Republic Federal Head Special Envoy
    Delegation Delegate Adviser Advisor Commissioner Acting Executive Permanent Agency Department
    Embassy Mission Office Bureau White House United States Nations Chairwoman Speaker Majority Minority
    Whip Mayor Consul Chargé Counsellor Attaché Field Air Force Navy Army Joint Chiefs""".split()  # noqa: SIM905
)

# Titles that introduce a person named in running text ("Foreign Minister Gromyko").
MENTION_TITLES = [
    "Vice President",
    "President",
    "General Secretary",
    "Deputy Secretary",
    "Under Secretary",
    "Assistant Secretary",
    "Secretary",
    "Foreign Minister",
    "Prime Minister",
    "Defense Minister",
    "Minister",
    "Ambassador",
    "Chairman",
    "Premier",
    "Chancellor",
    "Senator",
    "Admiral",
    "General",
    "Director",
    "Governor",
    "Marshal",
    "King",
    "Queen",
    "Shah",
    "Mr.",
    "Mrs.",
    "Ms.",
    "Dr.",
]
_NAME_TOKEN = r"(?:[A-Z][a-zà-ÿ]*\.|[A-Z][\w’'\-]*[a-zà-ÿ][\w’'\-]*)"
_MENTION = re.compile(
    r"(?<![\w.])(?P<title>"
    + "|".join(re.escape(t) for t in MENTION_TITLES)
    + r")\s+(?P<name>"
    + _NAME_TOKEN
    + r"(?:\s+"
    + _NAME_TOKEN
    + r"){0,2})"
)
_FULL_NAME = re.compile(r"(?<![\w.])(?P<name>" + _NAME_TOKEN + r"(?:\s+" + _NAME_TOKEN + r"){1,2})")
_POSSESSIVE = re.compile(r"[’']s$")
_HOLDER = re.compile(r"\(([^()]+)\)\s*$")
_AFTER_OFFICE = {"Assistant", "Ambassador", "Adviser", "Advisor", "Representative", "Delegation"}
_SUFFIXES = {"Jr.", "Sr.", "II", "III", "IV"}


def doc_type_from_heading(heading: str) -> str:
    """The document type a heading's fixed pattern names ("Letter From …" → "letter")."""
    lowered = heading.strip().lower()
    for pattern, label in DOC_TYPES:
        if re.match(pattern + r"\b", lowered):
            return label
    if split_parties(heading):
        return "correspondence"  # older volumes: "Prime Minister Churchill to President Roosevelt"
    return "other"


def split_parties(heading: str) -> tuple[str, str] | None:
    """(sender, recipient) phrases of a heading, or None when it names no parties."""
    heading = heading.strip()
    match = re.search(r"\bFrom\s+(.+)$", heading)
    if match:
        rest = match.group(1)
    elif re.match(r"^(?:[A-Z][\w.’']*\s+)+[A-Z]", heading) and " to " in heading:
        rest = heading  # no type word: the whole heading is "X to Y"
    else:
        return None
    positions = [m.start() for m in re.finditer(r"\s+to\s+", rest)]
    if not positions:
        return None
    chosen = None
    for pos in positions:
        before = rest[:pos].rstrip()
        if before.endswith(")"):
            chosen = pos
            break
    if chosen is None:
        for pos in positions:
            previous_word = rest[:pos].split()[-1] if rest[:pos].split() else ""
            if previous_word not in _AFTER_OFFICE:
                chosen = pos
                break
    if chosen is None:
        return None
    sender = rest[:chosen].strip()
    recipient = rest[chosen:].strip()
    recipient = re.sub(r"^to\s+", "", recipient).strip().rstrip(".")
    return sender, recipient


@dataclass
class Party:
    """A party named in a heading or text: an office, or a person with a title."""

    name: str  # "Carter", "Jimmy Carter", or the office "Embassy in the Soviet Union"
    title: str = ""
    is_organization: bool = False
    as_written: str = ""


def parse_party(phrase: str) -> Party:
    phrase = phrase.strip()
    holder = _HOLDER.search(phrase)
    if holder:
        return Party(
            name=holder.group(1).strip(),
            title=phrase[: holder.start()].strip(),
            as_written=phrase,
        )
    if phrase.lower().startswith("the ") or not phrase[:1].isupper():
        return Party(name=re.sub(r"^the\s+", "", phrase, flags=re.I), is_organization=True, as_written=phrase)
    tokens = phrase.split()
    name_tokens: list[str] = []
    for token in reversed(tokens):
        if token in TITLE_WORDS or not token[:1].isupper():
            break
        name_tokens.insert(0, token)
    if not name_tokens:
        return Party(name=phrase, is_organization=True, as_written=phrase)
    title = " ".join(tokens[: len(tokens) - len(name_tokens)])
    return Party(name=" ".join(name_tokens), title=title, as_written=phrase)


def surname(name: str) -> str:
    tokens = [t for t in name.replace(",", " ").split() if t not in _SUFFIXES]
    return tokens[-1] if tokens else name


def sort_name(name: str) -> str:
    """ "Jimmy Carter" → "Carter, Jimmy"; a single word stays as it is."""
    tokens = name.split()
    suffix = [t for t in tokens if t in _SUFFIXES]
    tokens = [t for t in tokens if t not in _SUFFIXES]
    if len(tokens) < 2:
        return name
    result = f"{tokens[-1]}, {' '.join(tokens[:-1])}"
    if suffix:
        result += ", " + " ".join(suffix)
    return result


def name_from_persons_list(entry: str) -> str:
    """ "Carter, Jimmy (James Earl)" → "Jimmy Carter"; "Carlucci, Frank C., III" → "Frank C. Carlucci III"."""
    entry = re.sub(r"\s*\([^)]*\)", "", entry).strip()
    parts = [p.strip() for p in entry.split(",") if p.strip()]
    if len(parts) == 1:
        return parts[0]
    suffix = [p for p in parts[2:] if p in _SUFFIXES]
    return " ".join([parts[1], parts[0], *suffix])


def person_key(name: str) -> str:
    """Inside one volume without a persons list, people are told apart by surname."""
    return "name:" + normalise(surname(name))


def organization_key(name: str) -> str:
    """An office acting as a party ("Embassy in the Soviet Union") is known by its folded name."""
    return "org:" + normalise(name)


def strip_possessive(name: str) -> str:
    return _POSSESSIVE.sub("", name)


def find_titled_mentions(text: str) -> list[tuple[str, str, int]]:
    """(title, name, offset) of every "Title Name" in the text."""
    found = []
    for match in _MENTION.finditer(text):
        tokens = match.group("name").split()
        kept = []
        for token in tokens:
            token = strip_possessive(token)
            if token in TITLE_WORDS:
                break
            kept.append(token)
            if match.group("name").split()[len(kept) - 1] != token:
                break  # a possessive ends the name
        if not kept:
            continue
        found.append((match.group("title"), " ".join(kept), match.start()))
    return found


def find_full_names(text: str, surnames: set[str]) -> list[tuple[str, int]]:
    """Untitled "Forename Surname" names whose surname is already known in the document."""
    found = []
    for match in _FULL_NAME.finditer(text):
        tokens = [strip_possessive(t) for t in match.group("name").split()]
        for end in range(len(tokens), 1, -1):
            if normalise(tokens[end - 1]) in surnames and not any(t in TITLE_WORDS for t in tokens[:end]):
                found.append((" ".join(tokens[:end]), match.start()))
                break
    return found
