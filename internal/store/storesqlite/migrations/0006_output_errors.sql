-- The problems with what a task wrote to $GANTRY_OUTPUT, for the server to
-- show: a JSON array of strings, secrets redacted; NULL for a nil slice.
ALTER TABLE task_attempts ADD COLUMN output_errors TEXT;
