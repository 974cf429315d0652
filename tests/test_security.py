"""Hardening (issue 10): control characters refused, login throttling, CSP, Permissions-Policy,
the proxy header trusted only when configured, and ``check --deploy`` clean in production settings."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client, override_settings

from catalog.models import Letter

ROOT = Path(__file__).resolve().parent.parent
V33, QUEBEC = "frus1969-76v33", "frus1944Quebec"

pytestmark = pytest.mark.django_db

# A JSON-LD block is data, never executed: CSP does not apply to it, so it is no inline script.
JSONLD_EXEMPT = r'<script(?![^>]*\b(?:src=|type="application/ld\+json"))'


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "right-password-123")


@pytest.fixture
def admin_client_(superuser):
    client = Client()
    client.force_login(superuser)
    return client


# -- 1. NUL and control characters ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/volumes/{QUEBEC}/x%00/",
        f"/volumes/{V33}/d193%00/",
        f"/volumes/{V33}%00/",
        "/people/gromyko%00/",
        f"/api/letters/{V33}/193%00/",
        "/letters/%00",
        "/letters/?q=%00",
        "/letters/?q=war%00peace",
        "/letters/?volume=%00",
        "/letters/?person=%00",
        "/letters/?repository=%00",
        "/letters/?page=%00",
        "/letters/?%00=1",
        f"/volumes/{V33}/x%01/",
        f"/volumes/{V33}/x%7F/",
        "/letters/?q=%1B[31m",
    ],
)
def test_control_characters_in_public_urls_are_a_400(client, import_seeds, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/letters/?q=" + "w+" * 18_700,  # 37 KB: "stack depth limit exceeded" on PostgreSQL before
        "/letters/?q=" + "%22" * 100_000,
        "/?repository=" + "w+" * 3000,  # "LIKE or GLOB pattern too complex" on SQLite before
        "/letters/?" + "k" * 5000 + "=1",
        "/volumes/" + "x" * 5000 + "/",
    ],
)
def test_overlong_parameters_are_a_400(client, url):
    assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "volume__exact=" + "9" * 40,
        "volume__id__exact=-" + "9" * 20,
        "id__in=1," + "9" * 30,
        "groups__exact=9223372036854775808",
    ],
)
def test_admin_lookups_on_numbers_beyond_64_bits_are_a_400(admin_client_, query):
    """SQLite's driver raised OverflowError (a 500) on these, in Django's own admin filters too."""
    url = "/admin/auth/user/?" if query.startswith("groups") else "/admin/catalog/letter/?"
    assert admin_client_.get(url + query).status_code == 400


def test_admin_lookups_on_64_bit_numbers_still_work(admin_client_):
    assert admin_client_.get("/admin/catalog/letter/?volume__exact=9223372036854775807").status_code == 200
    assert admin_client_.get("/letters/?q=" + "9" * 40).status_code == 200  # a search may hold any number


def test_a_long_search_within_the_limit_works(client, import_seeds):
    response = client.get("/letters/?q=" + "Brezhnev+" * 400)
    assert response.status_code == 200
    assert "Letter From President Carter to Soviet General Secretary Brezhnev" in response.content.decode()


@pytest.mark.parametrize("url", ["/letters/?q=Brezhnev%09letter", "/letters/?q=Brezhnev%0D%0A"])
def test_tab_and_line_breaks_in_a_search_are_allowed(client, import_seeds, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "Letter From President Carter to Soviet General Secretary Brezhnev" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/catalog/letter/?status__exact=%00",
        "/admin/catalog/letter/?q=%00",
        "/admin/catalog/letter/?volume__id__exact=%00",
        "/admin/autocomplete/?term=%00&app_label=catalog&model_name=letter&field_name=volume",
        "/admin/autocomplete/?term=%00&app_label=catalog&model_name=letterperson&field_name=person",
        "/admin/catalog/person/%00/change/",
    ],
)
def test_control_characters_in_admin_urls_are_a_400(admin_client_, import_seeds, url):
    assert admin_client_.get(url).status_code == 400


def test_nul_in_a_form_is_a_400_and_nothing_is_written(admin_client_, import_seeds):
    letter = Letter.objects.get(volume__identifier=V33, number=193)
    response = admin_client_.post(f"/admin/catalog/letter/{letter.pk}/change/", {"title": "Evil\x00title"})
    assert response.status_code == 400
    letter.refresh_from_db()
    assert letter.title == "Letter From President Carter to Soviet General Secretary Brezhnev"


def test_nul_in_the_login_form_is_a_400(client, superuser):
    response = client.post("/admin/login/", {"username": "admin\x00", "password": "x"})
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()


def test_nul_in_a_cookie_is_a_400(client):
    # An octal escape in a quoted cookie value, which Django's cookie parser decodes to NUL.
    assert client.get("/letters/", HTTP_COOKIE='sessionid="abcdefgh\\000ijkl"').status_code == 400


def test_form_text_may_hold_other_control_characters(admin_client_):
    """An editor's pasted text may hold a form feed: only NUL is refused in form data."""
    response = admin_client_.post("/admin/login/", {"username": "a\x0cb", "password": "x"})
    assert response.status_code != 400


