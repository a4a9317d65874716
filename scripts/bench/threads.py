#!/usr/bin/env python3
"""CPU seconds per thread of one command, and what they predict for 2 workers / 1.

    scripts/bench/threads.py WORKERS target/release/skypile run ... --workers WORKERS

Samples /proc/PID/task/*/stat every 50 ms (a thread's last sample counts, so threads that
exit are kept). The docs stage names its `reader` and `sink` threads; unnamed threads after
the main one are the rayon pool (the first WORKERS of them) or later stage threads (`tN`).
Wall clock is noisy on a shared machine; CPU seconds are not, so two estimates are printed:
- Amdahl: total / max(largest non-pool thread, total / 2).
- w2/w1 as measured: with 1 worker, threads outside the pool use the other core, so
  w1 ~ max(pool, largest other) and w2 ~ max(total / 2, largest other).
Per thread it also prints user/sys seconds, minor page faults, and from /proc/.../schedstat the
seconds it waited runnable for a core (`wait`: the machine's load) and the seconds it slept
(`idle` = alive - CPU - wait): a pool thread's idle seconds are the run's serial seconds
(start-up, a stage's last batch, the reader falling behind, fsyncs), and unlike wall time they
barely move with other processes' load.
"""
import os
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    tck = os.sysconf("SC_CLK_TCK")
    pool_n = int(sys.argv[1])
    p = subprocess.Popen(sys.argv[2:])
    cpu, comm, detail, alive = {}, {}, {}, {}
    t0 = time.time()
    while p.poll() is None:
        now = time.time()
        try:
            tids = os.listdir(f"/proc/{p.pid}/task")
        except OSError:
            tids = []
        for tid in tids:
            try:
                s = open(f"/proc/{p.pid}/task/{tid}/stat").read()
            except OSError:
                continue
            f = s[s.rindex(")") + 2:].split()
            cpu[int(tid)] = max((int(f[11]) + int(f[12])) / tck, cpu.get(int(tid), 0))
            comm[int(tid)] = s[s.index("(") + 1:s.rindex(")")]
            try:
                run_ns, wait_ns = open(f"/proc/{p.pid}/task/{tid}/schedstat").read().split()[:2]
            except (OSError, ValueError):
                run_ns = wait_ns = 0
            # user s, sys s, minor faults, on-CPU s, runnable-waiting s
            detail[int(tid)] = (int(f[11]) / tck, int(f[12]) / tck, int(f[7]),
                                int(run_ns) / 1e9, int(wait_ns) / 1e9)
            first = alive.get(int(tid), (now, now))[0]
            alive[int(tid)] = (first, now)
        time.sleep(0.05)
    wall = time.time() - t0
    exe = os.path.basename(sys.argv[2])[:15]
    label, unnamed = {}, 0
    for tid in sorted(cpu):
        if tid == p.pid:
            label[tid] = "main"
        elif comm[tid] == exe:
            unnamed += 1
            label[tid] = "pool" if unnamed <= pool_n else f"t{unnamed - pool_n}"
        else:
            label[tid] = comm[tid]
    total = sum(cpu.values())
    print(f"wall {wall:.1f} s, CPU {total:.2f} s, exit {p.returncode}")
    idle_pool = 0.0
    for tid in sorted(cpu):
        user, sys_, flt, run, wait = detail.get(tid, (0, 0, 0, 0, 0))
        idle = max(0.0, alive[tid][1] - alive[tid][0] - run - wait) if tid in alive else 0.0
        if label[tid] == "pool":
            idle_pool += idle
        if cpu[tid] >= 0.05:
            print(f"  {label[tid]:10} {cpu[tid]:7.2f} s (user {user:.2f}, sys {sys_:.2f}, "
                  f"{flt} minor faults; wait {wait:.2f} s, idle {idle:.2f} s)")
    pool = sum(c for t, c in cpu.items() if label[t] == "pool")
    other = max((c for t, c in cpu.items() if label[t] != "pool"), default=0.0)
    if total:
        print(f"pool {pool:.2f} s, largest other thread {other:.2f} s; Amdahl 2-worker speedup "
              f"{total / max(other, total / 2):.2f}; w2/w1 with 1 worker's spare core "
              f"{max(pool, other) / max(total / 2, other):.2f} (from a 1-worker run)")
        print(f"pool threads idle {idle_pool:.2f} s (with 2 workers: the serial seconds x 1 core)")
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
