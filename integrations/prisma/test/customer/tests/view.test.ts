// Runs after `prisma migrate deploy` created the customer's view over Eventvault's events (migration
// 20260115000000_order_events). Env: APP_DATABASE_URL (the application role), SEED_FILE.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, test } from 'node:test'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../generated/prisma/client'
import { forTenant } from '../src/eventvault-tenant'

const seed = JSON.parse(readFileSync(process.env.SEED_FILE!, 'utf8'))
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.APP_DATABASE_URL! }) })
after(() => prisma.$disconnect())

test('the customer\'s security_invoker view over events keeps row-level security', async () => {
  assert.equal(await prisma.orderEvent.count(), 0, 'no tenant declared: the view must show nothing')
  for (const tenant of ['acme', 'globex']) {
    const rows = await prisma.$extends(forTenant(tenant)).orderEvent.findMany({ orderBy: { position: 'asc' } })
    const expected = seed.tenants[tenant].filter((e: { type: string }) => e.type.startsWith('order.'))
    assert.deepEqual(rows.map((r) => r.position), expected.map((e: { position: string }) => BigInt(e.position)))
    assert.deepEqual(rows.map((r) => r.orderNumber), expected.map((e: { payload: { orderNumber: string } }) => e.payload.orderNumber))
    assert.ok(rows.every((r) => r.tenantId === tenant))
  }
})
