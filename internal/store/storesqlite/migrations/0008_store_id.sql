-- The store's identity, made once when the store is created: a project
-- remembers it (.gantry/store-id) so that a store removed or replaced under
-- it is noticed instead of silently starting an empty history.
CREATE TABLE store_identity (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    id  TEXT    NOT NULL
);
INSERT INTO store_identity (one, id) VALUES (1, lower(hex(randomblob(16))));
