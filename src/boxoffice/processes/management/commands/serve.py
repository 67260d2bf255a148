"""`boxoffice serve`: the web server (gunicorn) and the worker, side by side, until Ctrl-C.

If either process dies the other is stopped too, so a half-running app never goes unnoticed.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from boxoffice.payments.checks import require_paytrail_credentials


class Command(BaseCommand):
    help = "Serve the app with gunicorn (static files by WhiteNoise) and run the task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument("--no-worker", action="store_true", help="web server only")

    def handle(
        self, *args: Any, host: str, port: int, workers: int, no_worker: bool, **options: Any
    ) -> None:
        # Before anything starts: a server taking payments nobody can verify must not run.
        require_paytrail_credentials(self)
        bin_dir = os.path.dirname(sys.executable)
        gunicorn = shutil.which("gunicorn", path=bin_dir) or "gunicorn"
        boxoffice = shutil.which("boxoffice", path=bin_dir) or "boxoffice"
        commands = [
            [
                gunicorn,
                "boxoffice.wsgi",
                "--bind", f"{host}:{port}",
                "--workers", str(workers),
                "--access-logfile", "-",
                "--timeout", "60",
            ]
        ]  # fmt: skip
        if not no_worker:
            commands.append([boxoffice, "worker"])
        # The worker's own links (Paytrail callbacks) must point at this server.
        env = {**os.environ, "PORT": str(port)}
        processes = [subprocess.Popen(command, env=env) for command in commands]
        self.stdout.write(f"Serving on http://{host}:{port}/ (Ctrl-C stops)")

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
            for command, process in zip(commands, processes, strict=True):
                if process.poll() is not None:
                    self.stderr.write(f"{command[0]} exited with {process.returncode}")
        except KeyboardInterrupt:
            pass
        finally:
            for p in processes:
                if p.poll() is None:
                    p.terminate()
            for p in processes:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        failures = [p.returncode for p in processes if p.returncode and p.returncode > 0]
        sys.exit(failures[0] if failures else 0)
