"""Source notes, citations and cross-references, on the forms DOMAIN.md describes."""

from catalog.ingest.citations import find_cross_references, parse_citation, parse_source_note


def test_classification_with_caveats_and_notes():
    note = parse_source_note(
        "Source: Carter Library, National Security Affairs, Brzezinski Material, Subject File, Box 56, "
        "SALT: Chronology: 11/23/77–4/20/78. Top Secret; Sensitive. The meeting took place in the White House."
    )
    assert note.classification == "Top Secret; Sensitive"
    assert note.notes == "The meeting took place in the White House."
    [citation] = note.citations
    assert (citation.repository, citation.collection, citation.box, citation.folder) == (
        "Carter Library",
        "National Security Affairs, Brzezinski Material, Subject File",
        "56",
        "SALT: Chronology: 11/23/77–4/20/78",
    )


def test_many_caveats_without_a_final_period_parse_at_once():
    # A tail that could also match ", Caveat" once made this take minutes (backtracking).
    note = parse_source_note("Source: Carter Library, Box 1, X. Secret" + "; Nodis, Exdis" * 30 + " and more")
    assert note.classification == ""
    assert note.citations[0].repository == "Carter Library"


def test_box_without_a_comma_and_national_archives():
    assert parse_citation("Ford Library, NSC Files, Box 1 NSC Meetings, Folder 3").folder == "NSC Meetings, Folder 3"
    archives = parse_citation("National Archives, RG 59, Central Files 1970–73, POL 27 VIET S")
    assert (archives.repository, archives.collection, archives.folder) == (
        "National Archives",
        "RG 59, Central Files 1970–73",
        "POL 27 VIET S",
    )
    library = parse_citation("Library of Congress, Manuscript Division, Kissinger Papers")
    assert (library.repository, library.collection) == ("Library of Congress, Manuscript Division", "Kissinger Papers")


def test_cross_references_to_this_and_other_volumes():
    refs = find_cross_references("See footnote 5, Document 315.", "frus1981-88v04")
    assert [(r.volume, r.number, r.footnote) for r in refs] == [("frus1981-88v04", 315, 5)]
    refs = find_cross_references("See Documents 286, 287, and 288.", "frus1981-88v04")
    assert [r.number for r in refs] == [286, 287, 288]
    refs = find_cross_references("printed in Foreign Relations, 1977–1980, vol. VI, Soviet Union, Document 12.", "x")
    assert [(r.volume, r.number) for r in refs] == [("frus1977-80v06", 12)]
    refs = find_cross_references("printed in full in Foreign Relations, 1952–1954, Vol. I, Part 1.", "x")
    assert [(r.volume, r.number) for r in refs] == [("frus1952-54v01p1", None)]


def test_ref_targets_one_parser_for_parser_and_renderer():
    from catalog.ingest.citations import RefTarget, parse_ref_target

    assert parse_ref_target("#d192fn2", "frus1969-76v33") == RefTarget("frus1969-76v33", "d192", 192, "fn2")
    assert parse_ref_target("#d192fn2", "v").footnote == 2
    assert parse_ref_target("frus1944v05#pg_821", "q") == RefTarget("frus1944v05", "pg_821")
    assert parse_ref_target("https://history.state.gov/historicaldocuments/frus1977-80v06/d12", "x") == RefTarget(
        "frus1977-80v06", "d12", 12
    )
    assert parse_ref_target("https://example.org/x", "x") is None
    assert parse_ref_target("../etc#d1", "x") is None
