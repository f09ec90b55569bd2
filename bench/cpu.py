"""CPU time by part of the machine, from /proc: what a unit of work costs each process, a figure a loaded machine
moves far less than a rate (a process waiting for a core uses none)."""

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LOAD_GENERATOR, RABBITMQ, POSTGRESQL = "load generator", "RabbitMQ", "PostgreSQL"
_TICKS = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


@dataclass(frozen=True)
class _Process:
    pid: int
    parent: int
    command: list[str]
    seconds: float


def _processes() -> Iterator[_Process]:
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # it ended meanwhile
            continue
        fields = stat.rpartition(")")[2].split()
        yield _Process(int(entry.name), int(fields[1]), command, (int(fields[11]) + int(fields[12])) / _TICKS)


def _part(process: _Process) -> str | None:
    """A portal process by what it runs (`portal.cli serve <service>`, a requests worker...); RabbitMQ and PostgreSQL
    by their programs."""
    program = process.command[0]
    if program.endswith("beam.smp"):
        return RABBITMQ
    if program.startswith("postgres") or "/postgresql/" in program:
        return POSTGRESQL
    if "portal.cli" in process.command:
        args = process.command[process.command.index("portal.cli") + 1:]
        if args[:1] == ["serve"] and len(args) > 1:
            return args[1]
        return args[0] if args else None
    return None


def cpu_by_part(portal_pid: int) -> Counter[str]:
    """CPU seconds used so far by this process (the load generator), the processes of the portal started as
    `portal_pid` (by what each runs), and RabbitMQ and PostgreSQL (the machine's, shared with whatever else uses
    them). Processes that ended are not counted: take the difference of two readings within a portal's life."""
    processes = list(_processes())
    children: dict[int, list[_Process]] = {}
    for process in processes:
        children.setdefault(process.parent, []).append(process)
    used: Counter[str] = Counter()
    portal = [p for p in processes if p.pid == portal_pid]
    while portal:
        process = portal.pop()
        used[_part(process) or "portal up"] += process.seconds
        portal += children.get(process.pid, [])
    for process in processes:
        if process.pid == os.getpid():
            used[LOAD_GENERATOR] += process.seconds
        elif (part := _part(process)) in (RABBITMQ, POSTGRESQL):
            used[part] += process.seconds
    return used


def busy_seconds() -> float:
    """CPU seconds all the machine's cores have spent working since boot (not idling, waiting for I/O, or taken by
    the hypervisor for other machines)."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(n) for n in (_PROC / "stat").read_text().split("\n", 1)[0].split()[1:8])
    return (user + nice + system + irq + softirq) / _TICKS


@dataclass(frozen=True)
class CpuReading:
    parts: Counter[str]
    busy: float

    @classmethod
    def now(cls, portal_pid: int) -> "CpuReading":
        return cls(cpu_by_part(portal_pid), busy_seconds())

    def spent(self, later: "CpuReading") -> Counter[str]:
        """Each part's CPU seconds between this reading and a later one."""
        return Counter({part: later.parts[part] - self.parts[part] for part in later.parts})


def ms_per_unit(spent: Counter[str], units: int) -> dict[str, float]:
    """Each part's CPU milliseconds per unit of work, most first."""
    return {part: seconds * 1000 / units for part, seconds in spent.most_common()}
