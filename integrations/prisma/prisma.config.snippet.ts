// prisma.config.ts (Prisma 7) for an application whose database also holds Eventvault's tables.
// Copy it to your project root, or merge it into the config you have; see README.md for the steps.
// Paths are relative to the folder you run `prisma` from (the project root).
import { readFileSync } from 'node:fs'
import { defineConfig, env } from 'prisma/config'

// Eventvault's schema script (integrations/prisma/ddl/eventvault.sql, copied into prisma/). Replace it
// whenever you upgrade Eventvault: the list of Eventvault's tables below is read from it.
const eventvaultSql = readFileSync('prisma/eventvault.sql', 'utf8')
const eventvaultTables = [...eventvaultSql.matchAll(/^CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)\s/gm)]
  .map(([, table]) => `public.${table}`) // events, event_ids, tenants, api_keys, subscriptions, ...

export default defineConfig({
  // A folder: your schema.prisma (generator, datasource, your models) beside Eventvault's eventvault.prisma.
  schema: 'prisma',
  datasource: {
    // The role that runs your migrations (it owns your tables), not the application role.
    url: env('DATABASE_URL'),
  },
  // Externally managed tables (Preview in Prisma 7): Prisma Client reads them, Prisma Migrate never
  // creates, alters, drops or reports drift on them. The Eventvault server migrates them itself.
  experimental: {
    externalTables: true,
  },
  tables: {
    // Every table the Eventvault server creates in `public`, schema-qualified: a bare 'events' is
    // silently ignored. The partitions of events live in the schema event_partitions, which Prisma does
    // not look at, so they need no entry. A table missing here shows up as drift in `migrate dev`.
    external: [...new Set(eventvaultTables)],
  },
  migrations: {
    path: 'prisma/migrations',
    // Prisma replays your migrations in a temporary shadow database to detect drift. This script
    // (Eventvault's schema, integrations/prisma/ddl/eventvault.sql) creates the external tables there
    // first, so your migrations may refer to them (a view over events, for example).
    initShadowDb: eventvaultSql,
  },
})
