// pino root logger on stderr (stdout carries data): JSON by default, pretty on a TTY, credentials redacted.
import { pino, type Logger } from 'pino';
import { redactValue, scrubSecrets } from './redact.js';

export type { Logger };

function createRoot(): Logger {
  const level = process.env.TUNEFEED_LOG_LEVEL ?? 'info';
  const pretty = process.stderr.isTTY && process.env.TUNEFEED_LOG_FORMAT !== 'json';
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    formatters: { log: (obj) => redactValue(obj) },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

let root: Logger | undefined;

/** The process-wide root logger (created on first use). */
export function rootLogger(): Logger {
  root ??= createRoot();
  return root;
}

/** A child logger for one module: `logger('storage/s3')`. */
export function logger(module: string): Logger {
  return rootLogger().child({ module });
}
