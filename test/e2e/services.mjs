// bin/services: a RabbitMQ and a PostgreSQL of the test's own, on
// loopback, for the tests of many nodes. startServices resolves with their
// URLs ({ amqp, postgres }), command(cmd) sends bin/services a line
// ("stop-rabbit", "start-rabbit") and resolves with its answer, and stop()
// ends both.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { repoRoot } from './server.mjs';

export async function startServices() {
  const child = spawn(path.join(repoRoot, 'bin', 'services'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve, reject) => {
    const onLine = (line) => { rl.off('line', onLine); resolve(line); };
    rl.on('line', onLine);
    child.once('exit', (code) => reject(new Error(`bin/services exited (${code})`)));
  });
  const urls = JSON.parse(await next());
  return {
    ...urls,
    async command(cmd) { child.stdin.write(`${cmd}\n`); return next(); },
    stop() { child.stdin.end(); return new Promise((resolve) => child.once('exit', resolve)); },
  };
}
