// Starts bin/stompbox on a free loopback port for the end-to-end tests.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const binary = path.join(repoRoot, 'bin', 'stompbox');

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

// Every server started here is killed if the test process exits without
// stopping it (a crashed test must not leave a server behind).
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Spawns `bin/stompbox -addr 127.0.0.1:0` and waits for its
 * `msg=listening addr=127.0.0.1:PORT` log line on stderr.
 *
 * `binary` runs another program that takes `-addr` and logs the same
 * line, e.g. `path.join(repoRoot, 'bin', 'parity')`; the default is
 * bin/stompbox.
 *
 * @returns {Promise<{url: string, wsURL: string, port: number, stop(): Promise<void>, logs(): string, child: import('node:child_process').ChildProcess}>}
 */
export function startServer({ args = [], env = {}, binary: program = binary } = {}) {
  if (!existsSync(program)) {
    return Promise.reject(new Error(`${program} does not exist: run \`make build\` first`));
  }
  // Each stompbox keeps its chat history in a directory of its own, unless
  // the test names one (to restart a server on the same history).
  const data = args.includes('-data') || program !== binary ? [] : ['-data', mkdtempSync(path.join(tmpdir(), 'stompbox-e2e-'))];
  const child = spawn(program, ['-addr', '127.0.0.1:0', ...data, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let output = '';
  const logs = () => output;
  let exit = null; // {code, signal} once exited
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      running.delete(child);
      resolve(exit);
    });
  });

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.setEncoding('utf8');

  return new Promise((resolve, reject) => {
    let settled = false;
    let pending = '';
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}\n--- stompbox output ---\n${output}`));
    };
    const timer = setTimeout(
      () => fail(`stompbox did not log msg=listening within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    child.once('error', (err) => fail(`cannot start ${program}: ${err.message}`));
    exited.then(({ code, signal }) => fail(`stompbox exited early (code ${code}, signal ${signal})`));

    child.stderr.on('data', (chunk) => {
      output += chunk;
      if (settled) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        if (!/(^|\s)msg="?listening"?(\s|$)/.test(line)) continue;
        const m = /(?:^|\s)addr="?([^\s"]+)"?/.exec(line);
        const port = m && Number(/:(\d+)$/.exec(m[1])?.[1]);
        if (!port) {
          fail(`cannot read the port from the listening line: ${line}`);
          return;
        }
        settled = true;
        clearTimeout(timer);
        const host = `127.0.0.1:${port}`;
        resolve({
          url: `http://${host}`,
          wsURL: `ws://${host}/chat-app`,
          port,
          child,
          logs,
          stop: () => stop(child, exited, () => exit, logs),
        });
        return;
      }
    });
  });
}

// Sends SIGTERM and requires a clean exit (code 0) within STOP_TIMEOUT_MS.
async function stop(child, exited, exitState, logs) {
  const already = exitState();
  if (already) {
    throw new Error(`stompbox had already exited (code ${already.code}, signal ${already.signal})\n--- stompbox output ---\n${logs()}`);
  }
  child.kill('SIGTERM');
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
  });
  const result = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (result === null) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`stompbox did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\n--- stompbox output ---\n${logs()}`);
  }
  if (result.code !== 0) {
    throw new Error(`stompbox exited with code ${result.code} (signal ${result.signal}) after SIGTERM, want 0\n--- stompbox output ---\n${logs()}`);
  }
}

/** Resolves after ms milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settles like promise, or rejects after ms naming what was awaited. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A set of pending waits, each rechecked whenever notify() is called (on any
 * event that could make one come true).
 */
export class Waits {
  #checks = new Set();

  notify() {
    for (const run of [...this.#checks]) run();
  }

  /**
   * Resolves with the first truthy value of check(), which may throw to
   * reject at once; rejects with timeoutError() after ms.
   */
  until(check, timeoutError, ms = 10_000) {
    return new Promise((resolve, reject) => {
      const done = (err, value) => {
        clearTimeout(timer);
        this.#checks.delete(run);
        if (err) reject(err);
        else resolve(value);
      };
      const run = () => {
        let value;
        try {
          value = check();
        } catch (err) {
          done(err);
          return;
        }
        if (value) done(null, value);
      };
      const timer = setTimeout(() => done(timeoutError()), ms);
      this.#checks.add(run);
      run();
    });
  }
}
