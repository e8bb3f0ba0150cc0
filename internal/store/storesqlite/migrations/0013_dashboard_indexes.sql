-- The dashboard's reads over every pipeline (sqlstore/summary.go): the
-- newest run of each (pipeline, env) from the index alone, and the runs of
-- a recent window counted without reading the table.
CREATE INDEX runs_pipeline_env_id ON runs (pipeline, env, id);
CREATE INDEX runs_created_cover ON runs (created_at, pipeline, env, state);
