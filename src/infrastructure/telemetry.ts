/**
 * Preloaded with `node --import` (npm start, npm run relay, the image's CMD) before any module
 * of the service: with an OTLP endpoint set it starts the OpenTelemetry SDK and the ESM hook its
 * instrumentations patch through, before pg, ioredis and undici are imported. Unset, nothing
 * more than this file and the settings it reads is loaded. A protocol the service cannot send
 * is left to the config, which refuses start-up naming it.
 */
import { isMainThread } from 'node:worker_threads';
import { tracingSettings } from './telemetry-settings.ts';

const settings = tracingSettings(process.env);
if (isMainThread && settings.enabled && settings.problem === undefined) {
  const { startTracing } = await import('./telemetry-sdk.ts');
  await startTracing(settings);
}
