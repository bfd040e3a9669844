#!/usr/bin/env node
// Eventvault test tooling: a STAND-IN for Prisma's native `schema-engine` binary, for machines that
// cannot download it (offline CI). NOT for production and not shipped to customers: where the native
// engine can be installed, run the same harness without PRISMA_SCHEMA_ENGINE_BINARY.
//
// Prisma 7's CLI starts the executable named by PRISMA_SCHEMA_ENGINE_BINARY and talks JSON-RPC 2.0 to
// it, one JSON object per line on stdin/stdout (logs as JSON lines on stderr). This script answers
// those requests with Prisma's own schema engine compiled to WebAssembly (npm
// @prisma/schema-engine-wasm: the same Rust core and PostgreSQL connector as the native binary),
// connected to PostgreSQL through the JS driver adapter @prisma/adapter-pg.
//
// The CLI calls it in three ways:
//   standin --version
//   standin --datasource JSON cli can-connect-to-database|create-database|drop-database
//   standin [--datamodels FILE]... [--datasource JSON] [--enabled-preview-features a,b] [--extension-types JSON]
//     -> JSON-RPC server on stdio
//
// Where the wasm engine and adapter-pg 7.10 differ from the native engine, this file patches them
// (see "patches" below and integrations/prisma/README.md, "Testing without the native engine").
// Environment: EVENTVAULT_STANDIN_DEBUG=1 traces requests on stderr;
// EVENTVAULT_STANDIN_WASM=cli runs the schema_engine_bg.wasm bundled in the prisma CLI package instead
// of the one from @prisma/schema-engine-wasm (both report the same engine commit for prisma 7.10.1).
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'

const harnessDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const requireFromHarness = createRequire(path.join(harnessDir, 'package.json'))

const DEBUG = process.env.EVENTVAULT_STANDIN_DEBUG === '1'
function trace(...parts) {
  if (DEBUG) process.stderr.write(`[eventvault-standin] ${parts.join(' ')}\n`)
}

/** Logs the way the native engine does: one JSON line on stderr, which the CLI shows on failure. */
function logEngineError(errorCode, message) {
  process.stderr.write(JSON.stringify({
    timestamp: new Date().toISOString(),
    level: 'ERROR',
    fields: { message, error_code: errorCode },
    target: 'schema_engine::logger',
  }) + '\n')
}

// ---------------------------------------------------------------- command line
function parseArgs(args) {
  const parsed = { datamodels: [], datasource: undefined, previewFeatures: [], cliCommand: undefined, version: false }
  for (let i = 0; i < args.length; i++) {
    switch (args[i]) {
      case '--version': case '-V': parsed.version = true; break
      case '--datamodels': parsed.datamodels.push(args[++i]); break
      case '--datasource': parsed.datasource = JSON.parse(args[++i]); break
      case '--enabled-preview-features': parsed.previewFeatures = args[++i].split(',').filter(Boolean); break
      case '--extension-types': i++; break // PostgreSQL extension types: not used by this stand-in
      case 'cli': parsed.cliCommand = args[++i]; break
      default: trace('ignoring argument', args[i])
    }
  }
  return parsed
}

/** The folder of an installed package (not every package exports its package.json). */
function packageDir(name) {
  let dir = path.dirname(requireFromHarness.resolve(name))
  while (readPackageName(dir) !== name) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`cannot find the folder of package ${name}`)
    dir = parent
  }
  return dir
}
function readPackageName(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name
  } catch {
    return undefined
  }
}

const options = parseArgs(process.argv.slice(2))
const wasmPackageDir = packageDir('@prisma/schema-engine-wasm')
const wasmPackage = JSON.parse(readFileSync(path.join(wasmPackageDir, 'package.json'), 'utf8'))

if (options.version) {
  const commit = wasmPackage.version.split('.').pop()
  process.stdout.write(`schema-engine-cli ${commit} (eventvault wasm stand-in, not the native engine)\n`)
  process.exit(0)
}

// ---------------------------------------------------------------- PostgreSQL connection settings
const pg = requireFromHarness('pg')
const { parse: parseConnectionString } = requireFromHarness('pg-connection-string')

