"""Background jobs (simulations, optimisations) with progress and cancellation.

Jobs run in a small thread pool inside the server process; the numerical work is NumPy and
HiGHS, which release the GIL, so the API keeps answering while they run. Results go to
the results store; a job's record here is its status, progress and result id.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import uuid
from dataclasses import dataclass, field


class Cancelled(Exception):
    """Raised inside a job when it was cancelled."""


@dataclass
class Job:
    id: str
    kind: str
    status: str = "queued"  # queued | running | done | failed | cancelled
    progress: float = 0.0
    result: dict | None = None
    error: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def public(self) -> dict:
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "progress": round(self.progress, 4), "error": self.error,
                "has_result": self.result is not None}


class JobManager:
    def __init__(self, workers: int = 2):
        self.pool = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def submit(self, kind: str, fn) -> Job:
        """Run ``fn(report_progress)``; report_progress(fraction) raises Cancelled."""
        job = Job(id=uuid.uuid4().hex[:12], kind=kind)
        with self.lock:
            self.jobs[job.id] = job

        def report(fraction: float) -> None:
            if job.cancel.is_set():
                raise Cancelled
            job.progress = max(job.progress, min(1.0, fraction))

        def work():
            job.status = "running"
            try:
                job.result = fn(report)
                job.progress, job.status = 1.0, "done"
            except Cancelled:
                job.status = "cancelled"
            except Exception as exc:  # reported to the client without a stack trace
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"

        self.pool.submit(work)
        return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        job = self.jobs.get(job_id)
        if job is not None:
            job.cancel.set()
            if job.status == "queued":
                job.status = "cancelled"
        return job

    def shutdown(self) -> None:
        for job in self.jobs.values():
            job.cancel.set()
        self.pool.shutdown(wait=False, cancel_futures=True)
