"""Foundation benchmark (issue 2): the cadre search page and the cadre list endpoint.

On the province roster, each URL's median latency is compared with the baseline page
(bench/views.py) holding the same rows in memory, measured alternately in the same run: target
ratio ≤ 3.  The number of SQL queries of each URL must not grow with the page size (10 vs 50) nor
with the data (a county's staff (1,500 cadres) vs the province's).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from bench import views as baseline_views
from bench.common import Context, Result, equal_result, ratio_result
from dandang.org import selectors
from dandang.org import views as org_views
from dandang.org.models import User

RATIO_LIMIT = 3.0
PAGE = 50
# The most frequent surname (王, 8% of the roster) and the most frequent pair of pinyin initials
# (zj: 张建华, 周俊 … 2.6%).
QUERIES = {"initials": "zj", "surname": "王"}


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # a user without cached grants, as a request sees it


def _install_baseline(viewer: User, q: str) -> int:
    qs = selectors.cadre_search(viewer, q=q)
    baseline_views.install(
        rows=list(qs[:PAGE]), total=qs.count(), organizations=org_views._org_filter_options(viewer, None)
    )
    return qs.count()


def run(ctx: Context) -> list[Result]:
    # Demo users: organization-department staff over the province and over one county (示范县).
    staff = User.objects.get(username="zzb_province")
    small = User.objects.get(username="zzb_staff")
    client = ctx.client(staff)
    small_client = ctx.client(small)
    results: list[Result] = []

    for label, q in QUERIES.items():
        matches = _install_baseline(_fresh(staff), q)
        ctx.info[f"matches_{label}"] = matches
        baseline = "/bench/baseline/?" + urlencode({"q": q})
        for kind, url in (
            ("page", "/cadres/?" + urlencode({"q": q})),
            ("api", "/api/v1/cadres?" + urlencode({"q": q, "limit": PAGE})),
        ):
            target, base = ctx.compare(client, url, baseline)
            results.append(
                ratio_result(
                    f"{kind} {url}",
                    target.median_ms,
                    base.median_ms,
                    limit=RATIO_LIMIT,
                    note=f"{matches:,} of {ctx.cadres:,} cadres match; p90 {target.p90_ms:.1f} ms "
                    f"(baseline p90 {base.p90_ms:.1f} ms), median of {ctx.repeats}",
                )
            )

    # The unfiltered list over the whole province: its COUNT(*) reads every row in the scope.
    # Reported, not judged (the target is for searches).
    total = _install_baseline(_fresh(staff), "")
    target, base = ctx.compare(client, "/cadres/", "/bench/baseline/")
    info = ratio_result("page /cadres/ (no filter)", target.median_ms, base.median_ms, limit=RATIO_LIMIT)
    info.verdict, info.target = "info", "(info)"
    info.note = f"{total:,} cadres; p90 {target.p90_ms:.1f} ms (baseline p90 {base.p90_ms:.1f} ms)"
    results.append(info)

    # Query counts: page size 10 vs 50, a county's staff (1,500 cadres) vs the province's.
    for q in QUERIES.values():
        page_url = "/cadres/?" + urlencode({"q": q})
        counts = _page_counts(ctx, client, small_client, page_url)
        results.extend(_count_results(f"page {page_url}", counts))
        api = "/api/v1/cadres?" + urlencode({"q": q})
        api_counts = {
            "10": ctx.queries(client, f"{api}&limit=10")[0],
            "50": ctx.queries(client, f"{api}&limit=50")[0],
            "small": ctx.queries(small_client, f"{api}&limit=50")[0],
        }
        results.extend(_count_results(f"api {api}", api_counts))
    ctx.info["sample_queries_page"] = ctx.queries(client, "/cadres/?" + urlencode({"q": QUERIES["surname"]}))[1]
    return results


def _page_counts(ctx: Context, client: Any, small_client: Any, url: str) -> dict[str, int]:
    saved = org_views.CADRE_PAGE_SIZE
    try:
        org_views.CADRE_PAGE_SIZE = 10
        ten = ctx.queries(client, url)[0]
        org_views.CADRE_PAGE_SIZE = 50
        fifty = ctx.queries(client, url)[0]
        small = ctx.queries(small_client, url)[0]
    finally:
        org_views.CADRE_PAGE_SIZE = saved
    return {"10": ten, "50": fifty, "small": small}


def _count_results(name: str, counts: dict[str, int]) -> list[Result]:
    return [
        equal_result(f"queries {name}: 50 vs 10 rows", counts["50"], counts["10"]),
        equal_result(f"queries {name}: province vs county", counts["50"], counts["small"]),
    ]
