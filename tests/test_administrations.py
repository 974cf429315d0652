"""The administration of a document (DOMAIN.md's table): derived from its date, stored, refreshed."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from catalog.administrations import ADMINISTRATIONS, administration_for, label
from catalog.models import Letter

WASHINGTON = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(1861, 3, 3), ""),
        (datetime.date(1861, 3, 4), "lincoln"),
        (datetime.date(1865, 4, 14), "lincoln"),
        (datetime.date(1865, 4, 15), "a-johnson"),
        (datetime.date(1881, 9, 19), "arthur"),
        (datetime.date(1893, 3, 4), "cleveland-2"),
        (datetime.date(1944, 3, 18), "fd-roosevelt"),
        (datetime.date(1945, 4, 12), "truman"),
        (datetime.date(1977, 1, 19), "ford"),
        (datetime.date(1977, 1, 20), "carter"),
        (datetime.date(1984, 12, 31), "reagan"),
        (datetime.date(2009, 1, 1), "gw-bush"),
        (None, ""),
    ],
)
def test_administration_for(day, expected):
    assert administration_for(day) == expected


def test_a_datetime_is_read_in_washington_time():
    # 20 January 1977, 02:00 UTC is still 19 January in Washington: Ford.
    moment = datetime.datetime(1977, 1, 20, 2, 0, tzinfo=datetime.UTC)
    assert administration_for(moment) == "ford"
    assert administration_for(moment + datetime.timedelta(hours=10)) == "carter"


def test_table_is_domain_md():
    assert len(ADMINISTRATIONS) == 28
    assert [a.start for a in ADMINISTRATIONS] == sorted(a.start for a in ADMINISTRATIONS)
    assert label("lb-johnson") == "L. B. Johnson"


@pytest.mark.django_db
def test_stored_on_import_and_refreshed_on_save(import_catalog):
    letter = Letter.objects.get(volume__identifier="frus1944Quebec", number=1)
    assert letter.administration == "fd-roosevelt"
    assert Letter.objects.filter(volume__identifier="frus1969-76v33", administration="carter").count() == 9
    assert Letter.objects.get(volume__identifier="frus1981-88v04").administration == ""  # undated
    letter.date_min = datetime.datetime(1945, 5, 8, tzinfo=WASHINGTON)
    letter.save(update_fields=["date_min"])
    letter.refresh_from_db()
    assert letter.administration == "truman"
    letter.date_min = None
    letter.save()
    assert Letter.objects.get(pk=letter.pk).administration == ""
