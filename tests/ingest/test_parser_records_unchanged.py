"""The TEI parser's records, byte for byte, as main's parser gave them before issue 13's speed work
(session 4): a digest of every record of each fixture (the letters, the volume, the people met),
leaving out only ``source_checksum`` (it hashes the parser's own code, so it changes with any edit)
and ``ref_targets_for`` (set only by the parse worker), and with ``source_path`` cut to the file's
name (the checkout's folder is not the parser's output: CI runs in a fresh clone elsewhere).

A change of the parser that is meant to change its records changes these digests: check the
records themselves (tests/ingest/test_tei_parser.py) and then write the new digests here."""

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from catalog.ingest.tei_parser import parse_tei
from tests.conftest import TEI_QUEBEC, TEI_V33

EXPECTED = {
    TEI_V33: "36697bd9ccdebdd5fd98a0cbf234d54b62d366dc5c1fe27953be88b8f2d14f80",
    TEI_QUEBEC: "f6594e93f476bfaf864a3cc272cfa18a052ca26543b3d5de15aca883ef631332",
}


def records_digest(path) -> str:
    parsed = parse_tei(path)
    digest = hashlib.sha256()
    for letter in parsed.letters:
        values = dataclasses.asdict(letter)
        values.pop("source_checksum")
        values.pop("ref_targets_for")
        values["source_path"] = Path(values["source_path"]).name
        digest.update(json.dumps(values, sort_keys=True, default=str).encode())
    people = {key: dataclasses.asdict(person) for key, person in parsed.people.items()}
    for value in (dataclasses.asdict(parsed.volume), people):
        digest.update(json.dumps(value, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_the_records_are_those_main_parser_gave(path):
    assert records_digest(path) == EXPECTED[path]
