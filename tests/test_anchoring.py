"""Re-anchoring an annotation after its letter's text changes (catalog.anchoring: no database)."""

from catalog.anchoring import ANCHORED, MOVED, ORPHANED, Selectors, describe, reanchor

TEXT = (
    "Dear Mr. President:\n\n"
    "Let me add that I am also gratified by the progress that we made in 1977. Despite the "
    "complexities inherent in SALT, our delegations have moved forward—and Foreign Minister "
    "Gromyko’s visit to Washington was particularly helpful in overcoming some obstacles."
)
QUOTE = "Foreign Minister Gromyko’s visit to Washington"


def selectors_of(text=TEXT, quote=QUOTE) -> Selectors:
    start = text.index(quote)
    return describe(text, start, start + len(quote))


def test_describe_records_32_characters_of_context_each_side():
    sel = selectors_of()
    assert (sel.start, sel.end) == (177, 223)
    assert sel.exact == QUOTE
    assert sel.prefix == "egations have moved forward—and "
    assert sel.suffix == " was particularly helpful in ove"
    assert len(sel.prefix) == len(sel.suffix) == 32


def test_describe_at_the_edges_takes_what_there_is():
    sel = describe(TEXT, 0, 4)
    assert (sel.exact, sel.prefix, sel.suffix) == ("Dear", "", " Mr. President:\n\nLet me add that")


def test_describe_refuses_an_empty_or_outside_range():
    for start, end in [(5, 5), (-1, 3), (10, len(TEXT) + 1), (9, 3)]:
        try:
            describe(TEXT, start, end)
        except ValueError as error:
            assert "is not a passage" in str(error)
        else:
            raise AssertionError(f"{start}–{end} accepted")


def test_the_same_text_moves_nothing():
    sel = selectors_of()
    anchor = reanchor(TEXT, sel)
    assert anchor.state == ANCHORED
    assert anchor.method == "position"
    assert anchor.selectors == sel


def test_text_inserted_before_the_passage_moves_it():
    sel = selectors_of()
    inserted = "[Editor’s insertion.] "
    new_text = TEXT.replace("Let me add", inserted + "Let me add")
    anchor = reanchor(new_text, sel)
    assert anchor.state == MOVED
    assert anchor.method == "quote"
    assert (anchor.selectors.start, anchor.selectors.end) == (177 + 22, 223 + 22)
    assert anchor.selectors.exact == QUOTE
    assert new_text[199:245] == QUOTE


def test_of_several_occurrences_the_one_in_the_same_context_is_chosen():
    text = "Gromyko said no. " + TEXT + " Then Gromyko left."
    sel = selectors_of(TEXT, "Gromyko")
    anchor = reanchor(text, sel)
    assert anchor.state == MOVED
    assert anchor.selectors.start == TEXT.index("Gromyko") + len("Gromyko said no. ")
    assert anchor.selectors.prefix.endswith("Foreign Minister ")


def test_a_word_changed_inside_the_quote_is_found_fuzzily_and_the_new_words_recorded():
    sel = selectors_of()
    new_text = TEXT.replace("visit to Washington", "journey to Washington")
    anchor = reanchor(new_text, sel)
    assert anchor.state == MOVED
    assert anchor.method == "fuzzy"
    assert anchor.selectors.exact == "Foreign Minister Gromyko’s journey to Washington"
    assert (anchor.selectors.start, anchor.selectors.end) == (177, 225)
    assert anchor.selectors.suffix == " was particularly helpful in ove"


def test_a_changed_first_word_and_text_inserted_before_are_found_too():
    sel = selectors_of()
    new_text = "Personal. " + TEXT.replace("Foreign Minister Gromyko", "Minister Gromyko")
    anchor = reanchor(new_text, sel)
    assert anchor.state == MOVED
    assert anchor.method == "fuzzy"
    assert anchor.selectors.exact == "Minister Gromyko’s visit to Washington"
    assert anchor.selectors.start == 187


def test_the_passage_deleted_orphans_the_annotation_and_keeps_its_selectors():
    sel = selectors_of()
    new_text = TEXT.replace("—and Foreign Minister Gromyko’s visit to Washington was particularly helpful in", "")
    assert new_text.endswith("have moved forward overcoming some obstacles.")
    anchor = reanchor(new_text, sel)
    assert anchor.state == ORPHANED
    assert anchor.method == ""
    assert anchor.selectors == sel


def test_an_unrelated_text_orphans_rather_than_latching_on_anything():
    anchor = reanchor("Nothing of the kind is said here at all, not a word.", selectors_of())
    assert anchor.state == ORPHANED


def test_an_empty_text_orphans():
    assert reanchor("", selectors_of()).state == ORPHANED


def test_a_long_quote_is_found_after_a_change_in_its_middle():
    quote = TEXT[TEXT.index("Despite") : TEXT.index(" obstacles")]
    sel = selectors_of(quote=quote)
    new_text = TEXT.replace("inherent in SALT", "inherent in the SALT talks")
    anchor = reanchor(new_text, sel)
    assert anchor.state == MOVED
    assert anchor.method == "fuzzy"
    assert anchor.selectors.exact == new_text[new_text.index("Despite") : new_text.index(" obstacles")]
