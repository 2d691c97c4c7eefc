import type { ContainerRuntimeClient } from 'testcontainers';
import { UserError, errorMessage } from '../core/errors.ts';

/**
 * Connects to the container engine through testcontainers. pgdrill removes
 * its own containers, networks and volumes by label (see `reap.ts`), so it
 * does not need the Ryuk reaper (whose image may not be reachable), and it
 * publishes every port on the host's loopback only, so testcontainers must
 * reach them on localhost (not a bridge address it would pick when it thinks
 * it runs inside a container). Both are defaults the environment can
 * override. No engine answering is a `UserError` saying how to start one.
 */
export async function connectDockerEngine(env: NodeJS.ProcessEnv = process.env): Promise<ContainerRuntimeClient> {
  env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
  if (env !== process.env) {
    process.env.TESTCONTAINERS_RYUK_DISABLED ??= env.TESTCONTAINERS_RYUK_DISABLED;
    process.env.TESTCONTAINERS_HOST_OVERRIDE ??= env.TESTCONTAINERS_HOST_OVERRIDE;
  }
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    const client = await getContainerRuntimeClient();
    await client.container.dockerode.ping();
    return client;
  } catch (error) {
    throw new UserError(
      `--target docker needs a container engine, and none answered (${errorMessage(error).split('\n')[0]}). The embedded lab (the default, without --target) needs no Docker.`,
      'Start Docker (Docker Desktop, `sudo systemctl start docker`, or `sudo dockerd &` on a machine with the docker.io package), check that `docker info` works for this user (or set DOCKER_HOST), then run the command again.',
    );
  }
}
