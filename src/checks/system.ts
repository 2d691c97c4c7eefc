import { SERVICE_DATABASES } from '../core/target.ts';

/**
 * One service of the system under check: the database it owns, the role it
 * connects as, the privileges that role may hold on that database's tables
 * (no more), and the size of its connection pool (for headroom).
 */
export interface CheckedService {
  name: string;
  database: string;
  role: string;
  tablePrivileges: readonly string[];
  poolSize: number;
}

/** An index the seed recommends: `columns` must be the leading columns of some index on `table`, in order. */
export interface RecommendedIndex {
  database: string;
  table: string;
  columns: readonly string[];
}

/**
 * What the readiness checks compare a server against: its services and the
 * indexes recommended for them. Today this is the seed's four services
 * (`seedSystem`); a user-configured system (pgdrill.config.ts) supplies the
 * same shape.
 */
export interface CheckedSystem {
  services: readonly CheckedService[];
  recommendedIndexes: readonly RecommendedIndex[];
}

/** The seed's privileges for a service role on its tables: SELECT, INSERT, UPDATE (no DELETE, TRUNCATE or DDL). */
export const SEED_TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE'] as const;

/** The seed's production pool size per service (section 4, "What to Configure": max_pool_size 10). */
export const SEED_POOL_SIZE = 10;

/**
 * The seed's system as the code knows it: the four services of
 * `SERVICE_DATABASES` with the roles `fixtures/roles.sql` creates, and the
 * indexes of the seed's section 7 ("Indexes Strategy").
 */
export function seedSystem(): CheckedSystem {
  return {
    services: Object.entries(SERVICE_DATABASES).map(([name, s]) => ({ name, database: s.database, role: s.role, tablePrivileges: SEED_TABLE_PRIVILEGES, poolSize: SEED_POOL_SIZE })),
    recommendedIndexes: [
      { database: 'auth_db', table: 'users', columns: ['email'] },
      { database: 'auth_db', table: 'users', columns: ['role'] },
      { database: 'payments_db', table: 'payments', columns: ['user_id'] },
      { database: 'payments_db', table: 'payments', columns: ['status'] },
      { database: 'payments_db', table: 'payments', columns: ['created_at'] },
      { database: 'payments_db', table: 'payments', columns: ['user_id', 'status', 'created_at'] },
      { database: 'profile_db', table: 'profiles', columns: ['user_id'] },
      { database: 'profile_db', table: 'profiles', columns: ['created_at'] },
    ],
  };
}
