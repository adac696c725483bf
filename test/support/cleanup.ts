/**
 * Removes what an aborted integration run or bench left on the local data plane: coexist-it-*
 * connectors, coexist_it_* slots and publications, it<id>.* topics, their consumer groups,
 * coexist_it_* databases.
 * `node --import tsx test/support/cleanup.ts`
 */
import { connectRequest, loadDataplaneEnv, newAdmin, newMongo, newPool } from "./dataplane";

async function main(): Promise<void> {
  const env = loadDataplaneEnv();
  const connectors = (await connectRequest(env, "GET", "/connectors")).json as string[];
  for (const c of connectors.filter((n) => n.startsWith("coexist-it-"))) await connectRequest(env, "DELETE", `/connectors/${c}`);
  const pool = newPool(env);
  try {
    for (let i = 0; i < 60; i++) {
      const active = await pool.query("SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE 'coexist_it_%' AND active");
      if (active.rows.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await pool.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'coexist_it_%' AND NOT active");
    for (const r of (await pool.query("SELECT pubname FROM pg_publication WHERE pubname LIKE 'coexist_it_%'")).rows) await pool.query(`DROP PUBLICATION "${r.pubname}"`);
  } finally {
    await pool.end();
  }
  const admin = newAdmin(env);
  try {
    const topics = (await admin.listTopics()).filter((t) => /^it[0-9a-f]{8}\.|^__debezium-heartbeat\.it[0-9a-f]{8}$/.test(t));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = [...(await admin.listGroups()).keys()].filter((g) => /[0-9a-f]{8}/.test(g) && /^(coexist-sync-it-|dlq-reader-|lsn-)/.test(g));
    if (groups.length > 0) await admin.deleteGroups({ groups });
  } finally {
    await admin.close();
  }
  const mongo = await newMongo(env);
  try {
    const { databases } = await mongo.db().admin().listDatabases();
    for (const d of databases.filter((d) => d.name.startsWith("coexist_it_"))) await mongo.db(d.name).dropDatabase();
  } finally {
    await mongo.close();
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`cleanup failed: ${e.message}\n`);
    process.exit(1);
  },
);
