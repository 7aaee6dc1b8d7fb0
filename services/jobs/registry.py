"""The kinds of background job. A kind is a function `fn(ctx, actor, params)` registered by
`@job_kind(name, title=…)`; it reads and writes through the services as a request would (its own unit of
work, its actor rebuilt from the owner), reports `ctx.progress(done, total, text)` and returns a `Result`
(a file kept for the owner's download) or None."""
from dataclasses import dataclass
from typing import Callable

KINDS = {}
BACKEND = {}  # "dispatch": services/jobs/backends.py `dispatch`, set when it is imported


@dataclass(frozen=True)
class Result:
    file_name: str
    mime: str
    content: bytes


@dataclass(frozen=True)
class Kind:
    name: str
    title: str  # Russian, for «Мои задания»
    fn: Callable
    retries: int = 2  # transient database failures: tried again up to this many times more
    writes: bool = False  # the job writes data: its progress is not committed with its work mid-way
    result_label: str = "Скачать результат"


def job_kind(name, title, retries=2, writes=False, result_label="Скачать результат"):
    """Register a kind of job."""
    def register(fn):
        KINDS[name] = Kind(name, title, fn, retries, writes, result_label)
        return fn
    return register


def get(name):
    return KINDS.get(name)
