// Tenant scoping for Prisma Client 7 on Eventvault's tables (copy into your project; see README.md).
//
// Eventvault protects events and event_ids with PostgreSQL row-level security: a transaction sees only
// the rows of the tenants it declared with set_config('app.tenant_id', <tenant>, true). The setting is
// transaction-local (`true`), so it must run in the same transaction as the query it scopes; with a
// connection pool a session-level SET would leak to the next user of the connection.
//
//   import { PrismaClient } from './generated/prisma/client'
//   import { PrismaPg } from '@prisma/adapter-pg'
//   import { forTenant, withTenant } from './eventvault-tenant'
//
//   const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.APP_DATABASE_URL }) })
//   const acme = prisma.$extends(forTenant('acme'))
//   const events = await acme.event.findMany({
//     where: { recordedAt: { gte: since } }, // a time bound lets PostgreSQL skip other partitions
//     orderBy: { position: 'asc' },
//   })
//
//   // Several queries in one snapshot, or raw SQL: an interactive transaction on the plain client.
//   const [count] = await withTenant(prisma, 'acme', (tx) => tx.$queryRaw`SELECT count(*) FROM events`)
//
// Connect as Eventvault's application role (eventvault_app) or a role that is a member of it: never as a
// superuser, a BYPASSRLS role or the tables' owner, for which row-level security does not apply.
import { Prisma } from '@prisma/client/extension'

/** Eventvault's tenant ids (the server accepts no others). No comma: the setting is a comma-separated list. */
const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/

export function checkTenantId(tenantId: string): string {
  if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId)) {
    throw new Error(`not an Eventvault tenant id: ${JSON.stringify(tenantId)}`)
  }
  return tenantId
}

interface RawBatchExecutor {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Prisma.PrismaPromise<number>
}

/**
 * A Prisma Client extension that runs every model query (findMany, count, aggregate, ...) in a batch
 * transaction together with set_config('app.tenant_id', tenantId, true). Raw queries ($queryRaw) are
 * not model queries: use withTenant for them.
 *
 * Do not open an interactive $transaction on the extended client: each query already runs in its own
 * transaction (nested transactions are not supported), so use withTenant on the plain client instead.
 */
export function forTenant(tenantId: string) {
  const tenant = checkTenantId(tenantId)
  return Prisma.defineExtension((client) => {
    // The generic client type of a shareable extension does not declare $executeRaw; every
    // PrismaClient has it.
    const raw = client as unknown as RawBatchExecutor
    return client.$extends({
      name: 'eventvault-tenant',
      query: {
        $allModels: {
          async $allOperations({ args, query }) {
            // query(args) is typed as a Promise, but at run time it is a PrismaPromise that a batch
            // $transaction accepts: both statements run in one transaction, set_config first.
            const [, result] = await client.$transaction([
              raw.$executeRaw`SELECT set_config('app.tenant_id', ${tenant}, true)`,
              query(args) as unknown as Prisma.PrismaPromise<unknown>,
            ])
            return result
          },
        },
      },
    })
  })
}

/** The part of a transaction client withTenant needs: the generated client's `tx` has it. */
export interface RawExecutor {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>
}

/** The part of a Prisma Client withTenant needs: an interactive $transaction. */
export interface InteractiveTransactions<Tx extends RawExecutor> {
  $transaction<R>(fn: (tx: Tx) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>
}

/**
 * Runs `fn` in an interactive transaction that has declared `tenantId` first: every query of `tx`,
 * raw SQL included, sees that tenant's rows only, all in one snapshot.
 */
export async function withTenant<Tx extends RawExecutor, R>(
  client: InteractiveTransactions<Tx>,
  tenantId: string,
  fn: (tx: Tx) => Promise<R>,
  options?: { maxWait?: number; timeout?: number },
): Promise<R> {
  const tenant = checkTenantId(tenantId)
  return client.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenant}, true)`
    return fn(tx)
  }, options)
}
