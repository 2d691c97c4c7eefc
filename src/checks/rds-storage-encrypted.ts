import { instanceFlagCheck } from './rds-instance-flag.ts';

/** `rds-storage-encrypted`: storage encrypted at rest (KMS). */
export const rdsStorageEncryptedCheck = instanceFlagCheck({
  id: 'rds-storage-encrypted',
  group: 'security',
  title: 'RDS storage encryption',
  seedSection: '7. Security (encryption at rest)',
  expected: 'storage encrypted at rest (KMS)',
  isOn: (i) => i.StorageEncrypted === true,
  on: 'storage is encrypted at rest',
  off: 'storage is not encrypted (it cannot be turned on in place)',
  fix: (id) => `snapshot ${id}, copy the snapshot with --kms-key-id, restore the encrypted copy and switch over (encryption cannot be enabled on a running instance)`,
  offStatus: 'fail',
});
