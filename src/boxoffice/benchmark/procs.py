"""Processes of the app started by a benchmark or a multi-process test: `boxoffice worker`s and a
gunicorn that serves the app and its Paytrail sandbox, on the caller's own database; and the
CPU they use, read from /proc (Linux).

The children get the caller's secret keys, so what one process signs or encrypts the others
read, whatever var/ directory each has.
"""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import urlopen

from django.conf import settings
from django.db import connection

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class ProcessError(Exception):
    """A started process died, or what it was to do did not happen in time."""


def executable(name: str) -> str:
    """A console script of this Python's environment (the venv's, not the PATH's)."""
    return shutil.which(name, path=os.path.dirname(sys.executable)) or name


def database_url() -> str:
    """The database this process uses (a test's own database included), as DATABASE_URL."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    login = f"{user}:{password}" if password else user
    return f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**overrides: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "PAYTRAIL_SANDBOX": "1",
        **overrides,
    }


def start(command: list[str], env: dict[str, str], log: Path) -> "subprocess.Popen[bytes]":
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=out)


def start_worker(
    env: dict[str, str], log: Path, *, concurrency: int = 1, interval: float = 1.0
) -> "subprocess.Popen[bytes]":
    command = [executable("boxoffice"), "worker", "--interval", str(interval)]
    if concurrency > 1:
        command += ["--concurrency", str(concurrency)]
    return start(command, env, log)


def start_server(
    env: dict[str, str], log: Path, *, port: int, workers: int = 2, threads: int = 16
) -> "subprocess.Popen[bytes]":
    """Gunicorn with threads: a sandbox call that waits its latency holds a thread, not a
    process, so a dozen calls at once cost no more than one."""
    command = [
        executable("gunicorn"), "boxoffice.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--timeout", "120",
    ]  # fmt: skip
    return start(command, env, log)


def wait_until_serving(url: str, seconds: float, process: "subprocess.Popen[bytes]") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ProcessError(f"the server exited with {process.returncode}")
        try:
            urlopen(url, timeout=2).close()
            return
        except HTTPError:  # any answer at all: it is up
            return
        except OSError:
            time.sleep(0.2)
    raise ProcessError(f"no answer from {url} within {seconds:.0f} s")


def wait_for(
    what: str,
    condition: Callable[[], bool],
    seconds: float,
    processes: Iterable["subprocess.Popen[bytes]"],
    log: Path,
    *,
    interval: float = 0.5,
) -> None:
    """Poll ``condition`` until true; ProcessError with the log's end after ``seconds`` or
    when one of ``processes`` has exited."""
    deadline = time.monotonic() + seconds
    watched = list(processes)
    while True:
        if condition():
            return
        dead = [p for p in watched if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            why = f"process {dead[0].pid} exited ({dead[0].returncode})" if dead else "timed out"
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            raise ProcessError(f"{why} waiting for {what}:\n{tail}")
        time.sleep(interval)


def stop(processes: Iterable["subprocess.Popen[bytes]"], *, seconds: float = 30) -> None:
    """SIGTERM (each finishes the task in hand), then SIGKILL what is still there."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + seconds
    for process in running:
        try:
            process.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# -- CPU ---------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state is [0], ppid [1])."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    return text[text.rindex(")") + 2 :].split()


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every process now: pid -> (parent pid, command name, CPU seconds). Its CPU counts its
    own and that of the children it has waited for (utime + stime + cutime + cstime)."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        fields = _stat(pid)
        if fields is None:
            continue
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
        found[pid] = (int(fields[1]), name, ticks / CLOCK_TICKS)
    return found


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far: by each watched process tree, by this process, by the
    PostgreSQL backends serving our database, and by the whole machine (from /proc/stat)."""

    at: float
    trees: dict[str, float]
    own: float
    postgres: float
    machine_busy: float
    machine_total: float


def _serves(pid: int, database: str) -> bool:
    """Whether a PostgreSQL backend serves ``database``: its title is "postgres: [cluster:]
    user database client state"."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, UnicodeDecodeError):
        return False
    words = title.split()
    if words[:1] != ["postgres:"]:
        return False
    words = words[2:] if words[1:2] and words[1].endswith(":") else words[1:]
    return words[1:2] == [database]


def cpu_sample(roots: dict[str, list[int]]) -> CpuSample:
    """``roots``: a label -> the pids whose trees (they and every descendant) it counts.

    Backends of our database are persistent (CONN_MAX_AGE), so counting the live ones misses
    little; the machine's other processes (another database's work, PostgreSQL's shared
    writers, anything else running) show only in the machine's total."""
    database = str(connection.settings_dict["NAME"])
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _name, _cpu) in processes.items():
        children.setdefault(parent, []).append(pid)
    trees = {}
    for label, pids in roots.items():
        total, todo = 0.0, list(pids)
        while todo:
            pid = todo.pop()
            if pid in processes:
                total += processes[pid][2]
            todo.extend(children.get(pid, ()))
        trees[label] = total
    postgres = sum(
        cpu
        for pid, (_parent, name, cpu) in processes.items()
        if name == "postgres" and _serves(pid, database)
    )
    busy, total = _machine()
    return CpuSample(time.monotonic(), trees, time.process_time(), postgres, busy, total)


def _machine() -> tuple[float, float]:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy / CLOCK_TICKS, (busy + idle + iowait) / CLOCK_TICKS


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds between two samples."""

    seconds: float
    trees: dict[str, float]
    own: float
    postgres: float
    machine: float  # the whole machine's
    machine_share: float  # of all its cores' time, 0..1

    @property
    def others(self) -> float:
        """The machine's CPU not counted above: PostgreSQL's shared processes (WAL writer,
        checkpointer...) and whatever else ran on the machine meanwhile."""
        return max(self.machine - sum(self.trees.values()) - self.own - self.postgres, 0.0)

    def as_dict(self) -> dict[str, float]:
        return {
            **self.trees,
            "bench": self.own,
            "postgres": self.postgres,
            "others": self.others,
            "machine": self.machine,
        }


def cpu_between(first: CpuSample, last: CpuSample) -> CpuUse:
    total = last.machine_total - first.machine_total
    busy = last.machine_busy - first.machine_busy
    return CpuUse(
        seconds=last.at - first.at,
        trees={k: last.trees[k] - first.trees.get(k, 0.0) for k in last.trees},
        own=last.own - first.own,
        postgres=last.postgres - first.postgres,
        machine=busy,
        machine_share=busy / total if total > 0 else 0.0,
    )
