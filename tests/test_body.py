"""The body format: flattening to plain text with offsets, and validation of hand-edited trees."""

import pytest

from catalog.body import flatten, validate_body


def test_page_break_inside_a_word_and_between_words():
    flat = flatten(
        [{"tag": "p", "children": ["the pur", {"tag": "pb", "n": "808"}, "pose of ", {"tag": "pb", "n": "9"}, " it"]}]
    )
    assert flat.text == "the purpose of it"
    assert flat.page_breaks == [("808", 7), ("9", 15)]


def test_footnote_anchor_and_paragraphs():
    flat = flatten(
        [
            {"tag": "salute", "children": ["Dear Sir:"]},
            {"tag": "p", "children": ["Yes.", {"tag": "fn", "n": 2}, " No."]},
        ]
    )
    assert flat.text == "Dear Sir:\n\nYes. No."
    assert flat.footnote_anchors == {2: 15}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tag": "p"}, "body: expected a list of nodes, found dict"),
        ([{"tag": ["p"]}], 'body[0]: expected a string or an object with a "tag" string'),
        (
            [{"tag": "p", "children": [{"tag": "fn", "n": "2a"}]}],
            "body[0].children[0]: a footnote marker needs a whole number \"n\", found '2a'",
        ),
        ([{"tag": "pb"}], 'body[0]: a page break needs its page "n"'),
        ([{"tag": "p", "children": "text"}], "body[0].children: expected a list of nodes, found str"),
    ],
)
def test_validation_names_the_bad_node(body, message):
    with pytest.raises(ValueError) as error:
        validate_body(body)
    assert str(error.value) == message


def test_a_valid_tree_passes():
    validate_body(
        [
            {
                "tag": "p",
                "children": ["a", {"tag": "fn", "n": 1}, {"tag": "pb", "n": "3"}, {"tag": "i", "children": ["b"]}],
            }
        ]
    )


@pytest.mark.django_db
def test_the_admin_refuses_a_malformed_body(staff_client, import_seeds):
    from catalog.models import Letter

    letter = Letter.objects.get(number=193)
    form_page = staff_client.get(f"/admin/catalog/letter/{letter.pk}/change/")
    form = form_page.context["adminform"].form
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    data["body"] = '[{"tag": "fn", "n": "2a"}]'
    for formset in form_page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
        for index, inline in enumerate(formset.formset.forms):
            for name in inline.fields:
                value = inline[name].value()
                data[f"{formset.formset.prefix}-{index}-{name}"] = "" if value is None else value
    response = staff_client.post(f"/admin/catalog/letter/{letter.pk}/change/", data)
    assert response.status_code == 200  # the form again, not a crash and not a save
    assert "a footnote marker needs a whole number" in response.content.decode()
    letter.refresh_from_db()
    assert letter.body[0]["tag"] == "salute"
