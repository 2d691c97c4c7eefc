import { chmodSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/lab/free-port.ts';
import { repoRoot, runCli, startCli } from '../helpers/run-cli.ts';
import { processesMatching, tempDir } from '../helpers/test-lab.ts';

async function waitForApi(url: string): Promise<void> {
  await expect.poll(async () => {
    try {
      return (await fetch(`${url}/version`)).status;
    } catch {
      return 0;
    }
  }, { timeout: 20_000, interval: 100 }).toBe(200);
}

function echoServer(): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.pipe(socket));
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('pgdrill proxy serve', () => {
  let echo: net.Server;
  beforeAll(async () => {
    echo = await echoServer();
  });
  afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

  it('serves the Toxiproxy API with proxies from --config, logs calls and connections, and closes everything on Ctrl-C', async () => {
    const apiPort = await freePort();
    const listenPort = await freePort();
    const config = path.join(tempDir('proxy-config'), 'populate.json');
    const upstream = `127.0.0.1:${(echo.address() as net.AddressInfo).port}`;
    writeFileSync(config, JSON.stringify([{ name: 'pg', listen: `127.0.0.1:${listenPort}`, upstream }]));
    const cli = startCli(['proxy', 'serve', '--port', String(apiPort), '--config', config]);
    const url = `http://127.0.0.1:${apiPort}`;
    await waitForApi(url);

    const client = new Toxiproxy(url);
    const proxy = await client.get('pg');
    expect(proxy.upstream).toBe(upstream);
    expect((await fetch(`${url}/proxies`)).headers.get('x-toxiproxy-request-id')).toBeTruthy();

    // Data flows through the populated proxy.
    const socket = net.connect(listenPort, '127.0.0.1');
    const echoed = await new Promise<string>((resolve) => {
      socket.once('data', (d) => resolve(d.toString()));
      socket.write('ping');
    });
    expect(echoed).toBe('ping');

    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/populated 1 proxies/);
    expect(run.stdout).toMatch(/GET \/proxies\/pg 200/);
    expect(run.stdout).toMatch(/connection/i);
    // Ctrl-C closed the open connection and every listener.
    await expect.poll(() => socket.destroyed || socket.readableEnded, { timeout: 2000 }).toBe(true);
    socket.destroy();
    await expect(fetch(`${url}/version`)).rejects.toThrow();
    await expect(new Promise((resolve, reject) => net.connect(listenPort, '127.0.0.1').on('connect', resolve).on('error', reject))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('exits 1 with a clear message on a bad config, a busy port, or a non-loopback host', async () => {
    const bad = path.join(tempDir('proxy-bad'), 'bad.json');
    writeFileSync(bad, '{"not": "an array"}');
    const run = await runCli(['proxy', 'serve', '--port', String(await freePort()), '--config', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is not a JSON array of proxies/);

    const holder = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    const busy = await runCli(['proxy', 'serve', '--port', String((holder.address() as net.AddressInfo).port)]);
    holder.close();
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/is already in use/);

    const remote = await runCli(['proxy', 'serve', '--host', '0.0.0.0', '--port', String(await freePort())]);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toMatch(/loopback/);
  });
});

describe('fault proxy selection', () => {
  it('uses TOXIPROXY_URL when set, and starts nothing built-in', async () => {
    const apiPort = await freePort();
    const external = startCli(['proxy', 'serve', '--port', String(apiPort)]);
    const url = `http://127.0.0.1:${apiPort}`;
    await waitForApi(url);
    try {
      const status = await runCli(['lab', 'status', '--lab-dir', path.join(tempDir('sel-url'), 'lab')], { TOXIPROXY_URL: url });
      expect(status.stdout).toMatch(/fault proxy\s+Toxiproxy at http:\/\/127\.0\.0\.1:\d+ \(from TOXIPROXY_URL\)/);
      const labDir = path.join(tempDir('sel-url-drill'), 'lab');
      const run = await runCli(['drill', 'connection-loss', '--hold', '2s', '--observe', '3s', '--lab-dir', labDir], { TOXIPROXY_URL: url });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`Fault proxy: Toxiproxy from TOXIPROXY_URL at ${url}.`);
    } finally {
      external.child.kill('SIGINT');
    }
    const served = await external.done;
    // The external server saw the drill create, disable, re-enable and delete its proxy.
    expect(served.stdout).toMatch(/POST \/proxies 201/);
    expect(served.stdout).toMatch(/DELETE \/proxies\/pgdrill_payments_db_\d+ 204/);
  });

  it('starts and stops a toxiproxy-server found on PATH', async () => {
    const bin = tempDir('sel-path');
    const shim = path.join(bin, 'toxiproxy-server');
    // A stand-in toxiproxy-server (the real one cannot be installed here): same flags, a compatible server.
    writeFileSync(shim, `#!/bin/sh\n# usage: toxiproxy-server -host H -port P\nexec "${process.execPath}" "${path.join(repoRoot, 'bin/pgdrill.mjs')}" proxy serve --host "$2" --port "$4"\n`);
    chmodSync(shim, 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const status = await runCli(['lab', 'status', '--lab-dir', path.join(tempDir('sel-path-lab'), 'lab')], env);
    expect(status.stdout).toContain(`toxiproxy-server from PATH (${shim})`);
    const labDir = path.join(tempDir('sel-path-drill'), 'lab');
    const run = await runCli(['drill', 'connection-loss', '--variant', 'reset-peer', '--hold', '2s', '--observe', '3s', '--lab-dir', labDir], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Fault proxy: toxiproxy-server from PATH at http:\/\/127\.0\.0\.1:\d+\./);
    expect(await processesMatching('proxy serve --host 127.0.0.1')).toEqual([]);
  });
});