/**
 * A node-postgres config OBJECT for a Prisma datasource URL. An object (not {connectionString}) so that
 * a different `database` can be put in for the shadow database: with a connectionString, node-postgres
 * lets the URL win over an explicit `database`.
 */
function pgConfig(url) {
  const parts = parseConnectionString(url)
  const config = {
    host: parts.host ?? undefined,
    port: parts.port ? Number(parts.port) : undefined,
    user: parts.user ?? undefined,
    password: parts.password ?? undefined,
    database: parts.database ?? undefined,
  }
  if (parts.ssl) config.ssl = parts.ssl
  // `?schema=name` is Prisma's, not libpq's: it becomes the search_path and the adapter's schema.
  const schema = new URL(url.replace(/^postgres(ql)?:/, 'http:')).searchParams.get('schema') ?? undefined
  if (schema) config.options = `-c search_path="${schema.replace(/"/g, '""')}"`
  return { config, schema }
}

const quoteIdent = (name) => '"' + String(name).replace(/"/g, '""') + '"'

async function runCliCommand(command) {
  const url = options.datasource?.url
  if (!url) {
    logEngineError('P1012', 'The datasource has no url (prisma.config.ts datasource.url).')
    return 1
  }
  const { config } = pgConfig(url)
  const connectTo = async (database) => {
    const client = new pg.Client({ ...config, database })
    await client.connect()
    return client
  }
  try {
    if (command === 'can-connect-to-database') {
      await (await connectTo(config.database)).end()
      return 0
    }
    if (command === 'create-database' || command === 'drop-database') {
      const admin = await connectTo('postgres')
      try {
        await admin.query(`${command === 'create-database' ? 'CREATE' : 'DROP'} DATABASE ${quoteIdent(config.database)}`)
      } finally {
        await admin.end()
      }
      return 0
    }
    logEngineError('P1000', `The stand-in does not implement \`cli ${command}\`.`)
    return 1
  } catch (error) {
    if (error.code === '3D000') logEngineError('P1003', `Database \`${config.database}\` does not exist on the database server`)
    else if (error.code === '42P04') logEngineError('P1009', `Database \`${config.database}\` already exists on the database server`)
    else logEngineError('P1001', `Can't reach database server: ${error.message}`)
    return 1
  }
}

if (options.cliCommand) {
  process.exit(await runCliCommand(options.cliCommand))
}

// ---------------------------------------------------------------- adapter-pg patches
const { PrismaPg } = requireFromHarness('@prisma/adapter-pg')
const { bindMigrationAwareSqlAdapterFactory } = requireFromHarness('@prisma/driver-adapter-utils')

/**
 * adapter-pg 7.10 defects that the native engine does not have (its own PostgreSQL driver is used there):
 *  1. PostgreSQL's internal one-byte type "char" (oid 18: pg_class.relkind, pg_constraint.contype, ...)
 *     has no column-type mapping, so every schema description fails with "Column type 'char' could not
 *     be deserialized from the database". The describer reads those columns as a Rust char: report them
 *     as ColumnType Character (mapping them to text instead breaks on the first CHECK constraint:
 *     "Getting constraint_type ... as char failed").
 *  2. executeScript() splits the script on ';' and runs the pieces one by one, which breaks DO $$ ... $$
 *     blocks, function bodies, and ';' inside comments or literals, and loses the implicit transaction of
 *     a multi-statement query. The native engine sends the whole script as one simple-protocol query.
 * Both classes are internal to adapter-pg; they are reached through an adapter's prototype chain.
 */
async function patchAdapterPg() {
  const probe = await new PrismaPg({ host: '127.0.0.1' }).connect() // the pool is lazy: nothing connects
  const adapterClass = Object.getPrototypeOf(probe) // PrismaPgAdapter
  const queryableClass = Object.getPrototypeOf(adapterClass) // PgQueryable, also the base of PgTransaction
  await probe.dispose()
  if (typeof queryableClass.queryRaw !== 'function' || typeof queryableClass.performIO !== 'function'
    || typeof adapterClass.executeScript !== 'function') {
    throw new Error('@prisma/adapter-pg changed shape: re-check the stand-in patches')
  }
  const { ColumnTypeEnum } = requireFromHarness('@prisma/driver-adapter-utils')
  const queryRaw = queryableClass.queryRaw
  queryableClass.queryRaw = async function queryRawWithChar(query) {
    const self = this
    const charColumns = []
    // Run the original on a view of this adapter whose performIO hides oid 18 from fieldToColumnType.
    const view = Object.create(self, {
      performIO: {
        value: async (q) => {
          const result = await self.performIO(q)
          for (const [index, field] of (result?.fields ?? []).entries()) {
            if (field.dataTypeID === 18) {
              charColumns.push(index)
              field.dataTypeID = 25
            }
          }
          return result
        },
      },
    })
    const result = await queryRaw.call(view, query)
    for (const index of charColumns) result.columnTypes[index] = ColumnTypeEnum.Character
    return result
  }
  adapterClass.executeScript = async function executeWholeScript(script) {
    try {
      await this.client.query(script)
    } catch (error) {
      this.onError(error)
    }
  }
}

/**
 * 3. adapter-pg's connectToShadowDb() drops the temporary shadow database before closing the pool that
 *    uses it ("database ... is being accessed by other users", leaving prisma_migrate_shadow_db_* behind),
 *    and, given a connection string, its database override is ignored: the "shadow" would be the main
 *    database. Replaced here: a configured shadowDatabaseUrl is emptied first (the native engine's soft
 *    reset), otherwise a temporary database is created and dropped WITH (FORCE) after the pool is closed.
 */
function withShadowDatabase(factory, main, shadowUrl) {
  if (shadowUrl) {
    const shadow = pgConfig(shadowUrl)
    factory.connectToShadowDb = async () => {
      const client = new pg.Client(shadow.config)
      await client.connect()
      try {
        await client.query(`DO $$
          DECLARE s text;
          BEGIN
            FOR s IN SELECT nspname FROM pg_namespace
                     WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
              EXECUTE format('DROP SCHEMA %I CASCADE', s);
            END LOOP;
            CREATE SCHEMA public;
          END $$`)
      } finally {
        await client.end()
      }
      return new PrismaPg(shadow.config, shadow.schema ? { schema: shadow.schema } : undefined).connect()
    }
    return factory
  }
  factory.connectToShadowDb = async () => {
    const database = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID()}`
    const admin = new pg.Client(main.config)
    await admin.connect()
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`)
    const adapter = await new PrismaPg({ ...main.config, database, options: undefined }).connect()
    const dispose = adapter.dispose.bind(adapter)
    adapter.dispose = async () => {
      try {
        await dispose()
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`)
      } finally {
        await admin.end()
      }
    }
    return adapter
  }
  return factory
}

// ---------------------------------------------------------------- the wasm engine
// A Rust panic inside the wasm engine reports its message here before the wasm traps ("unreachable");
// the message is attached to the RPC error (see rpcError).
let lastPanicMessage
globalThis.PRISMA_WASM_PANIC_REGISTRY = {
  set_message(message) {
    lastPanicMessage = message
    trace('engine panic:', message)
  },
}

async function loadWasmEngineModule() {
  const glue = await import(pathToFileURL(path.join(wasmPackageDir, 'schema_engine_bg.js')).href)
  const wasmFile = process.env.EVENTVAULT_STANDIN_WASM === 'cli'
    ? path.join(packageDir('prisma'), 'build', 'schema_engine_bg.wasm')
    : path.join(wasmPackageDir, 'schema_engine_bg.wasm')
  // Node 20 cannot `import` a .wasm module, so the package entry point is not usable: instantiate by hand.
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmFile)), {
    './schema_engine_bg.js': glue,
  })
  glue.__wbg_set_wasm(instance.exports)
  instance.exports.__wbindgen_start()
  trace('wasm engine', wasmFile)
  return glue
}

const url = options.datasource?.url
if (!url) {
  logEngineError('P1012', 'The datasource has no url (prisma.config.ts datasource.url).')
  process.exit(1)
}

await patchAdapterPg()
const main = pgConfig(url)
const adapterFactory = bindMigrationAwareSqlAdapterFactory(
  withShadowDatabase(new PrismaPg(main.config, main.schema ? { schema: main.schema } : undefined), main,
    options.datasource?.shadowDatabaseUrl))

const { SchemaEngine } = await loadWasmEngineModule()
const datamodels = options.datamodels.length
  ? options.datamodels.map((file) => [file, readFileSync(file, 'utf8')])
  : undefined

let engine // one engine per process: its migration-schema cache must survive between requests
try {
  engine = await SchemaEngine.new({ datamodels }, (message) => trace('engine log', message), adapterFactory)
} catch (error) {
  logEngineError('P1001', String(error?.message ?? error))
  process.exit(1)
}

// ---------------------------------------------------------------- JSON-RPC
const send = (message) => process.stdout.write(JSON.stringify(message) + '\n')
const RENAMED = { getDatabaseVersion: 'version' } // binary RPC name -> wasm method name
let nextPrintId = 1_000_000

function rpcError(error) {
  // Driver errors are parked in the adapter's registry and referenced by id.
  const id = error?.id ?? error?.cause?.id
  const parked = typeof id === 'number' ? adapterFactory.errorRegistry?.consumeError(id) : undefined
  if (parked) error = parked.error
  let message = String(error?.message ?? error)
  const panic = error instanceof WebAssembly.RuntimeError || /unreachable|panicked/i.test(message)
  if (panic && lastPanicMessage) {
    message = `${lastPanicMessage} (${message})`
    lastPanicMessage = undefined
  }
  return {
    code: 4466,
    message: 'An error happened. Check the data field for details.',
    data: panic
      ? { is_panic: true, message, backtrace: error?.stack ?? null }
      : { is_panic: false, message, error_code: error?.code ?? error?.kind, meta: error?.meta ?? null },
  }
}

async function answer(request) {
  const method = RENAMED[request.method] ?? request.method
  if (typeof engine[method] !== 'function') {
    send({ jsonrpc: '2.0', id: request.id, error: { code: -32601, message: `Method not found: ${request.method}` } })
    return
  }
  try {
    if (method === 'evaluateDataLoss' || method === 'createMigration') {
      // 4. The wasm engine hands the shadow-database factory only to devDiagnostic,
      //    diagnoseMigrationHistory and diff; evaluateDataLoss and createMigration read the migrations'
      //    schema from a cache those fill, else fail with "PostgreSQL shadow DB must be provided through
      //    an external factory". Fill it first with the same migrations.
      if (request.params?.migrationsList) {
        try {
          await engine.devDiagnostic({ migrationsList: request.params.migrationsList, filters: request.params.filters })
        } catch (error) {
          trace('cache priming failed:', error?.message ?? error)
        }
      }
    }
    let result = await engine[method](request.params ?? undefined) // called on the engine: keeps `this`
    if (method === 'diff' && typeof result?.stdout === 'string') {
      // The native engine prints the diff through a server-to-client "print" request.
      const { stdout, ...rest } = result
      if (stdout.length > 0) {
        send({ jsonrpc: '2.0', id: nextPrintId++, method: 'print', params: { content: stdout.replace(/\n$/, '') } })
      }
      result = rest
    }
    send({ jsonrpc: '2.0', id: request.id, result: result ?? null })
  } catch (error) {
    trace('error in', request.method, error?.stack ?? error)
    send({ jsonrpc: '2.0', id: request.id, error: rpcError(error) })
  }
}

let queue = Promise.resolve() // the engine is not re-entrant: one request at a time, in order
readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on('line', (line) => {
    if (!line.trim()) return
    let message
    try {
      message = JSON.parse(line)
    } catch {
      trace('not JSON:', line)
      return
    }
    if (message.method === undefined) return // the CLI's answer to a "print" request
    trace('request', message.method)
    queue = queue.then(() => answer(message))
  })
  .on('close', async () => {
    await queue
    try {
      engine.free()
    } catch {
      // already freed
    }
    process.exit(0)
  })
