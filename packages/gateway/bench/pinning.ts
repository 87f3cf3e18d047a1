/**
 * Pinning processes to CPUs for the benches. On a shared two-core machine two processes that
 * take turns on one core blur each other's latencies; pinned, each keeps its own core warm.
 * Linux with `taskset` and two or more CPUs only; `BENCH_PIN=0` turns it off.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Whether pinning is on for this run. */
export const PIN =
  process.env.BENCH_PIN !== '0' && cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;

/** Pins a running process, all its threads, to one CPU (nothing when pinning is off). */
export function pin(pid: number, cpu: number): void {
  if (PIN) spawnSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
}

/** The command that starts `bin` pinned to one CPU (or as it is when pinning is off). */
export function pinnedCommand(bin: string, cpu: number): string[] {
  return PIN ? ['taskset', '-c', String(cpu), bin] : [bin];
}
