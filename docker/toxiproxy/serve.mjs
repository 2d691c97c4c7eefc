// Entry point of pgdrill's local Toxiproxy image: the built-in
// Toxiproxy-compatible server (what `pgdrill proxy serve` runs), API on
// 0.0.0.0:8474 inside the container, like ghcr.io/shopify/toxiproxy.
import { startToxiproxyServer } from './toxiproxy/server.js';

const server = await startToxiproxyServer({ host: '0.0.0.0', port: Number(process.env.TOXIPROXY_PORT ?? 8474), insideContainer: true, log: (line) => console.log(`${new Date().toISOString()} ${line}`) });
console.log(`pgdrill proxy: Toxiproxy-compatible API on ${server.url}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void server.close().then(() => process.exit(0)));
