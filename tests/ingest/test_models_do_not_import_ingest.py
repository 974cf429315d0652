"""The data layer never depends on the import pipeline: ``catalog.models`` imports with
``catalog.ingest`` made unimportable, and the shared vocabulary comes from ``catalog.vocabulary``."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
import importlib.abc

class BlockIngest(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "catalog.ingest" or name.startswith("catalog.ingest."):
            raise ImportError(f"blocked for this test: {name}")
        return None

sys.meta_path.insert(0, BlockIngest())
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "catalog"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    USE_TZ=True,
)
django.setup()
import catalog.models
from catalog.models import Letter, Person
print(json.dumps({
    "ingest_loaded": sorted(m for m in sys.modules if m.startswith("catalog.ingest")),
    "doc_types": len(Letter._meta.get_field("doc_type").choices),
    "match_key": Person(display_name="Gromyko, Andrei A.").display_name and __import__(
        "catalog.vocabulary", fromlist=["normalise"]).normalise("Chargé d’Affaires"),
}))
"""


def test_models_import_without_the_ingest_package():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"ingest_loaded": [], "doc_types": 21, "match_key": "charge daffaires"}


def test_the_blocker_really_blocks():
    """The same script fails when a model does import the ingest package (the test can fail)."""
    script = SCRIPT.replace("import catalog.models\n", "import catalog.models\nimport catalog.ingest.names\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert run.returncode != 0
    assert "blocked for this test: catalog.ingest" in run.stderr
