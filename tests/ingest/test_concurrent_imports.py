"""Two imports into one database at once (the scale build runs several): they take turns, so a
person new to both volumes is created once, not twice (nor refused for a duplicate slug)."""

import threading

import pytest
from django.db import connection

from catalog.ingest.pipeline import import_paths
from catalog.models import Letter, Person, PersonIdentifier, Volume
from tests.conftest import TEI_V33

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent transactions: SQLite serialises its writers"
)


def copy_as(tmp_path, identifier: str):
    """The v33 excerpt under another volume identifier: the same persons list, so the same people."""
    path = tmp_path / f"{identifier}.xml"
    text = TEI_V33.read_text(encoding="utf-8")
    path.write_text(text.replace("frus1969-76v33", identifier), encoding="utf-8")
    return path


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_sharing_a_new_person_both_succeed_with_one_person(tmp_path):
    paths = [copy_as(tmp_path, "frus1969-76v33a"), copy_as(tmp_path, "frus1969-76v33b")]
    barrier = threading.Barrier(2)
    results = {}

    def run(index):
        try:
            barrier.wait()
            results[index] = import_paths([paths[index]], publish=True)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[i].failures for i in range(2)] == [[], []]
    assert Volume.objects.count() == 2 and Letter.objects.count() == 22
    # Henry Kissinger is in the persons list of both copies: one person, known by both volumes.
    kissinger = Person.objects.filter(display_name__contains="Kissinger")
    assert kissinger.count() == 1
    assert PersonIdentifier.objects.filter(person=kissinger.get()).count() == 2
    names = list(Person.objects.values_list("display_name", flat=True))
    assert len(names) == len(set(names))  # nobody twice
