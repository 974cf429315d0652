"""The body renderer (catalog.rendering): small hand-built trees, hostile strings, the edition's formats."""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils.safestring import SafeString

from catalog.ingest.citations import parse_ref_target, with_ref_targets
from catalog.rendering import (
    RenderContext,
    format_date_range,
    format_pages,
    letter_citation,
    render_body,
    render_footnote,
    volume_heading,
    volume_subtitle,
)

WASHINGTON = ZoneInfo("America/New_York")


def html(nodes, **context):
    return str(render_body(nodes, RenderContext(**context)))


# -- escaping -------------------------------------------------------------------------------------


def test_result_is_safe_string():
    assert isinstance(render_body([{"tag": "p", "children": ["x"]}]), SafeString)


def test_script_in_text_is_escaped():
    out = html([{"tag": "p", "children": ["<script>alert(1)</script>"]}])
    assert out == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert "<script" not in out


def test_ampersands_and_quotes_are_escaped():
    out = html([{"tag": "p", "children": ["Smith & Wesson \"quoted\" 'single'"]}])
    assert out == "<p>Smith &amp; Wesson &quot;quoted&quot; &#x27;single&#x27;</p>"


def test_unknown_tag_renders_children_only():
    nodes = [{"tag": "script", "children": ["alert(1)"]}, {"tag": "img", "src": "x", "onerror": "alert(1)"}]
    assert html(nodes) == "alert(1)"


def test_unknown_tag_inside_paragraph_drops_its_attributes():
    nodes = [{"tag": "p", "children": [{"tag": "a", "href": "javascript:alert(1)", "children": ["click"]}]}]
    assert html(nodes) == "<p>click</p>"


def test_attributes_on_known_tags_are_not_copied():
    nodes = [{"tag": "p", "onclick": "alert(1)", "class": 'x" onmouseover="y', "children": ["text"]}]
    assert html(nodes) == "<p>text</p>"


def test_hostile_page_number_and_footnote_number_cannot_break_out():
    out = html(
        [{"tag": "p", "children": [{"tag": "pb", "n": '8"><script>x</script>'}, {"tag": "fn", "n": '2" onclick="x'}]}]
    )
    assert "<script" not in out
    assert "onclick=" not in out
    assert 'id="pg_8scriptxscript"' in out
    assert "[Page 8&quot;&gt;&lt;script&gt;x&lt;/script&gt;]" in out
    assert '<a href="#fn2onclickx" id="fnref2onclickx">' in out


def test_term_expansion_is_escaped_in_the_title_attribute():
    out = html(
        [{"tag": "term", "ref": "#t_X_1", "children": ["X"]}],
        terms={"t_X_1": 'a "quote" <b>bold</b>'},
    )
    assert out == '<abbr class="term" title="a &quot;quote&quot; &lt;b&gt;bold&lt;/b&gt;">X</abbr>'


def test_footnote_with_html_text_is_escaped():
    note = SimpleNamespace(text="<img src=x onerror=alert(1)> & more", content=[])
    assert str(render_footnote(note)) == "&lt;img src=x onerror=alert(1)&gt; &amp; more"


def test_footnote_content_goes_through_the_renderer():
    note = SimpleNamespace(
        text="ignored", content=["See ", {"tag": "i", "children": ["<b>Foreign Relations</b>"]}, "."]
    )
    assert str(render_footnote(note)) == "See <em>&lt;b&gt;Foreign Relations&lt;/b&gt;</em>."


def test_malformed_nodes_are_ignored():
    assert html([None, 5, {"tag": "p", "children": "not a list"}, {"children": ["orphan"]}]) == "<p></p>orphan"


# -- the whitelisted tags -------------------------------------------------------------------------