# -- 11. login throttling -------------------------------------------------------------------------


def login(client, password):
    return client.post("/admin/login/?next=/admin/", {"username": "admin", "password": password})


def logged_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_thirty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(client, superuser, settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    statuses = [login(client, f"wrong-{n}").status_code for n in range(30)]
    assert statuses[:9] == [200] * 9  # the form again, "Please enter the correct username and password"
    assert set(statuses[10:]) == {429}  # locked out
    response = login(client, "right-password-123")
    assert response.status_code == 429
    assert not logged_in(response)
    assert "_auth_user_id" not in client.session
    # From another address too: the lock-out is by username.
    assert login(Client(REMOTE_ADDR="10.9.8.7"), "right-password-123").status_code == 429


def test_an_administrator_lifts_the_lockout_with_the_management_command(client, superuser):
    for n in range(10):
        login(client, f"wrong-{n}")
    assert login(client, "right-password-123").status_code == 429
    call_command("axes_reset_username", "admin", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert logged_in(login(client, "right-password-123"))


def test_an_administrator_lifts_the_lockout_in_the_admin(client, superuser, django_user_model):
    for n in range(10):
        login(client, f"wrong-{n}")
    assert login(client, "right-password-123").status_code == 429
    other = django_user_model.objects.create_superuser("chief", "chief@example.org", "pw")
    chief = Client()
    chief.force_login(other)
    attempt = AccessAttempt.objects.get(username="admin")
    page = chief.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "admin" in page.content.decode()
    deleted = chief.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert logged_in(login(client, "right-password-123"))


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_limit_is_a_setting_and_success_resets_the_count(client, superuser):
    login(client, "wrong-1")
    login(client, "wrong-2")
    assert logged_in(login(client, "right-password-123"))
    client.logout()
    login(client, "wrong-3")
    login(client, "wrong-4")
    assert logged_in(login(client, "right-password-123"))  # two failures since the last success
    client.logout()
    for n in range(3):
        login(client, f"wrong-again-{n}")
    assert login(client, "right-password-123").status_code == 429


def test_many_usernames_from_one_address_are_locked_out_too(client, superuser):
    for n in range(10):
        client.post("/admin/login/", {"username": f"guess-{n}", "password": "x"})
    assert login(client, "right-password-123").status_code == 429
    assert logged_in(login(Client(REMOTE_ADDR="10.1.2.3"), "right-password-123"))


def test_the_throttled_address_behind_a_proxy_is_the_one_the_proxy_appended(rf, settings):
    from archive.middleware import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"
    settings.BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.9"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"


def test_test_clients_still_log_in(client, superuser):
    assert client.login(username="admin", password="right-password-123")
    assert client.get("/admin/").status_code == 200


# -- 12. CSP, Permissions-Policy, proxy header ------------------------------------------------------


def csp_of(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "url", ["/", "/letters/?q=Brezhnev", f"/volumes/{V33}/", f"/volumes/{V33}/d193/", "/people/gromyko/", "/nope/"]
)
def test_public_pages_have_a_strict_csp_and_no_inline_script_or_style(client, import_seeds, url):
    response = client.get(url)
    policy = csp_of(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "script-src-attr" not in policy and "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    html = response.content.decode()
    assert not re.search(JSONLD_EXEMPT + r"", html)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", html, re.IGNORECASE)


def test_templates_hold_no_inline_script_or_style():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if re.search(JSONLD_EXEMPT + r"|<style|\sstyle=|\son[a-z]+=|javascript:", text, re.IGNORECASE):
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_the_api_has_the_strict_csp(client, import_seeds):
    assert csp_of(client.get(f"/api/letters/{V33}/193/"))["script-src"] == ["'self'"]


@pytest.mark.parametrize("url", ["/admin/", "/admin/catalog/letter/", "/admin/login/"])
def test_the_admin_allows_inline_styles_but_never_inline_script(admin_client_, import_seeds, url):
    policy = csp_of(admin_client_.get(url))
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]
    # one inline handler of django-import-export's export form, by its hash, and no other
    assert policy["script-src-attr"] == ["'unsafe-hashes'", "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"]
    assert policy["default-src"] == ["'none'"]


def test_permissions_policy_disables_powerful_features(client):
    header = client.get("/letters/").headers["Permissions-Policy"]
    for feature in ("camera=()", "geolocation=()", "microphone=()", "payment=()", "usb=()"):
        assert feature in header


def test_security_headers_on_a_400(client):
    response = client.get("/letters/?q=%00")
    assert response.status_code == 400
    assert "Content-Security-Policy" in response.headers
    assert "Permissions-Policy" in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_x_forwarded_proto_is_ignored_unless_behind_a_proxy(client, settings):
    assert settings.SECURE_PROXY_SSL_HEADER is None
    response = client.get("/letters/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/letters/"


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_x_forwarded_proto_is_honoured_behind_a_proxy(client):
    assert client.get("/letters/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/letters/", HTTP_X_FORWARDED_PROTO="http").status_code == 301


# -- production settings, in a fresh process --------------------------------------------------------

PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ['SECURE_PROXY_SSL_HEADER', 'SECURE_HSTS_PRELOAD', "
    "'SECURE_HSTS_SECONDS', 'AUTHENTICATION_BACKENDS', 'AXES_FAILURE_LIMIT', 'SILENCED_SYSTEM_CHECKS']}))"
)


def production_env(**extra) -> dict:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DEBUG", "SECRET", "ALLOWED", "BEHIND"))}
    keep.pop("SECURE_HSTS_PRELOAD", None)
    keep.pop("LOGIN_FAILURE_LIMIT", None)
    keep.update(
        DJANGO_SETTINGS_MODULE="archive.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="letters.example.org",
        **extra,
    )
    return keep


def probe(**env):
    import json

    run = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=production_env(**env), capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_production_defaults_for_proxy_preload_and_login_throttling():
    values = probe()
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["AXES_FAILURE_LIMIT"] == 10
    assert values["AUTHENTICATION_BACKENDS"] == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]


def test_production_switches_from_the_environment():
    values = probe(BEHIND_PROXY="1", SECURE_HSTS_PRELOAD="1", LOGIN_FAILURE_LIMIT="5")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["AXES_FAILURE_LIMIT"] == 5
    assert values["SILENCED_SYSTEM_CHECKS"] == []


@pytest.mark.parametrize("extra", [{}, {"BEHIND_PROXY": "1", "SECURE_HSTS_PRELOAD": "1"}])
def test_check_deploy_is_clean_in_production_settings(extra):
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=production_env(**extra),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    silenced = 0 if extra else 1  # security.W021 ("no HSTS preload") while preload is off by choice
    assert run.stdout.strip() == f"System check identified no issues ({silenced} silenced)."
    assert run.stderr == ""


def test_behind_haproxy_the_client_is_the_address_haproxy_appended(rf, settings):
    # haproxy's `option forwardfor` adds its own X-Forwarded-For line after any the client sent;
    # gunicorn joins repeated headers with a bare comma, in order.
    from archive.middleware import client_ip

    settings.BEHIND_PROXY = True
    forged_then_haproxy = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6,198.51.100.7", REMOTE_ADDR="127.0.0.1")
    assert client_ip(forged_then_haproxy) == "198.51.100.7"
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="127.0.0.1")) == "198.51.100.7"
