"""Real peers for testing delivery: an SMTP server and an HTTP receiver.

Both listen on 127.0.0.1 on a free port and record what they receive, so a
test asserts on what actually crossed the wire (headers, Message-ID,
attachments, signatures) rather than on what the sender meant to send. Each
can be told to misbehave the way real peers do: refuse, go down and come
back, answer an error status, or stall past the client's timeout.
"""

import asyncio
import contextlib
import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from django.db.backends.base.base import BaseDatabaseWrapper

SMTP_TEXTS = {
    421: "4.3.2 Service not available, closing channel",
    451: "4.3.0 Local error in processing, try again later",
    550: "5.7.1 Message refused by policy",
    554: "5.6.0 Transaction failed",
}


def free_port() -> int:
    """A port nobody listens on now (the OS picks it), for a server to bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ReceivedMail:
    """One e-mail as the SMTP server received it, parsed with the `email` module."""

    message_id: str
    to: str
    subject: str
    envelope_to: list[str]
    parsed: EmailMessage

    def part(self, content_type: str) -> str:
        """The decoded text of the first body part of this content type ('' if none),
        with the wire's CRLF line ends read back as newlines."""
        for part in self.parsed.walk():
            if part.get_content_type() == content_type and not part.is_attachment():
                return str(part.get_content()).replace("\r\n", "\n")
        return ""

    def attachments(self) -> list[tuple[str, str, bytes]]:
        """(filename, content type, payload bytes) of every attachment."""
        return [
            (str(p.get_filename()), p.get_content_type(), bytes(p.get_payload(decode=True)))
            for p in self.parsed.iter_attachments()
        ]


def parse_mail(content: bytes, envelope_to: list[str]) -> ReceivedMail:
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return ReceivedMail(
        message_id=str(parsed["Message-ID"]),
        to=str(parsed["To"]),
        subject=str(parsed["Subject"]),
        envelope_to=list(envelope_to),
        parsed=parsed,
    )


class RecordingHandler:
    """aiosmtpd handler: records each message it accepts; may be slow or refuse."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[ReceivedMail] = []
        self.delay = 0.0
        self.reply_code: int | None = None
        self.sessions = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """Count SMTP sessions (each client greets once per connection)."""
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)  # the peer is slow, like a busy relay
        code = self.reply_code
        if code is not None:
            return f"{code} {SMTP_TEXTS.get(code, 'refused by the test server')}"
        mail = parse_mail(envelope.content, envelope.rcpt_tos)
        with self.lock:
            self.received.append(mail)
        return "250 2.0.0 Message accepted for delivery"


class SmtpPeer:
    """A real SMTP server that can go down and come back up on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    def start(self) -> "SmtpPeer":
        if self._controller is None:
            # A fixed greeting name: the default looks up this machine's own name.
            self._controller = Controller(
                self.handler, hostname=self.host, port=self.port, server_hostname="smtp.test"
            )
            self._controller.start()
        return self

    def stop(self) -> None:
        """Close the listening socket: connections are refused until start()."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def answer(self, code: int | None) -> None:
        """Answer every DATA with this SMTP code (None: accept with 250 again)."""
        self.handler.reply_code = code

    def slow_down(self, seconds: float) -> None:
        self.handler.delay = seconds

    @property
    def received(self) -> list[ReceivedMail]:
        with self.handler.lock:
            return list(self.handler.received)

    def count(self) -> int:
        with self.handler.lock:
            return len(self.handler.received)

    def sessions(self) -> int:
        """How many SMTP sessions (connections that greeted) the server has had."""
        with self.handler.lock:
            return self.handler.sessions

    def message_ids(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        return Counter(mail.message_id for mail in self.received)

    def email_settings(self) -> dict[str, Any]:
        """Django settings that point the SMTP backend at this server."""
        return {
            "MAILERS": {
                "default": {
                    "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "OPTIONS": {"host": self.host, "port": self.port, "timeout": 5},
                }
            }
        }


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        """A header's value by name in any case ('' if absent)."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")


@dataclass
class _Behaviour:
    status: int = 200
    stall: bool = False
    delay: float = 0.0
    released: threading.Event = field(default_factory=threading.Event)


class _RecordingRequestHandler(BaseHTTPRequestHandler):
    server: "_ReceiverServer"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        peer = self.server.peer
        behaviour = peer.behaviour
        if behaviour.delay:
            time.sleep(behaviour.delay)  # the receiver is slow, like a busy chat service
        peer.record(ReceivedRequest("POST", self.path, dict(self.headers.items()), body))
        if behaviour.stall:
            # Hold the request open past the client's timeout (released at stop).
            behaviour.released.wait(timeout=30)
        with contextlib.suppress(OSError):  # a stalled client gave up: that was the point
            self._respond(behaviour.status)

    def _respond(self, status: int) -> None:
        text = b"ok" if status < 300 else f"answered {status} by the test receiver".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the requests are recorded, not logged."""


class _ReceiverServer(ThreadingHTTPServer):
    peer: "HttpPeer"


class HttpPeer:
    """A real HTTP server in a thread recording each request; told how to answer."""

    def __init__(self) -> None:
        self.behaviour = _Behaviour()
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._server = _ReceiverServer(("127.0.0.1", 0), _RecordingRequestHandler)
        self._server.peer = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/chat"

    def start(self) -> "HttpPeer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.behaviour.released.set()
        self._server.shutdown()
        self._server.server_close()

    def answer(self, status: int) -> None:
        """Answer every following request with this status, without stalling."""
        self.behaviour.released.set()
        self.behaviour = _Behaviour(status=status)

    def stall(self) -> None:
        """Hold every following request open without answering (until stop or answer)."""
        self.behaviour = _Behaviour(stall=True)

    def slow_down(self, seconds: float) -> None:
        """Take this long over each following request before recording and answering it."""
        self.behaviour.delay = seconds

    def record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self) -> int:
        with self._lock:
            return len(self._requests)

    def webhook_ids(self) -> Counter[str]:
        """How many times each webhook-id arrived."""
        return Counter(request.header("webhook-id") for request in self.requests)


def database_url(connection: BaseDatabaseWrapper) -> str:
    """A DATABASE_URL for a subprocess to reach the database this connection uses
    (the test database during tests, which a subprocess cannot guess)."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = quote(str(config.get("USER") or ""))
    password = quote(str(config.get("PASSWORD") or ""))
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = config.get("HOST") or "127.0.0.1"
    port = config.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{config['NAME']}"


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.02) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass (for other processes
    to make progress, never for the clock to move: tests move the clock themselves)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def process_env(database: str, smtp: SmtpPeer | None, **extra: str) -> dict[str, str]:
    """Environment for a `python -m retainops.cli ...` subprocess: this database, this SMTP
    (None: no SMTP server, for a test that sends only webhooks, whose URLs are in the rows)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database,
        DJANGO_SETTINGS_MODULE="retainops.settings",
        LOG_LEVEL="WARNING",
        PYTHONWARNINGS="ignore",
    )
    if smtp is not None:
        env.update(EMAIL_HOST=smtp.host, EMAIL_PORT=str(smtp.port))
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path, poll: float = 0.1) -> subprocess.Popen[bytes]:
    """`retainops worker` as a real process (so it can be killed), output to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "retainops.cli", "worker", "--poll", str(poll)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def run_tick(env: dict[str, str], at: str) -> subprocess.CompletedProcess[str]:
    """`retainops tick --at <at>` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "retainops.cli", "tick", "--at", at],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
