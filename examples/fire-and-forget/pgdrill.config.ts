// A service that acknowledges writes before it makes them: `npx pgdrill drill connection-loss` exits 2.
import { defineConfig } from 'pgdrill';

export default defineConfig({
  system: {
    database: 'fire_and_forget_db',
    schema: ['db/schema.sql'],
    service: {
      command: ['node', 'server.mjs'],
      write: { method: 'POST', path: '/orders', body: { id: '{{id}}', amount: 12.5 } },
      read: { path: '/orders/{{id}}' },
    },
    ledger: { table: 'orders', idColumn: 'id' },
  },
  holdMs: 3000,
});
