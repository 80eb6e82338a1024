// A minimal engine integration for Cairn, the worked example of docs/engines.md: resolves a table's access for
// the caller through the engine resolve endpoint (SigV4-signed, service "cairn"), builds the governed SELECT
// from the answer, runs it in DuckDB over the table's files and prints the result as JSON. Driven by
// tests/engines/engine_example_test.py; runnable by hand.
//
//   node governed_query.mjs query --database hr --table employees [--dialect duckdb]
//        [--query "SELECT * FROM governed ORDER BY ALL"] [--source "read_parquet('/data/*.parquet')"]
//        [--verify-authorization]
//       Environment: CAIRN_ENDPOINT (default http://127.0.0.1:7480), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
//       (or CAIRN_ACCESS_KEY_ID / CAIRN_SECRET_ACCESS_KEY), optional AWS_SESSION_TOKEN, AWS_REGION (any region;
//       default us-east-1).
//       Prints {"table", "dialect", "query_authorization", "verified_authorization"?, "access_columns",
//       "row_filter_sql", "governed_sql", "sql", "columns", "rows"}. The user's --query reads the governed
//       subquery as `governed` (this tool trusts its --query; a real engine must not let a user's query reach
//       the files or any other table function). When Cairn answers with an error, prints {"status", "error"} and
//       exits 3.
//
//   node governed_query.mjs access --database hr --table employees [--dialect duckdb]
//       Prints the resolve endpoint's answer (TableAccess) as it came. Same environment and errors as query.
//
//   node governed_query.mjs write --out FILE.parquet|FILE.csv --spec SPEC.json
//       Writes a data file with DuckDB's COPY. SPEC: {"columns": [{"name", "type": "<DuckDB type>"}],
//       "rows": [[<value as text> | null, ...], ...]}; every value is bound as a parameter and cast to its type.
//
//   node governed_query.mjs sql --sql "SELECT ..."
//       Runs one statement in DuckDB (no governance: for tests that compute expected values) and prints
//       {"columns", "rows"}.
//
// Rows are printed as DuckDB's JSON conversion gives them: BIGINT and DECIMAL values as strings (no precision
// lost), DATE as "YYYY-MM-DD", NULL as null.

import {DuckDBInstance} from '@duckdb/node-api';
import {createHash, createHmac} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {fileURLToPath, pathToFileURL} from 'node:url';

// --- SigV4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) -------------------

/// RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex).
function rfc3986(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function sha256Hex(data) { return createHash('sha256').update(data, 'utf8').digest('hex'); }

function hmac(key, data) { return createHmac('sha256', key).update(data, 'utf8').digest(); }

/// The canonical query string: every name and value decoded, RFC 3986-encoded, sorted by name then value.
function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  const decode = (s) => decodeURIComponent(s.replaceAll('+', '%20'));
  const pairs = rawQuery.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? '' : p.slice(eq + 1);
    return [rfc3986(decode(name)), rfc3986(decode(value))];
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/// The canonical URI: the path as sent (already encoded once), encoded once more, as AWS specifies for every
/// service but S3. Paths built by `request` below have no '.' or '..' segments and no repeated '/'.
function canonicalUri(rawPath) {
  return rawPath.split('/').map((segment) => rfc3986(segment)).join('/') || '/';
}

/// Headers (lower-case name → value) to add to a request so that it carries a SigV4 signature.
export function signRequest({method, url, body = '', credentials, region, service = 'cairn', now = new Date()}) {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');  // yyyymmddThhmmssZ
  const date = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(body);
  const headers = {'host': url.host, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate};
  if (body !== '') headers['content-type'] = 'application/json';
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    method, canonicalUri(url.pathname), canonicalQuery(url.search.slice(1)), canonicalHeaders, signedHeaders,
    payloadHash
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac('AWS4' + credentials.secretAccessKey, date), region), service),
                          'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  delete headers['host'];  // fetch sends Host from the URL, exactly as signed
  return headers;
}

// --- Cairn client --------------------------------------------------------------------------------------------

