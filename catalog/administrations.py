"""US presidential administrations and the rule that dates a document into one.

The table is DOMAIN.md's: each administration begins on its inauguration day (Washington time) and
ends when the next begins. A document belongs to the administration in office on the first day of
its editors' date range (``Letter.date_min``); an undated document belongs to none. Neutral module:
models, queries and the loader may all import it.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from typing import NamedTuple


class Administration(NamedTuple):
    slug: str
    label: str
    start: datetime.date


ADMINISTRATIONS: tuple[Administration, ...] = tuple(
    Administration(slug, label, datetime.date.fromisoformat(start))
    for slug, label, start in [
        ("lincoln", "Lincoln", "1861-03-04"),
        ("a-johnson", "A. Johnson", "1865-04-15"),
        ("grant", "Grant", "1869-03-04"),
        ("hayes", "Hayes", "1877-03-04"),
        ("garfield", "Garfield", "1881-03-04"),
        ("arthur", "Arthur", "1881-09-19"),
        ("cleveland-1", "Cleveland (first term)", "1885-03-04"),
        ("b-harrison", "B. Harrison", "1889-03-04"),
        ("cleveland-2", "Cleveland (second term)", "1893-03-04"),
        ("mckinley", "McKinley", "1897-03-04"),
        ("t-roosevelt", "T. Roosevelt", "1901-09-14"),
        ("taft", "Taft", "1909-03-04"),
        ("wilson", "Wilson", "1913-03-04"),
        ("harding", "Harding", "1921-03-04"),
        ("coolidge", "Coolidge", "1923-08-02"),
        ("hoover", "Hoover", "1929-03-04"),
        ("fd-roosevelt", "F. D. Roosevelt", "1933-03-04"),
        ("truman", "Truman", "1945-04-12"),
        ("eisenhower", "Eisenhower", "1953-01-20"),
        ("kennedy", "Kennedy", "1961-01-20"),
        ("lb-johnson", "L. B. Johnson", "1963-11-22"),
        ("nixon", "Nixon", "1969-01-20"),
        ("ford", "Ford", "1974-08-09"),
        ("carter", "Carter", "1977-01-20"),
        ("reagan", "Reagan", "1981-01-20"),
        ("gh-bush", "G. H. W. Bush", "1989-01-20"),
        ("clinton", "Clinton", "1993-01-20"),
        ("gw-bush", "G. W. Bush", "2001-01-20"),
    ]
)
BY_SLUG = {a.slug: a for a in ADMINISTRATIONS}
CHOICES = [(a.slug, a.label) for a in ADMINISTRATIONS]
_STARTS = [a.start for a in ADMINISTRATIONS]


def administration_for(day: datetime.date | datetime.datetime | None) -> str:
    """The slug of the administration in office on ``day`` (a date, or an aware datetime read in
    the project's time zone); "" for no date or a date before 4 March 1861."""
    if day is None:
        return ""
    if isinstance(day, datetime.datetime):
        from django.utils import timezone

        day = (timezone.localtime(day) if timezone.is_aware(day) else day).date()
    index = bisect_right(_STARTS, day) - 1
    return ADMINISTRATIONS[index].slug if index >= 0 else ""


def label(slug: str) -> str:
    found = BY_SLUG.get(slug)
    return found.label if found else slug


def order(slug: str) -> int:
    """Chronological position (for sorting facet values)."""
    return next((i for i, a in enumerate(ADMINISTRATIONS) if a.slug == slug), len(ADMINISTRATIONS))
