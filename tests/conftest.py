"""Shared fixtures: the seed digests and personas. The admin superuser is pytest-django's
`admin_user` / `admin_client`."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from papers.curation import CURATORS_GROUP
from papers.importing import import_paths

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

PASSWORD = "a-long-test-password-9"


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: an answer cached by one test is no answer for the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seeded(db):
    """The five seed digests, imported as `load_digests seeds/` would."""
    for report in import_paths([SEEDS]):
        assert not report.failed, report.error


@pytest.fixture
def reader(django_user_model):
    """Logged-in but not staff: reads the public pages, never the admin."""
    return django_user_model.objects.create_user("reader", password=PASSWORD)


@pytest.fixture
def curator(django_user_model):
    """Staff in the Curators group, with exactly the permissions the data migration grants."""
    user = django_user_model.objects.create_user("curator", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=CURATORS_GROUP))
    return user


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client
