"""catalog.addresses.address: exactly what reverse() gives, without a reverse() each."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from catalog.addresses import address

CASES = [
    ("catalog:person", ("gromyko",)),
    ("catalog:person", ("jimmy-carter_2",)),
    ("catalog:person", ("731402958160",)),
    ("catalog:volume", ("frus1969-76v33",)),
    ("catalog:letter", ("frus1969-76v33", 193)),
    ("catalog:letter", ("frus1969-76v33", 0)),
    ("catalog:letter", ("frus1969-76v33", "193")),  # a number as text: reverse() converts it
    ("catalog:letter-by-id", ("frus1969-76v33", "ch1")),
    ("catalog:letter-by-id", ("frus1969-76v33", "d 1é?")),  # quoted by reverse()
    ("catalog:printed-page", ("frus1944Quebec", 12)),
    ("api:letter", ("frus1969-76v33", 193)),
]


@pytest.mark.parametrize(("name", "args"), CASES)
def test_address_is_reverse(name, args):
    for _ in range(2):  # the route's template made, then used
        assert address(name, *args) == reverse(name, args=args)


@pytest.mark.parametrize(
    ("name", "args"),
    [("catalog:person", ("gromyko ",)), ("catalog:person", ("",)), ("catalog:letter", ("v", -1)), ("nope", ("x",))],
)
def test_what_reverse_refuses_address_refuses(name, args):
    with pytest.raises(NoReverseMatch):
        reverse(name, args=args)
    with pytest.raises(NoReverseMatch):
        address(name, *args)


def test_the_script_prefix_is_kept():
    try:
        set_script_prefix("/archive/")
        assert address("catalog:person", "gromyko") == reverse("catalog:person", args=["gromyko"])
        assert address("catalog:person", "gromyko") == "/archive/people/gromyko/"
    finally:
        set_script_prefix("/")
    assert address("catalog:person", "gromyko") == "/people/gromyko/"
