"""The primary/replica router: public reads from the replica; writes, editors' reads and a client's
reads right after it wrote from the primary.

The test settings configure ``DATABASES["replica"]`` as a test mirror of the default database (the
same rows through another connection); these tests switch the router on and count the queries each
connection ran. Transactional tests: the replica's connection sees only committed rows."""

import time

import lxml.html
import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core import signing
from django.db import connections
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from archive import routers
from archive.routers import ROUTER, STICKY_COOKIE, STICKY_SALT, PrimaryReplicaRouter, ReplicaRoutingMiddleware
from catalog.models import Letter, Volume

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
    pytest.mark.usefixtures("replica_router"),
]


@pytest.fixture
def replica_router():
    with override_settings(DATABASE_ROUTERS=[ROUTER]):
        yield


class Queries:
    """The queries each alias ran inside the block."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections["replica"])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @property
    def counts(self) -> tuple[int, int]:
        return len(self.primary), len(self.replica)


@pytest.fixture
def letter(import_seeds):
    return Letter.objects.published().select_related("volume").get(volume__identifier="frus1969-76v33")


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("editor", password="pw-for-tests", is_staff=True, is_superuser=True)


def form_values(client, path: str) -> list[tuple[str, str]]:
    """The values a browser would post back from the admin's change form at ``path``."""
    response = client.get(path)
    assert response.status_code == 200
    document = lxml.html.fromstring(response.content.decode())
    form = next(f for f in document.forms if (f.get("id") or "").endswith("_form"))
    textareas = {area.name for area in form.iter("textarea")}
    return [(k, v[1:] if k in textareas and v.startswith("\n") else v) for k, v in form.form_values()]


def save_volume_title(client, volume: Volume, title: str):
    path = reverse("admin:catalog_volume_change", args=[volume.pk])
    data = [(k, v) for k, v in form_values(client, path) if k != "title"] + [("title", title)]
    from urllib.parse import urlencode

    return client.post(path, urlencode(data), content_type="application/x-www-form-urlencoded")


# -- through the test client ---------------------------------------------------------------------------


def test_public_page_reads_from_the_replica_only(client, letter):
    with Queries() as queries:
        response = client.get(letter.get_absolute_url())
    assert response.status_code == 200
    primary, replica = queries.counts
    assert primary == 0
    assert replica > 0
    assert STICKY_COOKIE not in response.cookies


def test_public_list_and_head_read_from_the_replica_only(client, letter):
    with Queries() as queries:
        assert client.get("/letters/").status_code == 200
        assert client.head(letter.volume.get_absolute_url()).status_code == 200
    assert queries.counts[0] == 0
    assert queries.counts[1] > 0


def test_staff_reads_go_to_the_primary(client, editor, letter):
    client.force_login(editor)
    with Queries() as queries:
        assert client.get(letter.get_absolute_url()).status_code == 200
        assert client.get(reverse("admin:catalog_letter_change", args=[letter.pk])).status_code == 200
    assert queries.counts[0] > 0
    assert queries.counts[1] == 0


def test_a_logged_in_reader_who_is_not_staff_reads_from_the_primary(client, letter):
    client.force_login(User.objects.create_user("reader", password="pw-for-tests"))
    with Queries() as queries:
        assert client.get(letter.get_absolute_url()).status_code == 200
    assert queries.counts[0] > 0
    assert queries.counts[1] == 0


def test_an_editors_save_goes_to_the_primary_and_is_read_back_at_once(client, editor, letter):
    volume = letter.volume
    client.force_login(editor)
    with Queries() as queries:
        response = save_volume_title(client, volume, "Retitled by the editor")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert queries.counts[1] == 0
    assert any(q["sql"].startswith("UPDATE") for q in queries.primary.captured_queries)
    assert STICKY_COOKIE in response.cookies
    assert response.cookies[STICKY_COOKIE]["max-age"] == 10
    assert response.cookies[STICKY_COOKIE]["httponly"] is True
    # Logged out (a write too: the session goes), the same browser reads the public page at once:
    # from the primary, so the new title, whatever the replica's lag.
    assert client.post(reverse("admin:logout")).status_code == 200
    with Queries() as queries:
        page = client.get(volume.get_absolute_url())
    assert "Retitled by the editor" in page.content.decode()
    assert queries.counts[0] > 0
    assert queries.counts[1] == 0


def test_an_anonymous_write_keeps_that_client_on_the_primary_for_the_next_request(client, letter):
    # A failed login is recorded (django-axes): the request wrote.
    response = client.post(reverse("admin:login"), {"username": "nobody", "password": "wrong"})
    assert response.status_code == 200
    assert STICKY_COOKIE in response.cookies
    with Queries() as queries:
        assert client.get(letter.get_absolute_url()).status_code == 200
    assert queries.counts == (queries.counts[0], 0)
    assert queries.counts[0] > 0
    # Another reader, without the cookie, still reads from the replica.
    other = type(client)()
    with Queries() as queries:
        assert other.get(letter.get_absolute_url()).status_code == 200
    assert queries.counts[0] == 0


