// Prisma Client 7 (adapter-pg, no native engine) reading the events the Java server wrote, connected as
// Eventvault's application role. run.sh copies eventvault-tenant.ts to ../src/ and generates the client
// into ../generated/prisma from prisma/ (which holds the shipped eventvault.prisma).
// Env: APP_DATABASE_URL (the application role), SEED_FILE (what tools/seed.mjs saved).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../generated/prisma/client'
import { forTenant, withTenant } from '../src/eventvault-tenant'

type Seeded = {
  id: string
  position: string
  recordedAt: string
  occurredAt: string
  type: string
  payload: unknown
  metadata: unknown
}
const seed: { tenants: Record<string, Seeded[]>; subscriptions: Record<string, string[]> } = JSON.parse(readFileSync(process.env.SEED_FILE!, 'utf8'))
const acmeEvents = seed.tenants.acme
const globexEvents = seed.tenants.globex

const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.APP_DATABASE_URL! }) })
const acme = prisma.$extends(forTenant('acme'))
const globex = prisma.$extends(forTenant('globex'))

/** The PostgreSQL SQLSTATE inside a Prisma error (driver adapter errors nest it). */
function sqlState(error: any): string | undefined {
  return error?.meta?.driverAdapterError?.cause?.originalCode ?? error?.cause?.originalCode ?? error?.code
}

before(async () => {
  await prisma.$connect()
})
after(async () => {
  await prisma.$disconnect()
})

describe('connection', () => {
  test('runs as a role without superuser and without BYPASSRLS (else RLS proves nothing)', async () => {
    const [role] = await prisma.$queryRaw<{ name: string; rolsuper: boolean; rolbypassrls: boolean }[]>`
      SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`
    assert.equal(role.name, 'eventvault_app')
    assert.equal(role.rolsuper, false)
    assert.equal(role.rolbypassrls, false)
  })
})

