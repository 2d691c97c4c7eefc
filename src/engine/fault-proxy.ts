import { Toxiproxy } from 'toxiproxy-node-client';
import { UserError, errorMessage } from '../core/errors.ts';

/**
 * The Toxiproxy server a drill drives: a real one named by `TOXIPROXY_URL`
 * (left running; pgdrill removes only its own proxies), or else the built-in
 * compatible server, started for the drill and closed by `close`.
 */
export interface FaultProxyServer {
  readonly kind: 'built-in' | 'external';
  readonly url: string;
  readonly client: Toxiproxy;
  close(): Promise<void>;
}

/** Which fault proxy `openFaultProxy` would use, for `lab status`. */
export function describeFaultProxy(env: NodeJS.ProcessEnv = process.env): string {
  return env.TOXIPROXY_URL ? `Toxiproxy at ${env.TOXIPROXY_URL} (TOXIPROXY_URL)` : 'built-in Toxiproxy-compatible server (started per drill)';
}

/** Connects to the configured Toxiproxy, or starts the built-in one. */
export async function openFaultProxy(env: NodeJS.ProcessEnv = process.env): Promise<FaultProxyServer> {
  const external = env.TOXIPROXY_URL;
  if (external) {
    let url: URL;
    try {
      url = new URL(external);
    } catch {
      throw new UserError(`TOXIPROXY_URL is not a URL: "${external}".`, 'Set it to the Toxiproxy API address, for example http://127.0.0.1:8474, or unset it to use the built-in server.');
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
  const { startToxiproxyServer } = await import('../toxiproxy/server.ts');
  const server = await startToxiproxyServer({ host: '127.0.0.1', port: 0 });
  return { kind: 'built-in', url: server.url, client: new Toxiproxy(server.url), close: () => server.close() };
}
