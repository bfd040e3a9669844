#!/usr/bin/env node
// Test helper for run.sh (no psql needed): node tools/sql.mjs URL 'SQL' | -f FILE
// Runs the SQL as one simple-protocol query (several statements allowed, one implicit transaction)
// and prints the first column of the last result's rows, one per line.
import { readFileSync } from 'node:fs'
import pg from 'pg'

const [url, ...rest] = process.argv.slice(2)
const sql = rest[0] === '-f' ? readFileSync(rest[1], 'utf8') : rest.join(' ')
if (!url || !sql) {
  console.error("usage: sql.mjs URL 'SQL' | -f FILE")
  process.exit(2)
}
const client = new pg.Client({ connectionString: url })
client.on('notice', () => {})
try {
  await client.connect()
  const results = [].concat(await client.query(sql))
  const last = results[results.length - 1]
  for (const row of last?.rows ?? []) console.log(String(Object.values(row)[0]))
} catch (error) {
  console.error(`sql.mjs: ${error.message}`)
  process.exitCode = 1
} finally {
  await client.end().catch(() => {})
}
