import pytest
from django.db import connection

from dandang.org import selectors

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def names(viewer, q):
    return [c.name for c in selectors.cadre_search(viewer, q=q)]


def test_search_by_characters_is_a_substring_match(world):
    staff = world.user("staff_a")
    assert names(staff, "伟") == ["张伟军"]
    assert names(staff, "伟军") == ["张伟军"]
    # Every character of the query is in the name, but not as a substring: no match (on
    # PostgreSQL the characters' index narrows the rows; the substring match still decides).
    assert names(staff, "军伟") == []
    assert names(staff, "张 伟") == []
    assert names(staff, "李娜%") == []
    # Outside the viewer's jurisdiction nothing is found, however exact the name.
    assert names(world.user("staff_b"), "张伟军") == []


@pytest.mark.postgres_only
def test_postgres_has_the_characters_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'cadre_name_chars_idx'")
        row = cursor.fetchone()
    assert row is not None and "gin" in row[0] and "string_to_array" in row[0]
