"""The load driver's own logic (bench/load/run.py), without a server: reading locust's CSV and
judging the run against the target."""

from __future__ import annotations

from bench.load.run import Summary, _seconds, database_url, judge, read_stats

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
)


def _write(prefix, rows, failures=None):
    (prefix.parent / f"{prefix.name}_stats.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    if failures is not None:
        (prefix.parent / f"{prefix.name}_failures.csv").write_text(
            "Method,Name,Error,Occurrences,First Seen,Last Seen\n" + "".join(failures), encoding="utf-8"
        )


def _summary():
    return Summary(users=50, duration="60s", workers=4, database="dandang_load")


def test_read_stats_takes_the_totals_from_the_aggregated_row(tmp_path):
    prefix = tmp_path / "locust"
    _write(
        prefix,
        [
            "GET,/cadres/[id]/,120,0,40,45.5,12,300,6000,2.0,0.0,40,50,60,70,90,120,200,250,300,300,300\n",
            "POST,/api/v1/posts,30,2,60,70.1,20,900,190,0.5,0.03,60,70,80,90,110,400,800,900,900,900,900\n",
            ",Aggregated,150,2,45,50.2,12,900,4800,2.5,0.03,45,55,65,75,95,180,400,700,900,900,900\n",
        ],
        ["POST,/api/v1/posts,\"HTTPError('422')\",2,1,2\n"],
    )
    summary = _summary()
    read_stats(prefix, summary)
    assert (summary.requests, summary.failures, summary.rps) == (150, 2, 2.5)
    assert (summary.p50, summary.p95, summary.p99) == (45, 180, 700)
    assert [(r.method, r.name, r.requests, r.failures, r.p95) for r in summary.rows] == [
        ("GET", "/cadres/[id]/", 120, 0, 120),
        ("POST", "/api/v1/posts", 30, 2, 400),
    ]
    assert summary.errors == ["2× POST /api/v1/posts: HTTPError('422')"]


def test_judge_passes_a_clean_fast_run():
    summary = _summary()
    summary.requests, summary.p95 = 1000, 499
    judge(summary, 500)
    assert summary.passed and summary.problems == []


def test_judge_fails_on_any_error_a_slow_p95_or_no_request():
    failing = _summary()
    failing.requests, failing.failures, failing.p95 = 1000, 1, 100
    judge(failing, 500)
    assert failing.problems == ["1 request(s) failed"]

    slow = _summary()
    slow.requests, slow.p95 = 1000, 510
    judge(slow, 500)
    assert slow.problems == ["p95 510 ms is above the target 500 ms"]

    empty = _summary()
    judge(empty, 500)
    assert not empty.passed and "no request was made" in empty.problems


def test_judge_ignores_p95_when_no_target_is_given():
    summary = _summary()
    summary.requests, summary.p95 = 10, 9000
    judge(summary, 0)
    assert summary.passed


def test_missing_statistics_is_a_problem(tmp_path):
    summary = _summary()
    read_stats(tmp_path / "locust", summary)
    judge(summary, 500)
    assert "locust wrote no statistics" in summary.problems


def test_database_url_replaces_only_the_name():
    assert (
        database_url("postgres://u:p%40ss@db.local:5433/dandang?sslmode=disable", "dandang_load")
        == "postgres://u:p%40ss@db.local:5433/dandang_load?sslmode=disable"
    )


def test_duration_strings():
    assert [_seconds(d) for d in ("60s", "10s", "2m", "1m30s", "45")] == [60, 10, 120, 90, 45]
