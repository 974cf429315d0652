"""Spreadsheet corrections (django-import-export) on the admin lists: export CSV/XLSX/JSON of the
filtered list, import back as a previewed, update-only, all-or-nothing correction.

The rules (keys, locking, history, formula neutralising) are ``catalog.resources``'.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldError, ValidationError
from django.http import HttpResponseRedirect
from import_export.admin import ImportExportMixin

from catalog.resources import FORMATS


class SpreadsheetAdminMixin(ImportExportMixin):
    import_formats = FORMATS
    export_formats = FORMATS

    def has_export_permission(self, request):
        # Left to itself (without IMPORT_EXPORT_EXPORT_PERMISSION_CODE) the export answers any staff
        # user, whatever their permissions: a way around the admin's own view permission.
        return self.has_view_permission(request) and super().has_export_permission(request)

    def has_import_permission(self, request):
        return self.has_change_permission(request) and super().has_import_permission(request)

    def export_action(self, request):
        """The export page; a bad format or a query string that is no filter of the list is told, not a 500.

        The export takes the list's filters from its query string (through a ChangeList), so an
        unknown parameter (``?format=abc``) would otherwise raise IncorrectLookupParameters.
        """
        fmt = request.POST.get("format", request.GET.get("format"))
        if fmt is not None and fmt not in {str(i) for i in range(len(self.get_export_formats()))}:
            self.message_user(request, f"Unknown export format {fmt[:20]!r}: choose one of the list.", messages.ERROR)
            return HttpResponseRedirect(request.path)
        try:
            return super().export_action(request)
        except (IncorrectLookupParameters, FieldError, ValidationError, ValueError):
            self.message_user(
                request,
                "The export's filters are not filters of this list: export from the list itself.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
