"""``/feeds/latest/``: an Atom feed of the most recently published letters (django.contrib.syndication)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from catalog.models import Letter, LetterPerson
from catalog.rendering import format_date_range, letter_citation


def feed_size() -> int:
    return int(getattr(settings, "FEED_SIZE", 50))


class LatestLettersFeed(Feed):
    feed_type = Atom1Feed
    title = "Letterbook: newly published letters"
    subtitle = "Letters most recently published in the Letterbook catalog."

    def link(self):
        return reverse("catalog:letter-list")

    def items(self):
        senders = LetterPerson.objects.filter(role=LetterPerson.Role.SENDER).select_related("person").order_by("id")
        return (
            Letter.objects.published()
            .select_related("volume")
            .prefetch_related(Prefetch("letter_people", queryset=senders, to_attr="senders"))
            .order_by(F("published_at").desc(nulls_last=True), "-pk")[: feed_size()]
        )

    def item_title(self, letter):
        return f"{letter_citation(letter)}: {letter.title}"

    def item_description(self, letter):
        return f"{format_date_range(letter.date_min, letter.date_max, letter.date_precision)}. {letter.title}."

    def item_pubdate(self, letter):
        return letter.published_at

    def item_updateddate(self, letter):
        return letter.modified

    def item_author_name(self, letter):
        return ", ".join(link.person.display_name for link in letter.senders) or None
