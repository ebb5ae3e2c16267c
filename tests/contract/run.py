"""The API contract run: schemathesis against the running app, every operation.

Builds a small demo database (on the DATABASE_URL given, or a fresh SQLite file),
starts gunicorn on a free loopback port, and sends schemathesis' generated requests
to every operation of the OpenAPI document as an administrator. It fails on any
server error, any status the document does not declare, and any body or content
type that differs from the declared one.

Bounded and repeatable: a few examples per operation, a fixed seed, no example
database, so a run that passes here passes in CI. A request the domain refuses
beyond the schema (an unknown code, a step out of turn) answers a declared 4xx and
is not a failure.

    python -m tests.contract.run            (make contract; part of make test)
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

EXAMPLES_PER_OPERATION = 4
SEED = 20261203
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="retainops-contract-") as scratch:
        environment = _environment(Path(scratch))
        _prepare_database(environment)
        token = _issue_token(environment)
        port = _free_port()
        server = _start_server(environment, port)
        try:
            _wait_until_up(port)
            return _run_schemathesis(environment, port, token)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _environment(scratch: Path) -> dict[str, str]:
    environment = {**os.environ, "RETAINOPS_VAR_DIR": str(scratch), "AXES_ENABLED": "false"}
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        # A database of its own beside the test databases, made anew each run.
        base, _, _name = url.rpartition("/")
        environment["DATABASE_URL"] = f"{base}/retainops_contract"
        _run(["psql", f"{base}/postgres", "-qc", "DROP DATABASE IF EXISTS retainops_contract"])
        _run(["psql", f"{base}/postgres", "-qc", "CREATE DATABASE retainops_contract"])
    else:
        environment["DATABASE_URL"] = f"sqlite:///{scratch / 'contract.sqlite3'}"
    return environment


def _prepare_database(environment: dict[str, str]) -> None:
    _retainops(environment, "migrate", "--noinput", "-v0")
    _retainops(environment, "seed_demo", "--clients", "25")


def _issue_token(environment: dict[str, str]) -> str:
    script = (
        "from retainops.core.models import ApiToken, User\n"
        "admin = User.objects.filter(roles__code='administrator').order_by('id').first()\n"
        "print(ApiToken.issue(admin)[1])\n"
    )
    output = _retainops(environment, "shell", "-c", script, capture=True)
    return output.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(environment: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "retainops.wsgi", "--bind", f"127.0.0.1:{port}"]
    return subprocess.Popen([*command, "--workers", "2", "--timeout", "120"], env=environment)


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=120)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("The server did not answer within 300 s.")


def _run_schemathesis(environment: dict[str, str], port: int, token: str) -> int:
    command = [
        str(_script("schemathesis")), "run",
        f"http://127.0.0.1:{port}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--seed", str(SEED),
        "--generation-deterministic",
        "--phases", "examples,fuzzing",
        "--workers", "2",
        "--request-timeout", "60",
        "--no-color",
    ]  # fmt: skip
    return subprocess.run(command, env=environment, check=False).returncode


def _retainops(environment: dict[str, str], *arguments: str, capture: bool = False) -> str:
    command = [str(_script("retainops")), *arguments]
    done = subprocess.run(command, env=environment, check=True, capture_output=capture, text=True)
    return done.stdout or ""


def _script(name: str) -> Path:
    """A console script installed beside this interpreter (the project's virtualenv)."""
    return Path(sys.executable).with_name(name)


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
