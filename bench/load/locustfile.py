"""Load scenario (``make load``; run by ``bench/load/run.py``, never imported by Django or pytest).

Simulated people of the demo county log in through the login page (with its CSRF token) and
work as they would: 80% of their actions read, 20% write.

- Organization-department staff (``zzb_staff``, ``zzb_city``) browse the tree, search cadres by
  surname, pinyin or initials, open dossiers and call the API; they add posts and rename the posts
  they added (``POST``/``PATCH /api/v1/posts``) and switch their language.
- Unit leaders (``leader_jyj``, ``leader_nyncj``, ``leader_town``) do the same reads within their
  unit; their write is the language switch.
- Cadres (``cadre_1``, ``cadre_2``) open their own dossier, their inbox and their own API record;
  their write is the language switch.

Every write goes through a real, audited service (``post_create``, ``post_update``,
``user_language_set``).  Request names group the URLs by shape ("/cadres/[id]/") so that the
report shows which page is slow.  Every response is checked (status, and JSON where it is JSON);
anything unexpected counts as an error.

Adding a step: write a method that makes one request with a ``name=`` and checks it, then list it
in the ``reads`` or ``writes`` of the user classes that would do it (with a weight).
"""

from __future__ import annotations

import itertools
import os
import random
import re
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from locust import HttpUser, between, task
from locust.exception import StopUser

PASSWORD = os.environ.get("DANDANG_LOAD_PASSWORD", "dandang-demo")  # the demo users' password (demo only)
THINK_MIN = float(os.environ.get("DANDANG_LOAD_THINK_MIN", "1"))
THINK_MAX = float(os.environ.get("DANDANG_LOAD_THINK_MAX", "3"))

# Common surnames with their pinyin: searched as characters, as full pinyin and as initials.
SURNAMES = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("林", "lin"),
    ("何", "he"),
    ("高", "gao"),
    ("罗", "luo"),
    ("郑", "zheng"),
]
POST_TITLES = ["综合科科员", "办公室副主任", "项目专员", "督查专员", "信息化专员", "乡村振兴专员", "法规科科员"]
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LANGUAGES = ("zh-hans", "en")


