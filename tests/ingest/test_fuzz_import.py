"""Property-based import fuzzing (issue 10): the samples and the corpus, mutated every way a file
goes wrong — truncated, lines deleted, duplicated or shuffled, footnotes shuffled, markers missing,
absurd numbers, huge lines, NUL and control characters, wrong encodings, random bytes.

Every input either imports or is refused with the importer's own ``ParseError`` naming the file and a
line — never another exception — and a refused volume writes nothing (every table's count is the
same after). Parser-only properties are fast and take most of the cases; full imports fewer.

Runs are derandomized (the same cases every run, so CI is reproducible); ``FUZZ_SCALE=10`` runs ten
times as many. Cases per run (FUZZ_SCALE=1): 4 × 200 parser cases + 2 × 125 import cases = 1,050.
"""

import os
import re
import shutil

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from catalog import models
from catalog.ingest.pipeline import import_paths
from catalog.ingest.records import ParseError
from catalog.ingest.tei_parser import parse_tei
from catalog.ingest.text_parser import parse_text_document
from tests.conftest import SEED_CARTER, SEED_REAGAN, TEI_QUEBEC, TEI_V33

SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
PARSER_CASES = 200 * SCALE
IMPORT_CASES = 125 * SCALE


def fuzz_settings(cases: int):
    # No shrinking unless asked (FUZZ_SHRINK=1): a failure on a large input would take minutes to
    # shrink; the failing case is printed as it is, with the blob that replays it.
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    if os.environ.get("FUZZ_SHRINK"):
        phases.append(Phase.shrink)
    return settings(
        max_examples=cases,
        phases=phases,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


ABSURD_NUMBERS = ["0", "00", "99999999999999999999", "2147483648", "9223372036854775808", "1000001", "007", "٣", "²"]
CONTROL = ["\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\u2028", "\ufeff", "\ud7ff", "\x85"]


@st.composite
def mutated(draw, sample: bytes):
    """``sample`` with one to three mutations applied."""
    data = sample
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                [
                    "truncate",
                    "delete_lines",
                    "duplicate_lines",
                    "shuffle_lines",
                    "shuffle_footnotes",
                    "drop_marker",
                    "absurd_number",
                    "huge_line",
                    "control",
                    "encoding",
                    "random_bytes",
                ]
            )
        )
        data = MUTATIONS[kind](draw, data)
    return data


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def truncate(draw, data):
    return data[: draw(st.integers(0, len(data)))]


def delete_lines(draw, data):
    lines = _lines(data)
    start = draw(st.integers(0, len(lines) - 1))
    return b"\n".join(lines[:start] + lines[start + draw(st.integers(1, 5)) :])


def duplicate_lines(draw, data):
    lines = _lines(data)
    start = draw(st.integers(0, len(lines) - 1))
    chunk = lines[start : start + draw(st.integers(1, 5))]
    at = draw(st.integers(0, len(lines)))
    return b"\n".join(lines[:at] + chunk + lines[at:])


def shuffle_lines(draw, data):
    lines = _lines(data)
    start = draw(st.integers(0, len(lines) - 1))
    window = lines[start : start + draw(st.integers(2, 8))]
    shuffled = draw(st.permutations(window))
    return b"\n".join(lines[:start] + list(shuffled) + lines[start + len(window) :])


def shuffle_footnotes(draw, data):
    """Text: the footnote lines permuted; TEI: two notes' numbers swapped."""
    lines = _lines(data)
    notes = [i for i, line in enumerate(lines) if re.match(rb"^[ \t]+\d+\. ", line)]
    if len(notes) >= 2:
        order = draw(st.permutations(notes))
        copy = list(lines)
        for target, source in zip(notes, order, strict=True):
            copy[target] = lines[source]
        return b"\n".join(copy)
    numbers = list(re.finditer(rb'<note n="(\d+)"', data))
    if len(numbers) >= 2:
        first, second = draw(st.permutations(numbers))[:2]
        a, b = sorted([first, second], key=lambda m: m.start())
        return data[: a.start(1)] + b.group(1) + data[a.end(1) : b.start(1)] + a.group(1) + data[b.end(1) :]
    return data


def drop_marker(draw, data):
    """A footnote marker (digits glued to a word) or a TEI note removed."""
    markers = list(re.finditer(rb"(?<=[a-z.,\xe2\x80\x9d\x99])\d{1,2}(?=[\s\xe2,.;:)])", data))
    notes = list(re.finditer(rb"<note\b[^>]*>.*?</note>", data, re.S))
    candidates = [(m.start(), m.end()) for m in markers + notes]
    if not candidates:
        return data
    start, end = draw(st.sampled_from(candidates))
    return data[:start] + data[end:]


def absurd_number(draw, data):
    numbers = list(re.finditer(rb"\d+", data))
    if not numbers:
        return data
    match = draw(st.sampled_from(numbers))
    return data[: match.start()] + draw(st.sampled_from(ABSURD_NUMBERS)).encode() + data[match.end() :]


def huge_line(draw, data):
    lines = _lines(data)
    at = draw(st.integers(0, len(lines)))
    unit = draw(st.sampled_from([b"word ", b"x", b"1", b"<hi>a</hi>", "\u2014".encode(), b"(2) "]))
    return b"\n".join(lines[:at] + [unit * draw(st.integers(1_000, 300_000))] + lines[at:])


