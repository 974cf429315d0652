"""Checking and keeping uploaded volume files, before any import job sees them.

Every upload is treated as hostile. In order, and all before a run is recorded or a job queued:

1. size: all files together within ``IMPORT_MAX_UPLOAD_SIZE`` (default 200 MB);
2. names: a plain file name (no folders, no leading dot, no control characters);
3. type, by content, never by the name: a TEI volume (XML whose root element is ``TEI``), a plain-text
   document (its first line ``{number}. {heading}``, after an optional ``[Page N]``), or a zip of
   plain-text documents;
4. a zip: at most ``IMPORT_MAX_ZIP_ENTRIES`` entries and ``IMPORT_MAX_UNCOMPRESSED_SIZE`` bytes once
   unpacked (counted while unpacking, not taken from the zip's own claims), every entry a safe relative
   path (no ``..``, no absolute path, no link, no encryption) holding a text document.

Accepted files are kept under ``MEDIA_ROOT/imports/<random folder>/`` with their SHA-256; a refused
upload leaves nothing behind and says why, naming the file.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import unicodedata
import uuid
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings

from catalog.ingest.tei_parser import is_tei
from catalog.ingest.text_parser import looks_like_text_document

SNIFF_BYTES = 8192
CHUNK = 1 << 20
_SAFE_NAME = re.compile(r"^[\w][\w .()+,=@~-]*$")
MAX_NAME_LENGTH = 150
IGNORED_ZIP_FOLDERS = {"__MACOSX"}  # resource forks a Mac adds to every zip it makes


class UploadRefused(Exception):
    """The upload was refused; ``reasons`` says why, one line a problem, each naming its file."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a safe file name, or None."""
    if not name or name in {".", ".."}:
        return "expected a file name"
    if len(name) > MAX_NAME_LENGTH:
        return f"expected a file name of at most {MAX_NAME_LENGTH} characters"
    if "/" in name or "\\" in name or any(unicodedata.category(c).startswith("C") for c in name):
        return "expected a plain file name (no folders, no control characters)"
    if not _SAFE_NAME.match(name):
        return "expected a file name of letters, digits, spaces and . _ - ( ) + , = @ ~ (not starting with a dot)"
    return None


def sniff(path: Path) -> str | None:
    """ "tei", "text", "zip" or None (something else), judged by the file's content."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        return "zip"
    if is_tei(path):
        return "tei"
    return "text" if _is_text(head) else None


def _is_text(head: bytes) -> bool:
    try:  # a window may end inside a character: decode what is complete
        text = head.decode("utf-8-sig") if len(head) < SNIFF_BYTES else _decode_prefix(head)
    except UnicodeDecodeError:
        return False
    return looks_like_text_document(text)


def _decode_prefix(head: bytes) -> str:
    for cut in range(4):
        try:
            return head[: len(head) - cut].decode("utf-8-sig")
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", head, 0, len(head), "not UTF-8 text")


def _copy(source, target: Path, limit: int | None = None) -> tuple[int, str]:
    """Copy a stream to ``target``: (bytes written, SHA-256). Stops past ``limit`` bytes (returns limit + 1)."""
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if limit is not None and size > limit:
                return limit + 1, ""
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def _with_suffix(name: str, suffix: str) -> str:
    return name if name.lower().endswith(suffix) else name + suffix


def store_uploads(uploaded_files) -> tuple[str, list[dict]]:
    """Check the uploaded files and keep them: (folder under MEDIA_ROOT, one dict a file).

    Raises ``UploadRefused`` with every reason found; nothing is kept then.
    """
    files = list(uploaded_files)
    if not files:
        raise UploadRefused(["expected at least one file"])
    limit = settings.IMPORT_MAX_UPLOAD_SIZE
    reasons = []
    total = sum(f.size for f in files)
    for upload in files:
        if upload.size > limit:
            reasons.append(
                f"{upload.name}: refused: {megabytes(upload.size)} is over the limit of {megabytes(limit)} "
                "(IMPORT_MAX_UPLOAD_SIZE)"
            )
    if total > limit and not reasons:
        reasons.append(
            f"refused: the files come to {megabytes(total)} together, over the limit of {megabytes(limit)} "
            "(IMPORT_MAX_UPLOAD_SIZE)"
        )
    names = set()
    for upload in files:
        if problem := name_problem(upload.name):
            reasons.append(f"{upload.name!r}: refused: {problem}")
        elif upload.name.lower() in names:
            reasons.append(f"{upload.name}: refused: two files have this name")
        names.add(upload.name.lower())
    if reasons:
        raise UploadRefused(reasons)

    directory = f"imports/{uuid.uuid4().hex}"
    folder = Path(settings.MEDIA_ROOT) / directory
    folder.mkdir(parents=True)
    try:
        stored = [_store_one(upload, folder, directory, reasons) for upload in files]
        if reasons:
            raise UploadRefused(reasons)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return directory, stored


def _store_one(upload, folder: Path, directory: str, reasons: list[str]) -> dict:
    target = folder / upload.name
    upload.seek(0)
    size, checksum = _copy(upload, target)
    kind = sniff(target)
    entry = {"name": upload.name, "size": size, "sha256": checksum, "kind": kind or ""}
    if kind is None:
        reasons.append(
            f"{upload.name}: refused: expected a TEI volume (XML whose root element is TEI), a plain-text "
            'document (first line "{number}. {heading}", UTF-8) or a zip of plain-text documents'
        )
        return entry
    if kind == "text":
        named = _with_suffix(upload.name, ".txt")  # the pipeline takes text documents by their suffix
        if named != upload.name:
            target = target.rename(folder / named)
    entry["path"] = f"{directory}/{target.name}"
    if kind == "zip":
        entry["entries"] = _unpack(target, folder / f"{target.name}.d", f"{directory}/{target.name}.d", reasons)
    return entry


def zip_entry_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a zip entry may not be unpacked, or None."""
    name = info.filename
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "expected a relative path inside the zip"
    parts = PurePosixPath(name).parts
    if any(part in {"..", "."} for part in parts):
        return 'refused: a path that climbs out of the zip ("..")'
    for part in parts:
        if problem := name_problem(part):
            return problem
    if stat.S_ISLNK(info.external_attr >> 16):
        return "refused: a symbolic link"
    if info.flag_bits & 0x1:
        return "refused: an encrypted entry"
    return None