class CairnError extends Error {
  constructor(status, body) {
    super(`Cairn answered ${status}: ${JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

function settingsFromEnv() {
  const env = process.env;
  const accessKeyId = env.AWS_ACCESS_KEY_ID || env.CAIRN_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY || env.CAIRN_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or CAIRN_ACCESS_KEY_ID and ' +
                    'CAIRN_SECRET_ACCESS_KEY)');
  }
  return {
    endpoint: (env.CAIRN_ENDPOINT || 'http://127.0.0.1:7480').replace(/\/+$/, ''),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    credentials: {accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || ''},
  };
}

/// GET endpoint + /v1/<segments…>?<query>, signed; the parsed JSON answer, or a CairnError.
async function cairnGet(settings, segments, query = {}) {
  const path = '/v1/' + segments.map((s) => rfc3986(s)).join('/');
  const search = Object.entries(query).map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
  const url = new URL(settings.endpoint + path + (search ? '?' + search : ''));
  const headers = signRequest({method: 'GET', url, credentials: settings.credentials, region: settings.region});
  const response = await fetch(url, {method: 'GET', headers});
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!response.ok) throw new CairnError(response.status, body);
  return body;
}

// --- The governed query ----------------------------------------------------------------------------------------

function quoteIdentifier(name) { return '"' + name.replaceAll('"', '""') + '"'; }

function quoteLiteral(text) { return "'" + text.replaceAll("'", "''") + "'"; }

/// A DuckDB table expression reading the table's files, from its location and format. Only file:// (and
/// plain path) locations are read here; an engine with object-store access would use s3:// the same way.
function sourceFor(access) {
  const location = access.location || '';
  let path;
  if (location.startsWith('file://')) {
    path = fileURLToPath(location);
  } else if (location.startsWith('/')) {
    path = location;
  } else {
    throw new Error(`cannot read location '${location}' here; pass --source`);
  }
  const classification = String((access.parameters || {}).classification || '').toLowerCase();
  const inputFormat = String(access.input_format || '').toLowerCase();
  const isCsv = classification === 'csv' || (!classification && inputFormat.includes('text'));
  const isFile = !path.endsWith('/');
  const glob = isFile ? path : path + '**/*.' + (isCsv ? 'csv' : 'parquet');
  return isCsv ? `read_csv(${quoteLiteral(glob)}, header = true)` : `read_parquet(${quoteLiteral(glob)})`;
}

/// The governed SELECT of docs/engines.md: exactly the authorized columns, each through its select_sql, and
/// only the rows of row_filter_sql.
export function governedSelect(access, source) {
  if (!Array.isArray(access.columns) || access.columns.length === 0) {
    throw new Error(`no authorized columns on ${access.database}.${access.table}: refuse the query`);
  }
  const list = access.columns.map((c) => `${c.select_sql} AS ${quoteIdentifier(c.name)}`).join(', ');
  let sql = `SELECT ${list} FROM ${source} AS source`;
  if (access.row_filter_sql !== null && access.row_filter_sql !== undefined) {
    if (access.row_filter_sql === '') throw new Error('row_filter_sql is empty: refuse the query');
    sql += ` WHERE ${access.row_filter_sql}`;
  }
  return sql;
}

async function runSql(sql) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return {columns: reader.columnNames(), rows: reader.getRowObjectsJson()};
  } finally {
    connection.closeSync();
  }
}

/// The engine resolve endpoint's answer (TableAccess) for the caller.
function resolve(settings, options) {
  const params = options.dialect ? {dialect: options.dialect} : {};
  return cairnGet(settings, ['databases', options.database, 'tables', options.table, 'access'], params);
}

async function query(options) {
  const settings = settingsFromEnv();
  const access = await resolve(settings, options);
  const governed = governedSelect(access, options.source || sourceFor(access));
  const userQuery = options.query || 'SELECT * FROM governed';
  const sql = `WITH governed AS (${governed}) ${userQuery}`;
  const out = {
    table: `${access.database}.${access.table}`,
    dialect: access.dialect,
    query_authorization: access.query_authorization,
  };
  if (options.verifyAuthorization) {
    out.verified_authorization = await cairnGet(settings, ['query-authorizations', access.query_authorization.id]);
  }
  out.access_columns = access.columns.map((c) => ({
                                            name: c.name,
                                            mask: c.mask ? c.mask.spec : null,
                                            cell_filter: c.cell_filter,
                                            select_sql: c.select_sql,
                                          }));
  out.row_filter_sql = access.row_filter_sql;
  out.governed_sql = governed;
  out.sql = sql;
  Object.assign(out, await runSql(sql));
  return out;
}

async function write(options) {
  const spec = JSON.parse(readFileSync(options.spec, 'utf8'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const definitions = spec.columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ');
    await connection.run(`CREATE TABLE data (${definitions})`);
    const casts = spec.columns.map((c, i) => `CAST($${i + 1} AS ${c.type})`).join(', ');
    const insert = await connection.prepare(`INSERT INTO data VALUES (${casts})`);
    for (const row of spec.rows) {
      row.forEach((value, i) => (value === null ? insert.bindNull(i + 1) : insert.bindVarchar(i + 1, String(value))));
      await insert.run();
    }
    const format = options.out.endsWith('.csv') ? '(FORMAT csv, HEADER true)' : '(FORMAT parquet)';
    await connection.run(`COPY data TO ${quoteLiteral(options.out)} ${format}`);
  } finally {
    connection.closeSync();
  }
  return {written: options.out, rows: spec.rows.length};
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const options = {};
  for (let i = 0; i < rest.length; ++i) {
    const arg = rest[i];
    if (arg === '--verify-authorization') {
      options.verifyAuthorization = true;
      continue;
    }
    const known = ['--database', '--table', '--dialect', '--query', '--source', '--out', '--spec', '--sql'];
    if (!known.includes(arg) || i + 1 >= rest.length) throw new Error(`unknown or incomplete argument '${arg}'`);
    options[arg.slice(2)] = rest[++i];
  }
  return {command, options};
}

async function main() {
  const {command, options} = parseArgs(process.argv.slice(2));
  let result;
  if (command === 'query') {
    if (!options.database || !options.table) throw new Error('query needs --database and --table');
    result = await query(options);
  } else if (command === 'access') {
    if (!options.database || !options.table) throw new Error('access needs --database and --table');
    result = await resolve(settingsFromEnv(), options);
  } else if (command === 'write') {
    if (!options.out || !options.spec) throw new Error('write needs --out and --spec');
    result = await write(options);
  } else if (command === 'sql') {
    if (!options.sql) throw new Error('sql needs --sql');
    result = await runSql(options.sql);
  } else {
    throw new Error('usage: governed_query.mjs query|access|write|sql … (see the comment at the top)');
  }
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main().catch((error) => {
  if (error instanceof CairnError) {
    process.stdout.write(JSON.stringify({status: error.status, error: error.body}, null, 2) + '\n');
    process.exit(3);
  }
  process.stderr.write(`governed_query: ${error.message}\n`);
  process.exit(1);
});
