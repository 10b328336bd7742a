import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBerthV1, PROTO_FILES, PROTO_ROOT } from './index';

const generator = path.join(PROTO_ROOT, 'generate.js');
const repoNodeModules = path.join(PROTO_ROOT, '..', 'node_modules');

describe('generated types', () => {
  it('are what the generator makes of the committed .proto files', () => {
    const out = execFileSync(process.execPath, [generator, '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });

  it('the check fails when a .proto changes without regenerating', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-proto-test-'));
    try {
      for (const dir of ['berth', 'etcd']) fs.cpSync(path.join(PROTO_ROOT, dir), path.join(tmp, dir), { recursive: true });
      fs.cpSync(path.join(PROTO_ROOT, 'src', 'gen'), path.join(tmp, 'src', 'gen'), { recursive: true });
      fs.copyFileSync(generator, path.join(tmp, 'generate.js'));
      const file = path.join(tmp, 'berth', 'v1', 'common.proto');
      fs.appendFileSync(file, '\nmessage AddedWithoutRegenerating { string x = 1; }\n');
      const res = spawnSync(process.execPath, [path.join(tmp, 'generate.js'), '--check'], {
        encoding: 'utf8', env: { ...process.env, NODE_PATH: repoNodeModules },
      });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/AddedWithoutRegenerating\.ts: missing/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('loader', () => {
  it('loads every service of berth.v1', () => {
    const v1 = loadBerthV1();
    for (const svc of ['ServerService', 'InstanceService', 'ImageService', 'ClusterService',
      'OperationService', 'EventService', 'RaftTransport', 'MigrationService', 'ImageTransfer'] as const) {
      expect(typeof v1[svc]).toBe('function');
      expect(Object.keys(v1[svc].service).length).toBeGreaterThan(0);
    }
    expect(PROTO_FILES.every((f) => fs.existsSync(path.join(PROTO_ROOT, f)))).toBe(true);
  });
});
