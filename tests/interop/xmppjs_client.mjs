// SPDX-License-Identifier: MIT
// A one-shot xmpp.js (@xmpp/client, pinned in package-lock.json) client for the interop tests:
// logs in, optionally sends one chat message, optionally waits for one, and stops. It prints one
// JSON object per line on stdout, so the test driving it can read every step:
//   {"event":"online","jid":"…","ms":…}       start() resolved (ms: since the process began)
//   {"event":"sent","to":"…","body":"…"}
//   {"event":"message","from":"…","type":"…","body":"…"}
//   {"event":"error","stage":"start"|"run","name":"…","message":"…"}
//   {"event":"offline"}
// With --trace, everything the connection reads and writes is logged on stderr with the time
// since the process began, and so are its status changes: what shows which reply of the server
// a timeout waited for.
//
// Exit status: 0 when every requested step happened, 2 when start() failed (the login), 3 when
// the expected message did not arrive in time, 1 for anything else.
//
// TLS trust is the environment's: the tests give NODE_EXTRA_CA_CERTS the server's self-signed
// certificate (<store>/certs/localhost.crt, which names localhost and 127.0.0.1), so the
// certificate is really verified, for STARTTLS and direct TLS alike.
import { client, xml } from "@xmpp/client";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    service: { type: "string" }, // xmpp://127.0.0.1:PORT (STARTTLS) or xmpps://… (direct TLS)
    domain: { type: "string", default: "localhost" },
    username: { type: "string" },
    password: { type: "string" },
    resource: { type: "string" },
    "send-to": { type: "string" },
    body: { type: "string", default: "" },
    // wait for one chat message with a body from this JID (bare: any of its resources)
    "expect-from": { type: "string" },
    "wait-ms": { type: "string", default: "15000" },
    // xmpp.js's own per-step timeout (Connection#timeout); unset: its default, 2000 ms
    "timeout-ms": { type: "string" },
    trace: { type: "boolean", default: false },
  },
});

for (const required of ["service", "username", "password"]) {
  if (!opts[required]) {
    console.error(`xmppjs_client: --${required} is required`);
    process.exit(1);
  }
}

const since = () => performance.now().toFixed(1);
const emit = (object) => process.stdout.write(JSON.stringify(object) + "\n");
const trace = (what, data) => {
  if (opts.trace) process.stderr.write(`${since()} ${what} ${data}\n`);
};

const xmpp = client({
  service: opts.service,
  domain: opts.domain,
  username: opts.username,
  password: opts.password,
  resource: opts.resource,
  ...(opts["timeout-ms"] ? { timeout: Number(opts["timeout-ms"]) } : {}),
});
// One attempt only: a reconnect would hide the failure the test is there to see.
xmpp.reconnect.stop();

// xmpp.js 0.14 has no "input"/"output" events any more: the connection's read and write paths
// are wrapped instead (plaintext, after TLS). _onData is bound when the first socket attaches,
// so wrapping it before start() is enough.
if (opts.trace) {
  const onData = xmpp._onData;
  xmpp._onData = function (data) {
    trace("<<", data.toString("utf8"));
    return onData.call(this, data);
  };
  const write = xmpp.write;
  xmpp.write = function (string) {
    trace(">>", string);
    const written = write.call(this, string);
    // When the socket reports the write done: open() only starts listening for the server's
    // stream header after that (see the root-cause notes in the tests).
    written.then(() => trace("written", string.slice(0, 40)), () => {});
    return written;
  };
}
xmpp.on("status", (status) => trace("status", status));
xmpp.on("error", (err) => trace("error", err.stack ?? `${err.name}: ${err.message}`));

// Messages may arrive as soon as the session is online, before the test asks for them.
const received = [];
let onMessage = null;
xmpp.on("stanza", (stanza) => {
  if (!stanza.is("message")) return;
  const body = stanza.getChildText("body");
  if (body === null) return;
  const message = { from: stanza.attrs.from ?? "", type: stanza.attrs.type ?? "", body };
  emit({ event: "message", ...message });
  received.push(message);
  onMessage?.();
});

function fromMatches(from, wanted) {
  return wanted.includes("/") ? from === wanted : from.split("/")[0] === wanted;
}

function waitForMessage(wanted, ms) {
  return new Promise((resolve) => {
    const check = () => {
      if (received.some((m) => fromMatches(m.from, wanted))) {
        clearTimeout(timer);
        onMessage = null;
        resolve(true);
      }
    };
    const timer = setTimeout(() => {
      onMessage = null;
      resolve(false);
    }, ms);
    onMessage = check;
    check();
  });
}

async function stop() {
  try {
    await xmpp.stop();
  } catch (err) {
    trace("stop", `${err.name}: ${err.message}`);
  }
  emit({ event: "offline" });
}

async function main() {
  try {
    const address = await xmpp.start();
    emit({ event: "online", jid: address.toString(), ms: Number(since()) });
  } catch (err) {
    emit({ event: "error", stage: "start", name: err.name, message: err.message });
    try {
      xmpp.socket?.end();
    } catch {}
    return 2;
  }
  try {
    // Available presence: the server then delivers messages addressed to the bare JID too.
    await xmpp.send(xml("presence"));
    if (opts["send-to"]) {
      await xmpp.send(
        xml("message", { to: opts["send-to"], type: "chat" }, xml("body", {}, opts.body)),
      );
      emit({ event: "sent", to: opts["send-to"], body: opts.body });
    }
    if (opts["expect-from"]) {
      const got = await waitForMessage(opts["expect-from"], Number(opts["wait-ms"]));
      if (!got) {
        emit({ event: "error", stage: "run", name: "NoMessage",
               message: `no message from ${opts["expect-from"]} in ${opts["wait-ms"]} ms` });
        await stop();
        return 3;
      }
    }
  } catch (err) {
    emit({ event: "error", stage: "run", name: err.name, message: err.message });
    await stop();
    return 1;
  }
  await stop();
  return 0;
}

process.exitCode = await main();
// Nothing may keep the process alive once the work is done (a socket still closing).
setTimeout(() => process.exit(process.exitCode), 500).unref();
