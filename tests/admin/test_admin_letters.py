"""The letter change page: footnotes in order, inlines, links between records."""

import re

from django.urls import reverse

from catalog.models import Letter, Person


def change_url(letter):
    return reverse("admin:catalog_letter_change", args=[letter.pk])


def test_footnotes_shown_in_number_order(staff_client, d193):
    response = staff_client.get(change_url(d193))
    footnotes = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.model._meta.model_name == "footnote"
    )
    assert [form.instance.number for form in footnotes.formset.forms] == [1, 2]
    html = response.content.decode()
    first = html.index("Source: Carter Library, National Security Affairs, Staff Material, Office, Box 69")
    second = html.index("Brezhnev’s January 12 letter to Carter, which covered a number of issues")
    assert first < second
    # The text is editable.
    assert re.search(r'<textarea name="footnotes-1-text"', html)


def test_footnotes_in_number_order_not_insertion_order(staff_client, d193):
    first, second = d193.footnotes.order_by("pk")
    first.number, second.number = 99, 1
    first.save()
    second.save()
    first.number = 2
    first.save()
    response = staff_client.get(change_url(d193))
    footnotes = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.model._meta.model_name == "footnote"
    )
    assert [(form.instance.number, form.instance.pk) for form in footnotes.formset.forms] == [
        (1, second.pk),
        (2, first.pk),
    ]


def test_people_sources_and_references_inlines(staff_client, d328):
    response = staff_client.get(change_url(d328))
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    people = formsets["letter_people"]
    assert sorted((form.instance.person.display_name, form.instance.role) for form in people.forms) == [
        ("Chernenko", "recipient"),
        ("George Shultz", "mentioned"),
        ("Gromyko", "mentioned"),
        ("Paul Nitze", "mentioned"),
        ("Ronald Reagan", "sender"),
    ]
    html = response.content.decode()
    # The person field is an autocomplete, its current value labelled.
    assert 'data-ajax--url="/admin/autocomplete/"' in html
    assert re.search(r'<option value="\d+" selected>Paul Nitze</option>', html)
    sources = formsets["source_citations"]
    assert [(form.instance.footnote.number, form.instance.source.collection) for form in sources.forms] == [
        (1, "Executive Secretariat, NSC Head of State File"),
        (1, "Jack Matlock Files"),
        (1, "George Shultz Papers"),
        (7, "George Shultz Papers"),
    ]
    references = formsets["references"]
    assert [form.instance.target_number for form in references.forms] == [315, 310, 308, 286, 287, 288]
    # A footnote choice lists only this letter's footnotes.
    footnote_choices = [label for _, label in sources.forms[0].fields["footnote"].choices]
    assert footnote_choices == ["---------", *(f"footnote {n}" for n in range(1, 8))]


def test_links_to_related_records(staff_client, d193):
    html = staff_client.get(change_url(d193)).content.decode()
    volume_url = reverse("admin:catalog_volume_change", args=[d193.volume_id])
    assert f'<a href="{volume_url}">frus1969-76v33</a>' in html
    for name in ("Jimmy Carter", "Brezhnev", "Gromyko", "Dobrynin"):
        person = Person.objects.get(display_name=name)
        assert reverse("admin:catalog_person_change", args=[person.pk]) in html
    source = d193.source_citations.first().source
    assert reverse("admin:catalog_archivalsource_change", args=[source.pk]) in html


def test_cited_by_links_back(staff_client, d193, d328):
    d328.references.filter(target_number=315).update(target_volume="frus1969-76v33", target_number=193, target=d193)
    html = staff_client.get(change_url(d193)).content.decode()
    assert "Cited by:" in html
    assert f'<a href="{change_url(d328)}">frus1981-88v04 d328</a>' in html


def test_view_on_site_uses_the_public_address_when_there_is_one(staff_client, d193):
    from django.urls import NoReverseMatch

    html = staff_client.get(change_url(d193)).content.decode()
    try:
        public = d193.get_absolute_url()
    except NoReverseMatch:  # the public views are not wired yet: no broken link is offered
        assert "View on site" not in html
    else:
        assert f'href="{public}"' in html


def test_fieldsets(staff_client, d193):
    response = staff_client.get(change_url(d193))
    names = [fieldset.name for fieldset in response.context["adminform"]]
    assert names == [
        "Identity",
        "Heading and type",
        "Dates",
        "Place, classification and pages",
        "Body",
        "Review",
        "Workflow history",
        "History",
    ]
    body = next(fieldset for fieldset in response.context["adminform"] if fieldset.name == "Body")
    assert "collapse" in body.classes


def test_add_a_letter_in_the_admin(staff_client, import_seeds, form_data):
    from catalog.models import Revision, Volume

    volume = Volume.objects.get(identifier="frus1969-76v33")
    page = staff_client.get(reverse("admin:catalog_letter_add"))
    data = form_data(page, "letter_form")
    data.update(
        {
            "volume": [str(volume.pk)],
            "number": ["194"],
            "title": ["Editorial Note"],
            "doc_type": [""],
            "status": ["draft"],
            "body": ["[]"],
            "_save": ["Save"],
        }
    )
    response = staff_client.post(reverse("admin:catalog_letter_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    letter = Letter.objects.get(volume=volume, number=194)
    revision = Revision.objects.get(letter=letter)
    assert (revision.origin, revision.user) == ("editor", staff_client.user)


def test_chapter_of_another_volume_is_refused(staff_client, d193, d328, form_data):
    from catalog.models import Chapter

    other = Chapter.objects.create(volume=d328.volume, xml_id="ch9", title="Elsewhere")
    data = form_data(staff_client.get(change_url(d193)), "letter_form")
    data["chapter"] = [str(other.pk)]
    data["_save"] = ["Save"]
    response = staff_client.post(change_url(d193), data)
    assert response.status_code == 200
    assert "chapter" in response.context["adminform"].form.errors
    d193.refresh_from_db()
    assert d193.chapter_id is None


def test_volume_and_number_are_fixed_once_the_letter_exists(staff_client, d193, form_data):
    """They are the importer's key: changed here, the next import would create the letter again."""
    page = staff_client.get(change_url(d193))
    data = form_data(page, "letter_form")
    assert "volume" not in data and "number" not in data
    data.update({"number": ["999"], "_save": ["Save"]})
    assert staff_client.post(change_url(d193), data).status_code == 302
    d193.refresh_from_db()
    assert d193.number == 193
    assert 'name="number"' in staff_client.get(reverse("admin:catalog_letter_add")).content.decode()
