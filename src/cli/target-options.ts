import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { PgdrillConfig } from '../config/config.ts';
import { connectDockerEngine } from '../docker/engine.ts';
import { dockerImages, DEFAULT_DOCKER_IMAGES, type DockerImages } from '../docker/images.ts';
import type { DrillTargetKind } from '../lab/cluster.ts';

/** The flags `--target`, `--postgres-image` and `--toxiproxy-image` as commander parses them. */
export interface TargetFlags {
  /** `lab`, `docker`, or (commands that drill RDS) `rds:<instance id>`. */
  target?: string;
  postgresImage?: string;
  toxiproxyImage?: string;
}

/** Where a command runs its lab: the target, and the images when it is `docker`. */
export interface TargetChoice {
  target: DrillTargetKind;
  dockerImages?: DockerImages;
}

/** Parses `--target`: `lab` or `docker`, and `rds:<instance id>` where `rds` allows it. */
export function targetParser(options: { rds?: boolean } = {}): (value: string) => string {
  return (value) => {
    if (value === 'lab' || value === 'docker') return value;
    if (options.rds && /^rds:./.test(value)) return value;
    throw new InvalidArgumentError(`"${value}" is not a target: use lab (the embedded lab, the default) or docker (containers)${options.rds ? ', or rds:<instance id> (an RDS instance, through the RDS API)' : ''}.`);
  };
}

/** Adds `--target lab|docker` (and `rds:<id>` with `rds`) and the Docker images' flags to a command. */
export function addTargetOptions(command: Command, options: { rds?: boolean } = {}): Command {
  const rds = options.rds ? ', or rds:<instance id> (an RDS instance through the RDS API, with --service-url and --url)' : '';
  return command
    .option('--target <target>', `where the lab runs: lab (embedded PostgreSQL, the default) or docker (PostgreSQL and Toxiproxy containers)${rds}`, targetParser(options))
    .option('--postgres-image <image>', `PostgreSQL image of --target docker (default: $PGDRILL_POSTGRES_IMAGE, the config's docker.postgresImage, else ${DEFAULT_DOCKER_IMAGES.postgres})`)
    .option('--toxiproxy-image <image>', `Toxiproxy image of --target docker (default: $PGDRILL_TOXIPROXY_IMAGE, the config's docker.toxiproxyImage, else ${DEFAULT_DOCKER_IMAGES.toxiproxy})`);
}

/**
 * The target of a command. For `docker`, the images (flags, environment,
 * config, defaults) and a container engine that answers, checked before
 * anything starts: none is a `UserError` (exit 1) saying how to start one.
 */
export async function chooseTarget(flags: TargetFlags, config?: Pick<PgdrillConfig, 'docker'>): Promise<TargetChoice> {
  if (flags.target?.startsWith('rds:')) throw new Error(`chooseTarget: ${flags.target} is not a lab target (the command routes RDS first)`);
  if (flags.target !== 'docker') return { target: 'lab' };
  await connectDockerEngine();
  return { target: 'docker', dockerImages: dockerImages(flags, process.env, config) };
}
