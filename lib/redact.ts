// Credential redaction shared by logs, errors and JSON output: by key name and by known secret value.
const SENSITIVE_KEY =
  /(^aws_access_key_id$|^aws_secret_access_key$|^aws_session_token$|secret|token|password|^authorization$)/i;
const secrets = new Set<string>();

/** Marker written in place of a credential. */
export const REDACTED = '[REDACTED]';

/** True when a key names a credential (aws_* keys, anything with secret/token/password). */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** Remember a secret value so it is scrubbed from every message and log line from now on. */
export function registerSecret(value: unknown): void {
  if (typeof value === 'string' && value.length >= 4) secrets.add(value);
}

/** Replace every registered secret value inside a string. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** Deep copy of a JSON-like value with credential keys replaced and secret values scrubbed. */
export function redactValue<T>(value: T, depth = 0): T {
  if (depth > 32) return value;
  if (typeof value === 'string') return scrubSecrets(value) as T;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => redactValue(v, depth + 1)) as T;
  if (value && typeof value === 'object' && !(value instanceof Error) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = isSensitiveKey(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redactValue(v, depth + 1);
    }
    return out as T;
  }
  return value;
}
