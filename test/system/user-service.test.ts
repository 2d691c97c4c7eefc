import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.ts';
import { startUserService } from '../../src/system/user-service.ts';
import type { ServiceCommand } from '../../src/system/system.ts';
import { isAlive, tempDir } from '../helpers/test-lab.ts';

/** A small service in a directory of its own, written in plain Node (no pgdrill, no pg). */
function fixtureService(source: string, overrides: Partial<ServiceCommand> = {}): { service: ServiceCommand; dir: string; logFile: string } {
  const dir = tempDir('user-service');
  writeFileSync(path.join(dir, 'fixture-service.mjs'), source);
  return {
    dir,
    logFile: path.join(dir, 'logs', 'service.log'),
    service: { command: [process.execPath, 'fixture-service.mjs'], cwd: dir, env: {}, stopGraceMs: 5000, readyTimeoutMs: 10_000, ...overrides },
  };
}

const HTTP_SERVICE = (extra = '') => `
import http from 'node:http';
${extra}
const server = http.createServer((req, res) => {
  if (req.url === '/ready') return res.writeHead(200).end('ok');
  if (req.url === '/env') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ db: process.env.DATABASE_URL, level: process.env.LOG_LEVEL, cwd: process.cwd() }));
  res.writeHead(404).end();
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
`;

async function failure(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('the team\'s service, started and supervised by pgdrill', () => {
  it('starts it from its directory with DATABASE_URL, PORT and its env; restarts it on the same port after a crash; stops it', async () => {
    const f = fixtureService(HTTP_SERVICE(), { env: { LOG_LEVEL: 'warn' } });
    const service = await startUserService({ service: f.service, readyPath: '/ready', databaseUrl: 'postgres://svc:s3cret-pw@127.0.0.1:1/orders_db', logFile: f.logFile });
    try {
      const env = (await (await fetch(`${service.url}/env`)).json()) as { db: string; level: string; cwd: string };
      expect(env).toEqual({ db: 'postgres://svc:s3cret-pw@127.0.0.1:1/orders_db', level: 'warn', cwd: f.dir });
      const first = service.pid;
      await service.kill();
      expect(service.isRunning()).toBe(false);
      expect(isAlive(first)).toBe(false);
      await expect(fetch(`${service.url}/ready`)).rejects.toThrow();
      await service.restart();
      expect(service.pid).not.toBe(first);
      expect((await fetch(`${service.url}/ready`)).status).toBe(200);
    } finally {
      await service.stop();
    }
    expect(service.isRunning()).toBe(false);
  });

  it('kills a service that ignores SIGTERM once the grace period is over, and what it started with it', async () => {
    const f = fixtureService(HTTP_SERVICE(`process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
import { spawn } from 'node:child_process';
const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
console.log('child ' + child.pid);`), { stopGraceMs: 1000 });
    const lines: string[] = [];
    const service = await startUserService({ service: f.service, readyPath: '/ready', databaseUrl: 'postgres://x@127.0.0.1:1/x', logFile: f.logFile, log: (l) => lines.push(l) });
    const pid = service.pid;
    const { readFileSync } = await import('node:fs');
    const grandchild = Number(/child (\d+)/.exec(readFileSync(f.logFile, 'utf8'))![1]);
    expect(isAlive(grandchild)).toBe(true);
    const started = performance.now();
    await service.stop();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(6000);
    expect(isAlive(pid)).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(grandchild)).toBe(false);
    expect(lines.join('\n')).toMatch(/did not exit within 1000 ms of SIGTERM: killing it \(SIGKILL\)/);
    const log = readFileSync(f.logFile, 'utf8');
    expect(log).toContain('ignoring SIGTERM');
  });

  it('a service that exits before it is ready: its last 20 log lines, and the password of DATABASE_URL masked', async () => {
    const f = fixtureService(`for (let i = 1; i <= 30; i++) console.error('boot line ' + i);\nconsole.error('cannot connect to ' + process.env.DATABASE_URL);\nprocess.exit(3);\n`);
    const error = await failure(startUserService({ service: f.service, readyPath: '/ready', databaseUrl: 'postgres://svc:hunter2hunter2@127.0.0.1:1/orders_db', logFile: f.logFile }));
    expect(error.message).toMatch(/exited \(exit code 3\) before it answered GET \/ready with 200/);
    expect(error.message).toMatch(/last 20 log lines/);
    expect(error.message).toContain('boot line 30');
    expect(error.message).toContain('boot line 12');
    expect(error.message).not.toContain('boot line 11\n');
    expect(error.message).toContain('cannot connect to postgres://svc:***@127.0.0.1:1/orders_db');
    expect(error.message).not.toContain('hunter2hunter2');
  });

  it('a service that never becomes ready is stopped after readyTimeoutMs, with what it said', async () => {
    const f = fixtureService(HTTP_SERVICE().replace("req.url === '/ready'", "req.url === '/never'").replace("console.log('listening on ' + process.env.PORT)", "console.log('up, but /ready is not a route')"), { readyTimeoutMs: 1500 });
    const started = performance.now();
    const error = await failure(startUserService({ service: f.service, readyPath: '/ready', databaseUrl: 'postgres://x@127.0.0.1:1/x', logFile: f.logFile }));
    expect(performance.now() - started).toBeLessThan(8000);
    expect(error.message).toMatch(/did not answer GET http:\/\/127\.0\.0\.1:\d+\/ready with 200 within 1500 ms \(last: HTTP 404\)/);
    expect(error.message).toContain('up, but /ready is not a route');
    const { processesMatching } = await import('../helpers/test-lab.ts');
    expect(await processesMatching(f.dir)).toEqual([]);
  });

  it('a command that cannot be started is a clear error', async () => {
    const f = fixtureService('', { command: ['no-such-program-pgdrill'] });
    const error = await failure(startUserService({ service: f.service, readyPath: '/ready', databaseUrl: 'postgres://x@127.0.0.1:1/x', logFile: f.logFile }));
    expect(error.message).toMatch(/could not be started in .*: spawn no-such-program-pgdrill ENOENT/);
  });
});