def test_paragraph_like_blocks():
    nodes = [
        {"tag": "salute", "children": ["Dear Mr. President:"]},
        {"tag": "p", "children": ["Text."]},
        {"tag": "closer", "children": ["Sincerely,"]},
        {"tag": "signed", "children": ["Jimmy Carter"]},
        {"tag": "postscript", "children": ["P.S."]},
    ]
    assert html(nodes) == (
        '<p class="salute">Dear Mr. President:</p><p>Text.</p><p class="closer">Sincerely,</p>'
        '<p class="signed">Jimmy Carter</p><p class="postscript">P.S.</p>'
    )


def test_closer_holding_blocks_becomes_a_div():
    nodes = [
        {
            "tag": "closer",
            "children": [{"tag": "salute", "children": ["Sincerely,"]}, {"tag": "signed", "children": ["J."]}],
        }
    ]
    assert html(nodes) == '<div class="closer"><p class="salute">Sincerely,</p><p class="signed">J.</p></div>'


def test_inline_marks():
    nodes = [
        {
            "tag": "p",
            "children": [
                {"tag": "i", "children": ["it"]},
                {"tag": "b", "children": ["bo"]},
                {"tag": "sc", "children": ["sc"]},
                {"tag": "u", "children": ["un"]},
                {"tag": "sup", "children": ["up"]},
                {"tag": "sub", "children": ["dn"]},
                "a",
                {"tag": "lb"},
                "b",
            ],
        }
    ]
    assert html(nodes) == (
        '<p><em>it</em><strong>bo</strong><span class="smallcaps">sc</span><u>un</u>'
        "<sup>up</sup><sub>dn</sub>a<br>b</p>"
    )


def test_lists_tables_quote_head_attachment():
    nodes = [
        {"tag": "head", "children": ["Attachment"]},
        {"tag": "list", "children": [{"tag": "item", "children": ["one"]}]},
        {"tag": "list", "type": "ordered", "children": [{"tag": "item", "children": ["first"]}]},
        {"tag": "table", "children": [{"tag": "row", "children": [{"tag": "cell", "cols": "2", "children": ["c"]}]}]},
        {"tag": "quote", "children": [{"tag": "p", "children": ["q"]}]},
        {"tag": "attachment", "children": [{"tag": "p", "children": ["att"]}]},
    ]
    assert html(nodes) == (
        "<h3>Attachment</h3><ul><li>one</li></ul>"
        '<ol class="ordered"><li>first</li></ol>'
        '<table class="body-table"><tbody><tr><td colspan="2">c</td></tr></tbody></table>'
        "<blockquote><p>q</p></blockquote>"
        '<section class="attachment"><p>att</p></section>'
    )


def test_list_type_becomes_a_filtered_class():
    out = html([{"tag": "list", "type": 'subject" onclick="x', "children": []}])
    assert out == '<ul class="subjectonclickx"></ul>'


def test_footnote_marker_and_page_break():
    nodes = [
        {
            "tag": "p",
            "children": ["of January 12.", {"tag": "fn", "n": 2}, " the pur", {"tag": "pb", "n": "808"}, "pose"],
        }
    ]
    assert html(nodes) == (
        '<p>of January 12.<sup><a href="#fn2" id="fnref2">2</a></sup> the pur'
        '<span class="pb" id="pg_808">[Page 808]</span>pose</p>'
    )


def test_bracketed_page_number_loses_its_brackets():
    assert html([{"tag": "pb", "n": "[1]"}]) == '<span class="pb" id="pg_1">[Page 1]</span>'


def test_person_links_when_the_volume_local_id_resolves():
    nodes = [
        {"tag": "person", "ref": "#p_CJ_2", "children": ["Carter"]},
        " and ",
        {"tag": "person", "ref": "p_XX_1", "children": ["Nobody"]},
    ]
    out = html(nodes, people={"p_CJ_2": "jimmy-carter"})
    assert out == '<a class="person" href="/people/jimmy-carter/">Carter</a> and <span class="person">Nobody</span>'


def test_term_without_expansion_is_a_span():
    assert html([{"tag": "term", "ref": "t_Q", "children": ["Q"]}]) == '<span class="term">Q</span>'


