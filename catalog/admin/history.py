"""Revisions: the record of every change (editors, imports, merges, spreadsheets), readable and revertible."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from catalog import checks, locking, revisions
from catalog.models import Letter, Revision

from .utils import LetterColumnMixin, ReadOnlyAdmin, admin_url, changes_table


@admin.register(Revision)
class RevisionAdmin(LetterColumnMixin, ReadOnlyAdmin):
    list_display = ["created", "origin", "record_link", "user", "changed", "comment"]
    list_filter = ["origin", "target_model", "created"]
    list_select_related = ["letter__volume", "user"]
    search_fields = ["comment", "letter__title", "=letter__xml_id", "user__username", "target_label"]
    fields = ["created", "origin", "record_link", "user", "comment", "changes_detail", "revert_form"]
    readonly_fields = fields

    def get_urls(self):
        revert = path(
            "<path:object_id>/revert/", self.admin_site.admin_view(self.revert_view), name="catalog_revision_revert"
        )
        return [revert, *super().get_urls()]

    @admin.display(description="record")
    def record_link(self, obj):
        if obj.letter_id:
            return self.letter_link(obj)
        target = revisions.target_of(obj)
        if target is not None:
            return format_html('<a href="{}">{}</a>', admin_url(target), obj.target_label or str(target))
        return obj.target_label or obj.letter_label or "—"

    @admin.display(description="changes")
    def changed(self, obj):
        return changes_table(obj.changes, 40)

    @admin.display(description="changes")
    def changes_detail(self, obj):
        rows = revisions.readable_changes(obj.changes)
        if not rows:
            return "—"
        return format_html(
            '<table class="letterbook-diff"><thead><tr><th>Field</th><th>Change</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr><td>{}</td><td class="diff-{}">{}</td></tr>',
                ((r["field"], r["kind"], r["html"]) for r in rows),
            ),
        )

    @admin.display(description="revert")
    def revert_form(self, obj):
        names = revisions.revertible(obj)
        target = revisions.target_of(obj)
        if not names or target is None:
            return "Nothing here can be reverted automatically."
        return format_html(
            '<p>Puts back the old values of: {}.</p><p><a class="button" href="{}">Revert this change…</a></p>',
            ", ".join(names),
            reverse("admin:catalog_revision_revert", args=[obj.pk]),
        )

    def revert_view(self, request, object_id):
        """GET: a confirmation form carrying the record's version; POST: the revert, itself recorded."""
        from django.template.response import TemplateResponse

        revision = self.get_object(request, object_id)
        if revision is None:
            raise PermissionDenied
        target = revisions.target_of(revision)
        if target is None or not request.user.has_perm(f"catalog.change_{target._meta.model_name}"):
            raise PermissionDenied
        if request.method == "POST":
            try:
                with transaction.atomic():
                    locking.claim(target, request.POST.get(locking.TOKEN_FIELD))
                    new = revisions.revert(revision, request.user, request.POST.get("comment", "")[:300])
            except locking.StaleEdit:
                self.message_user(
                    request, "The record changed since you opened this page: look again, then revert.", messages.ERROR
                )
                return HttpResponseRedirect(request.path)
            if isinstance(target, Letter):
                checks.refresh_letters([target.pk])
            self.message_user(request, "Reverted; the revert is recorded in the history.", messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:catalog_revision_change", args=[new.pk]) if new else admin_url(target)
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Revert this change",
            "subtitle": None,
            "opts": self.opts,
            "revision": revision,
            "target": target,
            "rows": revisions.readable_changes({n: revision.changes[n] for n in revisions.revertible(revision)}),
            "version": locking.token(target),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalog/revision/revert_confirmation.html", context)
