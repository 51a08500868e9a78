#!/usr/bin/env node
// A round-robin HTTP proxy on loopback, the "client" of several hosts on one database:
//
//   node round-robin.mjs PORT UPSTREAM_URL [UPSTREAM_URL...]
//
// Every request goes to the next upstream in turn (per request, not per connection: a client's
// keep-alive connection still reaches every host), its body and the answer streamed both ways,
// so a server-sent event stream stays open through it and ends when the client goes away. Each
// upstream request is a fresh loopback connection (no pooled socket the host may have closed).
// Prints `{"msg":"listening","address":...}` once bound; on SIGTERM/SIGINT it stops and prints
// how many requests each upstream got. An upstream that cannot be reached is a 502 error JSON.
import http from 'node:http';

const [portArg, ...upstreamArgs] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535 || upstreamArgs.length === 0) {
  process.stderr.write('usage: round-robin.mjs PORT UPSTREAM_URL [UPSTREAM_URL...]\n');
  process.exit(2);
}
const upstreams = upstreamArgs.map((u) => new URL(u));
for (const u of upstreams) {
  if (u.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
    process.stderr.write(`round-robin: upstreams are http:// on loopback only, got ${u.href}\n`);
    process.exit(2);
  }
}
const counts = upstreams.map(() => 0);
let next = 0;

// hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, never forwarded
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer',
  'proxy-authorization', 'proxy-authenticate',
]);
function endToEnd(headers) {
  const named = String(headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim());
  const out = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k) && !named.includes(k)) out[k] = v;
  }
  return out;
}

const server = http.createServer((req, res) => {
  const i = next;
  next = (next + 1) % upstreams.length;
  counts[i] += 1;
  const up = upstreams[i];
  const preq = http.request(
    {
      host: up.hostname.replace(/^\[|\]$/g, ''),
      port: up.port,
      method: req.method,
      path: req.url,
      headers: endToEnd(req.headers), // Host stays the proxy's: the address the client used
      agent: false,
    },
    (pres) => {
      res.writeHead(pres.statusCode ?? 502, pres.statusMessage, endToEnd(pres.headers));
      res.flushHeaders(); // a stream's headers now, not with its first event
      pres.pipe(res);
      pres.on('error', () => res.destroy());
    },
  );
  preq.on('error', (err) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error: { kind: 'internal', message: `round-robin: upstream ${up.host}: ${err.message}`, path: null } });
    res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  // the client went away (a stream it closed): so does the upstream request
  res.on('close', () => {
    if (!res.writableFinished) preq.destroy();
  });
  req.pipe(preq);
});
// longer than any pause of the suite's clients between two requests on one connection
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'listening', address: `http://127.0.0.1:${a.port}` })}\n`);
});

function stop() {
  const forwarded = Object.fromEntries(upstreams.map((u, k) => [u.host, counts[k]]));
  process.stdout.write(`${JSON.stringify({ msg: 'stopped', forwarded })}\n`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
