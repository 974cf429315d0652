"""Limits a real volume never reaches: beyond them an input is refused (``file:line``), not loaded.

FRUS for scale: the largest TEI master files are about 30 MB; a long document runs to some 200,000
characters and 150 footnotes; volumes have at most a few thousand documents and pages. The limits
sit far above that, and far below what would strain memory or the database (a PostgreSQL integer
holds 2,147,483,647). Memory stays bounded: a text file is never read past its limit, and a TEI
document is refused as soon as its elements or characters pass the document limit.
"""

MAX_TEXT_FILE_BYTES = 4 * 1024 * 1024  # one document exported as plain text
MAX_TEI_FILE_BYTES = 512 * 1024 * 1024  # a whole volume's master file
MAX_DOCUMENT_CHARS = 2_000_000  # characters of one document (text and notes)
MAX_DOCUMENT_ELEMENTS = 200_000  # XML elements inside one document
MAX_FOOTNOTES = 2_000  # footnotes of one document
MAX_DOCUMENT_NUMBER = 1_000_000  # document numbers 1 … this
MAX_FOOTNOTE_NUMBER = 100_000  # a footnote's printed number (some volumes number through a chapter)
MAX_PAGE = 1_000_000  # printed page numbers
MAX_MARKER_STEPS = 200_000  # candidate places tried while placing a text document's footnote markers


def line_at_byte_limit(path, limit: int) -> int:
    """The line on which byte ``limit`` of the file falls (read in chunks: memory stays small)."""
    newlines, read = 0, 0
    with open(path, "rb") as handle:
        while read < limit and (chunk := handle.read(min(1 << 20, limit - read))):
            newlines += chunk.count(b"\n")
            read += len(chunk)
    return newlines + 1