def control(draw, data):
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.sampled_from(CONTROL)).encode("utf-8", "surrogatepass") + data[at:]


def encoding(draw, data):
    text = data.decode("utf-8", "replace")
    codec = draw(st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-16-le", "utf-32", "ascii", "mac-roman"]))
    return text.encode(codec, "replace")


def random_bytes(draw, data):
    noise = draw(st.binary(min_size=1, max_size=64))
    if draw(st.booleans()):
        return noise
    at = draw(st.integers(0, len(data)))
    return data[:at] + noise + data[at + draw(st.integers(0, 64)) :]


MUTATIONS = {
    "truncate": truncate,
    "delete_lines": delete_lines,
    "duplicate_lines": duplicate_lines,
    "shuffle_lines": shuffle_lines,
    "shuffle_footnotes": shuffle_footnotes,
    "drop_marker": drop_marker,
    "absurd_number": absurd_number,
    "huge_line": huge_line,
    "control": control,
    "encoding": encoding,
    "random_bytes": random_bytes,
}


def assert_own_refusal(error: ParseError, path) -> None:
    """The importer's own error: it names this file and a line."""
    assert error.path == str(path), str(error)
    assert isinstance(error.line, int) and error.line >= 1, str(error)
    assert str(error).startswith(f"{path}:{error.line}: "), str(error)


def write(tmp_path_factory, name: str, data: bytes):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / name
    path.write_bytes(data)
    return path


# -- parser-only properties (fast) ---------------------------------------------------------------
@pytest.mark.parametrize("sample", [SEED_CARTER, SEED_REAGAN], ids=["carter", "reagan"])
def test_text_parser_imports_or_refuses_with_file_and_line(sample, tmp_path_factory):
    @fuzz_settings(PARSER_CASES)
    @given(data=mutated(sample.read_bytes()))
    def check(data):
        path = write(tmp_path_factory, sample.name, data)
        try:
            letter, _people = parse_text_document(path, "frus1969-76v33")
        except ParseError as error:
            assert_own_refusal(error, path)
        else:
            assert letter.number >= 1

    check()


@pytest.mark.parametrize("sample", [TEI_QUEBEC, TEI_V33], ids=["quebec", "v33"])
def test_tei_parser_imports_or_refuses_with_file_and_line(sample, tmp_path_factory):
    @fuzz_settings(PARSER_CASES)
    @given(data=mutated(sample.read_bytes()))
    def check(data):
        path = write(tmp_path_factory, sample.name, data)
        try:
            parsed = parse_tei(path)
            letters = list(parsed.letters)
        except ParseError as error:
            assert_own_refusal(error, path)
        else:
            assert all(letter.number >= 1 for letter in letters)

    check()


# -- full imports (slower): nothing half-written ------------------------------------------------
def table_counts() -> dict[str, int]:
    from django.db import connection

    tables = [getattr(models, name) for name in models.__all__ if hasattr(getattr(models, name), "objects")]
    # The public search table and its key numbers (unmanaged, migration 0015) exist on PostgreSQL only.
    tables = [m for m in tables if m._meta.managed or connection.vendor == "postgresql"]
    return {model.__name__: model.objects.count() for model in tables}


def import_or_refuse(path, identifier: str) -> None:
    with transaction.atomic():  # each case leaves the database as it found it
        before = table_counts()
        result = import_paths([path], identifier=identifier)
        if result.failures:
            [(_label, message)] = result.failures
            assert re.match(rf"^{re.escape(str(path))}:[1-9]\d*: ", message), message
            assert "database refused" not in message and "could not be stored" not in message, message
            assert table_counts() == before, message
        else:
            assert result.reports and result.reports[0].letters >= 1
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_text_import_imports_or_refuses_and_writes_nothing_when_refused(tmp_path_factory):
    samples = [SEED_CARTER.read_bytes(), SEED_REAGAN.read_bytes()]

    @fuzz_settings(IMPORT_CASES)
    @given(data=st.sampled_from(samples).flatmap(mutated))
    def check(data):
        import_or_refuse(write(tmp_path_factory, "doc.txt", data), "frus1969-76v33")

    check()


@pytest.mark.django_db
def test_tei_import_imports_or_refuses_and_writes_nothing_when_refused(tmp_path_factory):
    samples = [TEI_QUEBEC.read_bytes(), TEI_V33.read_bytes()]

    @fuzz_settings(IMPORT_CASES)
    @given(data=st.sampled_from(samples).flatmap(mutated))
    def check(data):
        import_or_refuse(write(tmp_path_factory, "volume.xml", data), "")

    check()


def test_the_samples_themselves_import(tmp_path):
    """The unmutated inputs parse (the properties above start from working files)."""
    for sample in (SEED_CARTER, SEED_REAGAN):
        shutil.copy(sample, tmp_path / sample.name)
        assert parse_text_document(tmp_path / sample.name, "frus1969-76v33")[0].number in (193, 328)
    assert [letter.number for letter in parse_tei(TEI_QUEBEC).letters] == list(range(1, 9))
