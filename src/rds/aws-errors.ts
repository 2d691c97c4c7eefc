import { UserError, errorMessage } from '../core/errors.ts';

/** The IAM action each RDS call needs (what an AccessDenied is missing). */
export function iamActionOf(call: string): string {
  return `rds:${call}`;
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
}

const NOT_FOUND = new Set(['DBInstanceNotFound', 'DBInstanceNotFoundFault', 'DBSnapshotNotFound', 'DBSnapshotNotFoundFault', 'DBParameterGroupNotFound', 'DBParameterGroupNotFoundFault']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const CREDENTIALS = new Set(['CredentialsProviderError', 'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException']);

/**
 * An error of one RDS call as a one-paragraph `UserError` naming the call,
 * the instance and what to do: AccessDenied names the missing IAM action,
 * an invalid state says the instance must settle first, not found names the
 * identifier and region, throttling says the SDK's retries ran out, missing
 * credentials or region point at the default chain. The AWS request id is
 * kept (support asks for it).
 */
export function rdsError(call: string, instance: string, error: unknown, region?: string): UserError {
  const e = (error ?? {}) as AwsErrorShape;
  const code = e.name ?? 'Error';
  const text = (e.message ?? errorMessage(error)).replace(/\s+/g, ' ').trim();
  const rid = e.$metadata?.requestId ? ` (request id ${e.$metadata.requestId})` : '';
  const head = `RDS ${call} on ${instance} failed`;
  const where = region ? ` in ${region}` : '';
  if (code === 'AccessDenied' || code === 'AccessDeniedException' || code === 'UnauthorizedOperation' || e.$metadata?.httpStatusCode === 403 && !CREDENTIALS.has(code)) {
    return new UserError(`${head}: access denied${rid}: ${text}. The credentials in use lack the permission ${iamActionOf(call)} on this instance.`, `Grant ${iamActionOf(call)} on arn:aws:rds:<region>:<account>:db:${instance} (the README lists the minimal IAM policy per command), or use credentials that have it.`);
  }
  if (NOT_FOUND.has(code)) return new UserError(`${head}: not found${where}${rid}: ${text}.`, `Check the identifier and the region (--region, AWS_REGION or the profile's region); \`aws rds describe-db-instances\` lists what exists.`);
  if (code === 'InvalidDBInstanceState' || code === 'InvalidDBInstanceStateFault' || code === 'InvalidParameterCombination') {
    return new UserError(`${head}: the instance's state does not allow it (${code})${rid}: ${text}.`, 'Wait until the instance is available (or in the state the call needs) and run the step again; `aws rds describe-db-instances` shows its status.');
  }
  if (THROTTLED.has(code)) {
    const attempts = e.$metadata?.attempts;
    return new UserError(`${head}: AWS throttled the call (${code}) and the SDK's standard retry mode gave up${attempts ? ` after ${attempts} attempts` : ''}${rid}.`, 'Wait a minute and run it again, or raise PGDRILL_RDS_MAX_ATTEMPTS; other tools calling the RDS API in this account share the limit.');
  }
  if (CREDENTIALS.has(code) || /credential/i.test(code) || /Could not load credentials|Region is missing/i.test(text)) {
    return new UserError(`${head}: the AWS credentials or region could not be used (${code}): ${text}.`, 'Set them the usual AWS way (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO login, an instance role) and the region with --region or AWS_REGION.');
  }
  return new UserError(`${head} (${code})${rid}: ${text}.`, 'Check the instance in the RDS console or with `aws rds describe-db-instances`, then run the command again.');
}

/** Runs one RDS call; any error becomes `rdsError` for it. */
export async function rdsCall<T>(call: string, instance: string, fn: () => Promise<T>, region?: string): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw rdsError(call, instance, error, region);
  }
}
