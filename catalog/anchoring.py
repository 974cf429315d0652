"""Anchoring annotations in a letter's plain text (``Letter.body_text``): pure functions, no database.

An annotation targets a passage by two W3C selectors: a TextQuoteSelector (the exact words, with
about 32 characters of context on each side) and a TextPositionSelector (start and end offsets).
When the text changes (a re-import, an editor's correction) the passage is found again, in order:

1. the same position, if the exact words are still there;
2. the exact words elsewhere: of several occurrences, the one whose surroundings agree best with
   the recorded prefix and suffix (then the nearest to the old position);
3. a fuzzy match (Google's diff-match-patch ``match_main``, the Bitap algorithm Hypothesis used),
   accepted only when the words found are close enough to the old ones;
4. otherwise the annotation is orphaned: it keeps its old selectors and is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from diff_match_patch import diff_match_patch

CONTEXT = 32  # characters of prefix and suffix recorded on each side of the quote
ANCHORED, MOVED, ORPHANED = "anchored", "moved", "orphaned"
# A fuzzy match is kept when its edit distance to the old quote is at most this share of the quote.
MAX_FUZZY_DISTANCE = 0.34
BITAP_WINDOW = 32  # diff-match-patch's Bitap matches at most this many characters at a time


@dataclass(frozen=True)
class Selectors:
    """Both selectors of one target: the quote with its context, and its offsets in the text."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int


@dataclass(frozen=True)
class Anchor:
    """Where a target was found (or, orphaned, the selectors it kept) and how."""

    state: str  # ANCHORED (same place), MOVED (found elsewhere or changed) or ORPHANED
    selectors: Selectors
    method: str = ""  # "position", "quote", "fuzzy" or "" when orphaned


def describe(text: str, start: int, end: int, context: int = CONTEXT) -> Selectors:
    """Both selectors of ``text[start:end]``; raises ValueError on a range outside the text or empty."""
    if not (0 <= start < end <= len(text)):
        raise ValueError(f"the range {start}–{end} is not a passage of a text of {len(text)} characters")
    return Selectors(
        exact=text[start:end],
        prefix=text[max(0, start - context) : start],
        suffix=text[end : end + context],
        start=start,
        end=end,
    )


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def _occurrences(text: str, exact: str) -> list[int]:
    found, at = [], text.find(exact)
    while at != -1:
        found.append(at)
        at = text.find(exact, at + 1)
    return found


def _by_quote(text: str, old: Selectors) -> int | None:
    """The start of the occurrence of the exact words whose context agrees best with the old one."""
    candidates = _occurrences(text, old.exact)
    if not candidates:
        return None

    def score(at: int) -> tuple[int, int]:
        before = text[max(0, at - len(old.prefix)) : at]
        after = text[at + len(old.exact) : at + len(old.exact) + len(old.suffix)]
        agreement = _common_suffix(before, old.prefix) + _common_prefix(after, old.suffix)
        return (agreement, -abs(at - old.start))

    return max(candidates, key=score)


NEAR = 1000  # Bitap's first search stays about this close to the old place (the common case, and fast)


def _matcher(distance: int) -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Match_Threshold = 0.5
    dmp.Match_Distance = distance
    return dmp


def _locate(dmp: diff_match_patch, text: str, old: Selectors) -> int | None:
    """Roughly where the passage now begins: Bitap on its first words, else its last, else its prefix."""
    head = old.exact[:BITAP_WINDOW]
    at = dmp.match_main(text, head, min(old.start, len(text)))
    if at != -1:
        return at
    tail = old.exact[-BITAP_WINDOW:]
    at = dmp.match_main(text, tail, min(max(0, old.end - len(tail)), len(text)))
    if at != -1:
        return max(0, at + len(tail) - len(old.exact))
    if old.prefix:
        before = old.prefix[-BITAP_WINDOW:]
        at = dmp.match_main(text, before, min(max(0, old.start - len(before)), len(text)))
        if at != -1:
            return at + len(before)
    return None


