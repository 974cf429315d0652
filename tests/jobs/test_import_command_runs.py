"""``import_volume`` records an ImportRun too."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.models import ImportRun
from tests.conftest import SEED_CARTER, TEI_QUEBEC

pytestmark = pytest.mark.django_db


def test_the_command_records_its_run():
    call_command("import_volume", str(SEED_CARTER), volume="frus1969-76v33", publish=True, stdout=StringIO())
    run = ImportRun.objects.get()
    assert (run.origin, run.dry_run, run.status, run.user) == ("command", False, "succeeded", None)
    assert run.options["volume"] == "frus1969-76v33" and run.options["publish"] is True
    (entry,) = run.files
    assert entry["sha256"] == hashlib.sha256(SEED_CARTER.read_bytes()).hexdigest()
    assert run.report["volumes"][0]["created"] == [193]
    assert run.duration is not None


def test_a_failing_command_run_is_recorded_failed(tmp_path):
    broken = tmp_path / "quebec.xml"
    broken.write_bytes(TEI_QUEBEC.read_bytes().replace(b"</body>", b"</bodyy>", 1))
    with pytest.raises(CommandError, match="1 of 1 volumes failed"):
        call_command("import_volume", str(broken), "--dry-run", stdout=StringIO(), stderr=StringIO())
    run = ImportRun.objects.get()
    assert (run.status, run.dry_run) == ("failed", True)
    assert f"{broken}:" in run.error and "malformed XML" in run.error


def test_text_without_a_volume_is_refused_and_recorded():
    with pytest.raises(CommandError, match="plain-text documents need --volume IDENTIFIER"):
        call_command("import_volume", str(SEED_CARTER), stdout=StringIO())
    assert ImportRun.objects.get().status == "failed"
