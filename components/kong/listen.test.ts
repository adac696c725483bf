import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { adminListenValue, controlListenProblem, isLoopback, parseListen } from "./listen";

describe("parseListen", () => {
  it("reads Kong's listen syntax: entries, flags, IPv6 in brackets, off", () => {
    assert.deepEqual(parseListen("127.0.0.1:8001 reuseport backlog=16384, [::1]:8444 http2 ssl"), [
      { address: "127.0.0.1", port: 8001, flags: ["reuseport", "backlog=16384"] },
      { address: "[::1]", port: 8444, flags: ["http2", "ssl"] },
    ]);
    assert.equal(parseListen("off"), "off");
  });

  it("refuses an entry that is not address:port, quoting it", () => {
    for (const bad of ["8001", "127.0.0.1", "::1:8001", "127.0.0.1:99999", ""]) {
      assert.throws(() => parseListen(bad), /is not address:port/, bad);
    }
  });
});

describe("isLoopback", () => {
  it("accepts only loopback addresses", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "[::1]", "::1", "localhost"]) assert.ok(isLoopback(a), a);
    for (const a of ["0.0.0.0", "[::]", "*", "10.0.0.1", "kong", "127.0.0.1.example.org"]) assert.ok(!isLoopback(a), a);
  });
});

describe("adminListenValue", () => {
  it("writes the overlay's address and port as Kong wants them, IPv6 in brackets", () => {
    assert.equal(adminListenValue({ address: "127.0.0.1", port: 8001 }), "127.0.0.1:8001");
    assert.equal(adminListenValue({ address: "::1", port: 9001 }), "[::1]:9001");
    assert.equal(adminListenValue({ address: "[::1]", port: 9001 }), "[::1]:9001");
  });
});

describe("controlListenProblem", () => {
  it("passes loopback-only and off, and fails any listener another workload could reach", () => {
    assert.equal(controlListenProblem("KONG_ADMIN_LISTEN", "127.0.0.1:8001"), undefined);
    assert.equal(controlListenProblem("KONG_ADMIN_GUI_LISTEN", "off"), undefined);
    assert.match(controlListenProblem("KONG_ADMIN_LISTEN", "0.0.0.0:8001") ?? "", /^KONG_ADMIN_LISTEN is "0\.0\.0\.0:8001": 0\.0\.0\.0:8001 is reachable from other workloads/);
    assert.match(controlListenProblem("KONG_ADMIN_LISTEN", "127.0.0.1:8001, 0.0.0.0:8444 ssl") ?? "", /0\.0\.0\.0:8444 is reachable/);
  });

  it("fails an unset setting, since Kong's own default then applies (0.0.0.0:8002 for Kong Manager)", () => {
    assert.match(controlListenProblem("KONG_ADMIN_GUI_LISTEN", undefined) ?? "", /KONG_ADMIN_GUI_LISTEN is not set/);
  });

  it("fails a value Kong could not parse, rather than guessing", () => {
    assert.match(controlListenProblem("KONG_ADMIN_LISTEN", "localhost") ?? "", /KONG_ADMIN_LISTEN: listen entry "localhost" is not address:port/);
  });
});
