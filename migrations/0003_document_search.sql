-- Search over the document index (GET /v1/docs?q=&metadata.<key>=): a full-text index of each
-- document's id and operator metadata, and an index of its top-level metadata values for exact
-- filters. Triggers keep both in step with the `documents` table, so the index sync is unchanged.

-- Stable integer keys for the full-text rows: `documents` has a TEXT primary key, and the implicit
-- rowid of such a table may change on VACUUM.
CREATE TABLE document_search_keys (
  key INTEGER PRIMARY KEY,
  id  TEXT NOT NULL UNIQUE
);

-- Words of the id (split at - : . _), of `title`, of `tags` and of every other string value.
-- `prefix` indexes make prefix queries (what a search box sends) as cheap as whole words.
CREATE VIRTUAL TABLE document_search USING fts5(
  id_words, title, tags, other,
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

-- What the full-text index holds for each document.
CREATE VIEW document_search_source AS
SELECT
  d.id AS id,
  (SELECT value FROM json_each(d.metadata, '$.title') WHERE type = 'text') AS title,
  (SELECT group_concat(value, ' ') FROM json_tree(d.metadata, '$.tags') WHERE type = 'text') AS tags,
  (SELECT group_concat(value, ' ') FROM json_tree(d.metadata)
    WHERE type = 'text' AND fullkey NOT IN ('$.title', '$.tags') AND substr(fullkey, 1, 7) NOT IN ('$.tags[', '$.tags.')) AS other
FROM documents AS d;

-- Top-level metadata values as text: strings as they are, numbers and booleans as JSON spells
-- them, and each such element of an array. Nested objects are not indexed.
CREATE TABLE document_metadata_values (
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  id    TEXT NOT NULL,
  PRIMARY KEY (key, value, id)
) WITHOUT ROWID;
CREATE INDEX document_metadata_values_by_id ON document_metadata_values (id);

CREATE VIEW document_metadata_source AS
SELECT DISTINCT
  d.id AS id,
  top.key AS key,
  CASE item.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(item.value AS TEXT) END AS value
FROM documents AS d, json_each(d.metadata) AS top, json_each(d.metadata, top.fullkey) AS item
WHERE top.type <> 'object' AND item.type IN ('text', 'integer', 'real', 'true', 'false');

CREATE TRIGGER document_search_insert AFTER INSERT ON documents BEGIN
  INSERT INTO document_search_keys (id) VALUES (NEW.id);
  INSERT INTO document_search (rowid, id_words, title, tags, other)
    SELECT k.key, s.id, s.title, s.tags, s.other
    FROM document_search_source AS s JOIN document_search_keys AS k ON k.id = s.id WHERE s.id = NEW.id;
  INSERT INTO document_metadata_values (key, value, id) SELECT key, value, id FROM document_metadata_source WHERE id = NEW.id;
END;

-- The index sync rewrites a row every few seconds while its document is edited; only a change of
-- metadata touches the search tables.
CREATE TRIGGER document_search_update AFTER UPDATE OF metadata ON documents WHEN OLD.metadata IS NOT NEW.metadata BEGIN
  DELETE FROM document_search WHERE rowid = (SELECT key FROM document_search_keys WHERE id = NEW.id);
  INSERT INTO document_search (rowid, id_words, title, tags, other)
    SELECT k.key, s.id, s.title, s.tags, s.other
    FROM document_search_source AS s JOIN document_search_keys AS k ON k.id = s.id WHERE s.id = NEW.id;
  DELETE FROM document_metadata_values WHERE id = NEW.id;
  INSERT INTO document_metadata_values (key, value, id) SELECT key, value, id FROM document_metadata_source WHERE id = NEW.id;
END;

CREATE TRIGGER document_search_delete AFTER DELETE ON documents BEGIN
  DELETE FROM document_search WHERE rowid = (SELECT key FROM document_search_keys WHERE id = OLD.id);
  DELETE FROM document_search_keys WHERE id = OLD.id;
  DELETE FROM document_metadata_values WHERE id = OLD.id;
END;

-- Documents indexed before this migration.
INSERT INTO document_search_keys (id) SELECT id FROM documents;
INSERT INTO document_search (rowid, id_words, title, tags, other)
  SELECT k.key, s.id, s.title, s.tags, s.other FROM document_search_source AS s JOIN document_search_keys AS k ON k.id = s.id;
INSERT INTO document_metadata_values (key, value, id) SELECT key, value, id FROM document_metadata_source;