def test_the_write_mark_expires(client, letter):
    class AgedSigner(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 11)

    signer = signing.get_cookie_signer(salt=STICKY_COOKIE + STICKY_SALT)  # as set_signed_cookie signs
    client.cookies[STICKY_COOKIE] = AgedSigner(key=signer.key, salt=signer.salt).sign("1")
    with Queries() as queries:
        assert client.get(letter.get_absolute_url()).status_code == 200
    assert queries.counts[0] == 0
    assert queries.counts[1] > 0
    # a fresh mark, signed the same way, is honoured
    client.cookies[STICKY_COOKIE] = signer.sign("1")
    with Queries() as queries:
        assert client.get(letter.get_absolute_url()).status_code == 200
    assert queries.counts[1] == 0


def test_a_forged_write_mark_is_ignored(client, letter):
    client.cookies[STICKY_COOKIE] = "1"
    with Queries() as queries:
        assert client.get(letter.get_absolute_url()).status_code == 200
    assert queries.counts[0] == 0


# -- within one request ---------------------------------------------------------------------------------


def test_a_read_after_a_write_in_the_same_request_goes_to_the_primary(rf, letter):
    seen = []

    def view(request):
        with Queries() as before:
            volume = Volume.objects.get(pk=letter.volume_id)
        seen.append(before.counts)
        with Queries() as write:
            Volume.objects.filter(pk=volume.pk).update(title="Changed in the request")
        seen.append(write.counts)
        with Queries() as after:
            title = Volume.objects.get(pk=volume.pk).title
            count = Letter.objects.filter(volume=volume).count()
        seen.append(after.counts)
        return HttpResponse(f"{title}|{count}")

    request = rf.get("/")
    request.user = AnonymousUser()
    response = ReplicaRoutingMiddleware(view)(request)
    assert response.content.decode() == "Changed in the request|1"
    assert seen == [(0, 1), (1, 0), (2, 0)]
    assert STICKY_COOKIE in response.cookies


def test_unsafe_methods_read_from_the_primary(rf, letter):
    def view(request):
        return HttpResponse(str(Letter.objects.count()))

    for method in ("post", "put", "patch", "delete"):
        request = getattr(rf, method)("/")
        request.user = AnonymousUser()
        with Queries() as queries:
            response = ReplicaRoutingMiddleware(view)(request)
        assert response.content == b"2"
        assert queries.counts == (1, 0), method
        assert STICKY_COOKIE not in response.cookies  # it read, it did not write


def test_accounts_sessions_and_throttling_always_read_from_the_primary(rf, editor):
    def view(request):
        from axes.models import AccessAttempt
        from django.contrib.sessions.models import Session

        User.objects.filter(username="editor").exists()
        Session.objects.count()
        AccessAttempt.objects.count()
        Volume.objects.count()
        return HttpResponse()

    request = rf.get("/")
    request.user = AnonymousUser()
    with Queries() as queries:
        ReplicaRoutingMiddleware(view)(request)
    assert queries.counts == (3, 1)


def test_outside_a_request_everything_goes_to_the_primary(letter):
    # management commands, the import worker, the shell
    with Queries() as queries:
        assert Letter.objects.count() == 2
        Volume.objects.filter(pk=letter.volume_id).update(title="x")
    assert queries.counts == (2, 0)


def test_the_request_state_does_not_leak_into_the_next_request(rf, letter):
    def view(request):
        return HttpResponse(str(Letter.objects.count()))

    request = rf.get("/")
    request.user = AnonymousUser()
    ReplicaRoutingMiddleware(view)(request)
    assert routers._current.get() is None
    with Queries() as queries:
        Letter.objects.count()
    assert queries.counts == (1, 0)


def test_without_the_router_the_middleware_does_nothing(rf, letter):
    def view(request):
        Volume.objects.filter(pk=letter.volume_id).update(title="y")
        return HttpResponse(str(Letter.objects.count()))

    request = rf.get("/")
    request.user = AnonymousUser()
    with override_settings(DATABASE_ROUTERS=[]), Queries() as queries:
        response = ReplicaRoutingMiddleware(view)(request)
    assert queries.counts == (2, 0)
    assert STICKY_COOKIE not in response.cookies


# -- the router's other answers ------------------------------------------------------------------------


def test_migrations_run_on_the_primary_only():
    router = PrimaryReplicaRouter()
    assert router.allow_migrate("replica", "catalog", "letter") is False
    assert router.allow_migrate("default", "catalog", "letter") is None


def test_rows_from_either_alias_may_be_related(letter):
    router = PrimaryReplicaRouter()
    from_replica = Volume.objects.using("replica").get(pk=letter.volume_id)
    from_primary = Letter.objects.using("default").get(pk=letter.pk)
    assert router.allow_relation(from_replica, from_primary) is True
    from_primary.volume = from_replica  # Django asks the router; no ValueError
    assert from_primary.volume_id == letter.volume_id
