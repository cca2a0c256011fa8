// The engine's own CPU time (issue #12: dom0's CPU ≤ 10 % of the engine's during a cold apply):
// dockerd serving the socket, its children (containerd), and the containerd shims of its
// exec-root (reparented to init, so found by their -address). utime+stime plus the reaped
// children's (runc runs under the shims), from /proc/PID/stat, in seconds.
import fs from 'node:fs';

const TICK_S = 1 / 100; // USER_HZ: 100 on Linux (as /proc reports)

function readProc(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // gone
  }
}

function stat(pid) {
  const s = readProc(pid, 'stat');
  if (!s) return undefined;
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

const cmdline = (pid) => (readProc(pid, 'cmdline') ?? '').split('\0').filter(Boolean);

/** The pids that make up the engine serving `socketPath` (undefined when its dockerd is not found). */
export function enginePids(socketPath) {
  const pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const cmds = new Map(pids.map((p) => [p, cmdline(p)]));
  const dockerd = pids.find((p) => {
    const c = cmds.get(p);
    return /(^|\/)dockerd$/.test(c[0] ?? '') && c.some((a, i) => a === `unix://${socketPath}` || (a === '-H' && c[i + 1] === `unix://${socketPath}`) || a === `--host=unix://${socketPath}`);
  });
  if (dockerd === undefined) return undefined;
  const args = cmds.get(dockerd);
  const execRoot = args[args.indexOf('--exec-root') + 1] ?? '/var/run/docker';
  const shimAddress = `${execRoot}/containerd/containerd.sock`;
  const parents = new Map(pids.map((p) => [p, stat(p)?.ppid]));
  const inTree = (p) => {
    for (let q = p, depth = 0; q && depth < 50; q = parents.get(q), depth++) if (q === dockerd) return true;
    return false;
  };
  return pids.filter((p) => inTree(p) || (/containerd-shim/.test(cmds.get(p)[0] ?? '') && cmds.get(p).includes(shimAddress)));
}

/** CPU seconds used so far by the engine's processes (and a fresh look for new shims each time). */
export function engineCpuSample(socketPath) {
  const pids = enginePids(socketPath);
  if (!pids) return undefined;
  const per = new Map();
  for (const p of pids) {
    const s = stat(p);
    if (s) per.set(p, s.ticks);
  }
  return per;
}

/** Engine CPU seconds between two samples: processes started in between count whole; those gone are lost. */
export function engineCpuSeconds(before, after) {
  if (!before || !after) return undefined;
  let ticks = 0;
  for (const [p, t] of after) ticks += t - (before.get(p) ?? 0);
  return +(ticks * TICK_S).toFixed(2);
}
