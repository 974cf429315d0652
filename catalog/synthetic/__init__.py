"""A synthetic FRUS: TEI volumes shaped like the Office of the Historian's, at any scale.

``generate_corpus(out_dir, volumes, seed, documents=None)`` writes ``out_dir/<volume-id>.xml`` for
each volume (and ``out_dir/manifest.json``) and returns a ``Manifest``; the files import unchanged
with ``manage.py import_volume OUT/ --publish``. See ``generator.py`` for what is modelled.
"""

from .generator import Manifest, VolumeManifest, generate_corpus

__all__ = ["Manifest", "VolumeManifest", "generate_corpus"]
