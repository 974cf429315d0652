"""From paths on disk to loaded volumes: detect each file's format, parse, load volume by volume."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError

from catalog.vocabulary import is_volume_identifier

from .loader import ChangeReport, load_volume, skip_unchanged_file
from .parse_worker import parse_tei_auto
from .records import ParseError
from .tei_parser import is_tei
from .text_parser import parse_text_volume

TEXT_SUFFIXES = {".txt"}


@dataclass
class VolumeJob:
    """One volume to import: a TEI file, or the text files given together for one identifier."""

    kind: str  # "tei" or "text"
    paths: list[Path]
    identifier: str = ""

    @property
    def label(self) -> str:
        return str(self.paths[0]) if len(self.paths) == 1 else f"{self.identifier} ({len(self.paths)} files)"

    @property
    def source(self) -> str:
        """What the parsers name as the volume's source (``ParsedVolume.source_path``)."""
        return ", ".join(str(p) for p in self.paths)

    def checksum(self, title: str = "") -> str:
        """SHA-256 of what decides the import: the format, the files' bytes (in order), the
        identifier and title given. Read a megabyte at a time: a large file is never held whole."""
        digest = hashlib.sha256(f"{self.kind}\0{self.identifier}\0{title}\0".encode())
        for path in self.paths:
            digest.update(f"{path.name}\0".encode())
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            digest.update(b"\0")
        return digest.hexdigest()

    def estimated_documents(self) -> int | None:
        if self.kind == "text":
            return len(self.paths)
        pattern, count, carry = b'type="document"', 0, b""
        with open(self.paths[0], "rb") as handle:  # a cheap byte scan, so the progress bar has a total
            while chunk := handle.read(1 << 20):
                window = carry + chunk
                count += window.count(pattern)
                carry = window[-(len(pattern) - 1) :]  # too short to hold a match: none counted twice
        return count or None


@dataclass
class ImportResult:
    reports: list[ChangeReport] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (what, why)


def expand_paths(paths: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in {".txt", ".xml"}))
        elif path.is_file():
            files.append(path)
        else:
            raise ParseError(path, None, "no such file or directory")
    return files


def plan_jobs(paths: list[str | Path], identifier: str = "") -> tuple[list[VolumeJob], list[ParseError]]:
    """Group the files into volumes: each TEI file is one; the text files together are one.

    A file that is neither is reported, not fatal: the other volumes still import.
    """
    if identifier and not is_volume_identifier(identifier):
        raise ParseError(
            "--volume",
            None,
            f"{identifier!r} is not a volume identifier: expected letters, digits, hyphens and underscores "
            "only, at most 64 (e.g. frus1969-76v33)",
        )
    jobs: list[VolumeJob] = []
    texts: list[Path] = []
    unrecognised: list[ParseError] = []
    for path in expand_paths(paths):
        if is_tei(path):
            jobs.append(VolumeJob("tei", [path], identifier))
        elif path.suffix.lower() in TEXT_SUFFIXES:
            texts.append(path)
        else:
            unrecognised.append(
                ParseError(path, 1, "expected a FRUS TEI volume (XML whose root is TEI) or a .txt document")
            )
    if texts:
        for job in jobs:
            job.identifier = ""  # in a mixed run, --volume names the text volume; TEI files name their own
        if not identifier:
            raise ParseError(texts[0], None, "plain-text documents need --volume IDENTIFIER (e.g. frus1969-76v33)")
        jobs.append(VolumeJob("text", texts, identifier))
    return jobs, unrecognised


def run_job(
    job: VolumeJob,
    *,
    title: str = "",
    publish: bool = False,
    dry_run: bool = False,
    force: bool = False,
    user=None,
    progress: Callable[[int], None] | None = None,
) -> ChangeReport:
    checksum = job.checksum(title)
    skipped = skip_unchanged_file(checksum, source=job.source, publish=publish, dry_run=dry_run, force=force)
    if skipped is not None:
        return skipped
    if job.kind == "tei":
        parsed = parse_tei_auto(job.paths[0])  # a large file parsed in a second process, beside the writes
        if job.identifier and job.identifier != parsed.volume.identifier:
            raise ParseError(
                job.paths[0],
                None,
                f"--volume {job.identifier} does not match the file's idno {parsed.volume.identifier}",
            )
        if title:
            parsed.volume.title = title
    else:
        parsed = parse_text_volume(job.paths, job.identifier, title)
    return load_volume(
        parsed,
        publish=publish,
        dry_run=dry_run,
        force=force,
        user=user,
        source_format=job.kind,
        progress=progress,
        file_checksum=checksum,
    )


def import_paths(
    paths: list[str | Path],
    *,
    identifier: str = "",
    title: str = "",
    publish: bool = False,
    dry_run: bool = False,
    force: bool = False,
    user=None,
    on_job_start: Callable[[VolumeJob], Callable[[int], None] | None] | None = None,
) -> ImportResult:
    """Import every volume found in ``paths``, each in its own transaction, going on past a bad one."""
    result = ImportResult()
    jobs, unrecognised = plan_jobs(paths, identifier)
    result.failures.extend((error.path, str(error)) for error in unrecognised)
    for job in jobs:
        progress = on_job_start(job) if on_job_start else None
        try:
            report = run_job(
                job, title=title, publish=publish, dry_run=dry_run, force=force, user=user, progress=progress
            )
        except ParseError as error:
            result.failures.append((job.label, str(error)))
        except DatabaseError as error:
            # Rolled back with its transaction; the other volumes still import.
            result.failures.append((job.label, f"{job.label}: the database refused the volume: {error}"))
        else:
            result.reports.append(report)
    return result