class DandangUser(HttpUser):
    abstract = True
    wait_time = between(THINK_MIN, THINK_MAX)
    usernames: ClassVar[list[str]] = []
    _turn: ClassVar[itertools.count[int]]

    def on_start(self) -> None:
        cls = type(self)
        if "_turn" not in cls.__dict__:
            cls._turn = itertools.count()
        self.username = self.usernames[next(cls._turn) % len(self.usernames)]
        self.language = random.choice(LANGUAGES)
        self.cadre_ids: list[int] = []
        self.org_ids: list[int] = []
        self.own_cadre_id: int | None = None
        self.my_posts: list[int] = []
        self.login()
        self.discover()

    # --- plumbing ----------------------------------------------------------------------------

    def login(self) -> None:
        with self.client.get("/accounts/login/", name="/accounts/login/", catch_response=True) as page:
            match = CSRF_FIELD.search(page.text)
            if page.status_code != 200 or not match:
                page.failure(f"login page without a CSRF token ({page.status_code})")
        if not match:
            raise StopUser()
        with self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1), "next": ""},
            headers={"Referer": page.url},
            name="/accounts/login/ (log in)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            refused = response.status_code != 302 or response.headers.get("Location") != "/"
            if refused:
                response.failure(f"login of {self.username} refused ({response.status_code})")
        if refused:
            raise StopUser()

    def csrf_headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", ""), "Referer": self.host + "/"}

    def page(self, url: str, name: str, *, headers: dict[str, str] | None = None) -> None:
        with self.client.get(url, name=name, headers=headers, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {url}")
            elif "text/html" not in response.headers.get("Content-Type", ""):
                response.failure(f"not HTML: {url}")

    def api(self, method: str, url: str, name: str, *, expect: int = 200, json: Any = None) -> Any:
        headers = self.csrf_headers() if method != "GET" else None
        with self.client.request(
            method, url, name=name, json=json, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code} for {method} {url}: {response.text[:200]}")
                return None
            try:
                return response.json()
            except ValueError:
                response.failure(f"not JSON: {method} {url}")
                return None

    def discover(self) -> None:
        """What this person may see: a page of cadres (and their own record) and organizations."""
        body = self.api("GET", "/api/v1/cadres?limit=200", "/api/v1/cadres?limit=200")
        if body:
            self.cadre_ids = [c["id"] for c in body["items"]]
            if body["count"] > 200:
                offset = random.randrange(0, body["count"] - 100)
                more = self.api("GET", f"/api/v1/cadres?limit=100&offset={offset}", "/api/v1/cadres?offset=[n]")
                if more:
                    self.cadre_ids += [c["id"] for c in more["items"]]
        body = self.api("GET", "/api/v1/organizations?limit=200", "/api/v1/organizations?limit=200")
        if body:
            self.org_ids = [o["id"] for o in body["items"]]

    def search_term(self) -> str:
        surname, pinyin = random.choice(SURNAMES)
        return random.choice([surname, pinyin, pinyin[0] + random.choice("wlzjhxmy"), pinyin[:2]])

    # --- reads -------------------------------------------------------------------------------

    def home(self) -> None:
        self.page("/", "/")

    def inbox(self) -> None:
        self.page("/inbox/", "/inbox/")

    def cadre_search(self) -> None:
        url = f"/cadres/?q={self.search_term()}"
        if random.random() < 0.5:  # as the live search box asks: the results fragment only
            self.page(url, "/cadres/?q=[term] (htmx)", headers={"HX-Request": "true"})
        else:
            self.page(url, "/cadres/?q=[term]")

    def cadre_list_of_org(self) -> None:
        if self.org_ids:
            self.page(f"/cadres/?org={random.choice(self.org_ids)}", "/cadres/?org=[id]")

    def dossier(self) -> None:
        if self.cadre_ids:
            self.page(f"/cadres/{random.choice(self.cadre_ids)}/", "/cadres/[id]/")

    def own_dossier(self) -> None:
        if self.own_cadre_id:
            self.page(f"/cadres/{self.own_cadre_id}/", "/cadres/[own]/")

    def org_tree(self) -> None:
        self.page("/orgs/", "/orgs/")

    def org_detail(self) -> None:
        if self.org_ids:
            self.page(f"/orgs/{random.choice(self.org_ids)}/", "/orgs/[id]/")

    def org_children(self) -> None:
        if self.org_ids:
            pk = random.choice(self.org_ids)
            self.page(f"/orgs/{pk}/children/", "/orgs/[id]/children/", headers={"HX-Request": "true"})

    def api_cadre_search(self) -> None:
        body = self.api("GET", f"/api/v1/cadres?q={self.search_term()}", "/api/v1/cadres?q=[term]")
        if body:
            self.cadre_ids = (self.cadre_ids + [c["id"] for c in body["items"]])[-400:]

    def api_cadre(self) -> None:
        if self.cadre_ids:
            self.api("GET", f"/api/v1/cadres/{random.choice(self.cadre_ids)}", "/api/v1/cadres/[id]")

    def api_tenures(self) -> None:
        if self.cadre_ids:
            self.api(
                "GET", f"/api/v1/tenures?cadre_id={random.choice(self.cadre_ids)}", "/api/v1/tenures?cadre_id=[id]"
            )

    def api_organizations(self) -> None:
        if self.org_ids:
            pk = random.choice(self.org_ids)
            self.api("GET", f"/api/v1/organizations?parent_id={pk}", "/api/v1/organizations?parent_id=[id]")

    def api_posts(self) -> None:
        if self.org_ids:
            pk = random.choice(self.org_ids)
            self.api("GET", f"/api/v1/posts?organization_id={pk}", "/api/v1/posts?organization_id=[id]")

    # --- writes ------------------------------------------------------------------------------

    def language_switch(self) -> None:
        """``user_language_set``: the other language than the current one, so that it is a real change."""
        self.language = LANGUAGES[1 - LANGUAGES.index(self.language)]
        with self.client.post(
            "/accounts/language/",
            data={"language": self.language, "next": "/"},
            headers=self.csrf_headers(),
            name="/accounts/language/",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"language switch answered {response.status_code}")

    def post_create(self) -> None:
        if not self.org_ids:
            return
        payload = {
            "organization_id": random.choice(self.org_ids),
            "title": f"{random.choice(POST_TITLES)}（负载测试 {uuid.uuid4().hex[:6]}）",
            "rank": "科员",
        }
        body = self.api("POST", "/api/v1/posts", "/api/v1/posts", expect=201, json=payload)
        if body:
            self.my_posts = [*self.my_posts, body["id"]][-20:]

    def post_rename(self) -> None:
        if not self.my_posts:
            self.post_create()
            return
        title = f"{random.choice(POST_TITLES)}（负载测试 {uuid.uuid4().hex[:6]}）"
        self.api("PATCH", f"/api/v1/posts/{random.choice(self.my_posts)}", "/api/v1/posts/[id]", json={"title": title})

    # --- the mix -----------------------------------------------------------------------------

    reads: ClassVar[list[tuple[str, int]]] = []
    writes: ClassVar[list[tuple[str, int]]] = []

    def _pick(self, steps: list[tuple[str, int]]) -> Callable[[], None]:
        names, weights = zip(*steps, strict=True)
        return getattr(self, random.choices(names, weights=weights)[0])  # type: ignore[no-any-return]

    @task(80)
    def read(self) -> None:
        self._pick(self.reads)()

    @task(20)
    def write(self) -> None:
        self._pick(self.writes)()


class OrgStaff(DandangUser):
    weight = 2
    usernames = ["zzb_staff", "zzb_city"]
    reads = [
        ("home", 2),
        ("cadre_search", 4),
        ("cadre_list_of_org", 2),
        ("dossier", 4),
        ("org_tree", 1),
        ("org_detail", 2),
        ("org_children", 1),
        ("inbox", 1),
        ("api_cadre_search", 2),
        ("api_cadre", 1),
        ("api_tenures", 1),
        ("api_organizations", 1),
        ("api_posts", 1),
    ]
    writes = [("post_create", 2), ("post_rename", 2), ("language_switch", 1)]


class UnitLeader(DandangUser):
    weight = 2
    usernames = ["leader_jyj", "leader_nyncj", "leader_town"]
    reads = [
        ("home", 2),
        ("cadre_search", 3),
        ("dossier", 4),
        ("org_tree", 1),
        ("org_detail", 2),
        ("inbox", 1),
        ("api_cadre_search", 1),
        ("api_cadre", 1),
        ("api_tenures", 1),
        ("api_posts", 1),
    ]
    writes = [("language_switch", 1)]


class CadreSelf(DandangUser):
    weight = 1
    usernames = ["cadre_1", "cadre_2"]
    reads = [("home", 2), ("own_dossier", 3), ("inbox", 2), ("api_cadre", 1), ("api_tenures", 1)]
    writes = [("language_switch", 1)]

    def discover(self) -> None:
        body = self.api("GET", "/api/v1/cadres?limit=10", "/api/v1/cadres?limit=10")
        if body and body["items"]:
            self.own_cadre_id = body["items"][0]["id"]
            self.cadre_ids = [self.own_cadre_id]
