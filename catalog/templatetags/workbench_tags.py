"""The review queue's counts on the admin index."""

from django import template
from django.urls import reverse

from catalog.admin.queue import queue_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def review_queue_summary(context):
    request = context.get("request")
    if request is None or not request.user.has_perm("catalog.view_letter"):
        return None
    url = reverse("admin:catalog_reviewqueueitem_changelist")
    return {"url": url, "counts": [{**row, "url": url + row["query"]} for row in queue_counts(request.user)]}


@register.simple_tag
def public_notices(letter):
    """Provisional label and dated corrections of a letter (catalog.workflow.public_notices)."""
    from catalog.workflow import public_notices as notices

    return notices(letter)
