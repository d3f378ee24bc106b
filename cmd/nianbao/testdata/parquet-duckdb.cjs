// Reads a Parquet file with DuckDB (@duckdb/node-api, found through
// NODE_PATH) and prints {"types": [[column, DuckDB type]…], "rows": […],
// "row_groups": N} as JSON: rows in file order, values as DuckDB gives them
// (INTEGER and DOUBLE as numbers, NULL as null), fetched_at as microseconds
// since the epoch. With a second argument "summary" it prints only
// {"rows", "sum", "nulls", "row_groups"}. Used by TestExport_Parquet*.
const { DuckDBInstance } = require('@duckdb/node-api');

(async () => {
  const file = process.argv[2].replace(/'/g, "''");
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  if (process.argv[3] === 'summary') {
    // Only totals, for a large file: rows, row groups, the sum of value and
    // the number of blank values.
    const sum = await con.runAndReadAll(`SELECT count(*)::INTEGER AS rows, sum(value) AS sum, count(*) FILTER (value IS NULL)::INTEGER AS nulls,
      (SELECT count(DISTINCT row_group_id)::INTEGER FROM parquet_metadata('${file}')) AS row_groups FROM read_parquet('${file}')`);
    process.stdout.write(JSON.stringify(sum.getRowObjectsJson()[0]));
    return;
  }
  const src = `read_parquet('${file}', file_row_number = true)`;
  const desc = await con.runAndReadAll(`DESCRIBE SELECT * EXCLUDE (file_row_number) FROM ${src}`);
  const types = desc.getRowObjectsJson().map((r) => [r.column_name, r.column_type]);
  const cols = types.map(([name, type]) =>
    type.startsWith('TIMESTAMP') ? `epoch_us("${name}")::VARCHAR AS "${name}"` : `"${name}"`);
  const res = await con.runAndReadAll(`SELECT ${cols.join(', ')} FROM ${src} ORDER BY file_row_number`);
  const rg = await con.runAndReadAll(`SELECT count(DISTINCT row_group_id)::INTEGER AS n FROM parquet_metadata('${file}')`);
  process.stdout.write(JSON.stringify({ types, rows: res.getRowsJson(), row_groups: rg.getRowObjectsJson()[0].n }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
