"""Revisions: the read-only record of every change to a letter (editors, imports, merges)."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from catalog.models import Revision

from .utils import LetterColumnMixin, ReadOnlyAdmin, changes_table


@admin.register(Revision)
class RevisionAdmin(LetterColumnMixin, ReadOnlyAdmin):
    list_display = ["created", "origin", "letter_link", "user", "changed", "comment"]
    list_filter = ["origin", "created"]
    list_select_related = ["letter__volume", "user"]
    search_fields = ["comment", "letter__title", "=letter__xml_id", "user__username"]
    fields = ["created", "origin", "letter_link", "user", "comment", "changes_detail"]
    readonly_fields = fields

    @admin.display(description="changes")
    def changed(self, obj):
        return changes_table(obj.changes, 40)

    @admin.display(description="changes")
    def changes_detail(self, obj):
        if not obj.changes:
            return "—"
        rows = []
        for name, pair in obj.changes.items():
            old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            rows.append((name, _pretty(old), _pretty(new)))
        return format_html(
            "<table><thead><tr><th>Field</th><th>Old</th><th>New</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr><td>{}</td><td><pre style="white-space: pre-wrap">{}</pre></td>'
                '<td><pre style="white-space: pre-wrap">{}</pre></td></tr>',
                rows,
            ),
        )


def _pretty(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)
