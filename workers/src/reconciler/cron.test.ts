import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCron } from "./cron.js";

describe("parseCron", () => {
  it("finds the next hourly slot strictly after now", () => {
    const s = parseCron("0 * * * *");
    assert.equal(s.next(new Date("2024-05-01T10:00:00Z")).toISOString(), "2024-05-01T11:00:00.000Z");
    assert.equal(s.next(new Date("2024-05-01T10:59:30Z")).toISOString(), "2024-05-01T11:00:00.000Z");
  });

  it("handles lists, ranges and steps", () => {
    const s = parseCron("*/15 9-10 * * 1-5");
    assert.equal(s.next(new Date("2024-05-03T10:50:00Z")).toISOString(), "2024-05-06T09:00:00.000Z"); // Friday → Monday
    assert.ok(s.matches(new Date("2024-05-06T10:45:00Z")));
    assert.ok(!s.matches(new Date("2024-05-06T10:40:00Z")));
  });

  it("matches either day field when both are restricted, and 7 as Sunday", () => {
    const s = parseCron("30 2 1 * 7");
    assert.ok(s.matches(new Date("2024-05-01T02:30:00Z"))); // 1st, a Wednesday
    assert.ok(s.matches(new Date("2024-05-05T02:30:00Z"))); // a Sunday
    assert.ok(!s.matches(new Date("2024-05-06T02:30:00Z")));
  });

  it("explains malformed expressions", () => {
    assert.throws(() => parseCron("0 * * *"), /five fields/);
    assert.throws(() => parseCron("61 * * * *"), /minute field "61"/);
    assert.throws(() => parseCron("0 0 31 2 *"), /never matches/);
  });
});
