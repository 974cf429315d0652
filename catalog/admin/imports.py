"""Imports from the browser: upload → dry run (a background job) → report → confirm or cancel → import.

Uploading and confirming need the ``catalog.run_import`` permission (the Importers group) or a
superuser; the list of runs and their reports, ``view_importrun`` or ``run_import``. Settling a
conflict from a report needs ``change_letter``. The work is done by ``catalog.uploads`` (checks,
storage) and ``catalog.jobs`` (the background job); these views only call them.
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_slug
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from catalog import jobs
from catalog.ingest.conflicts import OPEN, SETTLED, conflict_state, resolve_conflict
from catalog.models import ImportRun, Letter
from catalog.uploads import UploadRefused, megabytes, store_uploads

from .utils import admin_url, short

FORM_OVERHEAD = 64 * 1024  # the form's other fields and the multipart boundaries


def can_import(user) -> bool:
    return user.is_active and user.is_staff and (user.is_superuser or user.has_perm("catalog.run_import"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            raise forms.ValidationError("Choose at least one file.")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class UploadForm(forms.Form):
    files = MultipleFileField(
        help_text="TEI volumes (.xml), plain-text documents (.txt), or a zip of plain-text documents."
    )
    volume = forms.CharField(
        label="Volume identifier",
        required=False,
        max_length=64,
        validators=[validate_slug],
        help_text="For plain-text documents (e.g. frus1969-76v33); a TEI file names its own volume.",
    )
    title = forms.CharField(required=False, max_length=500, help_text="The volume's title, for plain text.")
    publish = forms.BooleanField(required=False, help_text="Publish the letters it imports.")
    force = forms.BooleanField(
        required=False, help_text="Take the import's value over an editor's correction (recorded in the history)."
    )


def _shown(value, limit=300) -> str:
    if isinstance(value, str):
        return short(value, limit)
    return short(json.dumps(value, ensure_ascii=False), limit)


def _letter_conflicts(run: ImportRun, volume: str, number: int) -> list[dict]:
    for report in (run.report or {}).get("volumes", []):
        if report["volume"] == volume:
            return [c for c in report["conflicts"] if c["number"] == number and not c["forced"]]
    return []


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "status", "who", "created", "took", "volume_list", "file_count"]
    list_filter = ["status", "dry_run", "origin", "created", "user"]
    search_fields = ["files", "options", "error", "user__username"]
    date_hierarchy = "created"
    list_select_related = ["user"]
    list_per_page = 50

    # -- permissions ----------------------------------------------------------------------------
    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or can_import(request.user)

    def has_add_permission(self, request):
        return can_import(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # a run is a record: nothing to edit

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    # -- columns --------------------------------------------------------------------------------
    @admin.display(description="kind", ordering="dry_run")
    def kind(self, run):
        return "dry run" if run.dry_run else "import"

    @admin.display(description="who", ordering="user__username")
    def who(self, run):
        if run.user:
            return run.user.get_username()
        return f"{run.get_origin_display()} ({run.options.get('invoked_by') or 'shell'})"

    @admin.display(description="duration")
    def took(self, run):
        return f"{run.duration.total_seconds():.1f} s" if run.duration else "—"

    @admin.display(description="volumes")
    def volume_list(self, run):
        return ", ".join(run.volumes) or "—"

    @admin.display(description="files")
    def file_count(self, run):
        return len(run.files)

    def changelist_view(self, request, extra_context=None):
        jobs.fail_stale_runs()
        return super().changelist_view(request, extra_context)

    # -- URLs -----------------------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="catalog_importrun_upload"),
            path("<int:pk>/progress/", view(self.progress_view), name="catalog_importrun_progress"),
            path("<int:pk>/confirm/", view(require_POST(self.confirm_view)), name="catalog_importrun_confirm"),
            path("<int:pk>/cancel/", view(require_POST(self.cancel_view)), name="catalog_importrun_cancel"),
            path(
                "<int:pk>/conflicts/<slug:volume>/<int:number>/",
                view(self.conflicts_view),
                name="catalog_importrun_conflicts",
            ),
            *super().get_urls(),
        ]

    def _run_or_404(self, request, pk) -> ImportRun:
        run = get_object_or_404(ImportRun.objects.select_related("user", "dry_run_of"), pk=pk)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return run

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    # -- upload ---------------------------------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:catalog_importrun_upload"))

    def upload_view(self, request):
        if not can_import(request.user):
            raise PermissionDenied
        refused = []
        form = UploadForm()
        if request.method == "POST":
            refused = self._refuse_early(request)
        if request.method == "POST" and not refused:
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    directory, files = store_uploads(data["files"])
                except UploadRefused as refusal:
                    refused = refusal.reasons
                else:
                    options = {key: data[key] for key in ("volume", "title", "publish", "force")}
                    run = jobs.start_dry_run(user=request.user, directory=directory, files=files, options=options)
                    return HttpResponseRedirect(admin_url(run))
        context = self._context(
            request,
            "Import volumes",
            form=form,
            refused=refused,
            limit=megabytes(self._limit()),
        )
        return TemplateResponse(request, "admin/catalog/importrun/upload.html", context, status=400 if refused else 200)

    def _refuse_early(self, request) -> list[str]:
        """Refuse a request plainly too big by its length, before any of its files is copied or read."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self._limit() + FORM_OVERHEAD:
            return [
                f"refused: the upload is {megabytes(length)}, over the limit of {megabytes(self._limit())} "
                "(IMPORT_MAX_UPLOAD_SIZE)"
            ]
        return []

    @staticmethod
    def _limit():
        return settings.IMPORT_MAX_UPLOAD_SIZE

    # -- a run: progress, report, confirm or cancel ---------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            pk = int(object_id)
        except ValueError:
            raise Http404 from None
        jobs.fail_stale_runs()
        run = self._run_or_404(request, pk)
        progress = jobs.read_progress(run)
        context = self._context(
            request,
            str(run),
            run=run,
            original=run,
            progress=progress,
            volumes=self._volumes(run),
            failures=(run.report or {}).get("failures", []),
            can_confirm=can_import(request.user) and jobs.can_confirm(run),
            can_cancel=can_import(request.user) and jobs.can_cancel(run),
            confirmation=run.confirmations.order_by("-pk").first() if run.dry_run else None,
        )
        return TemplateResponse(request, "admin/catalog/importrun/detail.html", context)

    def _volumes(self, run: ImportRun) -> list[dict]:
        resolvable = not run.dry_run and run.status == ImportRun.Status.SUCCEEDED
        volumes = []
        for report in (run.report or {}).get("volumes", []):
            conflicts = []
            for conflict in report["conflicts"]:
                url = None
                if resolvable and conflict["number"] is not None and not conflict["forced"]:
                    url = reverse(
                        "admin:catalog_importrun_conflicts", args=[run.pk, report["volume"], conflict["number"]]
                    )
                conflicts.append(
                    {
                        **conflict,
                        "editor": _shown(conflict["editor_value"]),
                        "imported": _shown(conflict["import_value"]),
                        "url": url,
                    }
                )
            volumes.append(
                {
                    **report,
                    "conflict_rows": conflicts,
                    "updated_rows": [{"number": n, "fields": ", ".join(f)} for n, f in report["updated"]],
                }
            )
        return volumes

    def progress_view(self, request, pk):
        jobs.fail_stale_runs()
        run = self._run_or_404(request, pk)
        return JsonResponse(
            {
                "status": run.status,
                "status_label": run.get_status_display(),
                "finished": run.is_finished,
                **{k: v for k, v in jobs.read_progress(run).items() if k != "heartbeat"},
            }
        )

    def confirm_view(self, request, pk):
        if not can_import(request.user):
            raise PermissionDenied
        run = self._run_or_404(request, pk)
        if not jobs.can_confirm(run):
            messages.error(request, "This run cannot be confirmed: only a successful dry run, once.")
            return HttpResponseRedirect(admin_url(run))
        confirmed = jobs.confirm(run, request.user)
        return HttpResponseRedirect(admin_url(confirmed))

    def cancel_view(self, request, pk):
        if not can_import(request.user):
            raise PermissionDenied
        run = self._run_or_404(request, pk)
        if jobs.cancel(run):
            messages.success(request, f"{run} cancelled; its uploaded files were deleted.")
        else:
            messages.error(request, "This run can no longer be cancelled.")
        return HttpResponseRedirect(admin_url(run))

    # -- a conflict: keep the editor's value or take the import's, field by field ---------------
    def conflicts_view(self, request, pk, volume, number):
        # For editors: changing letters is what it takes, not the right to run imports.
        if not request.user.has_perm("catalog.change_letter"):
            raise PermissionDenied
        run = get_object_or_404(ImportRun, pk=pk)
        letter = get_object_or_404(
            Letter.objects.select_related("volume", "chapter"), volume__identifier=volume, number=number
        )
        if run.dry_run or run.status != ImportRun.Status.SUCCEEDED:
            raise Http404("Only a completed import's conflicts can be settled")
        rows = []
        for conflict in _letter_conflicts(run, volume, number):
            state, current = conflict_state(letter, conflict["field"], conflict["import_value"])
            rows.append(
                {
                    "field": conflict["field"],
                    "state": state,
                    "current": _shown(current, 2000),
                    "imported": _shown(conflict["import_value"], 2000),
                    "import_value": conflict["import_value"],
                }
            )
        if not rows:
            raise Http404("No conflict on this letter in this run")
        if request.method == "POST":
            settled = []
            for row in rows:
                choice = request.POST.get(f"choice-{row['field']}")
                if row["state"] != OPEN or choice not in {"keep", "take"}:
                    continue
                resolve_conflict(
                    letter, row["field"], row["import_value"], take_import=choice == "take", user=request.user
                )
                settled.append(f"{row['field']} ({'import' if choice == 'take' else 'editor'}'s value)")
                letter.refresh_from_db()
            if settled:
                messages.success(request, f"d{number}: settled {', '.join(settled)}.")
            return HttpResponseRedirect(request.path)
        context = self._context(
            request,
            f"Import conflicts: {volume} d{number}",
            run=run,
            letter=letter,
            letter_url=admin_url(letter),
            rows=rows,
            open_rows=[r for r in rows if r["state"] == OPEN],
            OPEN=OPEN,
            SETTLED=SETTLED,
        )
        return TemplateResponse(request, "admin/catalog/importrun/conflicts.html", context)
