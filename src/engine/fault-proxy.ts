import { spawn } from 'node:child_process';
import path from 'node:path';
import { findOnPath } from '../util/find-on-path.ts';
import { Toxiproxy } from 'toxiproxy-node-client';
import { UserError, errorMessage } from '../core/errors.ts';
import { freePort } from '../lab/free-port.ts';
import { sleep } from '../util/sleep.ts';

/**
 * The Toxiproxy server a drill drives, whichever it is:
 * - `external`: a running server named by `TOXIPROXY_URL` (real or built-in
 *   elsewhere); left running, pgdrill removes only its own proxies;
 * - `binary`: a `toxiproxy-server` found on PATH, started on a free loopback
 *   port for the drill and stopped by `close`;
 * - `built-in`: pgdrill's own compatible server, in-process, closed by `close`;
 * - `container`: the Docker lab's Toxiproxy container (`--target docker`),
 *   removed with the lab, not by `close`.
 */
export interface FaultProxyServer {
  readonly kind: 'built-in' | 'external' | 'binary' | 'container';
  readonly url: string;
  readonly client: Toxiproxy;
  close(): Promise<void>;
}

/** Which fault proxy a drill would use, and how it was chosen. */
export interface FaultProxyChoice {
  kind: FaultProxyServer['kind'];
  /** For `external`, the URL; for `binary`, the program's path. */
  where?: string;
  /** One line for people (`lab status`). */
  description: string;
}


/**
 * Picks the fault proxy in this order: `TOXIPROXY_URL`, a `toxiproxy-server`
 * binary on PATH, else the built-in server.
 */
export function chooseFaultProxy(env: NodeJS.ProcessEnv = process.env): FaultProxyChoice {
  if (env.TOXIPROXY_URL) return { kind: 'external', where: env.TOXIPROXY_URL, description: `Toxiproxy at ${env.TOXIPROXY_URL} (from TOXIPROXY_URL)` };
  const binary = findOnPath('toxiproxy-server', env);
  if (binary) return { kind: 'binary', where: binary, description: `toxiproxy-server from PATH (${binary}), started per drill` };
  return { kind: 'built-in', description: 'built-in Toxiproxy-compatible server (started per drill)' };
}

/** One line saying which fault proxy a drill would use. */
export function describeFaultProxy(env: NodeJS.ProcessEnv = process.env): string {
  return chooseFaultProxy(env).description;
}

async function connectExternal(raw: string): Promise<FaultProxyServer> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(`TOXIPROXY_URL is not a URL: "${raw}".`, 'Set it to the Toxiproxy API address, for example http://127.0.0.1:8474, or unset it to use the built-in server.');
  }
  const client = new Toxiproxy(url.origin);
  try {
    await client.getVersion();
  } catch (error) {
    throw new UserError(
      `The Toxiproxy server at ${url.origin} (TOXIPROXY_URL) did not answer: ${errorMessage(error)}.`,
      'Start toxiproxy-server there, fix TOXIPROXY_URL, or unset it to use the built-in server.',
    );
  }
  return { kind: 'external', url: url.origin, client, close: async () => {} };
}

async function startBinary(binary: string, env: NodeJS.ProcessEnv): Promise<FaultProxyServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, ['-host', '127.0.0.1', '-port', String(port)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-2000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const client = new Toxiproxy(url);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new UserError(`${binary} exited before it answered (code ${child.exitCode}). ${stderr.trim()}`, 'Check that toxiproxy-server runs on this machine, or remove it from PATH to use the built-in server.');
    try {
      await client.getVersion();
      return { kind: 'binary', url, client, close };
    } catch {
      if (Date.now() > deadline) {
        await close();
        throw new UserError(`${binary} did not answer on ${url} within 10 s. ${stderr.trim()}`, 'Check that toxiproxy-server runs on this machine, or remove it from PATH to use the built-in server.');
      }
      await sleep(50);
    }
  }
}

/** Opens the chosen fault proxy (see `chooseFaultProxy`). */
export async function openFaultProxy(env: NodeJS.ProcessEnv = process.env): Promise<FaultProxyServer> {
  const choice = chooseFaultProxy(env);
  if (choice.kind === 'external') return connectExternal(choice.where!);
  if (choice.kind === 'binary') return startBinary(choice.where!, env);
  const { startToxiproxyServer } = await import('../toxiproxy/server.ts');
  const server = await startToxiproxyServer({ host: '127.0.0.1', port: 0 });
  return { kind: 'built-in', url: server.url, client: new Toxiproxy(server.url), close: () => server.close() };
}