describe('row-level security', () => {
  test('without a tenant: 0 events and 0 event ids', async () => {
    assert.equal(await prisma.event.count(), 0)
    assert.deepEqual(await prisma.event.findMany(), [])
    assert.equal(await prisma.eventId.count(), 0)
    assert.equal(await prisma.eventSubscription.count(), 0)
  })

  test('with forTenant: exactly the tenant\'s events, JSON payload and BigInt position intact', async () => {
    for (const [client, expected] of [[acme, acmeEvents], [globex, globexEvents]] as const) {
      const rows = await client.event.findMany({ orderBy: { position: 'asc' } })
      assert.deepEqual(rows.map((e) => e.id), expected.map((e) => e.id))
      for (const [i, row] of rows.entries()) {
        const want = expected[i]
        assert.equal(typeof row.position, 'bigint')
        assert.equal(row.position, BigInt(want.position))
        assert.deepEqual(row.payload, want.payload)
        assert.deepEqual(row.metadata, want.metadata)
        assert.equal(row.type, want.type)
        assert.equal(row.recordedAt.toISOString(), want.recordedAt)
        assert.equal(row.occurredAt.toISOString(), want.occurredAt)
      }
      assert.equal(await client.event.count(), expected.length)
      assert.equal(await client.eventId.count(), expected.length)
    }
  })

  test('cannot read another tenant\'s events, even when asking for them by tenant or id', async () => {
    assert.deepEqual(await acme.event.findMany({ where: { tenantId: 'globex' } }), [])
    for (const other of globexEvents) {
      assert.equal(await acme.event.findFirst({ where: { id: other.id } }), null)
      assert.equal(await acme.eventId.findUnique({ where: { tenantId_id: { tenantId: 'globex', id: other.id } } }), null)
    }
    const max = await acme.event.aggregate({ _count: true, _max: { position: true } })
    assert.equal(max._count, acmeEvents.length)
    assert.equal(max._max.position, BigInt(acmeEvents.at(-1)!.position))
  })

  test('subscriptions (the server\'s consumer checkpoints) are tenant-scoped too', async () => {
    for (const [client, tenant] of [[acme, 'acme'], [globex, 'globex']] as const) {
      const rows = await client.eventSubscription.findMany({ orderBy: { name: 'asc' } })
      assert.deepEqual(rows.map((s) => s.name), seed.subscriptions[tenant])
      for (const row of rows) {
        assert.equal(typeof row.position, 'bigint')
        assert.deepEqual(row.filter, { typePrefix: 'order.' })
      }
    }
  })

  test('cannot write rows of another tenant (WITH CHECK)', async () => {
    const other = globexEvents[0]
    await assert.rejects(
      acme.eventId.create({
        data: { tenantId: 'globex', id: '00000000-0000-4000-8000-000000000001', position: 1n, recordedAt: new Date() },
      }),
      (error: any) => {
        assert.equal(sqlState(error), '42501', String(error))
        return true
      },
    )
    assert.equal(await globex.eventId.count({ where: { id: other.id } }), 1)
  })

  test('cannot read any partition directly (no privilege on schema event_partitions)', async () => {
    const partitions = await prisma.$queryRaw<{ name: string }[]>`
      SELECT inhrelid::regclass::text AS name FROM pg_inherits
      WHERE inhparent = 'public.events'::regclass ORDER BY 1`
    assert.ok(partitions.length >= 2, `partitions: ${JSON.stringify(partitions)}`)
    for (const { name } of partitions) {
      assert.match(name, /^event_partitions\./)
      await assert.rejects(
        withTenant(prisma, 'acme', (tx) => tx.$queryRawUnsafe(`SELECT count(*) FROM ${name}`)),
        (error: any) => {
          assert.equal(sqlState(error), '42501', `${name}: ${error}`)
          return true
        },
      )
    }
  })

  test('withTenant: raw SQL in an interactive transaction sees only the tenant', async () => {
    const rows = await withTenant(prisma, 'globex', (tx) =>
      tx.$queryRaw<{ tenant_id: string; n: bigint }[]>`SELECT tenant_id, count(*) AS n FROM events GROUP BY 1`)
    assert.deepEqual(rows, [{ tenant_id: 'globex', n: BigInt(globexEvents.length) }])
  })

  test('tenant ids are checked before they reach set_config', () => {
    assert.throws(() => forTenant('acme,globex'), /not an Eventvault tenant id/)
    assert.throws(() => forTenant(''), /not an Eventvault tenant id/)
  })
})

describe('lookups with what the server returned', () => {
  test('by id and recordedAt (findFirst), and by the primary key (findUnique)', async () => {
    for (const want of acmeEvents) {
      const recordedAt = new Date(want.recordedAt)
      const byId = await acme.event.findFirst({ where: { id: want.id, recordedAt } })
      assert.ok(byId, `event ${want.id} at ${want.recordedAt} not found`)
      assert.equal(byId.position, BigInt(want.position))
      const byKey = await acme.event.findUnique({
        where: { tenantId_position_recordedAt: { tenantId: 'acme', position: BigInt(want.position), recordedAt } },
      })
      assert.equal(byKey?.id, want.id)
    }
  })

  test('event_ids gives position and recordedAt of an id, exactly as the server stored them', async () => {
    for (const want of acmeEvents) {
      const row = await acme.eventId.findUnique({ where: { tenantId_id: { tenantId: 'acme', id: want.id } } })
      assert.ok(row)
      assert.equal(row.position, BigInt(want.position))
      assert.equal(row.recordedAt.toISOString(), want.recordedAt)
    }
  })

  test('a time-bounded query (partition pruning) finds the same events', async () => {
    const times = acmeEvents.map((e) => Date.parse(e.recordedAt))
    const rows = await acme.event.findMany({
      where: { recordedAt: { gte: new Date(Math.min(...times)), lte: new Date(Math.max(...times)) } },
      orderBy: { position: 'asc' },
    })
    assert.deepEqual(rows.map((e) => e.id), acmeEvents.map((e) => e.id))
    const paid = await acme.event.findMany({ where: { payload: { path: ['paid'], equals: true } } })
    assert.deepEqual(paid.map((e) => e.type), ['order.paid'])
  })
})
