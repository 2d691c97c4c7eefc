// pgdrill drills this service: `npx pgdrill drill connection-loss`, `npx pgdrill ci`.
import { defineConfig } from 'pgdrill';

export default defineConfig({
  system: {
    database: 'orders_db', // created in the lab, owned by orders_db_owner
    schema: ['db/schema.sql', 'db/seed.sql'], // applied in order, as the owner
    serviceRole: { grants: ['SELECT', 'INSERT'] }, // orders_db_service: what the service needs, no more
    service: {
      command: ['node', 'server.mjs'], // started by pgdrill in this directory, with DATABASE_URL and PORT
      env: { LOG_LEVEL: 'warn' },
      ready: '/health',
      write: { method: 'POST', path: '/orders', body: { id: '{{id}}', amount: 12.5 } }, // 2xx = acknowledged
      read: { path: '/orders/{{id}}' }, // 200 = present, 404 = missing
    },
    ledger: { table: 'orders', idColumn: 'id' }, // acknowledged writes must be here after recovery
  },
  objectives: { 'connection-loss': { rtoMs: 30_000 } },
  holdMs: 3000,
});
