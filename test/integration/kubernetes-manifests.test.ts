import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig } from '../../src/infrastructure/config.ts';
import { type ServiceUnderTest, startServiceUnderTest } from '../support/running-service.ts';

const DIRECTORY = 'deploy/kubernetes';

/** The variables SPEC calls secret: never a literal value in a manifest. */
const SECRET_VARIABLES = [
  'JWT_PRIVATE_KEY',
  'JWT_PREVIOUS_KEYS',
  'TOKEN_ENCRYPTION_KEY',
  'WEIBO_CLIENT_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_PASSWORD',
  'ADMIN_API_KEYS',
];

// biome-ignore lint/suspicious/noExplicitAny: manifests are read as plain YAML
type Manifest = { kind: string; metadata: { name: string }; [field: string]: any };

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  ConfigMap,
  Deployment,
  HorizontalPodAutoscaler,
  Job,
  PodDisruptionBudget,
  Service,
};

function manifests(): Array<{ file: string; manifest: Manifest }> {
  return readdirSync(DIRECTORY)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(DIRECTORY, file), 'utf8')).map((document) => {
        expect(document.errors, file).toEqual([]);
        return { file, manifest: document.toJS() as Manifest };
      }),
    );
}

const all = manifests();
const byKind = (kind: string) => all.filter(({ manifest }) => manifest.kind === kind);
const named = (kind: string, name: string) => {
  const found = byKind(kind).find(({ manifest }) => manifest.metadata.name === name)?.manifest;
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};
const workloads = () => [...byKind('Deployment'), ...byKind('Job')];
const containerOf = (manifest: Manifest) => manifest.spec.template.spec.containers[0];

/** A container's environment as Kubernetes would give it, secrets filled with real-looking values. */
function environmentOf(manifest: Manifest): NodeJS.ProcessEnv {
  const configMap = named('ConfigMap', 'weibo-auth');
  const secrets: Record<string, string> = {
    DATABASE_URL: 'postgres://weibo_auth:secret@postgres:5432/weibo_auth',
    REDIS_PASSWORD: 'redis-secret',
    WEIBO_CLIENT_SECRET: 'weibo-secret',
    JWT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
  const env: NodeJS.ProcessEnv = {};
  const container = containerOf(manifest);
  for (const source of container.envFrom ?? []) {
    expect(source.configMapRef.name).toBe(configMap.metadata.name);
    Object.assign(env, configMap.data);
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref) {
      if (secrets[ref.key] !== undefined) env[variable.name] = secrets[ref.key];
      else expect(ref.optional, `${variable.name} is required but has no test value`).toBe(true);
    } else env[variable.name] = variable.value;
  }
  return env;
}