def _new_start(diffs: list[tuple[int, str]], offset: int) -> int:
    """Where the old side's character at ``offset`` (the passage's first) stands on the new side.

    Text inserted just before it stays outside the passage; if it was deleted, the passage begins
    where it was (so a replacement of the first words is taken in).
    """
    old = new = 0
    for op, chunk in diffs:
        if op == diff_match_patch.DIFF_INSERT:
            new += len(chunk)
            continue
        if old + len(chunk) > offset:
            return new + (offset - old if op == diff_match_patch.DIFF_EQUAL else 0)
        old += len(chunk)
        if op == diff_match_patch.DIFF_EQUAL:
            new += len(chunk)
    return new


def _new_end(diffs: list[tuple[int, str]], offset: int) -> int:
    """Where the old side's first ``offset`` characters end on the new side.

    Text inserted just after the passage stays outside it; a replacement of its last words is taken in.
    """
    old = new = 0
    for index, (op, chunk) in enumerate(diffs):
        if op == diff_match_patch.DIFF_INSERT:
            new += len(chunk)
            continue
        if old + len(chunk) >= offset:
            if op == diff_match_patch.DIFF_EQUAL:
                return new + (offset - old)
            following = diffs[index + 1] if index + 1 < len(diffs) else None
            replaced = following is not None and following[0] == diff_match_patch.DIFF_INSERT
            return new + (len(following[1]) if replaced and old + len(chunk) == offset else 0)
        old += len(chunk)
        if op == diff_match_patch.DIFF_EQUAL:
            new += len(chunk)
    return new


def _by_fuzzy(text: str, old: Selectors) -> tuple[int, int] | None:
    """The fuzzy match of the old passage where Bitap finds it, or None when nothing is close enough.

    The old passage with its prefix and suffix is aligned (diff-match-patch's ``diff_main``) with the
    text around that place, and the passage's bounds are carried through the edits.
    """
    if not text:
        return None
    # Near the old place first; then anywhere (a passage moves far when much text is inserted before it).
    for distance in (NEAR, len(text)) if len(text) > NEAR else (NEAR,):
        span = _fuzzy_at(_matcher(distance), text, old)
        if span is not None:
            return span
    return None


def _fuzzy_at(dmp: diff_match_patch, text: str, old: Selectors) -> tuple[int, int] | None:
    at = _locate(dmp, text, old)
    if at is None:
        return None
    region_start = max(0, at - len(old.prefix) - BITAP_WINDOW)
    region = text[region_start : at + len(old.exact) * 2 + len(old.suffix) + BITAP_WINDOW]
    diffs = dmp.diff_main(old.prefix + old.exact + old.suffix, region, False)
    dmp.diff_cleanupSemantic(diffs)
    start = region_start + _new_start(diffs, len(old.prefix))
    end = region_start + _new_end(diffs, len(old.prefix) + len(old.exact))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start:
        return None
    distance = dmp.diff_levenshtein(dmp.diff_main(old.exact, text[start:end], False))
    if distance > MAX_FUZZY_DISTANCE * len(old.exact):
        return None
    return start, end


def reanchor(text: str, old: Selectors, context: int = CONTEXT) -> Anchor:
    """Find the passage ``old`` describes in ``text`` (the letter's new plain text)."""
    if old.exact and text[old.start : old.end] == old.exact:
        return Anchor(ANCHORED, describe(text, old.start, old.end, context), "position")
    if not old.exact:
        return Anchor(ORPHANED, old)
    at = _by_quote(text, old)
    if at is not None:
        return Anchor(MOVED, describe(text, at, at + len(old.exact), context), "quote")
    span = _by_fuzzy(text, old)
    if span is not None:
        return Anchor(MOVED, describe(text, *span, context), "fuzzy")
    return Anchor(ORPHANED, old)
