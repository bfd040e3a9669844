// The contract check of run.sh (see prisma/schema.prisma). The Eventvault tables that eventvault.prisma
// models are compared column by column with the live database; the others (read from the shipped schema
// script, like the customer's config does) are external here, so a table the server creates that is in
// neither list makes the check fail.
import { readFileSync } from 'node:fs'
import { defineConfig, env } from 'prisma/config'

const eventvaultSql = readFileSync('prisma/eventvault.sql', 'utf8')
const created = [...eventvaultSql.matchAll(/^CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)\s/gm)].map(([, t]) => t)
const modeled = [...readFileSync('prisma/eventvault.prisma', 'utf8').matchAll(/@@map\("([^"]+)"\)/g)].map(([, t]) => t)

export default defineConfig({
  schema: 'prisma',
  datasource: { url: env('DATABASE_URL') },
  experimental: { externalTables: true },
  tables: {
    external: [...new Set(created)].filter((t) => !modeled.includes(t)).map((t) => `public.${t}`),
  },
})