describe('deploy/kubernetes', () => {
  it('holds the service Deployment, a Service, a PDB, an HPA, the relay and a migrate Job', () => {
    expect(all.map(({ manifest }) => `${manifest.kind}/${manifest.metadata.name}`).sort()).toEqual([
      'ConfigMap/weibo-auth',
      'Deployment/weibo-auth',
      'Deployment/weibo-auth-relay',
      'HorizontalPodAutoscaler/weibo-auth',
      'Job/weibo-auth-migrate',
      'PodDisruptionBudget/weibo-auth',
      'Service/weibo-auth',
    ]);
    const kustomization = parseAllDocuments(
      readFileSync(path.join(DIRECTORY, 'kustomization.yaml'), 'utf8'),
    )[0]?.toJS();
    expect([...kustomization.resources].sort()).toEqual(
      [...new Set(all.map(({ file }) => file))].sort(),
    );
  });

  it('validates every manifest against the Kubernetes API schema', () => {
    for (const { file, manifest } of all) {
      const Model = MODELS[manifest.kind];
      if (!Model) throw new Error(`${file}: no schema for ${manifest.kind}`);
      expect(() => new Model(manifest as never).validate(), file).not.toThrow();
    }
  });

  it('would catch a manifest the API server refuses (the check is real)', () => {
    const broken = structuredClone(named('Deployment', 'weibo-auth'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(broken as never).validate()).toThrow();
    const missing = structuredClone(named('Deployment', 'weibo-auth'));
    delete missing.spec.selector;
    expect(() => new Deployment(missing as never).validate()).toThrow();
  });

  it('gives every secret variable through secretKeyRef, never as a value', () => {
    const configMap = named('ConfigMap', 'weibo-auth');
    for (const name of SECRET_VARIABLES) expect(configMap.data, name).not.toHaveProperty(name);
    for (const { file, manifest } of workloads()) {
      for (const variable of containerOf(manifest).env ?? []) {
        if (SECRET_VARIABLES.includes(variable.name)) {
          expect(variable.value, `${file}: ${variable.name}`).toBeUndefined();
          expect(variable.valueFrom?.secretKeyRef?.key, `${file}: ${variable.name}`).toBe(
            variable.name,
          );
        }
      }
    }
  });

  it('starts every container with a production configuration the service accepts', () => {
    for (const { file, manifest } of workloads()) {
      const env = environmentOf(manifest);
      expect(env.NODE_ENV, file).toBe('production');
      let problems: string[] = [];
      try {
        loadConfig(env);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems = error.problems;
      }
      expect(problems, file).toEqual([]);
    }
  });

  it("runs the image's own command: its Node flags, main.js and serve, relay or migrate", () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    const start = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string;
    expect(cmd.slice(0, -1).every((flag) => start.includes(flag))).toBe(true);
    const expected = {
      'weibo-auth': 'serve',
      'weibo-auth-relay': 'relay',
      'weibo-auth-migrate': 'migrate',
    };
    for (const { manifest } of workloads()) {
      const command = containerOf(manifest).command as string[];
      const name = manifest.metadata.name as keyof typeof expected;
      expect(command.at(-1)).toBe(expected[name]);
      expect(command.at(-2)).toBe(cmd.at(-1));
      if (name !== 'weibo-auth-migrate') expect(command.slice(0, -1)).toEqual(cmd);
    }
  });

  it('runs as non-root on a read-only root filesystem, every container', () => {
    for (const { file, manifest } of workloads()) {
      const pod = manifest.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot, file).toBe(true);
      expect(pod.securityContext.runAsUser, file).toBeGreaterThan(0);
      const container = containerOf(manifest);
      expect(container.securityContext.readOnlyRootFilesystem, file).toBe(true);
      expect(container.securityContext.allowPrivilegeEscalation, file).toBe(false);
      expect(container.resources.requests.cpu, file).toBeDefined();
      expect(container.resources.limits.memory, file).toBeDefined();
    }
  });

  it('listens beyond loopback on the port its probes, Service and HPA use', () => {
    const deployment = named('Deployment', 'weibo-auth');
    const container = containerOf(deployment);
    const env = environmentOf(deployment);
    expect(env.HOST).toBe('0.0.0.0');
    const [port] = container.ports;
    expect(String(port.containerPort)).toBe(env.PORT);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: port.name });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: port.name });
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(labels);
    const service = named('Service', 'weibo-auth');
    expect(service.spec.selector).toEqual(labels);
    expect(service.spec.ports[0].targetPort).toBe(port.name);
    expect(named('PodDisruptionBudget', 'weibo-auth').spec.selector.matchLabels).toEqual(labels);
    const hpa = named('HorizontalPodAutoscaler', 'weibo-auth');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'weibo-auth',
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it('lets the graceful shutdown finish before Kubernetes kills the pod', () => {
    const deployment = named('Deployment', 'weibo-auth');
    const [sleep, seconds] = containerOf(deployment).lifecycle.preStop.exec.command;
    expect(sleep).toBe('sleep');
    // preStop, then the server's drain (at most 10 s, http-server.ts) and the relay's batch.
    expect(Number(seconds) + 10 + 5).toBeLessThan(
      deployment.spec.template.spec.terminationGracePeriodSeconds,
    );
  });

  describe('against the real service', () => {
    let sut: ServiceUnderTest;
    beforeAll(async () => {
      sut = await startServiceUnderTest();
    });
    afterAll(() => sut?.stop());

    it('answers 200 on the liveness and readiness paths the probes ask', async () => {
      const container = containerOf(named('Deployment', 'weibo-auth'));
      for (const probe of [
        container.startupProbe,
        container.livenessProbe,
        container.readinessProbe,
      ]) {
        const response = await fetch(`${sut.service.url}${probe.httpGet.path}`);
        expect(response.status, probe.httpGet.path).toBe(200);
      }
    });
  });
});