def test_ref_targets_in_the_same_and_other_volumes():
    nodes = [
        {"tag": "ref", "target": "#d192fn2", "children": ["footnote 2, Document 192"]},
        {"tag": "ref", "target": "#d190", "children": ["Document 190"]},
        {"tag": "ref", "target": "frus1977-80v06#d12", "children": ["d12"]},
        {"tag": "ref", "target": "frus1977-80v06", "children": ["vol. VI"]},
    ]
    out = html(with_ref_targets(nodes, "frus1969-76v33"), volume="frus1969-76v33")
    assert out == (
        '<a class="ref" href="/volumes/frus1969-76v33/d192/#fn2">footnote 2, Document 192</a>'
        '<a class="ref" href="/volumes/frus1969-76v33/d190/">Document 190</a>'
        '<a class="ref" href="/volumes/frus1977-80v06/d12/">d12</a>'
        '<a class="ref" href="/volumes/frus1977-80v06/">vol. VI</a>'
    )


def test_ref_to_unknown_target_is_a_span():
    nodes = [
        {"tag": "ref", "target": "#d192fn2", "children": ["known"]},
        {"tag": "ref", "target": "#d190", "children": ["unknown"]},
        {"tag": "ref", "target": "frus1977-80v06", "children": ["unknown volume"]},
        {"tag": "ref", "target": "javascript:alert(1)", "children": ["bad"]},
    ]
    out = html(
        with_ref_targets(nodes, "frus1969-76v33"),
        volume="frus1969-76v33",
        known_letters={("frus1969-76v33", "d192")},
        known_volumes=set(),
    )
    assert out == (
        '<a class="ref" href="/volumes/frus1969-76v33/d192/#fn2">known</a>'
        '<span class="ref">unknown</span><span class="ref">unknown volume</span><span class="ref">bad</span>'
    )


def test_ref_targets_are_parsed_at_import_not_at_rendering():
    """The importer stores where a ref points ("to"); the renderer reads only that."""
    [node] = with_ref_targets([{"tag": "ref", "target": "#d192fn2", "children": ["x"]}], "frus1969-76v33")
    assert node["to"] == ["frus1969-76v33", "d192", 192, "fn2"]
    assert with_ref_targets([{"tag": "ref", "target": "javascript:alert(1)"}], "v")[0]["to"] is None
    # A ref without a stored target (never imported) is plain text, whatever its raw target says.
    assert html([{"tag": "ref", "target": "#d192", "children": ["x"]}], volume="v") == '<span class="ref">x</span>'
    # A hostile stored value cannot become a link.
    for to in (["../x", "d1", 1, ""], ["v", "d1", "1", "<b>"], "frus1#d1", [1, 2, 3, 4]):
        out = html([{"tag": "ref", "to": to, "children": ["y"]}], volume="v")
        assert "<b>" not in out and "../" not in out


def test_parse_ref_target():
    target = parse_ref_target("#d192fn2", "frus1969-76v33")
    assert (target.volume, target.document, target.number, target.fragment) == ("frus1969-76v33", "d192", 192, "fn2")
    assert parse_ref_target("", "v") is None
    assert parse_ref_target("../etc#d1", "v") is None


def test_string_or_single_node_input():
    assert html("a < b") == "a &lt; b"
    assert html({"tag": "i", "children": ["x"]}) == "<em>x</em>"


# -- formats --------------------------------------------------------------------------------------


def volume(identifier, **fields):
    return SimpleNamespace(identifier=identifier, series="", subseries="", volume_number="", title="", **fields)


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("frus1969-76v33", "FRUS, 1969–1976, Volume XXXIII"),
        ("frus1981-88v04", "FRUS, 1981–1988, Volume IV"),
        ("frus1952-54v01p1", "FRUS, 1952–1954, Volume I, Part 1"),
        ("frus1969-76ve14p2", "FRUS, 1969–1976, Volume E–14, Part 2"),
        ("frus1861", "FRUS, 1861"),
        ("frus1944Quebec", "FRUS, 1944, Quebec"),
    ],
)
def test_volume_heading_from_the_identifier(identifier, expected):
    assert volume_heading(volume(identifier)) == expected


