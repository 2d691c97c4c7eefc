import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every process's parent, read portably: from `/proc/<pid>/stat` on Linux
 * (no subprocess), else from `ps -A -o pid= -o ppid=` (POSIX: GNU, BSD and
 * macOS `ps` all take it). Empty when neither can be read.
 */
function parentTable(): Array<[pid: number, ppid: number]> {
  if (process.platform === 'linux') {
    const rows: Array<[number, number]> = [];
    let entries: string[] = [];
    try {
      entries = readdirSync('/proc');
    } catch {
      entries = [];
    }
    for (const name of entries) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // The command name (field 2) is in parentheses and may hold spaces: the fields after its last ')' are fixed.
        const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        rows.push([Number(name), Number(after[1])]);
      } catch {
        // exited meanwhile
      }
    }
    if (rows.length > 0) return rows;
  }
  try {
    return execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'ppid='], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number) as [number, number])
      .filter(([pid, ppid]) => pid > 0 && Number.isInteger(ppid));
  } catch {
    return [];
  }
}

/** PIDs of the direct children of a process (empty when it has none or the table cannot be read). */
export function childrenOf(pid: number): number[] {
  return parentTable()
    .filter(([, ppid]) => ppid === pid)
    .map(([child]) => child);
}

/** PIDs of every descendant of a process (children, their children, ...), parents before children. */
export function descendantsOf(pid: number): number[] {
  const table = parentTable();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [child, ppid] of table) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}
