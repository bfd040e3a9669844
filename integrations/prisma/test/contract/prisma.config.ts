// The contract check of run.sh (see prisma/schema.prisma). Only the Eventvault tables that
// eventvault.prisma deliberately does not model are external here; events and event_ids are compared.
import { defineConfig, env } from 'prisma/config'

export default defineConfig({
  schema: 'prisma',
  datasource: { url: env('DATABASE_URL') },
  experimental: { externalTables: true },
  tables: {
    external: ['public.tenants', 'public.api_keys', 'public.eventvault_settings', 'public.eventvault_migrations'],
  },
})
