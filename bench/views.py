"""The baseline page: the cadre list page rendered from memory.

It goes through the same middleware, the same authentication, the same base template and the same
cadre list and results templates as ``/cadres/``, with a page of the same rows (fetched once from
the database by the benchmark and held in memory) — so the difference between the two is the
work the real page does in the database.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from dandang.org.views import CadreFilterForm

_PAGE: dict[str, Any] = {"rows": [], "total": 0, "organizations": []}


def install(*, rows: list[Any], total: int, organizations: list[Any]) -> None:
    """Hold ``rows`` (one page of cadres, with ``org`` and ``post`` loaded) in memory; the
    paginator reports ``total`` rows, as the real page does."""
    _PAGE.update(rows=list(rows), total=total, organizations=list(organizations))


class _Rows:
    """A sequence of ``total`` rows whose every page is the rows held in memory."""

    def __init__(self, rows: list[Any], total: int) -> None:
        self.rows, self.total = rows, total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, item: slice) -> list[Any]:
        size = len(range(*item.indices(self.total)))
        return (self.rows * (size // max(1, len(self.rows)) + 1))[:size]


@login_required
def baseline(request: HttpRequest) -> HttpResponse:
    form = CadreFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        filters = form.cleaned_data
    form.set_organizations(_PAGE["organizations"])
    per_page = max(1, len(_PAGE["rows"]))
    page = Paginator(_Rows(_PAGE["rows"], _PAGE["total"]), per_page).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "organization": None,
        "filtered": any(filters.get(k) for k in ("q", "org", "gender", "education", "leading")),
        "can_see_cadres": True,
    }
    response = render(request, "org/cadre_list.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response
