"""Write a synthetic FRUS: TEI volumes the real importer reads unchanged, at any scale, deterministically.

What is modelled (see the README's "Synthetic corpus" section):

- volumes with identifiers shaped like the real ones (``frus1861``, ``frus1941v03``,
  ``frus1964-68v12``, ``frus1969-76v14p2``), taken in runs of consecutive volumes of one era, so that
  even two volumes share their years and their people; dates over 1861–1991;
- 300–1,500 documents a volume (``documents=`` fixes the number), dated within the volume's span in
  order, some undated, month-only or a range, some with a time; every heading type the importer knows
  (``catalog.vocabulary.DOC_TYPES``, the old "X to Y" correspondence heading, and headings of no type);
- 3–15 footnotes a document: the source note (over a few dozen repositories and thousands of boxes,
  in the real shapes), cross-references to documents of the same and of other volumes, citations,
  editorial remarks;
- a persons list of 100–600 a volume, drawn from one population of people with life spans (a volume
  draws from those active in its years, the prominent more often), so that people recur across volumes
  under the same name and description; a terms list drawn from the real volumes' terms;
- page breaks every page's worth of words, many of them inside a word, as FRUS prints them
  (``confi<pb/>dence``);
- the words of the text sampled from the frequency of words in real FRUS prose (``words.tsv``), with a
  Zipf tail of rare invented words, so that "President" is common and rare words are rare.

Speed: the XML is built as strings (escaped where the text is not already), words are drawn a
paragraph at a time from a 65,536-slot table with ``operator.itemgetter`` over random bytes, and each
volume streams to disk; memory stays bounded by one document.

Determinism: every volume has its own ``random.Random`` seeded from (seed, volume index, identifier);
the people from (seed, "people"); nothing depends on hash(), set order, time or the machine, so the
same arguments give byte-identical files.
"""

from __future__ import annotations

import datetime
import heapq
import json
import math
import operator
import random
import sys
import time
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from catalog.rendering import to_roman
from catalog.vocabulary import normalise

from .wordlist import TERMS_FILE, read_table

# -- scale ------------------------------------------------------------------------------------------
MIN_DOCUMENTS, MAX_DOCUMENTS = 300, 1500
MIN_PERSONS, MAX_PERSONS = 100, 600
MIN_FOOTNOTES, MAX_FOOTNOTES = 3, 15
POPULATION = 30_000
PAGE_WORDS = 420  # words on a printed page
TAIL_SHARE = 0.06  # of the words drawn, the share taken from the rare (Zipf) tail
TAIL_RANKS = 2_000_000

_split = str.split  # word lists written as text

# -- the words --------------------------------------------------------------------------------------
_TAIL = object()
_TABLE: list | None = None
_UNITS_PER_WORD = 1.0  # entries drawn for a word of text (phrases hold two or three)
_SYLLABLES = _split(
    """ka lo ver mi dan sor tel ba ru nis gor fa lin pe
zo mar ost ri ve chen al dor sku ne vil tra ho len
qui bre mos ta"""
)
_LN_TAIL = math.log(TAIL_RANKS)
# Sentence lengths in words, drawn with a random byte: 6–30, 18 on average.
SENTENCE_LENGTHS = tuple(6 + round(24 * (i + 0.5) / 256) for i in range(256))


def word_table() -> list:
    """65,536 slots: each real word or phrase in proportion to its count, the rest the rare tail's."""
    global _TABLE, _UNITS_PER_WORD
    if _TABLE is None:
        rows = read_table()
        total = sum(count for _, count in rows)
        real_slots = int(65536 * (1 - TAIL_SHARE))
        table: list = []
        for word, count in rows:
            table.extend([escape(word)] * max(1, round(count * real_slots / total)))
        table = table[:65536]
        words = sum(len(unit.split()) for unit in table)
        tail = 65536 - len(table)
        table.extend([_TAIL] * tail)
        _UNITS_PER_WORD = 65536 / (words + tail)
        _TABLE = table
    return _TABLE


def tail_word(rank: int) -> str:
    """The invented word of a rank of the tail: two to five syllables, some capitalised like names."""
    syllables = []
    value = rank + 32
    while value:
        value, digit = divmod(value, 32)
        syllables.append(_SYLLABLES[digit])
    word = "".join(syllables)
    return word.capitalize() if rank % 7 == 3 else word


