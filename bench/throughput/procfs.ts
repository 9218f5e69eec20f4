// Process facts from /proc (Linux): memory, CPU time, listening ports and process groups.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** USER_HZ: /proc reports CPU time in these ticks; 100 on Linux everywhere that matters. */
const CLOCK_TICKS = 100;

/** Resident set size of one process, bytes (0 if it is gone). */
export function rssOf(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
    return line ? Number(line.split(/\s+/)[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The fields of /proc/PID/stat after the command name: [0] is the state, [2] the process group. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** User + system CPU time of one process, seconds (0 if it is gone). */
export function cpuOf(pid: number): number {
  try {
    const fields = statFields(pid);
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

const pids = () => readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);

/** Listening TCP sockets: socket inode to port. */
function listeningSockets(): Map<string, number> {
  const sockets = new Map<string, number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[3] === "0A") sockets.set(cols[9], parseInt(cols[1].split(":")[1], 16));
    }
  }
  return sockets;
}

/** The ports a process listens on. */
export function portsOf(pid: number, sockets = listeningSockets()): number[] {
  const ports: number[] = [];
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return ports;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match && sockets.has(match[1])) ports.push(sockets.get(match[1])!);
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  return ports;
}

/** The process listening on `port`, if any. */
export function listenerOf(port: number): number | null {
  const sockets = listeningSockets();
  return pids().find((pid) => portsOf(pid, sockets).includes(port)) ?? null;
}

/** The process group of a process. */
export function groupOf(pid: number): number {
  return Number(statFields(pid)[2]);
}

/** Every process of a process group, with its command name. */
export function groupMembers(pgid: number): { pid: number; comm: string }[] {
  const members: { pid: number; comm: string }[] = [];
  for (const pid of pids()) {
    try {
      if (groupOf(pid) === pgid) members.push({ pid, comm: readFileSync(`/proc/${pid}/comm`, "utf8").trim() });
    } catch {
      // Gone meanwhile.
    }
  }
  return members;
}

/** Machine-wide CPU time from /proc/stat, seconds: busy (all cores) and waiting for I/O. */
export function machineCpu(): { busy: number; iowait: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , iowait, irq, softirq, steal] = fields;
  return { busy: (user + nice + system + irq + softirq + (steal ?? 0)) / CLOCK_TICKS, iowait: iowait / CLOCK_TICKS };
}
