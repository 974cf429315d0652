"""The parsers are pure: usable from a plain Python process that never configures Django."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
from catalog.ingest.text_parser import parse_text_document
from catalog.ingest.tei_parser import parse_tei
letter, _ = parse_text_document("fixtures/frus1969-76v33/000_dd5f1a60df42d359.txt", "frus1969-76v33")
parsed = parse_tei("fixtures/frus1944Quebec-excerpt.xml")
print(json.dumps({
    "text": [letter.number, letter.page_start, letter.page_end],
    "tei": [parsed.volume.identifier, [l.number for l in parsed.letters]],
    "django_loaded": "django" in sys.modules,
}))
"""


def test_parsers_run_without_django():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "text": [193, 807, 808],
        "tei": ["frus1944Quebec", [1, 2, 3, 4, 5, 6, 7, 8]],
        "django_loaded": False,
    }
