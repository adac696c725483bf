import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffMs, parseStartArgs } from "./main";

test("npm start arguments: --demo with and without a rate; bad values named", () => {
  assert.deepEqual(parseStartArgs([]), {});
  assert.deepEqual(parseStartArgs(["--demo"]), { demo: 20 });
  assert.deepEqual(parseStartArgs(["--demo", "50"]), { demo: 50 });
  assert.throws(() => parseStartArgs(["--demo", "0"]), /--demo rate .* found "0"/);
  assert.throws(() => parseStartArgs(["--demo", "fast"]), /--demo rate .* found "fast"/);
  assert.throws(() => parseStartArgs(["--demo", "5000"]), /from 1 to 1000/);
  assert.throws(() => parseStartArgs(["--verbose"]), /unknown argument "--verbose"/);
});

test("restart backoff: 1 s doubling, capped at 30 s, never shrinking", () => {
  let prev = 0;
  for (let n = 1; n <= 40; n++) {
    const b = backoffMs(n);
    assert.ok(b >= prev && b <= 30_000 && b >= 1000, `restart ${n}: ${b}`);
    prev = b;
  }
  assert.deepEqual([1, 2, 3, 6, 7].map(backoffMs), [1000, 2000, 4000, 30_000, 30_000]);
});
