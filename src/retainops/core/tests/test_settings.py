"""Settings come from the environment and fail loudly, naming the variable."""

import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.urls import reverse

from retainops.core.site import check_agency_name, check_site_url


def _start_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Start Django in a fresh interpreter with the given environment changes."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "retainops.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_without_secret_key_stops_naming_it():
    result = _start_with({"DEBUG": "false", "SECRET_KEY": "", "ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_without_allowed_hosts_stops_naming_it():
    result = _start_with({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_malformed_boolean_is_named():
    result = _start_with({"DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DEBUG='perhaps' is not a boolean" in result.stderr


def test_unsupported_database_is_named():
    result = _start_with({"DATABASE_URL": "mysql://root@localhost/x"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_malformed_integer_is_named():
    result = _start_with({"PAGE_SIZE": "many"})
    assert result.returncode != 0
    assert "PAGE_SIZE='many' is not an integer" in result.stderr


def test_development_defaults_start():
    result = _start_with({"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_database_connection_is_tuned_for_its_engine():
    """SQLite: WAL and IMMEDIATE transactions; PostgreSQL: health-checked connections."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        assert connection.vendor == "postgresql"
        assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_tls_and_ssl_together_are_refused():
    result = _start_with(
        {"EMAIL_HOST": "smtp.example.org", "EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "1"}
    )
    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true" in result.stderr


def test_email_host_selects_smtp_with_django_variable_names():
    env = {
        "DJANGO_SETTINGS_MODULE": "retainops.settings",
        **{k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")},
        "EMAIL_HOST": "smtp.example.org",
        "EMAIL_PORT": "587",
        "EMAIL_USE_TLS": "true",
        "EMAIL_HOST_USER": "mailer",
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "m = settings.MAILERS['default']; o = m['OPTIONS']; "
        "print(m['BACKEND'], o['host'], o['port'], o['use_tls'], o['username'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        "587",
        "True",
        "mailer",
    ]


def test_sign_in_lockout_is_configured_from_the_environment_with_defaults():
    env = {
        "DJANGO_SETTINGS_MODULE": "retainops.settings",
        **{k: v for k, v in os.environ.items() if not k.startswith("AXES_")},
        "AXES_FAILURE_LIMIT": "3",
        "AXES_COOLOFF_MINUTES": "1",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds())); "
        "print(s.AXES_COOLOFF_MESSAGE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    limit, message = result.stdout.splitlines()[:2]
    assert limit == "3 60"
    assert message.endswith("try again in 1 minute.")
    unset = {k: v for k, v in env.items() if not k.startswith("AXES_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=unset,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.splitlines()[:2] == [
        "5 900",
        "Too many failed sign-ins for this username from your address: try again in 15 minutes.",
    ]


def test_a_lockout_limit_below_one_is_named():
    result = _start_with({"AXES_FAILURE_LIMIT": "0"})
    assert result.returncode != 0
    assert "AXES_FAILURE_LIMIT=0 must be at least 1" in result.stderr


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3v9-" * 12,
    "ALLOWED_HOSTS": "retainops.example.org",
    "EMAIL_HOST": "smtp.example.org",
    "SITE_URL": "https://retainops.example.org",
    "AGENCY_NAME": "Example Agency",
}


def test_production_without_a_mail_host_stops_unless_files_are_asked_for():
    without = {**PRODUCTION, "EMAIL_HOST": ""}
    result = _start_with(without)
    assert result.returncode != 0
    assert "EMAIL_HOST must be set when DEBUG is false" in result.stderr
    assert _start_with({**without, "EMAIL_TO_FILES": "true"}).returncode == 0


def test_production_settings_pass_the_deployment_check():
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "retainops.settings", **PRODUCTION}
    full_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests' setting, not production's
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_the_agency_name_is_warned(settings: Any):
    settings.AGENCY_NAME = "RetainOps"
    [warning] = check_agency_name()
    assert warning.id == "retainops.W001"
    assert "AGENCY_NAME is not set" in warning.msg
    settings.AGENCY_NAME = "Example Agency"
    assert check_agency_name() == []


def test_the_proxy_header_comes_from_the_environment():
    script = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "retainops.settings",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + script],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"
    bad = _start_with({"SECURE_PROXY_SSL_HEADER": "https"})
    assert bad.returncode != 0 and "must read 'Header-Name: value'" in bad.stderr


@pytest.mark.django_db
def test_every_page_carries_a_content_security_policy_without_inline_script(client):
    from retainops.core.testing import UserFactory

    login = client.get(reverse("login"))
    policy = login.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert "frame-ancestors 'none'" in policy
    client.force_login(UserFactory.create(username="ada", roles=["administrator"]))
    docs = client.get("/api/v1/docs")
    assert "Content-Security-Policy" in docs.headers
    assert b"cdn" not in docs.content.lower() and b"/static/ninja/swagger-ui-bundle" in docs.content


def test_malformed_pacing_band_is_named():
    result = _start_with({"PERFORMANCE_PACE_UNDER": "ninety"})
    assert result.returncode != 0
    assert "PERFORMANCE_PACE_UNDER='ninety' is not a number" in result.stderr


def test_pacing_bands_the_wrong_way_round_are_named():
    result = _start_with({"PERFORMANCE_PACE_UNDER": "1.2", "PERFORMANCE_PACE_OVER": "1.1"})
    assert result.returncode != 0
    assert "PERFORMANCE_PACE_UNDER must be below PERFORMANCE_PACE_OVER" in result.stderr


def test_budget_bands_out_of_order_are_named():
    result = _start_with({"PERFORMANCE_BUDGET_BANDS": "1000,500"})
    assert result.returncode != 0
    assert "PERFORMANCE_BUDGET_BANDS must list numbers in ascending order" in result.stderr


def test_malformed_budget_band_is_named():
    result = _start_with({"PERFORMANCE_BUDGET_BANDS": "1000,lots"})
    assert result.returncode != 0
    assert "PERFORMANCE_BUDGET_BANDS: 'lots' is not a number" in result.stderr


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", "SITE_URL is not set."),
        ("http://retain.agency.example", "must start with https://"),
        ("https://retain.agency.example:port", "is not an address"),
        ("retain.agency.example", "must start with https://"),
    ],
)
@pytest.mark.django_db
def test_production_with_a_wrong_site_url_fails_the_system_check(
    settings: Any, value: str, said: str
):
    settings.DEBUG = False
    settings.SITE_URL = value

    with pytest.raises(SystemCheckError, match=r"retainops\.E001") as refused:
        call_command("check")
    assert said in str(refused.value)


def test_production_with_an_https_site_url_passes_the_check(settings: Any):
    settings.DEBUG = False
    settings.SITE_URL = "https://retain.agency.example"
    assert check_site_url() == []
    settings.DEBUG = True
    settings.SITE_URL = ""  # development: links follow the served address
    assert check_site_url() == []
