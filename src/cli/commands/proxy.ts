import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client';
import { UserError, errorMessage } from '../../core/errors.ts';
import { say, warn } from '../output.ts';
import { parsePort } from '../parse.ts';
import { commandSummary } from '../command-table.ts';

interface ServeFlags {
  host: string;
  port: number;
  config?: string;
}

function readPopulateConfig(file: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`The proxy config ${file} could not be read as JSON: ${errorMessage(error)}.`, 'Give --config a JSON file holding an array of proxies, as toxiproxy-server -config takes.');
  }
  if (!Array.isArray(parsed)) throw new UserError(`The proxy config ${file} is not a JSON array of proxies.`, 'Write it as [{"name": "...", "listen": "127.0.0.1:N", "upstream": "host:port"}, ...].');
  return parsed;
}

/** `pgdrill proxy serve`: the built-in Toxiproxy-compatible server on its own, like toxiproxy-server. */
export function registerProxy(program: Command): void {
  const proxy = program.command('proxy').description(commandSummary('proxy'));
  proxy
    .command('serve')
    .description('run the built-in Toxiproxy-compatible server until Ctrl-C (any Toxiproxy client works against it)')
    .option('--host <address>', 'API address (loopback only)', '127.0.0.1')
    .option('--port <n>', 'API port', parsePort, 8474)
    .option('--config <file>', 'populate proxies from this JSON file at start (as POST /populate)')
    .action(async (flags: ServeFlags) => {
      const config = flags.config ? readPopulateConfig(flags.config) : undefined;
      const { startToxiproxyServer } = await import('../../toxiproxy/server.ts');
      const stamp = () => new Date().toISOString();
      let server;
      try {
        server = await startToxiproxyServer({ host: flags.host, port: flags.port, log: (line) => say(`${stamp()} ${line}`) });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UserError(`Port ${flags.port} on ${flags.host} is already in use.`, 'Stop whatever listens there (another Toxiproxy?), or choose another --port.');
        throw new UserError(`The proxy server could not start: ${errorMessage(error)}`, 'Use a loopback --host (127.0.0.1, localhost or ::1) and a free --port.');
      }
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          warn(`${stamp()} ${signal}: closing every listener and connection`);
          void server.close().then(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      if (config) {
        try {
          const created = await new Toxiproxy(server.url).populate(config as never);
          say(`${stamp()} populated ${Object.keys(created).length} proxies from ${flags.config}`);
        } catch (error) {
          await server.close();
          const detail = error instanceof ToxiproxyError ? errorMessage(error) : errorMessage(error);
          throw new UserError(`The proxy config ${flags.config} was refused: ${detail}.`, 'Fix the proxies in the file (each needs name, listen and upstream) and start again.');
        }
      }
      say(`${stamp()} pgdrill proxy: Toxiproxy-compatible API on ${server.url} (Ctrl-C to stop)`);
      await stopped;
    });
}
