import path from 'node:path';
import type { FullConfig, Reporter, Suite, TestCase, TestResult } from '@playwright/test/reporter';

/**
 * Prints why tests were skipped, after the list reporter's summary, which counts them but does
 * not say why (the Electron spec skips where Electron's binary could not be downloaded).
 */
export default class SkipReasonsReporter implements Reporter {
  private rootDir = process.cwd();
  private readonly skipped = new Map<string, string[]>();

  onBegin(config: FullConfig, _suite: Suite): void {
    // Paths as the list reporter shows them: from the folder of playwright.config.ts.
    this.rootDir = config.configFile ? path.dirname(config.configFile) : config.rootDir;
  }

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status !== 'skipped') return;
    const annotation = [...result.annotations, ...test.annotations].find(
      (a) => (a.type === 'skip' || a.type === 'fixme') && a.description,
    );
    const reason = annotation?.description ?? 'no reason given';
    const where = `${path.relative(this.rootDir, test.location.file)}:${test.location.line}:${test.location.column}`;
    const title = test.titlePath().filter(Boolean).slice(1).join(' › ');
    this.skipped.set(reason, [...(this.skipped.get(reason) ?? []), `${where} › ${title}`]);
  }

  onEnd(): void {
    for (const [reason, tests] of this.skipped) {
      process.stdout.write(`  Skipped: ${reason}\n${tests.map((t) => `    ${t}\n`).join('')}`);
    }
    if (this.skipped.size > 0) process.stdout.write('\n');
  }

  printsToStdio(): boolean {
    return true;
  }
}
