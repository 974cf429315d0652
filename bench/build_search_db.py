"""Fill an empty, migrated PostgreSQL database with N synthetic published letters, in SQL, fast.

For measuring search and facet queries (docs/search.md) before the real synthetic corpus is
imported: a few minutes for 150,000 letters, where the importer would take an hour. Words are drawn
with a Zipf-like skew from the vocabulary of the FRUS excerpts in ``fixtures/`` (ordered by their
frequency there), so common words (``president``: in about 60% of letters) and rare ones behave
roughly as in the real series; ``"strategic arms"`` is planted in 2% of letters and the rare word
``zeppelinoid`` in 20. Letters have 3 footnotes, a sender, a recipient and two mentioned people
(of 20,000), one or two archival citations (40 repositories) and a document type, classification,
date and administration. Not the shared corpus (branch ``corpus``): a measuring tool only.

    DATABASE_URL=postgres://…/lb_search_big DEBUG=1 .venv/bin/python manage.py migrate
    .venv/bin/python bench/build_search_db.py --dsn postgres://postgres@127.0.0.1:5432/lb_search_big --letters 150000
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
STOP = {"the", "of", "and", "to", "a", "in", "that", "for", "is", "on", "be", "with", "as", "by", "it", "this"}


def vocabulary() -> list[str]:
    counts: collections.Counter[str] = collections.Counter()
    for path in ROOT.glob("fixtures/**/*.xml"):
        text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
        counts.update(w.lower() for w in re.findall(r"[A-Za-z]{3,}", text))
    words = [w for w, _ in counts.most_common(6000) if w not in STOP and w not in {"president", "zeppelinoid"}]
    # 16 stop words first (dropped by the english configuration), then "president" (rank 17: in
    # ~60% of 300-word letters under the pow(random(), 3) skew), then the rest by frequency.
    return sorted(STOP) + ["president"] + words


SQL = """
INSERT INTO catalog_volume (identifier, title, series, subseries, volume_number, editors, year_published,
                            created, modified, import_snapshot, import_checksum)
SELECT 'frus-syn-' || v, 'Synthetic volume ' || v, 'Foreign Relations of the United States', '',
       'Volume ' || v, '[]', 2000, now(), now(), '{}', ''
FROM generate_series(1, %(volumes)s) v;

INSERT INTO catalog_person (display_name, sort_name, match_key, slug, titles, description, aliases, external_ids,
                            is_organization, needs_review, created, modified, import_snapshot)
SELECT 'Person ' || p, 'person ' || lpad(p::text, 6, '0'), 'person ' || p, 'person-' || p, '[]', '', '[]', '{}',
       false, false, now(), now(), '{}'
FROM generate_series(1, 20000) p;

INSERT INTO catalog_archivalsource (repository, collection, box, folder, raw, modified)
SELECT 'Repository ' || (s %% 40), 'Collection ' || (s %% 400), 'Box ' || s, '', 'Repository ' || (s %% 40), now()
FROM generate_series(1, 5000) s;

INSERT INTO catalog_letter (number, xml_id, title, doc_type, date_min, date_max, date_precision, place, dateline,
    classification, page_start, page_end, body, body_text, status, published_at, import_snapshot,
    import_checksum, source_checksum, created, modified, volume_id, problem_count, provisional, administration)
SELECT n, 'd' || n,
       initcap(dt) || ' From Person ' || (1 + (g * 7) %% 20000) || ' to Person ' || (1 + (g * 13) %% 20000)
           || ' ' || (%(words)s::text[])[17 + floor(pow(random(), 2) * 300)::int + g * 0],
       dt, d, d, 'day', 'Washington', '', cl, n, n + 1,
       '[]',
       (SELECT string_agg((%(words)s::text[])[1 + floor(pow(random(), 3) * %(nwords)s)::int], ' ')
          FROM generate_series(1, 300 + g * 0) k)
         || CASE WHEN g %% 50 = 0 THEN ' the strategic arms limitation talks' ELSE '' END
         || CASE WHEN g %% 7500 = 3 THEN ' zeppelinoid' ELSE '' END,
       'published', now(), '{"body_text": "x"}', '', '', now(), now(), vol.id, 0, false, adm
