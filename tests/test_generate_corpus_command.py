"""`manage.py generate_corpus`: a thin wrapper over ``catalog.synthetic.generate_corpus``."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.synthetic import generate_corpus


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("generate_corpus", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_writes_the_same_files_as_the_function_and_one_summary_line(tmp_path):
    out, err = run(tmp_path / "cmd", "--volumes", 2, "--seed", 4, "--documents", 3)
    assert err == ""  # quiet: no progress when stderr is not a terminal
    lines = out.splitlines()
    assert len(lines) == 1
    manifest = generate_corpus(tmp_path / "fn", 2, 4, documents=3)
    assert re.fullmatch(
        rf"{re.escape(str(tmp_path / 'cmd'))}: 2 volumes, 6 documents, {manifest.footnotes:,} footnotes, "
        rf"{manifest.persons:,} persons-list entries \({manifest.people:,} people\), \d+\.\d MB in \d+\.\d s "
        r"\(\d+ documents/s\)",
        lines[0],
    )
    written = sorted(p.name for p in (tmp_path / "cmd").iterdir())
    assert written == sorted([f"{v.identifier}.xml" for v in manifest.volumes] + ["manifest.json"])
    for name in written:
        assert (tmp_path / "cmd" / name).read_bytes() == (tmp_path / "fn" / name).read_bytes()
    assert json.loads((tmp_path / "cmd" / "manifest.json").read_text())["totals"]["documents"] == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--volumes", 0], "--volumes must be at least 1"),
        (["--volumes", 1, "--documents", 0], "--documents must be at least 1"),
    ],
)
def test_refuses_bad_counts(tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        run(tmp_path, *args)
    assert not any(tmp_path.iterdir())


@pytest.mark.django_db
def test_import_volume_reads_what_it_writes(tmp_path):
    run(tmp_path, "--volumes", 1, "--seed", 8, "--documents", 5)
    out = StringIO()
    call_command("import_volume", str(tmp_path), "--publish", stdout=out, stderr=StringIO())
    from catalog.models import Letter

    assert Letter.objects.published().count() == 5
    assert "5 created, 0 updated, 0 unchanged" in out.getvalue()
