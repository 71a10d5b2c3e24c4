"""Run the store refresh on a schedule: the `refresh` service of deploy/compose.yaml.

    python deploy/refresh_scheduler.py [--at HH:MM] [--every-days N] [--run-at-start] [--max-runs N]
                                       [-- COMMAND ...]

Waits until the next ``--at`` time (UTC) that is ``--every-days`` after the last run, runs COMMAND
(default ``python -m smp_data refresh``, which reads SMP_DB and the other settings from the
environment), logs its exit status and duration, and waits again. A failed run is logged and tried
again at the next scheduled time (the refresh itself leaves the previous store intact). SIGTERM or
SIGINT stop it cleanly, ending a running refresh with SIGTERM first.

On a host without containers, use cron or a systemd timer instead (README, "Operator's run-book").
No third-party imports: it runs in the app image as it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import subprocess
import sys
import threading
import time

DEFAULT_COMMAND = [sys.executable, "-m", "smp_data", "refresh"]
_stop = threading.Event()


def next_run(now: dt.datetime, at: dt.time, every_days: int = 1, last: dt.datetime | None = None) -> dt.datetime:
    """The first ``at`` (UTC) after ``now`` that is at least ``every_days`` days after ``last``.

    >>> t = dt.time(4, 30)
    >>> next_run(dt.datetime(2025, 6, 1, 3, 0), t)
    datetime.datetime(2025, 6, 1, 4, 30)
    >>> next_run(dt.datetime(2025, 6, 1, 5, 0), t)
    datetime.datetime(2025, 6, 2, 4, 30)
    >>> next_run(dt.datetime(2025, 6, 1, 5, 0), t, every_days=7, last=dt.datetime(2025, 6, 1, 4, 30))
    datetime.datetime(2025, 6, 8, 4, 30)
    """
    candidate = dt.datetime.combine(now.date(), at)
    if candidate <= now:
        candidate += dt.timedelta(days=1)
    if last is not None:
        earliest = dt.datetime.combine(last.date() + dt.timedelta(days=every_days), at)
        candidate = max(candidate, earliest)
    return candidate


def _log(message: str) -> None:
    print(f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ} refresh-scheduler: {message}", flush=True)


def run_once(command: list[str]) -> int:
    started = time.monotonic()
    _log("running " + " ".join(command))
    proc = subprocess.Popen(command)
    while proc.poll() is None:
        if _stop.wait(1.0):
            _log("stopping: ending the running refresh")
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            break
    code = proc.wait()
    _log(f"exit status {code} after {time.monotonic() - started:.0f} s")
    return code


def _parse_time(text: str) -> dt.time:
    try:
        hours, minutes = (int(x) for x in text.split(":"))
        return dt.time(hours, minutes)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not HH:MM") from None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = DEFAULT_COMMAND
    if "--" in argv:
        split = argv.index("--")
        argv, command = argv[:split], argv[split + 1:] or DEFAULT_COMMAND
    parser = argparse.ArgumentParser(prog="refresh_scheduler.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--at", type=_parse_time, default=dt.time(4, 30), help="time of day, UTC (default 04:30)")
    parser.add_argument("--every-days", type=int, default=1, help="days between runs (default 1)")
    parser.add_argument("--run-at-start", action="store_true", help="run once straight away, then on schedule")
    parser.add_argument("--max-runs", type=int, default=0, help="stop after this many runs (0 = never; for tests)")
    args = parser.parse_args(argv)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: _stop.set())
    runs, last = 0, None
    if args.run_at_start:
        run_once(command)
        runs, last = 1, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    while not _stop.is_set() and (args.max_runs == 0 or runs < args.max_runs):
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        when = next_run(now, args.at, args.every_days, last)
        _log(f"next run at {when:%Y-%m-%d %H:%M} UTC")
        if _stop.wait((when - now).total_seconds()):
            break
        run_once(command)
        runs, last = runs + 1, when
    _log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
