"""Optimistic locking: no editor's save silently undoes another's.

A form carries the version it was opened at (the record's ``modified`` time, as a token). Saving
first *claims* the record: one conditional UPDATE ``… SET modified = now WHERE pk = … AND modified
= <token>``. It changes one row or none, atomically: of two saves sent at the same moment the
second waits for the first's row lock (PostgreSQL) or write lock (SQLite), then finds the version
moved on and changes nothing, so it is refused (``StaleEdit``) and its transaction rolled back. A
form without a token is refused too. Every write path bumps ``modified`` (``auto_now``, and the
workflow's and the loader's bulk updates set it), so any change makes an open form stale.
"""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join

TOKEN_FIELD = "version_token"


class StaleEdit(Exception):
    """The record changed after the form was opened (or the form had no version)."""

    def __init__(self, obj):
        super().__init__(f"{obj._meta.verbose_name} {obj.pk} changed since the form was opened")
        self.obj = obj


def token(obj) -> str:
    return obj.modified.astimezone(datetime.UTC).isoformat() if obj.modified else ""


def parse(value: str | None) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def claim(obj, version: str | None) -> None:
    """Check the version and take the record in one statement; raise ``StaleEdit`` if it moved on.

    Call inside the transaction that then writes the record (the admin's views are atomic).
    """
    at = parse(version)
    if at is None or obj.pk is None:
        raise StaleEdit(obj)
    now = max(timezone.now(), at + datetime.timedelta(microseconds=1))
    updated = type(obj)._default_manager.filter(pk=obj.pk, modified=at).update(modified=now)
    if updated != 1:
        raise StaleEdit(obj)
    obj.modified = now


class VersionedForm(forms.ModelForm):
    """A model form that carries its record's version and refuses to save over a newer one.

    When refused, the form keeps the editor's input, says what the other person changed since
    (``changes_since``), and carries the current version, so saving again re-applies the input on
    top of the other change knowingly.
    """

    version_token = forms.CharField(widget=forms.HiddenInput, required=False)
    check_unchanged = True  # a page's main form is saved whole; an unchanged inline row is not saved

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[TOKEN_FIELD].initial = token(self.instance)

    def has_changed(self):
        # The token alone is no change (an unchanged inline row stays unchanged).
        return bool([name for name in self.changed_data if name != TOKEN_FIELD])

    def clean(self):
        data = super().clean()
        if self.instance.pk is None or not (self.check_unchanged or self.has_changed()):
            return data
        sent = data.get(TOKEN_FIELD)
        current = token(self.instance)
        if not sent:
            raise forms.ValidationError(
                "This form has no version token, so it could undo someone else's change: "
                "open the page again and re-apply your change.",
                code="no_version",
            )
        if sent != current:
            # Keep the input; carry the current version so a second save is a knowing one.
            self.data = self.data.copy()
            self.data[self.add_prefix(TOKEN_FIELD)] = current
            raise forms.ValidationError(
                format_html(
                    "{} was changed by someone else after you opened it. Your input is kept below; "
                    "check their change, then save again to apply yours on top of it.{}",
                    str(self.instance._meta.verbose_name).capitalize(),
                    describe_changes(changes_since(self.instance, parse(sent))),
                ),
                code="stale",
            )
        return data


def changes_since(obj, since: datetime.datetime | None) -> list:
    """The recorded revisions (and workflow moves) of ``obj`` after ``since``, oldest first."""
    from catalog.models import Letter, Revision

    if since is None:
        return []
    model = obj._meta.model_name
    if isinstance(obj, Letter):
        where = Q(letter=obj)
    elif model == "footnote":
        where = Q(letter_id=obj.letter_id)
    else:
        where = Q(target_model=model, target_id=obj.pk)
    found = list(Revision.objects.filter(where, created__gte=since).select_related("user").order_by("created"))
    if isinstance(obj, Letter):
        found += list(obj.transitions.filter(created__gte=since).select_related("user"))
    return sorted(found, key=lambda item: item.created)


def describe_changes(items: list):
    if not items:
        return ""
    rows = []
    for item in items:
        who = item.user or "an import"
        when = timezone.localtime(item.created).strftime("%Y-%m-%d %H:%M:%S")
        if hasattr(item, "to_status"):
            what = f"status: {item.get_from_status_display()} → {item.get_to_status_display()}"
        else:
            what = "; ".join(
                f"{name}: {_short(pair[0])} → {_short(pair[1])}" if isinstance(pair, list) and len(pair) == 2 else name
                for name, pair in (item.changes or {}).items()
            )
        rows.append((when, who, what or "saved"))
    return format_html('<ul class="stale-changes">{}</ul>', format_html_join("", "<li>{} {}: {}</li>", rows))


def _short(value, limit: int = 120) -> str:
    text = "—" if value in (None, "", [], {}) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
