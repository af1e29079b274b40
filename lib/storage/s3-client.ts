// Builds the AWS SDK client for one S3 backend: our own agents (pool size really applied), timeouts, checksum mode.
import http from 'node:http';
import https from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { BackendDescription } from './types.js';

export type AwsDescription = Extract<BackendDescription, { kind: 'aws' }>;

/** The SDK client and module. */
export interface OwnedClient {
  client: S3Client;
  sdk: typeof S3Sdk;
}

/** Keep-alive agents sized by aws_max_pool_connections; shared by the SDK client and the lean path. */
export function createAgents(d: AwsDescription): { http: http.Agent; https: https.Agent } {
  const options = {
    keepAlive: true,
    maxSockets: d.maxPoolConnections,
    maxFreeSockets: Math.min(d.maxPoolConnections, 256),
    scheduling: 'lifo' as const,
  };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

/**
 * The SDK is imported on first use: a worker that only reads local files never pays its ~100 ms load.
 * SDK retries are off (maxAttempts 1): retries are ours, bounded and logged per attempt.
 */
export async function createS3Client(
  d: AwsDescription,
  agents: { http: http.Agent; https: https.Agent },
): Promise<OwnedClient> {
  const sdk = await import('@aws-sdk/client-s3');
  const credentials =
    d.accessKeyId && d.secretAccessKey
      ? {
          accessKeyId: d.accessKeyId,
          secretAccessKey: d.secretAccessKey,
          ...(d.sessionToken ? { sessionToken: d.sessionToken } : {}),
        }
      : undefined;
  const client = new sdk.S3Client({
    region: d.region,
    ...(d.endpoint ? { endpoint: d.endpoint } : {}),
    forcePathStyle: d.forcePathStyle,
    ...(credentials ? { credentials } : {}),
    maxAttempts: 1,
    requestChecksumCalculation: d.checksumMode,
    responseChecksumValidation: d.checksumMode,
    requestHandler: {
      httpAgent: agents.http,
      httpsAgent: agents.https,
      connectionTimeout: d.connectTimeoutMs,
      requestTimeout: d.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketAcquisitionWarningTimeout: Math.max(d.connectTimeoutMs + d.requestTimeoutMs, 10_000),
    },
  });
  return { client, sdk };
}

/** Default description fields for a config's aws block (timeouts the SDK leaves unset). */
export const S3_DEFAULTS = {
  maxPoolConnections: 128,
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
  maxAttempts: 6,
  listConcurrency: 8,
  retryBaseDelayMs: 200,
  attemptTimeoutMs: 60_000,
} as const;
