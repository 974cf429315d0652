"""Parsing beside the writes: a TEI volume's letters read in a second process (issue 13).

The parsers are pure functions from a file to records, so a large volume's letters can be parsed in
a child process while this one writes them. ``parse_tei_beside(path)`` gives the same
``ParsedVolume`` as ``parse_tei(path)``: the front matter read here, at once; the letters a lazy
stream whose records come, in order, from a child that parses the same file with the same
``parse_tei``. Nothing else changes for the loader, which still consumes one record at a time in one
transaction:

- the child starts only when the loader first asks for a letter, after the loader has filled
  ``parsed.unchanged`` (the documents it holds as last loaded), which the child is given;
- with each letter come the changes the parser made beside it while reading up to that letter (the
  chapters it opened, the people it met or gave a title to), applied here before the letter is
  handed on: the loader sees ``parsed.volume.chapters`` and ``parsed.people`` exactly as it would
  with ``parse_tei`` at the same point of the stream;
- a ``ParseError`` in the child is raised here, at the same point of the stream, naming the same
  file and line (the letters before it have been handed on, as with ``parse_tei``); another error
  in the child is raised here as it was raised there;
- the child sends a small batch of letters at a time through a pipe that blocks when full: it runs
  at most a batch or two ahead, so memory stays bounded by the largest documents, as before;
- the loader stopping early (an error, a rolled-back volume) ends the child.

Whether to use it is decided by ``use_parse_worker``: only with the ``fork`` start method (Linux; the
child then needs no new interpreter and shares the parent's loaded code), not from a daemonic
process (which may not have children), and for a file of at least
``PARSE_WORKER_MIN_BYTES`` (small imports, and the test suite's fixtures, parse in-process: a second
process would cost more than it saves).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

from .citations import record_with_ref_targets
from .records import LetterRecord, ParsedVolume, ParseError, UnchangedDocument
from .tei_parser import open_tei, parse_tei

# Below this size a volume is parsed in-process (the fixtures are well under it; a FRUS volume of a
# few hundred documents is a few MB). ``LETTERBOOK_PARSE_WORKER_MIN_BYTES`` overrides it (0: always).
PARSE_WORKER_MIN_BYTES = 4 * 1024 * 1024
# Letters per message: enough to make the pipe's cost small, few enough to keep memory bounded.
BATCH_LETTERS = 16
# Messages the parent holds, pickled, before the child waits: 40 × 16 letters, more than a loader batch.
AHEAD_MESSAGES = 40


def worker_min_bytes() -> int:
    raw = os.environ.get("LETTERBOOK_PARSE_WORKER_MIN_BYTES", "")
    return int(raw) if raw.strip().isdigit() else PARSE_WORKER_MIN_BYTES


def use_parse_worker(path) -> bool:
    """Parse this TEI file in a second process? Decided by the platform and the file's size alone."""
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return False  # no fork here, or a daemonic process (a pool's worker), which may have no children
    try:
        size = Path(path).stat().st_size
    except OSError:
        return False
    return size >= worker_min_bytes()


def parse_tei_auto(path) -> ParsedVolume:
    """``parse_tei_beside`` for a large file where a child process can be forked, else ``parse_tei``."""
    return parse_tei_beside(path) if use_parse_worker(path) else parse_tei(path)


def parse_tei_beside(path) -> ParsedVolume:
    """``parse_tei(path)``, its letters parsed in a child process (see the module's docstring)."""
    parsed, _stream = open_tei(path)  # the front matter, here and now: errors in it raised at once
    parsed.letters = _letters_from_child(path, parsed)  # the stream's own generator is never started
    return parsed


def _letters_from_child(path, parsed: ParsedVolume) -> Iterator[LetterRecord | UnchangedDocument]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # Started here, at the first letter asked for: ``parsed.unchanged`` is filled by then.
    child = context.Process(
        target=_produce, args=(str(path), dict(parsed.unchanged), sender), name="letterbook-parse", daemon=True
    )
    child.start()
    sender.close()  # the child's end: once the child is gone, a read here ends (EOFError), never hangs
    # A thread drains the pipe into a bounded queue of pickled messages, so that the child parses on
    # while this process waits for the database (a batch's COPY, the search index): the child may run
    # up to AHEAD_MESSAGES ahead, pickled (about 20 kB a letter), never more.
    messages: queue.Queue = queue.Queue(maxsize=AHEAD_MESSAGES)
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            try:
                data = receiver.recv_bytes()
            except (EOFError, OSError):
                data = None
            while not stop.is_set():
                try:
                    messages.put(data, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if data is None:
                return

    reader = threading.Thread(target=drain, name="letterbook-parse-reader", daemon=True)
    reader.start()
    finished = False
    try:
        while True:
            data = messages.get()
            if data is None:
                raise ParseError(
                    path, None, f"the parser process ended without finishing the file (exit code {child.exitcode})"
                )
            message = _unpickle(data)
            kind = message[0]
            if kind == "letters":
                for letter, chapters, people in message[1]:
                    parsed.volume.chapters.extend(chapters)
                    parsed.people.update(people)
                    yield letter
            elif kind == "end":
                _, chapters, people = message
                parsed.volume.chapters.extend(chapters)
                parsed.people.update(people)
                finished = True
                return
            elif kind == "parse_error":
                _, error_path, line, text = message
                raise ParseError(error_path, line, text)
            else:  # "error": what the parser raised, as it raised it
                raise message[1]
    finally:
        stop.set()
        if not finished and child.is_alive():
            child.terminate()  # the loader stopped early: the rest of the file is not needed
        reader.join()
        receiver.close()
        child.join()


def _unpickle(data: bytes):
    """A message from the child. Without the cyclic garbage collector while the records are built:
    they hold no cycles, and a collection started by their thousands of new containers would walk
    every object this process holds (the loader's batch), again and again (4 s of a 20 MB import)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)  # noqa: S301 - from our own child process, through our own pipe
    finally:
        if enabled:
            gc.enable()


def _produce(path: str, unchanged: dict[int, str], sender) -> None:
    """The child: parse the file, send its letters with what changed beside them, in order."""
    batch: list = []
    try:
        parsed, stream = open_tei(path)
        parsed.unchanged.update(unchanged)
        chapters_sent = len(parsed.volume.chapters)
        stream.touched.clear()  # the front matter's people are known to the parent already

        def changes() -> tuple[list, dict]:
            nonlocal chapters_sent
            chapters = parsed.volume.chapters[chapters_sent:]
            chapters_sent = len(parsed.volume.chapters)
            people = {key: parsed.people[key] for key in stream.touched}
            stream.touched.clear()
            return chapters, people

        volume = parsed.volume.identifier
        for letter in parsed.letters:
            if isinstance(letter, LetterRecord):
                # What the loader would do first with the letter, done here (pure): its cross-reference
                # targets parsed (``VolumeLoader.with_ref_targets`` sees ``ref_targets_for`` and skips it).
                letter = record_with_ref_targets(letter, volume)
            batch.append((letter, *changes()))
            if len(batch) >= BATCH_LETTERS:
                sender.send(("letters", batch))
                batch = []
        if batch:
            sender.send(("letters", batch))
        sender.send(("end", *changes()))
    except ParseError as error:
        sender.send(("letters", batch))  # the letters read before the error are handed on first
        sender.send(("parse_error", error.path, error.line, error.message))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, raised there
        sender.send(("letters", batch))
        try:
            sender.send(("error", error))
        except Exception:  # noqa: BLE001 - an exception that does not pickle
            sender.send(("error", RuntimeError(f"the parser process failed: {error!r}")))
    finally:
        sender.close()
