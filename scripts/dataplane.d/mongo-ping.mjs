// Usage: node mongo-ping.mjs HOST PORT
// Exits 0 when a MongoDB wire-protocol server answers {ping: 1} with ok: 1. Hand-rolled OP_MSG so the
// health check needs no driver installed (the data plane comes up before any npm install in workers/).
import net from "node:net";

const [host, portArg] = process.argv.slice(2);
const port = Number(portArg);
if (!host || !Number.isInteger(port)) {
  console.error("usage: node mongo-ping.mjs HOST PORT");
  process.exit(2);
}

const int32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const cstring = (s) => Buffer.concat([Buffer.from(s, "utf8"), Buffer.from([0])]);
const bsonDocument = (elements) => {
  const body = Buffer.concat(elements);
  return Buffer.concat([int32(body.length + 5), body, Buffer.from([0])]);
};

const command = bsonDocument([
  Buffer.concat([Buffer.from([0x10]), cstring("ping"), int32(1)]),
  Buffer.concat([Buffer.from([0x02]), cstring("$db"), int32(6), cstring("admin")]),
]);
const OP_MSG = 2013;
const body = Buffer.concat([int32(0), Buffer.from([0]), command]);
const request = Buffer.concat([int32(16 + body.length), int32(1), int32(0), int32(OP_MSG), body]);

// Reads the top-level "ok" field of a BSON document; the reply to ping is flat.
function okValue(doc) {
  let i = 4;
  while (i < doc.length - 1) {
    const type = doc[i];
    const nameEnd = doc.indexOf(0, i + 1);
    const name = doc.toString("utf8", i + 1, nameEnd);
    let v = nameEnd + 1;
    let value;
    switch (type) {
      case 0x01: value = doc.readDoubleLE(v); v += 8; break;
      case 0x10: value = doc.readInt32LE(v); v += 4; break;
      case 0x12: value = Number(doc.readBigInt64LE(v)); v += 8; break;
      case 0x08: value = doc[v] === 1 ? 1 : 0; v += 1; break;
      case 0x09: case 0x11: v += 8; break;
      case 0x02: v += 4 + doc.readInt32LE(v); break;
      case 0x03: case 0x04: v += doc.readInt32LE(v); break;
      case 0x0a: break;
      default: return undefined;
    }
    if (name === "ok") return value;
    i = v;
  }
  return undefined;
}

const fail = (why) => {
  console.error(`mongo-ping ${host}:${port}: ${why}`);
  process.exit(1);
};

const socket = net.connect({ host, port });
socket.setTimeout(3000, () => fail("no reply within 3s"));
socket.on("error", (err) => fail(err.message));
socket.on("connect", () => socket.write(request));
let received = Buffer.alloc(0);
socket.on("data", (chunk) => {
  received = Buffer.concat([received, chunk]);
  if (received.length < 4 || received.length < received.readInt32LE(0)) return;
  socket.destroy();
  if (received.readInt32LE(12) !== OP_MSG) fail(`unexpected reply opcode ${received.readInt32LE(12)}`);
  // header (16) + flagBits (4) + section kind (1), then the reply document
  const ok = okValue(received.subarray(21));
  if (ok !== 1) fail(`ping answered ok=${ok}`);
  process.exit(0);
});
