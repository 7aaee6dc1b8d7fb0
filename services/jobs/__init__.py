"""Background jobs (issue 20.2): work that may take longer than a page should hold a worker.

- `registry.py`: the kinds of job (`@job_kind("archive", title=…, retries=…)`), each a function
  `fn(ctx, actor, params) -> Result | None`;
- `core.py`: `enqueue(actor, kind, params)` (the row, dispatched after the unit commits), `run(job_id)` (the
  one runner of every backend: claim, actor, progress, result, failure, retry), the owner's list, prune;
- `backends.py`: where `run` is called — RQ with Redis when `REDIS_URL` answers, else a thread pool in the
  app's process (`JOBS_BACKEND`: auto / rq / thread / sync);
- `worker.py`: `flask worker` and the `rq worker` entry (`services.jobs.worker.perform`).
"""
