"""`manage.py import_volume`: the staff's entry point."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Letter
from tests.conftest import FIXTURES, SEED_CARTER

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_volume", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_a_directory_and_rerun():
    out, err = run(FIXTURES / "frus1969-76v33", "--volume", "frus1969-76v33", "--publish")
    assert out.splitlines()[0] == (
        "frus1969-76v33: 1 created, 0 updated, 0 unchanged; 2 footnotes, 4 people (4 new), "
        "2 source citations, 1 new archival sources, 2 references (0 unresolved); 1 published"
    )
    assert err == ""  # quiet: no progress bar when not on a terminal
    out, _ = run(FIXTURES / "frus1969-76v33", "--volume", "frus1969-76v33", "--publish")
    assert "0 created, 0 updated, 1 unchanged" in out
    assert Letter.objects.published().count() == 1


def test_dry_run_lists_changes_and_writes_nothing():
    out, _ = run(SEED_CARTER, "--volume", "frus1969-76v33", "--dry-run")
    assert out.splitlines() == [
        "[dry run] frus1969-76v33: 1 created, 0 updated, 0 unchanged; 2 footnotes, 4 people (4 new), "
        "2 source citations, 1 new archival sources, 2 references (0 unresolved)",
        "  d193: created",
    ]
    assert Letter.objects.count() == 0


def test_bad_input_fails_with_file_and_line(tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_text("Not a heading\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run(broken, "--volume", "frus1969-76v33")
    assert "1 of 1 volumes failed" in str(error.value)
    assert Letter.objects.count() == 0


def test_missing_path():
    with pytest.raises(CommandError, match="no such file or directory"):
        run("/nonexistent/volume.xml")


def test_progress_line_shows_rate_and_eta(monkeypatch):
    from catalog.management.commands import import_volume

    clock = iter([100.0, 110.0, 120.0])  # started, then two updates ten seconds apart
    monkeypatch.setattr(import_volume.time, "monotonic", lambda: next(clock))
    stream = StringIO()
    bar = import_volume.Progress("v33.xml", total=100, stream=stream, min_seconds=0)
    bar(50)
    bar(100)
    bar.finish()
    lines = stream.getvalue().split("\r")
    assert lines[1] == "v33.xml [###############...............] 50/100 5.0 docs/s ETA 10s"
    assert lines[2] == "v33.xml [##############################] 100/100 5.0 docs/s ETA 0s\n"


def test_progress_stays_quiet_on_short_runs():
    from catalog.management.commands import import_volume

    stream = StringIO()
    bar = import_volume.Progress("v33.xml", total=2, stream=stream)
    bar(1)
    bar(2)
    bar.finish()
    assert stream.getvalue() == ""
