#!/usr/bin/env node
// Writes events for two tenants through the running Eventvault server's HTTP API (never SQL), reads
// each one back with GET /v1/events/{id}, creates a subscription for one of them, and saves what the server returned for the Prisma Client
// tests: node tools/seed.mjs BASE_URL ADMIN_TOKEN OUT_FILE
import { writeFileSync } from 'node:fs'

const [base, adminToken, outFile] = process.argv.slice(2)
if (!base || !adminToken || !outFile) {
  console.error('usage: seed.mjs BASE_URL ADMIN_TOKEN OUT_FILE')
  process.exit(2)
}

async function call(method, path, token, body) {
  const response = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return JSON.parse(text)
}

// Payloads chosen to catch JSON mangling: nesting, null, unicode, decimals, empty containers.
const drafts = {
  acme: [
    { type: 'order.created', projectId: 'shop', subject: 'order/A-1', userId: 'user-1', correlationId: 'c-1',
      occurredAt: '2026-11-30T23:59:59.999Z', metadata: { ip: '203.0.113.7' },
      payload: { orderNumber: 'A-1', amount: 19.99, items: [{ sku: 'X', qty: 2 }], note: null, tags: [] } },
    { type: 'order.paid', projectId: 'shop', subject: 'order/A-1', userId: 'user-1', correlationId: 'c-1',
      payload: { orderNumber: 'A-1', paid: true, method: { kind: 'card', last4: '4242' } } },
    { type: 'customer.renamed', projectId: 'crm', userId: 'user-2',
      payload: { name: 'Zoë Ångström ✓', previous: { name: 'Zoe' }, empty: {} } },
  ],
  globex: [
    { type: 'order.created', projectId: 'shop', subject: 'order/G-1',
      payload: { orderNumber: 'G-1', amount: 5, secret: 'globex only' } },
    { type: 'order.cancelled', projectId: 'shop', subject: 'order/G-1', payload: { orderNumber: 'G-1' } },
  ],
}

const result = { tenants: {} }
for (const [tenant, events] of Object.entries(drafts)) {
  await call('POST', '/v1/admin/tenants', adminToken, { id: tenant, name: tenant.toUpperCase() })
  const { key } = await call('POST', `/v1/admin/tenants/${tenant}/keys`, adminToken, { scopes: ['ingest', 'query', 'replay'] })
  const appended = await call('POST', '/v1/events', key, events)
  if (appended.events?.length !== events.length) throw new Error(`unexpected append answer ${JSON.stringify(appended)}`)
  const stored = []
  for (const [index, answer] of appended.events.entries()) {
    if (answer.duplicate) throw new Error(`event ${index} of ${tenant} was a duplicate`)
    const event = await call('GET', `/v1/events/${answer.id}`, key)
    stored.push({
      id: answer.id,
      position: String(answer.position), // as text: exact even beyond 2^53
      recordedAt: event.recordedAt,
      occurredAt: event.occurredAt,
      type: events[index].type,
      payload: events[index].payload, // what the client sent: Prisma must return exactly this
      metadata: events[index].metadata ?? {},
    })
  }
  result.tenants[tenant] = stored
  if (tenant === 'acme') {
    await call('POST', '/v1/subscriptions', key, { name: 'billing', filter: { typePrefix: 'order.' } })
    result.subscriptions = { acme: ['billing'], globex: [] }
  }
}
writeFileSync(outFile, JSON.stringify(result, null, 2))
console.log(`seeded ${Object.values(result.tenants).flat().length} events for ${Object.keys(result.tenants).join(', ')}`)
