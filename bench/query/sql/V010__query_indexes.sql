-- Query indexes (issue 3), measured at 20 M events in docs/benchmarks-query.md.
--
-- 1. (tenant, project, occurred_at, type) INCLUDE (position, recorded_at): a project and a time window with or
--    without types (V001's (tenant, project, type, occurred_at) cannot range over occurred_at without a type), and
--    what a page needs to be sorted from the index alone (the compiler's late row lookup). V001's index stays: the
--    Prisma model declares it, and it is the better one for a project, types and a window.
-- 2. (tenant, project, type, position) returns a project's events of one type in position order: a page of
--    "project + type + where …" stops after the first matches instead of fetching and sorting every candidate.
-- No GIN on payload: under row-level security (V002) the planner may not use `payload @> …` as an index condition
-- (jsonb_contains is not LEAKPROOF), so the index would cost writes (+80..150 % in the insert measurement) for
-- nothing. See docs/benchmarks-query.md.
CREATE INDEX IF NOT EXISTS events_project_time_type_idx
  ON events (tenant_id, project_id, occurred_at, type) INCLUDE (position, recorded_at);
CREATE INDEX IF NOT EXISTS events_project_type_position_idx
  ON events (tenant_id, project_id, type, position);
