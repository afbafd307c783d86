"""Training and fine-tuning jobs: the dialog, the queue of engine processes, the monitor, the history."""

from ecgstudio.jobs.controller import JobsController, attach_jobs
from ecgstudio.jobs.spec import JobSpec

__all__ = ["JobSpec", "JobsController", "attach_jobs"]
