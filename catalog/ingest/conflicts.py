"""Settling an import conflict on one field of a letter: keep the editor's value, or take the import's.

An import that meets an editor's correction keeps the editor's value and leaves the field's
``import_snapshot`` at the previous import's value, so that every later import reports the conflict
again (see ``loader.VolumeLoader.load_letter``). Settling it moves the snapshot to the import's value,
as the loader does for a field it takes, so the conflict is closed:

- keep the editor's value: only the snapshot moves (the next import of the same file sees nothing new);
- take the import's value: the loader's own ``apply`` writes it (related rows included), as ``--force``
  would for this one field.

Either way a Revision records the choice and who made it.
"""

from __future__ import annotations

from django.db import transaction

from catalog.models import Letter, Revision

from .loader import RELATED_FIELDS, SCALAR_FIELDS, VolumeLoader
from .records import ParsedVolume, VolumeRecord

FIELDS = set(SCALAR_FIELDS) | set(RELATED_FIELDS)
OPEN, SAME, SETTLED = "open", "same", "settled"


def _loader(letter: Letter, user) -> VolumeLoader:
    # A loader with nothing to load: its volume context (terms, chapters, sources) is what apply() needs.
    parsed = ParsedVolume(volume=VolumeRecord(identifier=letter.volume.identifier), letters=[])
    loader = VolumeLoader(parsed, user=user)
    loader.load_volume()
    return loader


def conflict_state(letter: Letter, name: str, import_value) -> tuple[str, object]:
    """(OPEN, SAME or SETTLED, the letter's current value) for a reported conflict on ``name``."""
    current = _loader(letter, None).current_values(letter)[name]
    if current == import_value:
        return SAME, current
    if (letter.import_snapshot or {}).get(name) == import_value:
        return SETTLED, current  # the editor's value was kept on purpose
    return OPEN, current


def resolve_conflict(letter: Letter, name: str, import_value, *, take_import: bool, user) -> Revision:
    """Settle the conflict on ``name``: take ``import_value`` or keep the editor's; record it."""
    if name not in FIELDS:
        raise ValueError(f"{name}: not a field an import manages")
    with transaction.atomic():
        letter = Letter.objects.select_for_update(of=("self",)).select_related("volume", "chapter").get(pk=letter.pk)
        loader = _loader(letter, user)
        current = loader.current_values(letter)
        letter.import_snapshot = {**(letter.import_snapshot or {}), name: import_value}
        letter.import_checksum = ""  # the next import compares field by field
        if take_import:
            loader.apply(letter, {**current, name: import_value}, {name})
        else:
            letter.save(update_fields=["import_snapshot", "import_checksum"])
        verdict = "import's value taken" if take_import else "editor's value kept"
        return Revision.objects.create(
            letter=letter,
            user=user,
            origin=Revision.Origin.FORCED_IMPORT if take_import else Revision.Origin.EDITOR,
            changes={name: [current[name], import_value]} if take_import else {},
            comment=f"import conflict on {name} settled: {verdict}",
        )
