import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runUnprivileged, unprivilegedSkipReason } from './testing/unprivileged';

// A real EACCES needs an unprivileged process. Where ports below 1024 are open to everyone,
// there is no error to explain.
const skipReason = unprivilegedSkipReason();

describe('privileged ports', () => {
  it.skipIf(skipReason !== '')(`explains EACCES when an unprivileged user listens on port 80 ${skipReason && `(skipped: ${skipReason})`}`, async () => {
    const run = await runUnprivileged(
      `import { Engine } from ${JSON.stringify(path.resolve(__dirname, 'engine'))};
const engine = new Engine();
engine.startListener({ host: '127.0.0.1', port: 80 }).then(async (r) => {
  console.log(JSON.stringify(r));
  await engine.shutdown();
});`,
    );
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim());
    expect(result.ok).toBe(false);
    expect(result.code).toBe('EACCES');
    expect(result.message).toContain('ports below 1024');
    expect(result.hint).toContain('1024 or above');
  });
});
