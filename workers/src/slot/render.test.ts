import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toSnapshot } from "./query.js";
import { renderSlotMetrics } from "./render.js";

const row = (over: Record<string, unknown> = {}) => ({
  max_keep: "1073741824", slot_name: "coexist_dev", active: true, wal_status: "reserved", safe_wal_size: "1000000000", retained: "73741824", confirmed_lag: "1024", ...over,
});

const samples = (text: string) => text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));

describe("slot metrics", () => {
  it("reports retained WAL, activity, wal_status one-hot, safe size and the keep-size cap per slot", () => {
    const text = renderSlotMetrics(["coexist_dev"], { ok: true, snapshot: toSnapshot([row()]), seconds: 0.012 });
    assert.deepEqual(samples(text), [
      "coexist_slot_up 1",
      "coexist_slot_scrape_duration_seconds 0.012",
      "coexist_slot_max_wal_keep_size_bytes 1073741824",
      'coexist_slot_exists{slot="coexist_dev"} 1',
      'coexist_slot_active{slot="coexist_dev"} 1',
      'coexist_slot_retained_wal_bytes{slot="coexist_dev"} 73741824',
      'coexist_slot_confirmed_lag_bytes{slot="coexist_dev"} 1024',
      'coexist_slot_wal_status{slot="coexist_dev",status="reserved"} 1',
      'coexist_slot_wal_status{slot="coexist_dev",status="extended"} 0',
      'coexist_slot_wal_status{slot="coexist_dev",status="unreserved"} 0',
      'coexist_slot_wal_status{slot="coexist_dev",status="lost"} 0',
      'coexist_slot_safe_wal_size_bytes{slot="coexist_dev"} 1000000000',
    ]);
    assert.match(text, /^# HELP coexist_slot_retained_wal_bytes .+\n# TYPE coexist_slot_retained_wal_bytes gauge$/m);
  });

  it("says a configured slot that does not exist is missing, and reports nothing else for it", () => {
    const snapshot = toSnapshot([row({ slot_name: null, active: null, wal_status: null, safe_wal_size: null, retained: null, confirmed_lag: null })]);
    const text = renderSlotMetrics(["coexist_dev"], { ok: true, snapshot, seconds: 0.01 });
    assert.ok(samples(text).includes('coexist_slot_exists{slot="coexist_dev"} 0'));
    assert.equal(samples(text).filter((l) => l.includes('slot="coexist_dev"')).length, 1);
  });

  it("leaves the safe size out when unlimited and keeps -1 for an unlimited cap", () => {
    const snapshot = toSnapshot([row({ max_keep: "-1", safe_wal_size: null, wal_status: "extended", active: false })]);
    const lines = samples(renderSlotMetrics(["coexist_dev"], { ok: true, snapshot, seconds: 0 }));
    assert.ok(lines.includes("coexist_slot_max_wal_keep_size_bytes -1"));
    assert.ok(lines.includes('coexist_slot_active{slot="coexist_dev"} 0'));
    assert.ok(lines.includes('coexist_slot_wal_status{slot="coexist_dev",status="extended"} 1'));
    assert.ok(!lines.some((l) => l.startsWith("coexist_slot_safe_wal_size_bytes")));
  });

  it("reports only up=0 and the duration when PostgreSQL could not be queried", () => {
    assert.deepEqual(samples(renderSlotMetrics(["coexist_dev"], { ok: false, seconds: 5 })), ["coexist_slot_up 0", "coexist_slot_scrape_duration_seconds 5"]);
  });

  it("reports slots in the configured order, whatever order PostgreSQL returns them in", () => {
    const snapshot = toSnapshot([row({ slot_name: "b" }), row({ slot_name: "a" })]);
    const exists = samples(renderSlotMetrics(["a", "b"], { ok: true, snapshot, seconds: 0 })).filter((l) => l.startsWith("coexist_slot_exists"));
    assert.deepEqual(exists, ['coexist_slot_exists{slot="a"} 1', 'coexist_slot_exists{slot="b"} 1']);
  });
});
