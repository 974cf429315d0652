"""The TEI parser's records, byte for byte, as main's parser gave them before issue 13's speed work
(session 4): a digest of every record of each fixture (the letters, the volume, the people met),
leaving out only ``source_checksum`` (it hashes the parser's own code, so it changes with any edit)
and ``ref_targets_for`` (set only by the parse worker).

A change of the parser that is meant to change its records changes these digests: check the
records themselves (tests/ingest/test_tei_parser.py) and then write the new digests here."""

import dataclasses
import hashlib
import json

import pytest

from catalog.ingest.tei_parser import parse_tei
from tests.conftest import TEI_QUEBEC, TEI_V33

EXPECTED = {
    TEI_V33: "ef022de2f5f9de96475ed118aad0b51d68548e9543050fb3b934c874fb81b6c4",
    TEI_QUEBEC: "93a6ae371564ddb488d327f6468ba1e3b7b22ea6bec14c5807c912fb681e9ce1",
}


def records_digest(path) -> str:
    parsed = parse_tei(path)
    digest = hashlib.sha256()
    for letter in parsed.letters:
        values = dataclasses.asdict(letter)
        values.pop("source_checksum")
        values.pop("ref_targets_for")
        digest.update(json.dumps(values, sort_keys=True, default=str).encode())
    people = {key: dataclasses.asdict(person) for key, person in parsed.people.items()}
    for value in (dataclasses.asdict(parsed.volume), people):
        digest.update(json.dumps(value, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_the_records_are_those_main_parser_gave(path):
    assert records_digest(path) == EXPECTED[path]