# -- the world the volumes describe -------------------------------------------------------------------
FORENAMES = _split(
    """Aaron Abraham Adam Albert Alexander Alfred Allen Andrew Anthony Arthur Benjamin Bernard Carl Charles
Christopher Clark Daniel David Dean Donald Douglas Edward Edwin Elliot Ernest Eugene Frank Frederick
George Gerald Gordon Harold Harry Henry Herbert Howard Hugh James Jerome John Joseph Julius
Kenneth Lawrence Leonard Lewis Llewellyn Loy Malcolm Martin Maxwell Michael Milton Nelson Norman Oliver
Paul Peter Philip Ralph Raymond Richard Robert Roger Ronald Samuel Seymour Stanley Stephen Thomas
Vernon Walter Warren William Winston Alice Anne Barbara Caroline Dorothy Eleanor Elizabeth Frances Helen
Jane Jeane Katharine Margaret Mary Ruth Andrei Anatoly Boris Dmitri Georgi Leonid Nikolai Sergei
Valentin Viktor Vladimir Yuri Willy Helmut Konrad Egon Hans Kurt Otto Jean Charles Maurice
Pierre Georges Valery Francois Giulio Aldo Amintore Zhou Deng Hua Ahmad Anwar Hosni Menachem
Yitzhak Golda Moshe Indira Zulfikar Ferdinand Sukarno Ngo Nguyen Fidel Juan Carlos Luis Jose
Manuel Getulio Eduardo"""
)
SURNAMES = _split(
    """Acheson Adams Allison Anderson Armstrong Atherton Austin Bailey Baker Ball Barnes Battle Bell Berle
Bohlen Bowles Bradley Brewster Brooks Bruce Bundy Bunker Burns Butler Byrnes Cabot Campbell Carlson
Chapin Clay Clifford Cline Colby Conger Cooper Cowen Crane Cutler Davies Dawson Dillon Dulles
Eagleburger Eaton Ellsworth Fairbanks Farley Finletter Forrestal Foster Fowler Freeman Gardner Gates Gilpatric Goldberg
Goodpaster Grant Green Gullion Habib Haig Halperin Harriman Hartman Hay Helms Henderson Herter Hilsman
Holbrooke Hoover Hughes Hull Hyland Irwin Jessup Johnson Katzenbach Kennan Kirk Knox Komer Laird
Lansing Leddy Lodge Lord Lovett Lyman MacArthur Mann Marshall Martin McCloy McCone McGhee McNamara
Merchant Moorer Morris Murphy Newsom Nitze Norris Owen Packard Palmer Parsons Peterson Phillips Porter
Quinn Read Reinhardt Richardson Ridgway Robertson Rostow Rush Rusk Saunders Schlesinger Scott Sisco Smith
Sonnenfeldt Spiers Stettinsen Stevenson Stimson Stoessel Sullivan Taylor Thompson Toon Tyler Vance Vest Wainwright
Walsh Watson Webb Welles Wheeler White Whitman Wilson Winant Wood Wright Yost Young Zimmermann
Aleksandrov Dobrynin Gromyko Kosygin Korniyenko Semenov Vorontsov Adenauer Brandt Erhard Schmidt Genscher Couve Debré
Jobert Sauvagnargues Fanfani Moro Andreotti Heath Douglas Home Callaghan Wilson Eden Bevin Macmillan Pearson
Trudeau Sato Ohira Tanaka Miki Fukuda Park Rhee Thieu Ky Sihanouk Souvanna Marcos Suharto
Bhutto Gandhi Nehru Sadat Mubarak Fahmy Begin Dayan Eban Allon Rabin Meir Hussein Assad
Pahlavi Hoveyda Zahedi Nasser Castro Perón Frondizi Vargas Kubitschek Betancourt Frei Allende Somoza Torrijos
Echeverría Lleras Belaúnde Mobutu Nkrumah Kenyatta Nyerere Kaunda Tubman Selassie"""
)
SUFFIXES = ("Jr.", "III")
OFFICES = [
    # (title before a name in a heading, the office in a persons list)
    ("President", "President of the United States"),
    ("Secretary of State", "Secretary of State"),
    ("Secretary of Defense", "Secretary of Defense"),
    ("Under Secretary of State", "Under Secretary of State"),
    ("Assistant Secretary of State", "Assistant Secretary of State for European Affairs"),
    ("Ambassador", "Ambassador to the Soviet Union"),
    ("Ambassador", "Ambassador to France"),
    ("Ambassador", "Ambassador to Japan"),
    ("Ambassador", "Ambassador to the United Kingdom"),
    ("Senator", "Senator (D-Washington)"),
    ("Senator", "Senator (R-Tennessee)"),
    ("General", "Chairman of the Joint Chiefs of Staff"),
    ("Admiral", "Chief of Naval Operations"),
    ("Director", "Director of Central Intelligence"),
    ("Foreign Minister", "Foreign Minister"),
    ("Prime Minister", "Prime Minister"),
    ("Chancellor", "Chancellor of the Federal Republic of Germany"),
    ("General Secretary", "General Secretary of the Communist Party of the Soviet Union"),
    ("Chairman", "Chairman of the Council of Ministers"),
    ("Minister", "Minister in China"),
    ("Mr.", "member, National Security Council Staff"),
    ("Mr.", "staff member, Bureau of Politico-Military Affairs, Department of State"),
    ("Mr.", "Deputy Assistant to the President for National Security Affairs"),
    ("Mr.", "Counselor of the Embassy in the United States"),
    ("Dr.", "Director of the Policy Planning Staff, Department of State"),
]
HOLDER_OFFICES = [
    "the President’s Assistant for National Security Affairs",
    "the Executive Secretary of the Department of State",
    "the Ambassador to the Soviet Union",
    "the Ambassador to Vietnam",
    "the Director of the Arms Control and Disarmament Agency",
    "the Chairman of the Joint Chiefs of Staff",
    "the Deputy Secretary of State",
    "the Assistant Secretary of State for Near Eastern and South Asian Affairs",
    "the Secretary of State",
    "the Minister in China",
    "the Ambassador in France",
]
COUNTRIES = [
    ("the Soviet Union", "Moscow"),
    ("France", "Paris"),
    ("the United Kingdom", "London"),
    ("Germany", "Bonn"),
    ("Japan", "Tokyo"),
    ("China", "Beijing"),
    ("Vietnam", "Saigon"),
    ("Egypt", "Cairo"),
    ("Israel", "Tel Aviv"),
    ("Iran", "Tehran"),
    ("India", "New Delhi"),
    ("Pakistan", "Karachi"),
    ("Brazil", "Rio de Janeiro"),
    ("Argentina", "Buenos Aires"),
    ("Mexico", "Mexico City"),
    ("Italy", "Rome"),
    ("Spain", "Madrid"),
    ("Turkey", "Ankara"),
    ("Greece", "Athens"),
    ("Korea", "Seoul"),
    ("Indonesia", "Djakarta"),
    ("the Philippines", "Manila"),
    ("Poland", "Warsaw"),
    ("Yugoslavia", "Belgrade"),
    ("Cuba", "Habana"),
    ("Chile", "Santiago"),
    ("Kenya", "Nairobi"),
    ("Nigeria", "Lagos"),
    ("Saudi Arabia", "Jidda"),
    ("Canada", "Ottawa"),
]
THEMES = """Soviet Union; Western Europe; China; Vietnam; Arms Control and Disarmament; Foreign Economic Policy;
Near East; Africa; Japan; Korea; Cuba; Berlin Crisis; United Nations; National Security Policy; Organization and
Management of Foreign Policy; South Asia; Southeast Asia; American Republics; Iran; Germany and Austria; Eastern
Europe; Arab-Israeli Dispute; Panama; Energy Crisis; Foreign Assistance; International Monetary Policy; Middle
East Region; Mexico and Central America; Laos; Indonesia; Philippines; Canada; Global Issues; Public Diplomacy;
Intelligence Community; Eastern Mediterranean; North Africa; Sub-Saharan Africa; Chile; Brazil""".replace("\n", " ")
THEMES = [t.strip() for t in THEMES.split(";")]
MONTHS = _split("""January February March April May June July August September October November December""")
CLASSIFICATIONS = [
    ("Secret", 30),
    ("Top Secret", 10),
    ("Confidential", 20),
    ("Limited Official Use", 5),
    ("Unclassified", 5),
    ("No classification marking", 10),
]
CAVEATS = ["", "", "", "; Sensitive", "; Nodis", "; Exdis", "; Immediate", "; Priority", "; Eyes Only", "; Limdis"]
COMMITTEES = [
    "National Security Council",
    "Special Coordination Committee",
    "Senior Review Group",
    "Washington Special Actions Group",
    "Policy Review Committee",
    "Special Group (Counter-Insurgency)",
    "Verification Panel",
    "Cabinet",
]
EDITORIAL_REMARKS = [
    "Attached but not printed.",
    "Not printed.",
    "Not found.",
    "Not further identified.",
    "Printed from an unsigned copy.",
    "The tab is not printed.",
    "Printed from a copy that bears this typed signature.",
    "No record of a reply has been found.",
]
SALUTES = ["Dear Mr. President:", "Dear Mr. Secretary:", "Dear Mr. Prime Minister:", "Dear Mr. Ambassador:", "Sir:"]
COMPLIMENTARY = [
    "Sincerely,",
    "Sincerely yours,",
    "With warm regards,",
    "Respectfully,",
    "I have the honor to be, Sir,",
]

# (pattern of the heading, weight in the modern era, weight before 1946); every type the importer knows.
HEADING_TYPES = [
    ("memorandum", 22, 8),
    ("telegram", 20, 25),
    ("memorandum of conversation", 10, 6),
    ("letter", 8, 8),
    ("editorial note", 4, 2),
    ("message", 4, 3),
    ("memorandum for the record", 4, 1),
    ("minutes", 3, 1),
    ("summary of conclusions", 2, 1),
    ("backchannel message", 2, 1),
    ("intelligence estimate", 1.5, 1),
    ("intelligence report", 2, 1),
    ("airgram", 3, 1),
    ("paper", 3, 2),
    ("note", 1.5, 3),
    ("record", 2, 2),
    ("report", 2, 2),
    ("diary entry", 1, 1),
    ("statement", 1.5, 1),
    ("correspondence", 1, 30),
    ("other", 1, 1),
]


# -- the manifest -------------------------------------------------------------------------------------
@dataclass
class VolumeManifest:
    identifier: str
    path: str
    title: str
    first_year: int
    last_year: int
    documents: int = 0
    footnotes: int = 0
    persons: int = 0  # entries of the volume's persons list
    terms: int = 0
    pages: int = 0
    page_breaks_in_words: int = 0
    cross_references: int = 0  # references to documents (this volume's or another's)
    bytes: int = 0
    doc_types: dict[str, int] = field(default_factory=dict)