FROM (
  SELECT g, 1 + (g - 1) / %(per_volume)s AS vnum, 1 + (g - 1) %% %(per_volume)s AS n,
         (ARRAY['telegram','memorandum','letter','memorandum of conversation','editorial note','minutes',
                'paper','airgram','summary of conclusions'])[1 + (g * 31) %% 9] AS dt,
         (ARRAY['Secret','Top Secret; Sensitive','Confidential','Unclassified','Secret; Nodis',''])
             [1 + (g * 17) %% 6] AS cl,
         timestamp with time zone '1861-03-05' + ((g::float / %(letters)s) * 130 * 365.25) * interval '1 day' AS d
  FROM generate_series(1, %(letters)s) g
) s
JOIN catalog_volume vol ON vol.identifier = 'frus-syn-' || s.vnum
CROSS JOIN LATERAL (SELECT 'x'::text AS adm) a;

INSERT INTO catalog_footnote (number, kind, text, content, anchor, letter_id, modified)
SELECT f, 'editorial',
       CASE WHEN f = 1 THEN 'Source: Repository ' || (l.id %% 40) || ', Box ' || (l.id %% 5000) || '. Secret. '
            ELSE '' END
       || (SELECT string_agg((%(words)s::text[])[1 + floor(pow(random(), 3) * %(nwords)s)::int], ' ')
             FROM generate_series(1, 30 + l.id * 0 + f * 0) k),
       '[]', NULL, l.id, now()
FROM catalog_letter l CROSS JOIN generate_series(1, 3) f;

INSERT INTO catalog_letterperson (role, name_as_written, letter_id, person_id)
SELECT r.role, '', l.id, (SELECT min(id) FROM catalog_person)
       + ((l.id * r.m + r.k) %% CASE WHEN r.role IN ('sender', 'recipient') THEN 600 ELSE 20000 END)
FROM catalog_letter l
CROSS JOIN (VALUES ('sender', 7, 0), ('recipient', 13, 1), ('mentioned', 101, 2), ('mentioned', 211, 5)) r(role, m, k);

INSERT INTO catalog_sourcecitation (is_source_note, raw, footnote_id, letter_id, source_id)
SELECT true, '', NULL, l.id, (SELECT min(id) FROM catalog_archivalsource) + (l.id * 37) %% 5000
FROM catalog_letter l;
INSERT INTO catalog_sourcecitation (is_source_note, raw, footnote_id, letter_id, source_id)
SELECT false, '', NULL, l.id, (SELECT min(id) FROM catalog_archivalsource) + (l.id * 53) %% 5000
FROM catalog_letter l WHERE l.id %% 3 = 0;
"""

ADMIN_SQL = """
UPDATE catalog_letter SET administration = CASE {cases} ELSE '' END
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--letters", type=int, default=150_000)
    parser.add_argument("--per-volume", type=int, default=1000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from catalog.administrations import ADMINISTRATIONS

    words = vocabulary()
    started = time.monotonic()
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        params = {
            "letters": args.letters,
            "per_volume": args.per_volume,
            "volumes": -(-args.letters // args.per_volume),
            "words": words,
            "nwords": len(words),
        }
        for statement in SQL.split(";\n"):
            if statement.strip():
                conn.execute(statement, params)
                print(f"{time.monotonic() - started:7.1f}s {statement.strip().splitlines()[0][:70]}", flush=True)
        cases = " ".join(
            f"WHEN date_min >= '{a.start.isoformat()}' THEN '{a.slug}'"
            for a in sorted(ADMINISTRATIONS, key=lambda a: a.start, reverse=True)
        )
        conn.execute(ADMIN_SQL.format(cases=cases))
        conn.execute("VACUUM ANALYZE")
    print(f"{time.monotonic() - started:7.1f}s rows written; reindexing (catalog.search.reindex_letters)", flush=True)
    os.environ["DATABASE_URL"] = args.dsn
    os.environ.setdefault("DEBUG", "1")  # settings refuse DEBUG off without a SECRET_KEY
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()
    from catalog import search

    search.rebuild_index()  # what the migration runs: every letter, then the indexes' statistics
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"{time.monotonic() - started:7.1f}s done")


if __name__ == "__main__":
    main()
