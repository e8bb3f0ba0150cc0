// Package process is the executor of the "process" kind, every task's
// default: it runs one attempt as a local process group.
//
// # Process model
//
// An attempt runs as `sh -c <command>` in its own process group, so that a
// timeout or a cancellation can signal the whole tree at once: SIGTERM to the
// group, then SIGKILL after the attempt's kill grace. Whatever the outcome,
// once the leader has exited the group is SIGKILLed to clean up stragglers
// (`sleep 1000 &`). The leader is observed with waitid(WNOWAIT), so its pid —
// and with it the process-group id — stays reserved until the group has been
// killed; a recycled pid can never be signalled by mistake.
//
// # Containment and resource limits
//
// The cgroup setup is detected once, in New. Every attempt, limits or not,
// gets a cgroup of its own under the executor's own cgroup
// (<own>/gantry/<pid>-<start>-<n>); on v1, an emptied one that an earlier
// attempt with the same limits used and nothing changed since (see Reuse
// in cgroup_reuse_linux.go):
//
//   - cgroup v2, when the unified hierarchy has the memory or cpu
//     controller delegated: the child is cloned straight into its cgroup
//     (CLONE_INTO_CGROUP); memory.max, cpu.max, memory.peak, cpu.stat and
//     the oom_kill count of memory.events are used.
//   - cgroup v1: the shell is started behind a gate — it blocks reading an
//     extra pipe until its pid has been written into every cgroup.procs — so
//     not a byte is allocated outside the cgroup, without an extra exec.
//   - cgroup v2 without controllers, when nothing better is writable: it
//     enforces no limit but contains and accounts CPU like the others.
//   - none: a memory limit is enforced by polling the summed RSS of the
//     process group every 50ms; a CPU limit is not enforced. Limits reports
//     which applies.
//
// Any process of the attempt's cgroup that the kernel killed for memory
// (the oom_kill count of memory.events on v2, of memory.oom_control on v1)
// makes the attempt MemoryExceeded, counted in Result.OOMKills, even when
// the leader exited 0: a shell that waits for a killed child and exits 0
// did not do its work.
//
// The cgroup is what ends an attempt whole: a process that left the
// process group (setsid, a double fork) is still in it, and when the leader
// has exited every process in it is killed (cgroup.kill; before Linux 5.14
// the cgroup is frozen and killed pid by pid; on v1 pid by pid until it
// stays empty) before it is removed. Its peak memory and CPU time are the
// attempt's. Without a cgroup, the escapees are found instead by the
// entries of their environment only this attempt's processes carry —
// GANTRY_OUTPUT and GANTRY_ATTEMPT_ID, as crash recovery (Reap) finds an
// orphaned attempt — and each is signalled through a pidfd taken before its
// environment is checked again, so a reused pid is never hit. A process
// that scrubs its environment escapes that scan.
//
// # Recovery
//
// Reap ends what is left of an attempt whose Gantry stopped, from the
// executor.Handle the engine kept: every live process whose environment
// holds all of the handle's marks (GANTRY_ATTEMPT_ID and GANTRY_OUTPUT) is
// killed with its process group. The recorded pid alone is never trusted:
// it may belong to another process by now.
//
// # Logs and outputs
//
// Standard output and error are appended to the attempt's log, through a
// pipe, to a file made on the first byte. With secrets to redact or a
// follower, the stream first passes a copier: an Aho–Corasick automaton
// over every shape of every secret (the value, its CRLF form, each line of
// a multi-line value) replaces them with <redacted> whatever the write
// boundaries, holding back only the bytes that may still start a secret;
// the follower then gets whole lines, prefixed. The log keeps at most
// Attempt.LogLimit bytes (DefaultLogLimit, 100 MiB): the head as it comes
// and, from a ring buffer written when the attempt ends, the tail, with a
// line saying how much was cut between them; the task is never slowed.
// After exit the `key=value` lines the task wrote to $GANTRY_OUTPUT, with
// the same redaction, become the attempt's outputs.
package process
