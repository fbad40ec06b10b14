"""What every benchmark gets: the :class:`Result` row and the :class:`Context` (clients, users,
timing that interleaves a target with its baseline, query counting)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


@dataclass
class Result:
    """One row of the table.  ``figure`` and ``baseline`` in ``unit``; ``ratio`` figure/baseline;
    ``target`` says what passes (for example "≤ 3.0×"); ``verdict`` is pass, FAIL or info."""

    name: str
    figure: float
    baseline: float | None
    ratio: float | None
    target: str
    verdict: str
    unit: str = "ms"
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ratio_result(
    name: str, figure: float, baseline: float, *, limit: float, unit: str = "ms", note: str = ""
) -> Result:
    """A result that passes when ``figure / baseline`` is at most ``limit``."""
    ratio = figure / baseline if baseline else float("inf")
    return Result(
        name=name,
        figure=figure,
        baseline=baseline,
        ratio=ratio,
        target=f"≤ {limit:g}×",
        verdict="pass" if ratio <= limit else "FAIL",
        unit=unit,
        note=note,
    )


def equal_result(name: str, figure: float, baseline: float, *, unit: str = "queries", note: str = "") -> Result:
    """A result that passes when ``figure`` equals ``baseline`` (query counts that must not grow)."""
    return Result(
        name=name,
        figure=figure,
        baseline=baseline,
        ratio=figure / baseline if baseline else None,
        target="= baseline",
        verdict="pass" if figure == baseline else "FAIL",
        unit=unit,
        note=note,
    )


@dataclass
class Timing:
    median_ms: float
    p90_ms: float
    samples: list[float] = field(repr=False)


def _timing(samples: list[float]) -> Timing:
    ordered = sorted(samples)
    return Timing(median_ms=statistics.median(ordered), p90_ms=ordered[int(0.9 * (len(ordered) - 1))], samples=ordered)


@dataclass
class Context:
    """Shared by every benchmark of a run."""

    scale: str
    cadres: int
    repeats: int = 30
    warmup: int = 5
    info: dict[str, Any] = field(default_factory=dict)

    def client(self, user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def get(self, client: Client, url: str) -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    def compare(
        self, client: Client, target: str, baseline: str, *, before: Callable[[], None] | None = None
    ) -> tuple[Timing, Timing]:
        """Median latencies of ``target`` and ``baseline``, measured alternately (so that load on
        this shared machine hits both alike), after a warm-up of each."""
        if before is not None:
            before()
        for _ in range(self.warmup):
            self.get(client, target)
            self.get(client, baseline)
        times: dict[str, list[float]] = {target: [], baseline: []}
        for i in range(self.repeats):
            order = (target, baseline) if i % 2 == 0 else (baseline, target)
            for url in order:
                began = time.perf_counter()
                self.get(client, url)
                times[url].append((time.perf_counter() - began) * 1000)
        return _timing(times[target]), _timing(times[baseline])

    def queries(self, client: Client, url: str) -> tuple[int, list[str]]:
        """The number of SQL queries one request makes (after one warm-up request), and their SQL."""
        self.get(client, url)
        with CaptureQueriesContext(connection) as captured:
            self.get(client, url)
        return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]
