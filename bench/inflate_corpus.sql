-- Benchmark databases only (never a real catalog): bench/RESULTS.md, "Person, volume, letter pages
-- and API, session 4". Usage, on a copy of an imported synthetic corpus:
--   psql -h 127.0.0.1 -U postgres lb_pages4_100k -v k=9 -f bench/inflate_corpus.sql
-- Inflate a synthetic catalog k-fold: each volume copied as <identifier>c<k> with its letters,
-- footnotes, people links and source citations (same people, same archival sources: the most
-- prolific person and the biggest collections grow k-fold, as they would over more volumes).
\set ON_ERROR_STOP on
BEGIN;
CREATE TEMP TABLE copies AS SELECT generate_series(1, :k) AS k;
INSERT INTO catalog_volume (identifier, title, series, subseries, volume_number, editors, year_published, created, modified, import_snapshot, import_checksum, import_letters)
SELECT v.identifier || 'c' || c.k, v.title, v.series, v.subseries, v.volume_number, v.editors, v.year_published, now(), now(), '{}', '', v.import_letters
FROM catalog_volume v CROSS JOIN copies c WHERE v.identifier !~ 'c[0-9]+$';
CREATE TEMP TABLE vmap AS SELECT o.id AS old_id, n.id AS new_id FROM catalog_volume o JOIN catalog_volume n ON n.identifier ~ ('^' || o.identifier || 'c[0-9]+$') WHERE o.identifier !~ 'c[0-9]+$';
INSERT INTO catalog_letter (number, xml_id, title, doc_type, date_min, date_max, date_precision, place, dateline, classification, page_start, page_end, body, body_text, status, published_at, import_snapshot, import_checksum, created, modified, chapter_id, volume_id, assigned_to_id, problem_count, provisional, administration, search_vector, facet_keys, source_checksum)
SELECT l.number, l.xml_id, l.title, l.doc_type, l.date_min, l.date_max, l.date_precision, l.place, l.dateline, l.classification, l.page_start, l.page_end, l.body, l.body_text, l.status, l.published_at, '{}', '', now(), now(), NULL, m.new_id, NULL, l.problem_count, l.provisional, l.administration, l.search_vector, l.facet_keys, ''
FROM catalog_letter l JOIN vmap m ON m.old_id = l.volume_id;
CREATE TEMP TABLE lmap AS SELECT o.id AS old_id, n.id AS new_id FROM catalog_letter o JOIN vmap m ON m.old_id = o.volume_id JOIN catalog_letter n ON n.volume_id = m.new_id AND n.number = o.number;
CREATE INDEX ON lmap (old_id);
INSERT INTO catalog_footnote (number, kind, text, content, anchor, letter_id, modified)
SELECT f.number, f.kind, f.text, f.content, f.anchor, m.new_id, now() FROM catalog_footnote f JOIN lmap m ON m.old_id = f.letter_id;
INSERT INTO catalog_letterperson (role, name_as_written, letter_id, person_id)
SELECT p.role, p.name_as_written, m.new_id, p.person_id FROM catalog_letterperson p JOIN lmap m ON m.old_id = p.letter_id;
INSERT INTO catalog_sourcecitation (is_source_note, raw, footnote_id, letter_id, source_id)
SELECT s.is_source_note, s.raw, nf.id, m.new_id, s.source_id FROM catalog_sourcecitation s JOIN lmap m ON m.old_id = s.letter_id
LEFT JOIN catalog_footnote of ON of.id = s.footnote_id LEFT JOIN catalog_footnote nf ON nf.letter_id = m.new_id AND nf.number = of.number;
INSERT INTO catalog_personidentifier (local_id, person_id, volume_id)
SELECT i.local_id, i.person_id, m.new_id FROM catalog_personidentifier i JOIN vmap m ON m.old_id = i.volume_id;
COMMIT;
ANALYZE;
