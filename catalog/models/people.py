from django.db import models
from django.utils.text import slugify

from catalog.addresses import address
from catalog.vocabulary import normalise


class Person(models.Model):
    """A person, or an office acting as a party ("Embassy in the Soviet Union")."""

    display_name = models.CharField(max_length=300)
    sort_name = models.CharField(max_length=300, db_index=True)
    match_key = models.CharField(
        max_length=300, db_index=True, editable=False, help_text="Folded display name, for matching on import"
    )
    slug = models.SlugField(max_length=320, unique=True)
    titles = models.JSONField(default=list, blank=True, help_text="Titles and roles as found")
    description = models.TextField(blank=True)
    aliases = models.JSONField(default=list, blank=True)
    external_ids = models.JSONField(default=dict, blank=True, help_text='e.g. {"viaf": "…", "wikidata": "Q…"}')
    is_organization = models.BooleanField(default=False)
    # Set by the importer when a name matched an existing person only uncertainly.
    possible_duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="possible_duplicates"
    )
    needs_review = models.BooleanField(default=False)
    # What imports last said of this person: an editor's later change is told from an old import.
    import_snapshot = models.JSONField(default=dict, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_name"]
        verbose_name_plural = "people"

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        self.match_key = normalise(self.display_name)
        if not self.sort_name:
            self.sort_name = self.display_name
        if not self.slug:
            self.slug = self.unique_slug(self.display_name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return address("catalog:person", self.slug)

    @classmethod
    def unique_slug(cls, name: str) -> str:
        base = slugify(name)[:300] or "person"
        slug, counter = base, 2
        while cls.objects.filter(slug=slug).exists():
            slug = f"{base}-{counter}"
            counter += 1
        return slug


class PersonIdentifier(models.Model):
    """A person's id inside one volume (``p_CJ_2`` in frus1969-76v33, or a name key for text)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    volume = models.ForeignKey("catalog.Volume", on_delete=models.CASCADE, related_name="person_identifiers")
    local_id = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["volume", "local_id"], name="unique_person_id_per_volume")]

    def __str__(self):
        return f"{self.volume.identifier}#{self.local_id}"


class LetterPerson(models.Model):
    class Role(models.TextChoices):
        SENDER = "sender", "Sender"
        RECIPIENT = "recipient", "Recipient"
        MENTIONED = "mentioned", "Mentioned"

    letter = models.ForeignKey("catalog.Letter", on_delete=models.CASCADE, related_name="letter_people")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="letter_links")
    role = models.CharField(max_length=10, choices=Role.choices)
    name_as_written = models.CharField(max_length=300, blank=True, help_text='e.g. "President Carter"')

    class Meta:
        ordering = ["letter", "role", "person__sort_name"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "person", "role"], name="unique_person_role_per_letter")
        ]

    def __str__(self):
        return f"{self.person} ({self.role})"


class PersonLetter(models.Model):
    """A published letter naming a person, in one role: a side table of ``LetterPerson`` for the
    person's public page, with what it sorts and counts by (the letter's date, year, volume and
    number), so that counting and paging a person's letters reads only this person's rows — never
    the letters themselves. Only published letters have rows. Kept by
    ``catalog.person_letters.refresh_letters`` (by letter: its rows are replaced), never edited."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    letter = models.ForeignKey("catalog.Letter", on_delete=models.CASCADE, related_name="+", db_index=False)
    role = models.CharField(max_length=10, choices=LetterPerson.Role.choices)
    name_as_written = models.CharField(max_length=300, blank=True)
    date_min = models.DateTimeField(null=True, blank=True)
    year = models.SmallIntegerField(null=True, blank=True, help_text="Of date_min, in the project's time zone")
    volume_identifier = models.CharField(max_length=64)
    number = models.PositiveIntegerField()
    # True on one row per person and letter (the first of its roles: sender, recipient, mentioned):
    # letters per year and the total count each letter once without a COUNT(DISTINCT).
    first = models.BooleanField(default=True)

    class Meta:
        indexes = [
            # A role's count, and one page of it in date order (ascending: NULLS LAST on PostgreSQL,
            # as the page sorts), from the index alone: the letter id is in it, so a deep page
            # skips its OFFSET in the index.
            models.Index(
                fields=["person", "role", "date_min", "volume_identifier", "number", "letter"], name="personletter_page"
            ),
            models.Index(fields=["person", "year"], condition=models.Q(first=True), name="personletter_year"),
            # a letter's rows (refresh; the other parties of a person's letters, for correspondents)
            models.Index(fields=["letter", "role", "person"], name="personletter_letter"),
        ]

    def __str__(self):
        return f"{self.person_id} {self.role} {self.letter_id}"


class Correspondence(models.Model):
    """How many published letters two people are both parties to (sender or recipient), kept with
    ``PersonLetter`` by ``catalog.person_letters.refresh_letters`` (by difference: the letters'
    pairs before and after), so that a person's top correspondents are read, not counted. Stored
    both ways round (``person`` → ``other`` and back)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    other = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    letters = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "other"], name="unique_correspondence")]

    def __str__(self):
        return f"{self.person_id} ↔ {self.other_id}: {self.letters}"


class PersonCount(models.Model):
    """A person's counts of published letters, kept with ``PersonLetter`` (by difference, as
    ``Correspondence``): ``key`` is a role (``sender``, ``recipient``, ``mentioned``: the letters
    naming them so) or ``y:<year>`` (letters of that year, ``y:`` undated: each letter once), so a
    person's page reads its counts, chart and total in a few rows."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=16)
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "key"], name="unique_person_count")]

    def __str__(self):
        return f"{self.person_id} {self.key}: {self.n}"