def test_volume_heading_prefers_the_fields():
    v = volume("frus1969-76v33")
    v.series, v.subseries, v.volume_number = "Foreign Relations of the United States", "1969-1976", "Volume XXXIII"
    assert volume_heading(v) == "FRUS, 1969–1976, Volume XXXIII"


def test_letter_citation():
    letter = SimpleNamespace(volume=volume("frus1969-76v33"), number=193)
    assert letter_citation(letter) == "FRUS, 1969–1976, Volume XXXIII, Document 193"


def at(*args):
    return datetime.datetime(*args, tzinfo=WASHINGTON)


@pytest.mark.parametrize(
    ("date_min", "date_max", "precision", "expected"),
    [
        (None, None, "", "Undated"),
        (at(1978, 1, 25), None, "", "Undated"),
        (at(1978, 1, 25), at(1978, 1, 25, 23, 59, 59), "day", "January 25, 1978"),
        (at(1978, 1, 12), at(1978, 1, 25, 23, 59), "day", "January 12–25, 1978"),
        (at(1978, 1, 30), at(1978, 2, 2, 23, 59), "day", "January 30–February 2, 1978"),
        (at(1977, 12, 30), at(1978, 1, 2, 23, 59), "day", "December 30, 1977–January 2, 1978"),
        (at(1984, 12, 1), at(1984, 12, 31, 23, 59), "month", "December 1984"),
        (at(1984, 11, 1), at(1984, 12, 31, 23, 59), "month", "November–December 1984"),
        (at(1984, 1, 1), at(1984, 12, 31, 23, 59), "year", "1984"),
        (at(1978, 1, 25, 15, 15), at(1978, 1, 25, 15, 15), "time", "January 25, 1978, 3:15 p.m."),
    ],
)
def test_format_date_range(date_min, date_max, precision, expected):
    assert format_date_range(date_min, date_max, precision) == expected


def test_dates_are_shown_in_washington_time():
    utc = datetime.datetime(1978, 1, 26, 3, 0, tzinfo=datetime.UTC)  # 10 p.m. on the 25th in Washington
    assert format_date_range(utc, utc, "day") == "January 25, 1978"


@pytest.mark.parametrize(
    ("start", "end", "expected"), [(807, 808, "807–808"), (1171, 1171, "1171"), (None, None, ""), (5, None, "5")]
)
def test_format_pages(start, end, expected):
    assert format_pages(start, end) == expected


def test_list_labels_go_inside_their_items():
    nodes = [
        {
            "tag": "list",
            "children": [
                {"tag": "label", "children": ["1."]},
                {"tag": "item", "children": ["First <point>"]},
                {"tag": "label", "children": ["2."]},
                {"tag": "item", "children": ["Second"]},
            ],
        }
    ]
    assert html(nodes) == (
        '<ul class="labelled"><li><span class="label">1.</span> First &lt;point&gt;</li>'
        '<li><span class="label">2.</span> Second</li></ul>'
    )


def test_rendition_becomes_a_filtered_class():
    nodes = [{"tag": "p", "rend": 'center x"y', "children": ["c"]}]
    assert html(nodes) == '<p class="rend-center rend-xy">c</p>'


def test_volume_heading_and_subtitle_from_a_tei_title():
    v = volume("frus1969-76v33")
    v.title = "Foreign Relations of the United States, 1969–1976, Volume XXXIII, SALT II, 1972–1980"
    v.subseries, v.volume_number = "1969-1976", "Volume XXXIII"
    assert volume_heading(v) == "FRUS, 1969–1976, Volume XXXIII"
    assert volume_subtitle(v) == "SALT II, 1972–1980"
    quebec = volume("frus1944Quebec")
    quebec.title = "Foreign Relations of the United States, Conference at Quebec, 1944"
    assert volume_heading(quebec) == "FRUS, Conference at Quebec, 1944"
    assert volume_subtitle(quebec) == ""
    assert volume_subtitle(volume("frus1969-76v33")) == ""
