import { defineCheck } from './check.ts';
import { rdsInstance, rdsFacts, readable } from './rds-facts.ts';

/** The parameter group, its `rds.force_ssl` value (null: not set, the engine default) and the engine's major version. */
export interface ForceSslFacts {
  group: string;
  value: string | null;
  engineMajor: number;
}

/** `rds-force-ssl`: the parameter group forces TLS (`rds.force_ssl = 1`; the default from PostgreSQL 16 on). */
export const rdsForceSslCheck = defineCheck<ForceSslFacts>({
  id: 'rds-force-ssl',
  group: 'security',
  title: 'RDS forces TLS',
  seedSection: '7. Security (encrypted connections)',
  expected: 'rds.force_ssl = 1 in the instance\'s parameter group',
  async read(ctx) {
    const p = readable(rdsFacts(ctx).parameters);
    return { group: p.group, value: p.values['rds.force_ssl'] ?? null, engineMajor: Number.parseInt(rdsInstance(ctx).EngineVersion ?? '0', 10) };
  },
  judge(f) {
    const fix = `aws rds modify-db-parameter-group --db-parameter-group-name ${f.group} --parameters ParameterName=rds.force_ssl,ParameterValue=1,ApplyMethod=immediate`;
    if (f.value === '1') return { status: 'pass', found: `rds.force_ssl = 1 in ${f.group}` };
    if (f.value === null && f.engineMajor >= 16) return { status: 'pass', found: `rds.force_ssl not set in ${f.group}: the PostgreSQL ${f.engineMajor} default is 1` };
    return { status: 'fail', found: f.value === null ? `rds.force_ssl not set in ${f.group}: the PostgreSQL ${f.engineMajor} default is 0 (plain connections accepted)` : `rds.force_ssl = ${f.value} in ${f.group}: plain connections accepted`, fix };
  },
});
