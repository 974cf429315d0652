"""The Letterbook admin: one module per family of records."""

from django.contrib import admin

from . import (  # noqa: F401  (registers the model admins)
    annotations,
    history,
    imports,
    letters,
    people,
    queue,
    reports,
    sources,
    volumes,
)

admin.site.site_header = "Letterbook administration"
admin.site.site_title = "Letterbook administration"
admin.site.index_title = "Catalogue"
