// The first non-null values of each top-level primitive column of Parquet files, as DuckDB reads and prints
// them: the reference of tests/crawler/parquet_values_test.cpp for Cairn's value sampling (docs/crawlers.md,
// "Value sampling").
//
//   node parquet_values_dump.mjs N FILE.parquet [FILE.parquet ...]
//       Prints {"<FILE>": {"<column>": ["<value>", ...]}} with at most N values per column, in file order, each
//       value CAST to VARCHAR (TIMESTAMP WITH TIME ZONE in UTC, without its "+00" offset). Columns of nested
//       types (STRUCT, LIST, MAP, UNION, arrays) are left out. A file DuckDB cannot read maps to
//       {"__error__": "<message>"}.
//
//   node parquet_values_dump.mjs --sql "COPY ... TO '...'"
//       Runs statements (to write test files) and prints {"ok": true}, or {"__error__": ...} and exits 1.

import {DuckDBInstance} from '@duckdb/node-api';

function quoteIdentifier(name) {
  return '"' + name.replaceAll('"', '""') + '"';
}

function nested(type) {
  return /^(STRUCT|MAP|UNION)\(/.test(type) || /\]$/.test(type);
}

async function dumpFile(connection, file, limit) {
  const describe = await connection.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [file]);
  const out = {};
  for (const row of describe.getRowObjectsJson()) {
    const name = row.column_name;
    const type = row.column_type;
    if (nested(type)) continue;
    const column = quoteIdentifier(name);
    const result = await connection.runAndReadAll(
        `SELECT CAST(${column} AS VARCHAR) AS v FROM read_parquet($1) WHERE ${column} IS NOT NULL LIMIT ${limit}`,
        [file]);
    let values = result.getRowObjectsJson().map((r) => r.v);
    if (type === 'TIMESTAMP WITH TIME ZONE') values = values.map((v) => v.replace(/\+00(:00)?$/, ''));
    out[name] = values;
  }
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const instance = await DuckDBInstance.create(':memory:', {threads: '1'});
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  if (args[0] === '--sql') {
    try {
      for (const statement of args.slice(1)) await connection.run(statement);
      console.log(JSON.stringify({ok: true}));
    } catch (e) {
      console.log(JSON.stringify({__error__: String(e.message ?? e)}));
      process.exitCode = 1;
    }
    return;
  }
  const limit = Number.parseInt(args[0], 10);
  if (!Number.isInteger(limit) || limit < 1) {
    console.error('usage: node parquet_values_dump.mjs N FILE.parquet [FILE.parquet ...]');
    process.exitCode = 2;
    return;
  }
  const out = {};
  for (const file of args.slice(1)) {
    try {
      out[file] = await dumpFile(connection, file, limit);
    } catch (e) {
      out[file] = {__error__: String(e.message ?? e)};
    }
  }
  console.log(JSON.stringify(out));
}

await main();
