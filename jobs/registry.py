"""The kinds of job: `kind -> (label, check, run)`.

`check(user, params)` raises a DomainError (usually NotPermitted) when the user may not run
the job; it is called when the job is queued and again when the worker starts it, because the
owner may have lost the role in between. `run(job, progress)` does the work and returns an
Outcome; `progress(done, total)` may be called as often as convenient (it is throttled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    """What a finished job leaves: a file to download and/or a report to show."""

    content: bytes | None = None
    filename: str = ""
    report: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Any  # a lazy translation
    check: Callable[[Any, dict[str, Any]], None]
    run: Callable[[Any, Progress], Outcome]
    # The page the progress page links back to, from the job's params.
    back: Callable[[dict[str, Any]], str] | None = None


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def get(name: str) -> JobKind | None:
    return KINDS.get(name)
