import { defineCheck } from './check.ts';
import { rdsInstance } from './rds-facts.ts';

/** `rds-storage-encrypted`: storage encrypted at rest (KMS). */
export const rdsStorageEncryptedCheck = defineCheck<{ instance: string; on: boolean }>({
  id: 'rds-storage-encrypted',
  group: 'security',
  title: 'RDS storage encryption',
  seedSection: '7. Security (encryption at rest)',
  expected: 'storage encrypted at rest (KMS)',
  async read(ctx) {
    const i = rdsInstance(ctx);
    return { instance: i.DBInstanceIdentifier ?? '?', on: i.StorageEncrypted === true };
  },
  judge(f) {
    if (f.on) return { status: 'pass', found: 'storage is encrypted at rest' };
    return { status: 'fail', found: 'storage is not encrypted (it cannot be turned on in place)', fix: `snapshot ${f.instance}, copy the snapshot with --kms-key-id, restore the encrypted copy and switch over (encryption cannot be enabled on a running instance)` };
  },
});
