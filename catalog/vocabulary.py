"""The vocabulary shared by the data layer and the import pipeline.

Pure Python, no Django and no ingest imports: ``catalog.models`` and ``catalog.ingest`` both import
from here, so the models never depend on the import pipeline.

- the document types a heading's fixed pattern names (``DOC_TYPES``) and the model's choices;
- ``normalise``: the folded comparison key of names (accents, case, punctuation, spacing);
- ``VOLUME_IDENTIFIER``: what a volume identifier may be (a slug, as URLs need it).
"""

from __future__ import annotations

import re
import unicodedata

# Ordered: the first pattern found at the start of a heading decides the type.
DOC_TYPES: list[tuple[str, str]] = [
    (r"memorandum of conversation", "memorandum of conversation"),
    (r"memorandum for the record", "memorandum for the record"),
    (r"editorial note", "editorial note"),
    (r"summary of conclusions", "summary of conclusions"),
    (r"minutes", "minutes"),
    (r"backchannel message", "backchannel message"),
    (r"national intelligence estimate|special national intelligence estimate", "intelligence estimate"),
    (r"intelligence (?:memorandum|report|note)", "intelligence report"),
    (r"telegram", "telegram"),
    (r"airgram", "airgram"),
    (r"letter", "letter"),
    (r"memorandum", "memorandum"),
    (r"paper", "paper"),
    (r"note", "note"),
    (r"message", "message"),
    (r"(?:record|notes|transcript) of", "record"),
    (r"report", "report"),
    (r"diary entry", "diary entry"),
    (r"statement", "statement"),
]
DOC_TYPE_CHOICES = sorted({label for _, label in DOC_TYPES} | {"correspondence", "other"})

# A volume identifier appears in every URL of the volume: letters, digits, hyphens and underscores
# (Django's slug), at most 64 characters (``Volume.identifier``).
VOLUME_IDENTIFIER = re.compile(r"^[-a-zA-Z0-9_]{1,64}\Z")


def normalise(text: str) -> str:
    """A comparison key: accents, case, punctuation and spacing folded."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[’'`]", "", text.lower())
    return " ".join(re.findall(r"[a-z0-9]+", text))


def is_volume_identifier(value: str) -> bool:
    return bool(VOLUME_IDENTIFIER.match(value or ""))
