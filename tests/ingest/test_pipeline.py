"""Files to volumes: grouping, and the document count that gives the progress bar its total."""

from catalog.ingest.pipeline import VolumeJob, plan_jobs
from tests.conftest import SEED_CARTER, TEI_QUEBEC, TEI_V33


def test_document_count_of_a_tei_file():
    assert VolumeJob("tei", [TEI_V33]).estimated_documents() == 11
    assert VolumeJob("tei", [TEI_QUEBEC]).estimated_documents() == 8
    assert VolumeJob("text", [SEED_CARTER, SEED_CARTER]).estimated_documents() == 2


def test_document_count_across_read_boundaries(tmp_path):
    path = tmp_path / "v.xml"
    marker = b'<div type="document">'
    # The first marker straddles the 1 MiB read boundary; the second lies wholly in the second read.
    path.write_bytes(b"x" * ((1 << 20) - 10) + marker + b"y" * 100 + marker)
    assert VolumeJob("tei", [path]).estimated_documents() == 2


def test_plan_groups_text_files_into_one_volume_and_reports_strangers(tmp_path):
    stranger = tmp_path / "notes.md"
    stranger.write_text("# not a volume\n")
    jobs, unrecognised = plan_jobs([TEI_V33, SEED_CARTER, stranger], identifier="frus1969-76v33")
    assert [(job.kind, job.identifier, len(job.paths)) for job in jobs] == [
        ("tei", "", 1),
        ("text", "frus1969-76v33", 1),
    ]
    assert [str(error) for error in unrecognised] == [
        f"{stranger}:1: expected a FRUS TEI volume (XML whose root is TEI) or a .txt document"
    ]
