"""Page addresses without a ``reverse()`` each: ``reverse`` costs 40–110 µs a call, and a page of the
list API names some 250 people (a quarter of its time went there).

:func:`address` gives exactly what ``reverse(name, args=args)`` gives. It reverses the route once
with placeholder arguments, keeps that as a template (per URLconf and script prefix), and fills
it in; an argument the template cannot carry unchanged (anything but a non-negative int or a string
of ``[-a-zA-Z0-9_]``, which ``reverse`` neither quotes nor converts) goes through ``reverse``.
"""

from __future__ import annotations

import re

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

_PLAIN = re.compile(r"[-a-zA-Z0-9_]+")
_TEMPLATES: dict[tuple, tuple[str, tuple[str, ...]] | None] = {}


def _placeholder(i: int, value) -> str | int:
    return 731_402_958_160 + i if isinstance(value, int) else f"zq{i}placeholderzq"


def _template(key: tuple, name: str, args: tuple):
    placeholders = [_placeholder(i, value) for i, value in enumerate(args)]
    try:
        url = reverse(name, args=placeholders)
    except Exception:  # a route whose converters refuse the placeholders: reverse() every time
        return None
    marks = tuple(str(p) for p in placeholders)
    if any(url.count(mark) != 1 for mark in marks):
        return None
    return url, marks


def address(name: str, *args) -> str:
    """``reverse(name, args=args)``, from a template once the route has been reversed."""
    if not all(
        (isinstance(a, int) and not isinstance(a, bool) and a >= 0) or (isinstance(a, str) and _PLAIN.fullmatch(a))
        for a in args
    ):
        return reverse(name, args=args)
    kinds = tuple(isinstance(a, int) for a in args)
    key = (get_urlconf(), get_script_prefix(), name, kinds)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = _template(key, name, args)
    found = _TEMPLATES[key]
    if found is None:
        return reverse(name, args=args)
    url, marks = found
    for mark, value in zip(marks, args, strict=True):
        url = url.replace(mark, str(value))
    return url


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _TEMPLATES.clear()
