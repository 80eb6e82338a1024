// Runs the SQL Cairn renders for engines (column masks, row filters) in DuckDB and compares the results with
// what Cairn computes in memory (authz::apply_mask, RowFilter::matches). Written by
// tests/authz/row_filter_duckdb_test.cpp; runnable by hand:
//
//   node tests/engines/mask_sql_check.mjs cases.json
//
// cases.json:
//   {
//     "expressions": [ { "name": "...", "type": "DECIMAL(10,2)", "input": "1.5" | null, "input_hex": "00ff",
//                        "sql": "<expression over the column \"x\">", "expected": "text" | null } ],
//     "filters": [ { "name": "...", "columns": [ { "name": "id", "type": "BIGINT" } ],
//                    "rows": [ [ "1", null ] ], "where": "<boolean SQL>", "expected": [ 0, 2 ] } ]
//   }
// An expression is evaluated on a one-row table whose column "x" is the input cast to `type` (or the bytes of
// `input_hex` for BLOB) and printed with CAST(… AS VARCHAR), which is how DuckDB prints values. A filter's
// `expected` lists the indexes of the rows its WHERE clause must select. Inputs are bound as parameters.
// Prints every mismatch and exits 1 if there was one.

import {DuckDBInstance} from '@duckdb/node-api';
import {readFileSync} from 'node:fs';

function quoteIdentifier(name) { return '"' + name.replaceAll('"', '""') + '"'; }

function show(value) { return value === null ? 'NULL' : JSON.stringify(value); }

async function checkExpressions(connection, cases, failures) {
  for (const c of cases) {
    const source = c.input_hex !== undefined ? 'from_hex($1)' : `CAST($1 AS ${c.type})`;
    const sql = `SELECT CAST((${c.sql}) AS VARCHAR) AS result FROM (SELECT ${source} AS "x") AS input`;
    try {
      const statement = await connection.prepare(sql);
      const input = c.input_hex !== undefined ? c.input_hex : c.input;
      if (input === null) {
        statement.bindNull(1);
      } else {
        statement.bindVarchar(1, input);
      }
      const reader = await statement.runAndReadAll();
      const rows = reader.getRowsJS();
      const actual = rows.length === 1 ? rows[0][0] : undefined;
      if (actual !== c.expected) {
        failures.push(
            `${c.name}: input ${show(c.input ?? null)} (${c.type})\n    sql:      ${c.sql}\n` +
            `    DuckDB:   ${show(actual ?? null)}\n    expected: ${show(c.expected)}`);
      }
    } catch (error) {
      failures.push(`${c.name}: input ${show(c.input ?? null)} (${c.type})\n    sql: ${c.sql}\n    error: ${
          error.message}`);
    }
  }
}

// Creates a table holding `rows` typed as `columns` (plus the row index "__row") and returns its name.
async function createTable(connection, name, columns, rows) {
  const definitions = columns.map((col) => `${quoteIdentifier(col.name)} ${col.type}`);
  await connection.run(`CREATE TEMP TABLE ${name} ("__row" INTEGER, ${definitions.join(', ')})`);
  const casts = columns.map((col, i) => `CAST($${i + 2} AS ${col.type})`);
  const insert = await connection.prepare(`INSERT INTO ${name} VALUES ($1, ${casts.join(', ')})`);
  for (let r = 0; r < rows.length; ++r) {
    insert.bindInteger(1, r);
    rows[r].forEach((value, i) => {
      if (value === null) {
        insert.bindNull(i + 2);
      } else {
        insert.bindVarchar(i + 2, value);
      }
    });
    await insert.run();
  }
}

async function checkFilters(connection, cases, failures) {
  // Cases over the same columns and rows share one table.
  const tables = new Map();
  for (const c of cases) {
    try {
      const key = JSON.stringify([c.columns, c.rows]);
      if (!tables.has(key)) {
        const name = `rows_${tables.size}`;
        await createTable(connection, name, c.columns, c.rows);
        tables.set(key, name);
      }
      const table = tables.get(key);
      const reader =
          await connection.runAndReadAll(`SELECT "__row" FROM ${table} WHERE ${c.where} ORDER BY "__row"`);
      const actual = reader.getRowsJS().map((row) => row[0]);
      if (JSON.stringify(actual) !== JSON.stringify(c.expected)) {
        failures.push(
            `${c.name}\n    where:    ${c.where}\n    DuckDB:   [${actual}]\n    expected: [${c.expected}]`);
      }
    } catch (error) {
      failures.push(`${c.name}\n    where: ${c.where}\n    error: ${error.message}`);
    }
  }
}

async function main() {
  if (process.argv.length !== 3) {
    console.error('usage: node mask_sql_check.mjs CASES.json');
    process.exit(2);
  }
  const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const failures = [];
  const expressions = cases.expressions ?? [];
  const filters = cases.filters ?? [];
  await checkExpressions(connection, expressions, failures);
  await checkFilters(connection, filters, failures);
  for (const failure of failures) console.log(`MISMATCH ${failure}`);
  console.log(
      `${expressions.length} expression(s) and ${filters.length} filter(s) checked in DuckDB; ` +
      `${failures.length} mismatch(es)`);
  process.exit(failures.length === 0 ? 0 : 1);
}

await main();