@dataclass
class Manifest:
    seed: int
    volumes: list[VolumeManifest] = field(default_factory=list)
    people: int = 0  # distinct people across the corpus (each one Person row once imported)
    organizations: int = 0  # distinct offices named as parties in headings ("the Embassy in France")

    @property
    def documents(self) -> int:
        return sum(v.documents for v in self.volumes)

    @property
    def footnotes(self) -> int:
        return sum(v.footnotes for v in self.volumes)

    @property
    def persons(self) -> int:
        """Persons-list entries over all volumes (a person listed in two volumes counts twice)."""
        return sum(v.persons for v in self.volumes)

    @property
    def bytes(self) -> int:
        return sum(v.bytes for v in self.volumes)

    def as_dict(self) -> dict:
        return {
            "seed": self.seed,
            "totals": {
                "volumes": len(self.volumes),
                "documents": self.documents,
                "footnotes": self.footnotes,
                "persons": self.persons,
                "people": self.people,
                "organizations": self.organizations,
                "bytes": self.bytes,
            },
            # File names, not paths: the same arguments write the same manifest wherever it is written.
            "volumes": [{**asdict(v), "path": Path(v.path).name} for v in self.volumes],
        }

    def summary(self) -> str:
        return (
            f"{len(self.volumes)} volumes, {self.documents:,} documents, {self.footnotes:,} footnotes, "
            f"{self.persons:,} persons-list entries ({self.people:,} people), {self.bytes / 1e6:,.1f} MB"
        )


# -- people --------------------------------------------------------------------------------------------
@dataclass
class Person:
    index: int
    surname: str
    forenames: str
    suffix: str
    active_from: int
    active_to: int
    weight: float
    title: str  # before the name in a heading
    description: str
    entry: str = ""  # "Surname, Forenames[, Jr.]" as a persons list prints it (escaped)
    initials: str = ""


def make_population(seed: int, size: int = POPULATION) -> list[Person]:
    """People with life spans over 1790–1990: each active from 25 to the end of a career."""
    rng = random.Random(f"{seed}:people")  # noqa: S311 (reproducible, not secret)
    people: list[Person] = []
    seen: set[str] = set()
    while len(people) < size:
        surname = rng.choice(SURNAMES)
        forenames = rng.choice(FORENAMES)
        if rng.random() < 0.6:
            forenames += f" {chr(65 + rng.randrange(26))}."
        suffix = rng.choice(SUFFIXES) if rng.random() < 0.03 else ""
        key = f"{forenames} {surname} {suffix}"  # the lists hold no two spellings of one name
        if key in seen:
            continue
        seen.add(key)
        born = rng.randrange(1790, 1950)
        active_from = born + 25
        active_to = min(born + rng.randrange(45, 85), 1995)
        title, office = rng.choice(OFFICES)
        start = rng.randrange(active_from, max(active_from + 1, active_to - 2))
        end = min(active_to, start + rng.randrange(1, 9))
        if end == start:
            description = f"{office} in {start}"
        else:
            description = f"{office} from {MONTHS[rng.randrange(12)]} {start} until {end}"
        if rng.random() < 0.3:
            title2, office2 = rng.choice(OFFICES)
            description += f"; {office2} from {end} until {min(active_to, end + rng.randrange(1, 6))}"
        entry = f"{surname}, {forenames}" + (f", {suffix}" if suffix else "")
        initials = surname[0] + "".join(part[0] for part in forenames.replace(".", "").split())
        people.append(
            Person(
                index=len(people),
                surname=escape(surname),
                forenames=escape(forenames),
                suffix=suffix,
                active_from=active_from,
                active_to=active_to,
                weight=rng.paretovariate(1.1),
                title=title,
                description=escape(description),
                entry=escape(entry),
                initials=initials.upper(),
            )
        )
    return people


# -- the volumes of the series ----------------------------------------------------------------------------
@dataclass
class VolumeSlot:
    identifier: str
    subseries: str  # "1964-1968"; "" for the annual volumes
    number: int  # volume number (0: an annual volume without one)
    part: int
    first_year: int
    last_year: int
    theme: str = ""
    documents: int = 0

    @property
    def label(self) -> str:
        """ "1964–1968, vol. XII, Western Europe", as FRUS is cited."""
        years = self.subseries.replace("-", "–") if self.subseries else str(self.first_year)
        number = f", vol. {to_roman(self.number)}" if self.number else ""
        part = f", Part {self.part}" if self.part else ""
        return f"{years}{number}{part}, {self.theme}"


MODERN = [  # subseries, first year, last year, volumes
    ("1952-54", 1952, 1954, 16),
    ("1955-57", 1955, 1957, 27),
    ("1958-60", 1958, 1960, 19),
    ("1961-63", 1961, 1963, 25),
    ("1964-68", 1964, 1968, 34),
    ("1969-76", 1969, 1976, 58),
    ("1977-80", 1977, 1980, 27),
    ("1981-88", 1981, 1988, 40),
    ("1989-92", 1989, 1991, 30),
]
RUN = 6  # volumes taken together from one era


def series_runs() -> list[list[VolumeSlot]]:
    """The series' volumes, grouped in runs of consecutive volumes of one era."""
    runs: list[list[VolumeSlot]] = []

    def add(slots: list[VolumeSlot]) -> None:
        chunks = [slots[start : start + RUN] for start in range(0, len(slots), RUN)]
        if len(chunks) > 1 and len(chunks[-1]) == 1:  # never a run of one: its volume would share no era
            chunks[-2].extend(chunks.pop())
        runs.extend(chunks)

    for year in range(1861, 1932):
        slots = [VolumeSlot(f"frus{year}", "", 0, 0, year, year)]
        slots += [VolumeSlot(f"frus{year}v{n:02d}", "", n, 0, year, year) for n in (1, 2)]
        add(slots)
    for year in range(1932, 1952):
        add([VolumeSlot(f"frus{year}v{n:02d}", "", n, 0, year, year) for n in range(1, 9)])
    for subseries, first, last, count in MODERN:
        short = f"{first}-{str(last)[2:]}" if subseries != "1989-92" else "1989-92"
        label = f"{first}-{last if subseries != '1989-92' else 1992}"
        add([VolumeSlot(f"frus{short}v{n:02d}", label, n, 0, first, last) for n in range(1, count + 1)])
    return runs


def plan_volumes(volumes: int, seed: int, documents: int | None) -> list[VolumeSlot]:
    """Which volumes, in what order: runs of one era in an order the seed shuffles; parts once the
    series is used up ("p2", "p3", …)."""
    rng = random.Random(f"{seed}:volumes")  # noqa: S311 (reproducible, not secret)
    runs = series_runs()
    rng.shuffle(runs)
    slots: list[VolumeSlot] = []
    part = 1
    while len(slots) < volumes:
        for run in runs:
            for slot in run:
                if len(slots) == volumes:
                    break
                if part > 1:
                    slot = VolumeSlot(
                        f"{slot.identifier}p{part}", slot.subseries, slot.number, part, slot.first_year, slot.last_year
                    )
                slots.append(slot)
            if len(slots) == volumes:
                break
        part += 1
    for index, slot in enumerate(slots):
        vrng = random.Random(f"{seed}:plan:{index}:{slot.identifier}")  # noqa: S311 (reproducible, not secret)
        slot.theme = vrng.choice(THEMES)
        slot.documents = documents if documents is not None else vrng.randint(MIN_DOCUMENTS, MAX_DOCUMENTS)
        if slot.first_year != slot.last_year and vrng.random() < 0.5:  # many volumes cover part of the span
            a = vrng.randint(slot.first_year, slot.last_year)
            b = vrng.randint(slot.first_year, slot.last_year)
            slot.first_year, slot.last_year = min(a, b), max(a, b)
    return slots


