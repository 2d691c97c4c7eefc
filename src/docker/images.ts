import type { PgdrillConfig } from '../config/config.ts';

/** The images of a Docker lab. */
export interface DockerImages {
  postgres: string;
  toxiproxy: string;
}

/** What a user gets without choosing: the team's PostgreSQL version and the real Toxiproxy. */
export const DEFAULT_DOCKER_IMAGES: Readonly<DockerImages> = { postgres: 'postgres:16', toxiproxy: 'ghcr.io/shopify/toxiproxy:2.12.0' };

/**
 * The images a Docker lab runs, first found of: the flags
 * (`--postgres-image`, `--toxiproxy-image`), the environment
 * (`PGDRILL_POSTGRES_IMAGE`, `PGDRILL_TOXIPROXY_IMAGE`), the config file's
 * `docker: { postgresImage, toxiproxyImage }`, the defaults.
 */
export function dockerImages(flags: { postgresImage?: string; toxiproxyImage?: string }, env: NodeJS.ProcessEnv = process.env, config?: Pick<PgdrillConfig, 'docker'>): DockerImages {
  return {
    postgres: flags.postgresImage || env.PGDRILL_POSTGRES_IMAGE || config?.docker?.postgresImage || DEFAULT_DOCKER_IMAGES.postgres,
    toxiproxy: flags.toxiproxyImage || env.PGDRILL_TOXIPROXY_IMAGE || config?.docker?.toxiproxyImage || DEFAULT_DOCKER_IMAGES.toxiproxy,
  };
}
