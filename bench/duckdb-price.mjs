// duckdb-price.mjs — the benchmark's pricing job in DuckDB, with exact DECIMALs:
//   total per provider of round((price + max(0, los - trim) * excess_day) * mff, 2)
// Usage: node duckdb-price.mjs DIR THREADS [ACTIVITY]   → JSON {"seconds": s, "by_payee": {...}} on stdout
//   (ACTIVITY: the claims file in DIR, activity.csv unless given, e.g. activity.csv.gz)
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, threads, activity = 'activity.csv'] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await db.connect();
const sql = `
SELECT a.provider,
       CAST(SUM(ROUND((t.price + GREATEST(0, a.los - t.trim) * t.excess_day) * m.mff, 2)) AS VARCHAR) AS total
FROM read_csv('${dir}/${activity}', header = true, columns = {
       'id': 'VARCHAR', 'patient': 'VARCHAR', 'provider': 'VARCHAR', 'commissioner': 'VARCHAR',
       'code': 'VARCHAR', 'pod': 'VARCHAR', 'start': 'DATE', 'end': 'DATE', 'los': 'INTEGER',
       'age': 'INTEGER', 'sex': 'VARCHAR'}) a
JOIN read_csv('${dir}/tariff.csv', header = true, columns = {
       'code': 'VARCHAR', 'pod': 'VARCHAR', 'price': 'DECIMAL(18,2)', 'trim': 'INTEGER',
       'excess_day': 'DECIMAL(18,2)'}) t USING (code, pod)
JOIN read_csv('${dir}/mff.csv', header = true, columns = {
       'provider': 'VARCHAR', 'mff': 'DECIMAL(18,6)'}) m USING (provider)
GROUP BY a.provider
ORDER BY a.provider`;
const reader = await con.runAndReadAll(sql);
const byPayee = {};
for (const [provider, total] of reader.getRows()) byPayee[provider] = total;
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ seconds, by_payee: byPayee }));
