import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// biome-ignore lint/suspicious/noExplicitAny: compose files are read field by field
const compose: any = parse(readFileSync('compose.yaml', 'utf8'));
const service = compose.services['weibo-auth'];
const script: string = service.command.at(-1);

/** The service's start-up script up to its `exec`, run by sh with `getent` answering as told. */
function endpointChosen(collectorResolves: boolean, env: Record<string, string> = {}): string {
  const bin = mkdtempSync(path.join(tmpdir(), 'compose-'));
  writeFileSync(path.join(bin, 'getent'), `#!/bin/sh\nexit ${collectorResolves ? 0 : 2}\n`);
  chmodSync(path.join(bin, 'getent'), 0o755);
  // Compose turns $$ into $; the keys' folder is not there: their exports are empty here.
  const upToExec = script.replaceAll('$$', '$').replace(/exec node[\s\S]*$/, '');
  return execFileSync('sh', ['-c', `${upToExec} printf '%s' "$OTEL_EXPORTER_OTLP_ENDPOINT"`], {
    env: { PATH: `${bin}:${process.env.PATH}`, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

describe('compose.yaml', () => {
  it("runs the image's node command: its flags and its tracing preload", () => {
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1] ?? '[]');
    expect(script).toContain(`exec ${cmd.join(' ')}`);
  });

  it('adds a collector and Jaeger only with the tracing profile', () => {
    const profiled = Object.entries(compose.services)
      // biome-ignore lint/suspicious/noExplicitAny: see above
      .filter(([, definition]: [string, any]) => definition.profiles)
      // biome-ignore lint/suspicious/noExplicitAny: see above
      .map(([name, definition]: [string, any]) => [name, definition.profiles]);
    expect(profiled).toEqual([
      ['otel-collector', ['tracing']],
      ['jaeger', ['tracing']],
    ]);
    expect(service.depends_on['otel-collector']).toEqual({
      condition: 'service_started',
      required: false,
    });
  });

  it('sends traces to the collector when it runs, and only then', () => {
    expect(endpointChosen(true)).toBe('http://otel-collector:4318');
    expect(endpointChosen(false)).toBe('');
    expect(endpointChosen(true, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://mine:4318' })).toBe(
      'http://mine:4318',
    );
  });

  it("gives the collector a pipeline from OTLP to Jaeger's OTLP port", () => {
    const collector = compose.services['otel-collector'];
    const [source, target] = collector.volumes[0].split(':');
    expect(existsSync(source)).toBe(true);
    expect(collector.command).toEqual([`--config=${target}`]);
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const config: any = parse(readFileSync(source, 'utf8'));
    const pipeline = config.service.pipelines.traces;
    for (const kind of ['receivers', 'processors', 'exporters']) {
      for (const name of pipeline[kind])
        expect(config[kind], `${kind}: ${name}`).toHaveProperty(name);
    }
    const [exporter] = pipeline.exporters;
    expect(config.exporters[exporter].endpoint).toBe('jaeger:4317');
    expect(compose.services.jaeger.profiles).toEqual(['tracing']);
    expect(config.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
  });
});