def _unpack(archive: Path, folder: Path, directory: str, reasons: list[str]) -> list[dict]:
    """Unpack a zip of text documents into ``folder``, within the entry count and size bounds."""
    label = archive.name
    try:
        with zipfile.ZipFile(archive) as zipped:
            infos = [
                i
                for i in zipped.infolist()
                if not i.is_dir() and PurePosixPath(i.filename).parts[0] not in IGNORED_ZIP_FOLDERS
            ]
            if len(infos) > settings.IMPORT_MAX_ZIP_ENTRIES:
                reasons.append(
                    f"{label}: refused: {len(infos)} entries, over the limit of {settings.IMPORT_MAX_ZIP_ENTRIES} "
                    "(IMPORT_MAX_ZIP_ENTRIES)"
                )
                return []
            budget = settings.IMPORT_MAX_UNCOMPRESSED_SIZE
            declared = sum(i.file_size for i in infos)
            over = (
                f"{label}: refused: unpacks to more than {megabytes(budget)} (IMPORT_MAX_UNCOMPRESSED_SIZE); "
                "a zip bomb?"
            )
            if declared > budget:
                reasons.append(over)
                return []
            if not infos:
                reasons.append(f"{label}: refused: expected plain-text documents in the zip, found none")
                return []
            entries, seen = [], set()
            for info in infos:
                if problem := zip_entry_problem(info):
                    reasons.append(f"{label}: {info.filename!r}: {problem}")
                    continue
                relative = _with_suffix(info.filename, ".txt")
                if relative.lower() in seen:
                    reasons.append(f"{label}: {info.filename}: refused: two entries have this name")
                    continue
                seen.add(relative.lower())
                target = folder / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(info) as source:
                    size, checksum = _copy(source, target, limit=budget)
                budget -= size
                if budget < 0:
                    reasons.append(over)
                    return entries
                with open(target, "rb") as handle:
                    if not _is_text(handle.read(SNIFF_BYTES)):
                        reasons.append(
                            f"{label}: {info.filename}: refused: expected a plain-text document "
                            '(first line "{number}. {heading}", UTF-8)'
                        )
                        continue
                entries.append(
                    {"name": info.filename, "size": size, "sha256": checksum, "path": f"{directory}/{relative}"}
                )
            return entries
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as error:
        reasons.append(f"{label}: refused: expected a readable zip ({error})")
        return []


def checksums_match(files: list[dict], root: Path) -> list[str]:
    """The stored files whose content no longer has the checksum recorded at upload (names)."""
    changed = []
    for entry in files:
        for item in [entry, *(entry.get("entries") or [])]:
            path = root / item["path"]
            try:
                with open(path, "rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError:
                digest = ""
            if digest != item["sha256"]:
                changed.append(item["name"])
    return changed
