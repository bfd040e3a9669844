-- Proposed Sql.APPEND (docs/benchmarks.md, finding 1): the duplicate lookup as a scalar subquery, so it is
-- an index probe that runs only for events that were not inserted, whatever the table statistics say.
-- Measure it against the server's statement: bench/run.sh --arms unnest --writer-sql-variant bench/sql/append-scalar-dup-lookup.sql
      WITH input AS (
        SELECT *
        FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::timestamptz[], $9::int[], $10::text[], $11::text[], $12::text[], $13::text[])
             WITH ORDINALITY AS t(tenant_id, id, type, project_id, source, subject, user_id,
                                  occurred_at, schema_version, correlation_id, causation_id, metadata, payload, ord)
      ),
      fresh AS (
        INSERT INTO event_ids (tenant_id, id, position, recorded_at)
        SELECT tenant_id, id, nextval('event_position_seq'), statement_timestamp()
        FROM input
        ORDER BY ord
        ON CONFLICT (tenant_id, id) DO NOTHING
        RETURNING tenant_id, id, position, recorded_at
      ),
      stored AS (
        INSERT INTO events (tenant_id, position, id, type, project_id, source, subject, user_id, occurred_at,
                            recorded_at, schema_version, correlation_id, causation_id, metadata, payload)
        SELECT i.tenant_id, f.position, i.id, i.type, i.project_id, i.source, i.subject, i.user_id, i.occurred_at,
               f.recorded_at, i.schema_version, i.correlation_id, i.causation_id, i.metadata::jsonb, i.payload::jsonb
        FROM input i
        JOIN fresh f ON f.tenant_id = i.tenant_id AND f.id = i.id
        RETURNING position
      )
      SELECT i.ord,
             coalesce(f.position,
                      (SELECT d.position FROM event_ids d WHERE d.tenant_id = i.tenant_id AND d.id = i.id)) AS position,
             f.position IS NULL AS duplicate
      FROM input i
      LEFT JOIN fresh f ON f.tenant_id = i.tenant_id AND f.id = i.id
      ORDER BY i.ord