# -- one volume ------------------------------------------------------------------------------------------
class VolumeWriter:
    def __init__(self, slot: VolumeSlot, index: int, seed: int, plan: list[VolumeSlot], population: list[Person]):
        self.slot = slot
        self.index = index
        self.plan = plan
        self.rng = random.Random(f"{seed}:volume:{index}:{slot.identifier}")  # noqa: S311 (reproducible, not secret)
        self.table = word_table()
        self.old = slot.first_year < 1946
        self.manifest = VolumeManifest(
            identifier=slot.identifier,
            path="",
            title="",
            first_year=slot.first_year,
            last_year=slot.last_year,
        )
        self.page = self.rng.randint(1, 3)
        self.page_words = 0
        self.facs_offset = self.rng.randint(8, 40)
        self.organizations: set[str] = set()
        self.choose_people(population)
        self.choose_terms()
        kinds = [kind for kind, _, _ in HEADING_TYPES]
        weights = [old if self.old else modern for _, modern, old in HEADING_TYPES]
        self.kinds = kinds
        self.kind_weights = list(_cumulative(weights))

    # choices ------------------------------------------------------------------------------------------
    def choose_people(self, population: list[Person]) -> None:
        first, last = self.slot.first_year, self.slot.last_year
        candidates = [p for p in population if p.active_from <= last and p.active_to >= first]
        wanted = min(len(candidates), self.rng.randint(MIN_PERSONS, MAX_PERSONS))
        rng = self.rng
        # Weighted sampling without replacement (Efraimidis–Spirakis): the prominent recur most.
        keyed = [(rng.random() ** (1.0 / p.weight), p.index) for p in candidates]
        chosen = sorted((population[i] for _, i in heapq.nlargest(wanted, keyed)), key=lambda p: (p.entry, p.index))
        counts: dict[str, int] = {}
        self.persons: list[tuple[str, Person]] = []
        for person in chosen:
            counts[person.initials] = counts.get(person.initials, 0) + 1
            self.persons.append((f"p_{person.initials}_{counts[person.initials]}", person))
        self.person_weights = list(_cumulative([p.weight for _, p in self.persons]))
        self.manifest.persons = len(self.persons)

    def choose_terms(self) -> None:
        pool = _terms()
        chosen = sorted(self.rng.sample(range(len(pool)), min(len(pool), self.rng.randint(30, 150))))
        self.terms: list[tuple[str, str, str]] = []
        used: dict[str, int] = {}
        for i in chosen:
            term, expansion = pool[i]
            stem = "".join(c for c in term if c.isascii() and c.isalnum()) or "X"
            used[stem] = used.get(stem, 0) + 1
            self.terms.append((f"t_{stem}_{used[stem]}", escape(term), escape(expansion)))
        self.manifest.terms = len(self.terms)

    def person(self) -> tuple[str, Person]:
        return self.rng.choices(self.persons, cum_weights=self.person_weights)[0]

    def two_people(self) -> tuple[tuple[str, Person], tuple[str, Person]]:
        one = self.person()
        for _ in range(5):
            two = self.person()
            if two[0] != one[0]:
                return one, two
        return one, self.persons[(self.persons.index(one) + 1) % len(self.persons)]

    @staticmethod
    def pers(ref: tuple[str, Person], full: bool = False) -> str:
        key, person = ref
        name = f"{person.forenames} {person.surname}" if full else person.surname
        return f'<persName corresp="#{key}">{name}</persName>'

    def titled(self, ref: tuple[str, Person]) -> str:
        return f"{ref[1].title} {self.pers(ref)}"

    def gloss(self) -> str:
        key, term, _ = self.terms[self.rng.randrange(len(self.terms))]
        return f'<gloss target="#{key}">{term}</gloss>'

    # words -----------------------------------------------------------------------------------------------
    def words(self, count: int) -> list[str]:
        """About ``count`` words drawn from the table (at least two entries): real words and phrases by
        their frequency, tail words by rank (log-uniform ranks: a Zipf distribution)."""
        count = max(2, round(count * _UNITS_PER_WORD))
        indices = array("H", self.rng.randbytes(2 * count))
        if sys.byteorder == "big":
            indices.byteswap()
        drawn = operator.itemgetter(*indices)(self.table)
        if _TAIL in drawn:
            random_ = self.rng.random
            return [tail_word(int(math.exp(random_() * _LN_TAIL))) if w is _TAIL else w for w in drawn]
        return list(drawn)

    def sentences(self, words: list[str], notes: int = 0, mentions: int = 0) -> str:
        """Words made into sentences (a capital, a comma in long ones, a full stop), with people and
        terms among them and ``notes`` footnotes at sentence ends, numbered in reading order."""
        random_ = self.rng.random
        total = len(words)
        for _ in range(mentions):
            if random_() < 0.5:
                where = int(random_() * total)
                words[where] += " " + (self.titled(self.person()) if random_() < 0.6 else self.gloss())
        ends = []
        at = 0
        lengths = operator.itemgetter(*self.rng.randbytes(total // 6 + 2))(SENTENCE_LENGTHS)
        for length in lengths:
            first = words[at]
            words[at] = first[:1].upper() + first[1:]
            if length > 12 and at + length < total:
                words[at + (length >> 1)] += ","
            at += length
            if at >= total:
                break
            words[at - 1] += "."
            ends.append(at - 1)
        words[-1] += "."
        ends.append(total - 1)
        if notes:
            for place in sorted(ends[int(random_() * len(ends))] for _ in range(notes)):
                words[place] += self.note_marker()
        return " ".join(words)

    def paragraph(self, count: int, notes: int = 0, mentions: int = 0, tag: str = "p") -> str:
        words = self.words(count)
        self.page_words += count
        if self.page_words > PAGE_WORDS:
            self.page_words -= PAGE_WORDS
            k = max(0, len(words) - 1 - self.page_words * len(words) // max(1, count))
            self.page += 1
            pb = self.pb()
            # A third of the breaks split a word ("confi<pb/>dence"): the nearest long word. The first
            # break of a volume that falls inside a paragraph always does, so every volume has one.
            if not self.manifest.page_breaks_in_words or self.rng.random() < 0.35:
                k = next(
                    (i for i in (k, k + 1, k - 1, k + 2, k - 2) if 0 <= i < len(words) and _splittable(words[i])), -1
                )
            word = words[k]
            if k >= 0 and _splittable(word):
                cut = self.rng.randint(2, len(word) - 3)
                words[k] = word[:cut] + pb + word[cut:]
                self.manifest.page_breaks_in_words += 1
            else:
                k = max(0, k)
                words[k] = pb + " " + words[k]
        return f"<{tag}>{self.sentences(words, notes, mentions)}</{tag}>\n"

    def pb(self) -> str:
        self.manifest.pages = self.page
        return f'<pb n="{self.page}" facs="{self.page + self.facs_offset:04d}" xml:id="pg_{self.page}"/>'

    # notes ----------------------------------------------------------------------------------------------
    def note_marker(self) -> str:
        self.note_number += 1
        n = self.note_number
        return f'<note n="{n}" xml:id="d{self.number}fn{n}">{self.note_text()}</note>'

    def note_text(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.22:
            return self.same_volume_reference()
        if roll < 0.32:
            return self.other_volume_reference()
        if roll < 0.45:
            return rng.choice(EDITORIAL_REMARKS)
        if roll < 0.7:
            words = self.sentences(self.words(rng.randint(8, 30)), mentions=1)
            return f"{words[:-1]} ({self.citation()})."
        return self.sentences(self.words(rng.randint(10, 45)), mentions=2)

    def same_volume_reference(self) -> str:
        total = self.slot.documents
        target = self.rng.randint(1, total)
        if target == self.number:
            target = target % total + 1
        self.references.add(("", target))
        if self.rng.random() < 0.5:
            return f'See <ref target="#d{target}">Document {target}</ref>.'
        month = MONTHS[self.rng.randrange(12)]
        return (
            f"In a {month} {self.rng.randint(1, 28)} memorandum to {self.titled(self.person())}, "
            f'{self.pers(self.person())} reported on the matter; see <ref target="#d{target}">Document {target}</ref>.'
        )

    def other_volume_reference(self) -> str:
        plan = self.plan
        if len(plan) < 2:
            return self.same_volume_reference()
        offset = self.rng.randint(1, min(8, len(plan) - 1))
        other = plan[(self.index + offset if self.rng.random() < 0.5 else self.index - offset) % len(plan)]
        if other is self.slot:
            return self.same_volume_reference()
        target = self.rng.randint(1, other.documents)
        self.references.add((other.identifier, target))
        label = escape(other.label)
        verb = self.rng.choice(["Printed in", "Scheduled for publication in", "See"])
        return (
            f'{verb} <ref target="{other.identifier}#d{target}"><hi rend="italic">Foreign Relations</hi>, '
            f"{label}, Document {target}</ref>."
        )

    def citation(self) -> str:
        """An archival citation in one of the real shapes of its era (no classification)."""
        rng = self.rng
        year = rng.randint(self.slot.first_year, self.slot.last_year)
        choice = rng.randrange(10)
        box = rng.randint(1, 2400)
        if year < 1906 and choice < 6:  # the bound volumes of the Department's correspondence
            country = rng.choice(COUNTRIES)[0].removeprefix("the ")
            series = rng.choice(["Diplomatic Instructions", "Despatches from United States Ministers to", "Notes to"])
            if series == "Diplomatic Instructions":
                series += ","
            return f"National Archives, RG 59, {series} {country}, vol. {rng.randint(1, 60)}, No. {rng.randint(1, 999)}"
        if 1906 <= year < 1950 and choice < 5:  # a bare decimal file number, as the older volumes print it
            return f"{rng.randint(100, 899)}.{rng.randint(0, 99):02d}/{rng.randint(1, 9999)}"
        if choice < 3:
            return self.national_archives(year)
        library = _library(year)
        if choice < 7 and library:
            series = rng.choice(LIBRARY_SERIES)
            return f"{library}, {series}, Box {box}, {self.folder(year)}"
        repositories = [name for name, first, last in OTHER_REPOSITORIES if first <= year <= last]
        if not repositories:
            return self.national_archives(year)
        return f"{rng.choice(repositories)}, Box {box}, {self.folder(year)}"

    def national_archives(self, year: int) -> str:
        rng = self.rng
        country = rng.choice(COUNTRY_CODES)
        if year < 1963:
            span = next((s for s in DECIMAL_SPANS if s[0] <= year <= s[1]), DECIMAL_SPANS[-1])
            return (
                f"National Archives, RG 59, Central Decimal File {span[0]}–{str(span[1])[2:]}, "
                f"{rng.randint(100, 899)}.{rng.randint(0, 99):02d}/"
                f"{rng.randint(1, 12)}–{rng.randint(1, 28)}{str(year)[2:]}"
            )
        if year < 1974:
            span = next((s for s in CENTRAL_SPANS if s[0] <= year <= s[1]), CENTRAL_SPANS[-1])
            subject = rng.choice(["POL 27", "POL 1", "POL 7", "DEF 18-4", "E 1", "ORG 7 S", "AID (US) 9", "POL 15-1"])
            return f"National Archives, RG 59, Central Files {span[0]}–{str(span[1])[2:]}, {subject} {country}"
        if rng.random() < 0.5:
            return (
                f"National Archives, RG 59, Central Foreign Policy File, "
                f"D{str(year)[2:]}0{rng.randint(1000, 9999)}–{rng.randint(1, 999):04d}"
            )
        lot = f"Lot {rng.randint(60, 93)} D {rng.randint(1, 600)}"
        return (
            f"National Archives, RG 59, {rng.choice(LOT_OWNERS)}: {lot}, Box {rng.randint(1, 400)}, {self.folder(year)}"
        )

    def folder(self, year: int) -> str:
        rng = self.rng
        country = rng.choice(COUNTRIES)[0].removeprefix("the ")
        shape = rng.randrange(5)
        if shape == 0:
            return f"{country}, Vol. {to_roman(rng.randint(1, 12))}"
        if shape == 1:
            a = rng.randint(1, 12)
            return f"{country}: {a}–{min(12, a + rng.randint(0, 5))}/{str(year)[2:]}"
        if shape == 2:
            return f"Memoranda of Conversation, {MONTHS[rng.randrange(12)]} {year}"
        if shape == 3:
            term = self.terms[rng.randrange(len(self.terms))][1]
            return f"{term}: Chronology: {rng.randint(1, 12)}/{rng.randint(1, 28)}/{str(year)[2:]}"
        return f"{rng.choice(FOLDER_SUBJECTS)} {year}"

    def source_note(self) -> str:
        rng = self.rng
        marking = rng.choices([c for c, _ in CLASSIFICATIONS], weights=[w for _, w in CLASSIFICATIONS])[0]
        caveat = rng.choice(CAVEATS) if marking not in ("Unclassified", "No classification marking") else ""
        further = ""
        roll = rng.random()
        if roll < 0.3:
            drafter = self.person()[1]
            further = f" Drafted by {drafter.surname}."
        elif roll < 0.4:
            further = " Repeated to " + ", ".join(rng.choice(COUNTRIES)[1] for _ in range(rng.randint(1, 4))) + "."
        elif roll < 0.5:
            further = f" The meeting took place in the {rng.choice(MEETING_PLACES)}."
        return f"Source: {self.citation()}. {marking}{caveat}.{further}"

    # the heading --------------------------------------------------------------------------------------
    def heading(self, kind: str) -> str:
        rng = self.rng
        if kind in ("memorandum", "letter", "message", "note", "backchannel message"):
            word = {"memorandum": "Memorandum", "letter": "Letter", "message": "Message", "note": "Note"}.get(
                kind, "Backchannel Message"
            )
            one, two = self.two_people()
            if kind == "backchannel message" or rng.random() < 0.3:
                return (
                    f"{word} From {rng.choice(HOLDER_OFFICES)} ({self.pers(one)}) to "
                    f"{rng.choice(HOLDER_OFFICES)} ({self.pers(two)})"
                )
            if kind == "note" and rng.random() < 0.5:
                country = rng.choice(COUNTRIES)[0].removeprefix("the ")
                sender = self.organization(f"Government of {country}")
                return f"{word} From the {sender} to the {self.organization('Department of State')}"
            return f"{word} From {self.titled(one)} to {self.titled(two)}"
        if kind in ("telegram", "airgram"):
            word = kind.capitalize()
            country, _ = rng.choice(COUNTRIES)
            post = f"{rng.choice(['Embassy', 'Embassy', 'Embassy', 'Legation', 'Mission'])} in {country}"
            if rng.random() < 0.2:
                return f"{word} From {self.titled(self.person())} to the {self.organization('Department of State')}"
            if rng.random() < 0.5:
                return f"{word} From the {self.organization('Department of State')} to the {self.organization(post)}"
            return f"{word} From the {self.organization(post)} to the {self.organization('Department of State')}"
        if kind == "memorandum of conversation":
            return "Memorandum of Conversation"
        if kind == "memorandum for the record":
            return "Memorandum for the Record"
        if kind == "editorial note":
            return "Editorial Note"
        if kind == "summary of conclusions":
            return f"Summary of Conclusions of a Meeting of the {rng.choice(COMMITTEES)}"
        if kind == "minutes":
            return f"Minutes of a {rng.choice(COMMITTEES)} Meeting"
        if kind == "intelligence estimate":
            prefix = rng.choice(["National Intelligence Estimate", "Special National Intelligence Estimate"])
            return f"{prefix} {rng.randint(1, 100)}–{rng.randint(1, 9)}–{str(self.slot.last_year)[2:]}"
        if kind == "intelligence report":
            return rng.choice(
                [
                    "Intelligence Memorandum Prepared in the Central Intelligence Agency",
                    "Intelligence Report Prepared in the Directorate of Intelligence",
                    "Intelligence Note Prepared in the Bureau of Intelligence and Research",
                ]
            )
        if kind == "paper":
            return f"Paper Prepared in the {rng.choice(PAPER_OFFICES)}"
        if kind == "record":
            one, two = self.two_people()
            return rng.choice(
                [
                    f"Record of a Meeting of the {rng.choice(COMMITTEES)}",
                    f"Notes of a Meeting Between {self.titled(one)} and {self.titled(two)}",
                    f"Transcript of a Telephone Conversation Between {self.titled(one)} and {self.titled(two)}",
                ]
            )
        if kind == "report":
            return f"Report Prepared by the {rng.choice(REPORT_OFFICES)}"
        if kind == "diary entry":
            return f"Diary Entry by {self.titled(self.person())}"
        if kind == "statement":
            return f"Statement by {self.titled(self.person())}"
        if kind == "correspondence":
            one, two = self.two_people()
            if rng.random() < 0.5:
                return f"{self.titled(one)} to {self.titled(two)}"
            return f"The Secretary of State ({self.pers(one)}) to {rng.choice(HOLDER_OFFICES)} ({self.pers(two)})"
        return rng.choice(
            [
                f"Joint Communiqué Issued at {rng.choice(COUNTRIES)[1]}",
                "Draft Treaty Text",
                f"Agreed Minute of a Meeting at {rng.choice(COUNTRIES)[1]}",
            ]
        )

    def organization(self, name: str) -> str:
        self.organizations.add(normalise(name))
        return escape(name)

    # the dateline -----------------------------------------------------------------------------------------
    def dateline(self, day: datetime.date, kind: str) -> tuple[str, str]:
        """(dateline element, frus date attributes)."""
        rng = self.rng
        place = "Washington" if rng.random() < 0.65 else rng.choice(COUNTRIES)[1]
        roll = rng.random()
        iso = day.isoformat()
        written = f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
        attrs = ""
        if roll < 0.03:
            return f"<dateline><placeName>{place}</placeName>, undated.</dateline>\n", ""
        if roll < 0.06:
            date = f'<date when="{iso[:7]}">{MONTHS[day.month - 1]} {day.year}</date>'
            low, high = f"{iso[:7]}-01T00:00:00", f"{_month_end(day).isoformat()}T23:59:59"
        elif roll < 0.08:
            end = day + datetime.timedelta(days=rng.randint(1, 20))
            until = f"{MONTHS[end.month - 1]} {end.day}, {end.year}"
            date = f'<date from="{iso}" to="{end.isoformat()}">{written}–{until}</date>'
            low, high = f"{iso}T00:00:00", f"{end.isoformat()}T23:59:59"
        elif roll < 0.09:  # an editor's estimate: "[circa March 1977]"
            start = day.replace(day=1)
            end = _month_end(day)
            date = (
                f'<date notBefore="{start.isoformat()}" notAfter="{end.isoformat()}">'
                f"[circa {MONTHS[day.month - 1]} {day.year}]</date>"
            )
            low, high = f"{start.isoformat()}T00:00:00", f"{end.isoformat()}T23:59:59"
        elif roll < 0.4 and kind not in ("letter", "paper"):
            hour, minute = rng.randint(7, 22), rng.choice([0, 0, 15, 30, 45, 10])
            clock = f"{(hour - 1) % 12 + 1}:{minute:02d} {'a.m.' if hour < 12 else 'p.m.'}"
            date = f'<date when="{iso}T{hour:02d}:{minute:02d}:00">{written}, {clock}</date>'
            low = high = f"{iso}T{hour:02d}:{minute:02d}:00"
        else:
            date = f'<date when="{iso}">{written}</date>'
            low, high = f"{iso}T00:00:00", f"{iso}T23:59:59"
        if self.old:  # the older files carry frus:doc-dateTime-min/max with a fixed offset
            attrs = f' frus:doc-dateTime-min="{low}-05:00" frus:doc-dateTime-max="{high}-05:00"'
        return f"<dateline><placeName>{place}</placeName>, {date}.</dateline>\n", attrs

    # one document ------------------------------------------------------------------------------------------
    def document(self, number: int, day: datetime.date) -> str:
        rng = self.rng
        self.number = number
        self.note_number = 0
        self.references: set[tuple[str, int]] = set()  # the importer keeps one per target and letter
        kind = self.kinds[_pick(self.kind_weights, rng.random() * self.kind_weights[-1])]
        self.manifest.doc_types[kind] = self.manifest.doc_types.get(kind, 0) + 1
        footnotes = MIN_FOOTNOTES + min(MAX_FOOTNOTES - MIN_FOOTNOTES, int(rng.expovariate(1 / 1.6)))
        parts: list[str] = []
        if self.page_words > PAGE_WORDS * 0.6:  # a document that begins a page
            self.page += 1
            self.page_words = 0
            parts.append(self.pb() + "\n")
        heading = self.heading(kind)
        inline_source = self.old and kind != "editorial note" and rng.random() < 0.5
        if kind == "editorial note":
            head = f"<head>{number}. {heading}</head>\n"
            text_notes = footnotes
            dateline, attrs = "", ""
        elif inline_source:  # the older shape: an unnumbered source note before the heading
            parts.append(f'<note rend="inline" type="source">{self.source_note()}</note>\n')
            head = f"<head>{number}. {heading}</head>\n"
            text_notes = footnotes - 1
            dateline, attrs = self.dateline(day, kind)
        else:
            self.note_number = 1
            source = f'<note n="1" type="source" xml:id="d{number}fn1">{self.source_note()}</note>'
            head = f"<head>{number}. {heading}{source}</head>\n"
            text_notes = footnotes - 1
            dateline, attrs = self.dateline(day, kind)
        parts.append(head)
        parts.append(dateline)
        if kind in ("memorandum", "memorandum of conversation", "memorandum for the record", "paper"):
            parts.append(f'<list type="subject">\n<head>SUBJECT</head>\n<item>{self.subject()}</item>\n</list>\n')
        if kind in ("memorandum of conversation", "minutes", "record", "summary of conclusions"):
            items = "".join(f"<item>{self.titled(self.person())}</item>\n" for _ in range(rng.randint(2, 8)))
            parts.append(f'<list type="participants">\n<head>PARTICIPANTS</head>\n{items}</list>\n')
        if kind == "letter":
            parts.append(f"<opener>\n<salute>{rng.choice(SALUTES)}</salute>\n</opener>\n")
        # Words of text: the older volumes print short despatches (median ~130 words), the modern ones
        # long memoranda (median ~400, a tail to thousands), as the real excerpts in fixtures/ do.
        if self.old:
            length = int(min(3000, max(30, rng.lognormvariate(4.9, 0.7))))
            paragraphs = max(1, length // rng.randint(40, 90))
        else:
            length = int(min(6000, max(40, rng.lognormvariate(6.0, 0.8))))
            paragraphs = max(1, length // rng.randint(60, 140))
        per = max(2, length // paragraphs)
        placed = [0] * paragraphs
        for _ in range(text_notes):
            placed[rng.randrange(paragraphs)] += 1
        for count in placed:
            parts.append(self.paragraph(per + rng.randint(-per // 3, per // 3), notes=count, mentions=3))
        if kind in ("letter", "memorandum", "telegram", "message", "backchannel message", "correspondence", "airgram"):
            if kind == "letter":
                parts.append(f"<p>{rng.choice(COMPLIMENTARY)}</p>\n")
            signer = self.person()
            parts.append(
                f'<closer>\n<signed corresp="#{signer[0]}">{self.pers(signer, full=True)}</signed>\n</closer>\n'
            )
        self.manifest.documents += 1
        self.manifest.footnotes += footnotes
        self.manifest.cross_references += len(self.references)
        return f'<div type="document" n="{number}" xml:id="d{number}"{attrs}>\n{"".join(parts)}</div>\n'

    def subject(self) -> str:
        words = self.words(self.rng.randint(2, 6))
        words[0] = words[0][:1].upper() + words[0][1:]
        return f"{self.gloss()} {' '.join(words)}"

    # the volume ------------------------------------------------------------------------------------------------
    def dates(self) -> list[datetime.date]:
        start = datetime.date(self.slot.first_year, 1, 1).toordinal()
        end = datetime.date(self.slot.last_year, 12, 31).toordinal()
        return [
            datetime.date.fromordinal(d)
            for d in sorted(self.rng.randint(start, end) for _ in range(self.slot.documents))
        ]

    def header(self) -> str:
        slot = self.slot
        rng = self.rng
        if slot.subseries:
            years = slot.subseries.replace("-", "–")
            complete = f"Foreign Relations of the United States, {years}, Volume {to_roman(slot.number)}"
            complete += f", Part {slot.part}" if slot.part else ""
            complete += f", {slot.theme}"
            subseries = f'<title type="subseries">{slot.subseries}</title>\n'
        else:
            complete = f"Papers Relating to the Foreign Relations of the United States, {slot.first_year}"
            if slot.number:
                complete += f", Volume {to_roman(slot.number)}"
            complete += f", {slot.theme}"
            subseries = ""
        number = f'<title type="volumenumber">Volume {to_roman(slot.number)}</title>\n' if slot.number else ""
        editor = self.persons[rng.randrange(len(self.persons))][1]
        published = min(2025, slot.last_year + rng.randint(15, 40))
        self.manifest.title = complete
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<TEI xmlns="http://www.tei-c.org/ns/1.0" xmlns:frus="http://history.state.gov/frus/ns/1.0" '
            f'xml:id="{slot.identifier}">\n<teiHeader>\n<fileDesc>\n<titleStmt>\n'
            f'<title type="complete">{escape(complete)}</title>\n'
            '<title type="series">Foreign Relations of the United States</title>\n'
            f"{subseries}{number}"
            f'<title type="volume">{escape(slot.theme)}</title>\n'
            f'<editor role="primary">{editor.forenames} {editor.surname}</editor>\n'
            "</titleStmt>\n<publicationStmt>\n<publisher>United States Government Printing Office</publisher>\n"
            f'<pubPlace>Washington</pubPlace>\n<date type="publication-date">{published}</date>\n'
            f'<idno type="frus">{slot.identifier}</idno>\n</publicationStmt>\n<sourceDesc>\n'
            "<p>Synthetic volume written by Letterbook’s corpus generator: FRUS-shaped, not a real volume.</p>\n"
            "</sourceDesc>\n</fileDesc>\n</teiHeader>\n<text>\n<front>\n"
        )

    def front(self) -> str:
        rng = self.rng
        libraries = [lib for lib in LIBRARIES if lib[1] <= self.slot.last_year and lib[2] >= self.slot.first_year]
        repositories = ["National Archives and Records Administration, College Park, Maryland"]
        repositories += [f"{name}, {place}" for name, _, _, place in libraries]
        span = (self.slot.first_year, self.slot.last_year)
        others = [name for name, first, last in OTHER_REPOSITORIES if first <= span[1] and last >= span[0]]
        for name in rng.sample(others, min(4, len(others))):
            if name.split(",")[0] not in repositories:
                repositories.append(name.split(",")[0])
        items = []
        for repository in repositories:
            series = "".join(f"<item>{s}</item>\n" for s in rng.sample(LIBRARY_SERIES, 3))
            items.append(f'<item><hi rend="strong">{escape(repository)}</hi>\n<list>\n{series}</list>\n</item>\n')
        sources = (
            '<div type="section" xml:id="sources">\n<head>Sources</head>\n'
            '<p rend="center"><hi rend="strong">Unpublished Sources</hi></p>\n'
            f'<list type="sources">\n{"".join(items)}</list>\n</div>\n'
        )
        terms = "".join(
            f'<item><hi rend="strong"><term xml:id="{key}">{term}</term>,</hi> {expansion}</item>\n'
            for key, term, expansion in self.terms
        )
        persons = "".join(
            f'<item><hi rend="strong"><persName xml:id="{key}">{p.entry}</persName>,</hi> {p.description}</item>\n'
            for key, p in self.persons
        )
        return (
            f'{sources}<div type="section" xml:id="terms">\n<head>Abbreviations and Terms</head>\n'
            f'<list type="terms">\n{terms}</list>\n</div>\n'
            '<div type="section" xml:id="persons">\n<head>Persons</head>\n'
            f'<list type="names">\n{persons}</list>\n</div>\n'
            "</front>\n<body>\n"
        )

    def write(self, path: Path, progress: Callable[[int], None] | None = None) -> VolumeManifest:
        rng = self.rng
        dates = self.dates()
        total = len(dates)
        chapters = max(1, min(total, rng.randint(1, 12)))
        bounds = sorted(rng.sample(range(1, total), chapters - 1)) if total > 1 and chapters > 1 else []
        bounds = [0, *bounds, total]
        kind = "compilation" if chapters == 1 else "chapter"
        prefix = "comp" if chapters == 1 else "ch"
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            out.write(self.header())
            out.write(self.front())
            out.write(self.pb() + "\n")
            for chapter in range(chapters):
                first, last = dates[bounds[chapter]], dates[bounds[chapter + 1] - 1]
                title = (
                    f"{escape(self.slot.theme)}, {MONTHS[first.month - 1]} {first.year}–"
                    f"{MONTHS[last.month - 1]} {last.year}"
                )
                out.write(f'<div type="{kind}" xml:id="{prefix}{chapter + 1}">\n<head>{title}</head>\n')
                for number in range(bounds[chapter] + 1, bounds[chapter + 1] + 1):
                    out.write(self.document(number, dates[number - 1]))
                    if progress is not None:
                        progress(1)
                out.write("</div>\n")
            out.write("</body>\n</text>\n</TEI>\n")
        self.manifest.path = str(path)
        self.manifest.bytes = path.stat().st_size
        return self.manifest


LIBRARIES = [  # name, first year, last year, place
    ("Hoover Library", 1929, 1933, "West Branch, Iowa"),
    ("Roosevelt Library", 1933, 1945, "Hyde Park, New York"),
    ("Truman Library", 1945, 1953, "Independence, Missouri"),
    ("Eisenhower Library", 1953, 1961, "Abilene, Kansas"),
    ("Kennedy Library", 1961, 1963, "Boston, Massachusetts"),
    ("Johnson Library", 1963, 1969, "Austin, Texas"),
    ("National Archives, Nixon Presidential Materials", 1969, 1974, "College Park, Maryland"),
    ("Ford Library", 1974, 1977, "Ann Arbor, Michigan"),
    ("Carter Library", 1977, 1981, "Atlanta, Georgia"),
    ("Reagan Library", 1981, 1989, "Simi Valley, California"),
    ("Bush Library", 1989, 1993, "College Station, Texas"),
]
LIBRARY_SERIES = [
    "National Security File, Country File",
    "National Security Affairs, Brzezinski Material, Subject File",
    "National Security Affairs, Staff Material, Office",
    "NSC Files, Country Files, Europe",
    "NSC Files, Box Files, Presidential Correspondence",
    "White House Central Files, Subject Files",
    "Papers of the President, Ann Whitman File, International Series",
    "President’s Office Files, Countries",
    "National Security Adviser, Memoranda of Conversations",
    "Executive Secretariat, NSC Meeting Files",
    "Official File",
    "Map Room Files",
    "President’s Secretary’s File, Subject File",
]
OTHER_REPOSITORIES = [  # citation (before "Box"), first year, last year
    ("Library of Congress, Manuscript Division, Seward Papers", 1861, 1869),
    ("Library of Congress, Manuscript Division, Hamilton Fish Papers", 1869, 1877),
    ("Houghton Library, Harvard University, Sumner Papers", 1861, 1874),
    ("Library of Congress, Manuscript Division, Evarts Papers", 1877, 1881),
    ("National Archives, RG 45, Naval Records Collection", 1861, 1910),
    ("Library of Congress, Manuscript Division, Bayard Papers", 1885, 1889),
    ("Library of Congress, Manuscript Division, Blaine Papers", 1881, 1892),
    ("Library of Congress, Manuscript Division, Gresham Papers", 1893, 1895),
    ("Library of Congress, Manuscript Division, Hay Papers", 1898, 1905),
    ("Library of Congress, Manuscript Division, Root Papers", 1905, 1909),
    ("Library of Congress, Manuscript Division, Knox Papers", 1909, 1913),
    ("Library of Congress, Manuscript Division, Bryan Papers", 1913, 1915),
    ("Library of Congress, Manuscript Division, Lansing Papers", 1915, 1920),
    ("Library of Congress, Manuscript Division, Hughes Papers", 1921, 1925),
    ("Minnesota Historical Society, Kellogg Papers", 1925, 1929),
    ("Yale University Library, Stimson Papers", 1929, 1945),
    ("Library of Congress, Manuscript Division, Hull Papers", 1933, 1944),
    ("Hoover Institution, Hornbeck Papers", 1928, 1944),
    ("Massachusetts Historical Society, Lodge Papers", 1895, 1924),
    ("Naval Historical Center, Operational Archives", 1898, 1991),
    ("Federal Records Center, Suitland, RG 84, Embassy Files", 1912, 1975),
    ("Library of Congress, Manuscript Division, Harriman Papers", 1941, 1986),
    ("Princeton University, Seeley G. Mudd Manuscript Library, Dulles Papers", 1945, 1959),
    ("Department of State, S/S Files: Lot 66 D 149", 1945, 1966),
    ("Central Intelligence Agency, Executive Registry Files, Job 80–M01048A", 1947, 1991),
    ("Central Intelligence Agency, Files of the Director of Central Intelligence, Job 80–B01285A", 1950, 1991),
    ("Washington National Records Center, RG 330, OSD Files: FRC 71 A 6489", 1947, 1991),
    ("Washington National Records Center, RG 218, JCS Records", 1947, 1991),
    ("Department of Defense, Office of the Secretary of Defense, Historical Office", 1947, 1991),
    ("Department of State, INR/EAP Files", 1960, 1991),
    ("Library of Congress, Manuscript Division, Kissinger Papers", 1969, 1977),
    ("Library of Congress, Manuscript Division, Papers of Harold Brown", 1977, 1981),
    ("National Security Council, Washington, Subject Files", 1947, 1991),
    ("U.S. Army Military History Institute, Ridgway Papers", 1945, 1960),
    ("George C. Marshall Foundation, Marshall Papers", 1939, 1951),
    ("MacArthur Memorial, RG 5, Records of General Headquarters", 1941, 1951),
    ("University of Virginia, Alderman Library, Stettinius Papers", 1943, 1946),
    ("Council on Foreign Relations, Records of Groups", 1921, 1975),
    ("Joint Chiefs of Staff, Records of the Chairman", 1942, 1991),
    ("Columbia University, Rare Book and Manuscript Library, Oral History Collection", 1950, 1985),
]
MEETING_PLACES = ["White House Situation Room", "Cabinet Room", "Secretary’s office", "Oval Office"]
PAPER_OFFICES = [
    "Policy Planning Staff",
    "Department of State",
    "National Security Council Staff",
    "Department of Defense",
]
REPORT_OFFICES = [
    "Joint Chiefs of Staff",
    "Interdepartmental Working Group",
    "Embassy in France",
    "Office of the Secretary of Defense",
]
LOT_OWNERS = ["S/S Files", "S/P Files", "EUR Files", "Files of Secretary Vance", "INR Files", "NEA Files", "PM Files"]
FOLDER_SUBJECTS = [
    "Memoranda for the President",
    "Presidential Handwriting File",
    "Chron File",
    "Secretary’s Memoranda of Conversation",
    "NSC Meetings",
    "Cables",
    "Correspondence with Foreign Leaders",
]
COUNTRY_CODES = [
    "VIET S",
    "USSR",
    "FR",
    "UK",
    "GER W",
    "JAPAN",
    "CHICOM",
    "ISR",
    "UAR",
    "IRAN",
    "INDIA",
    "CUBA",
    "KOR S",
]
DECIMAL_SPANS = [(1910, 1929), (1930, 1939), (1940, 1944), (1945, 1949), (1950, 1954), (1955, 1959), (1960, 1963)]
CENTRAL_SPANS = [(1963, 1963), (1964, 1966), (1967, 1969), (1970, 1973)]


def _splittable(word: str) -> bool:
    return len(word) >= 6 and word.isalpha()


def _library(year: int) -> str:
    for name, first, last, _ in LIBRARIES:
        if first <= year <= last:
            return name
    return ""


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def _cumulative(weights):
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _pick(cumulative: list[float], value: float) -> int:
    return min(bisect_right(cumulative, value), len(cumulative) - 1)


_TERMS: list[tuple[str, str]] | None = None


def _terms() -> list[tuple[str, str]]:
    global _TERMS
    if _TERMS is None:
        rows = []
        for line in TERMS_FILE.read_text(encoding="utf-8").splitlines():
            term, _, expansion = line.partition("\t")
            if term and expansion:
                rows.append((term, expansion))
        _TERMS = rows
    return _TERMS


# -- the corpus ---------------------------------------------------------------------------------------------------
def generate_corpus(
    out_dir,
    volumes: int,
    seed: int,
    documents: int | None = None,
    *,
    progress: Callable[[int, int, int], None] | None = None,
) -> Manifest:
    """Write ``volumes`` synthetic FRUS volumes to ``out_dir`` (created if need be) and a
    ``manifest.json``; the manifest. ``documents`` fixes the documents of every volume (else 300–1,500,
    drawn per volume). ``progress(volumes_done, documents_done, documents_total)`` is called as it goes."""
    if volumes < 1:
        raise ValueError("volumes must be at least 1")
    if documents is not None and documents < 1:
        raise ValueError("documents must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_volumes(volumes, seed, documents)
    population = make_population(seed)
    manifest = Manifest(seed=seed)
    total = sum(slot.documents for slot in plan)
    done = 0
    people: set[int] = set()
    organizations: set[str] = set()

    for index, slot in enumerate(plan):
        writer = VolumeWriter(slot, index, seed, plan, population)
        step = None
        if progress is not None:
            base = done

            def step(_: int, writer=writer, base=base, index=index) -> None:
                count = base + writer.manifest.documents
                if count % 50 == 0:
                    progress(index, count, total)

        manifest.volumes.append(writer.write(out / f"{slot.identifier}.xml", step))
        done += slot.documents
        people.update(p.index for _, p in writer.persons)
        organizations |= writer.organizations
        if progress is not None:
            progress(index + 1, done, total)
    manifest.people = len(people)
    manifest.organizations = len(organizations)
    (out / "manifest.json").write_text(json.dumps(manifest.as_dict(), indent=1) + "\n", encoding="utf-8")
    return manifest


def timed(out_dir, volumes: int, seed: int, documents: int | None = None) -> tuple[Manifest, float]:
    """``generate_corpus`` and the seconds it took (for the README's figures and the benchmarks)."""
    started = time.perf_counter()
    manifest = generate_corpus(out_dir, volumes, seed, documents)
    return manifest, time.perf_counter() - started
