-- Attempts' logs shipped to the store in chunks, for attempts that ran on
-- another machine. A chunk holds bytes [start_offset, start_offset +
-- length(bytes)) of its attempt's log. No foreign key: a chunk may be
-- shipped before the attempt's row is visible to another process, and
-- retention prunes chunks by age.
CREATE TABLE log_chunks (
    attempt_id   INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    bytes        BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, seq)
);
CREATE INDEX log_chunks_created ON log_chunks (created_at);
