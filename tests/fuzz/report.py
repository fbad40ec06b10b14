"""A pytest plugin that prints what the API fuzzing did: per operation, the requests sent in each
phase, the statuses answered and whether a check failed.  ``make fuzz`` loads it (``-p
tests.fuzz.report``).  It works under xdist: each test's figures travel to the controller in its
teardown report's ``user_properties`` (set by the ``_record_stats`` fixture of test_api_fuzz.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest

_rows: dict[str, Counter[tuple[str, int]]] = defaultdict(Counter)
_failed_labels: set[str] = set()
_failed_tests = 0
_call_failed: dict[str, bool] = {}  # per xdist worker: did the test now running fail?


def _worker(report: pytest.TestReport) -> str:
    return str(getattr(getattr(getattr(report, "node", None), "gateway", None), "id", ""))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _failed_tests
    worker = _worker(report)
    if report.when == "setup":
        _call_failed[worker] = report.failed
    elif report.when == "call":
        _call_failed[worker] = _call_failed.get(worker, False) or report.failed
    else:
        failed = _call_failed.pop(worker, False) or report.failed
        labels = set()
        for name, value in report.user_properties:
            if name == "fuzz":
                for label, phase, status, count in value:
                    _rows[label][(phase, int(status))] += int(count)
                    labels.add(label)
        if failed and labels:
            _failed_tests += 1
            _failed_labels.update(labels)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _rows:
        return
    write = terminalreporter.write_line
    terminalreporter.section("API fuzzing")
    width = max(len(label) for label in _rows)
    write(f"{'operation':<{width}}  {'requests':>8}  {'coverage':>8}  {'fuzzing':>8}  result  statuses")
    total: Counter[str] = Counter()
    for label in sorted(_rows, key=lambda s: (s.split(" ", 1)[1], s)):
        by_phase: Counter[str] = Counter()
        by_status: Counter[int] = Counter()
        for (phase, status), n in _rows[label].items():
            by_phase[phase] += n
            by_status[status] += n
        requests = sum(by_phase.values())
        total.update(by_phase)
        total["requests"] += requests
        result = "FAILED" if label in _failed_labels else "ok"
        statuses = " ".join(f"{s}×{n}" for s, n in sorted(by_status.items()))
        write(
            f"{label:<{width}}  {requests:>8}  {by_phase['coverage']:>8}  {by_phase['fuzzing']:>8}  "
            f"{result:<6}  {statuses}"
        )
    write(
        f"{len(_rows)} operations, {total['requests']} requests ({total['coverage']} coverage, "
        f"{total['fuzzing']} fuzzing, {total['examples']} schema examples); "
        f"{_failed_tests} failed test(s), {len(_failed_labels)} operation(s) with a failure"
    )
