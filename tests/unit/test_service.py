"""The watch daemon's socket, with a fake handler: who may connect, bounded and timed requests, what a client makes
of a daemon that is absent, stale, slow or busy."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.watch import service
from archivist.watch.service import Server, Unavailable, connect, exchange


@pytest.fixture
def sock_path(tmp_path: Path) -> Path:
    return tmp_path / "d.sock"


@pytest.fixture
def serve(sock_path: Path) -> Iterator:
    servers: list[Server] = []

    def start(handle, **options) -> Server:  # noqa: ANN001
        server = Server(sock_path, handle, **options)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def echo_handler(request: dict, send) -> None:  # noqa: ANN001
    send({"event": "token", "text": "a"})
    send({"event": "done", "stdout": f"you asked {request['q']}"})


def test_a_request_gets_its_events_then_the_final_answer(serve, sock_path: Path) -> None:
    serve(echo_handler)
    seen: list[dict] = []
    final = exchange(connect(sock_path), {"q": "ports"}, on_event=seen.append, timeout=5)
    assert seen == [{"event": "token", "text": "a"}]
    assert final == {"event": "done", "stdout": "you asked ports"}


def test_the_socket_is_private_and_removed_when_the_daemon_stops(serve, sock_path: Path) -> None:
    server = serve(echo_handler)
    mode = sock_path.stat().st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    server.stop()
    assert not sock_path.exists()


def test_another_users_process_is_dropped_unanswered(serve, sock_path: Path) -> None:
    called = []
    serve(lambda request, send: called.append(request), uid=os.getuid() + 1)  # as if we were someone else
    with pytest.raises(Unavailable):  # closed, or reset: the request was never read
        exchange(connect(sock_path), {"q": "x"}, on_event=print, timeout=5)
    assert called == []


def test_a_client_does_not_talk_to_a_socket_of_another_user(serve, sock_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    serve(echo_handler)
    monkeypatch.setattr(service, "peer_uid", lambda sock: os.getuid() + 1)
    with pytest.raises(Unavailable, match="another user"):
        connect(sock_path)


def test_no_socket_means_no_daemon(sock_path: Path) -> None:
    assert connect(sock_path) is None


def test_a_stale_socket_is_reported_not_waited_on(sock_path: Path) -> None:
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(sock_path))  # the file of a daemon that was killed: nothing listens
    dead.close()
    with pytest.raises(Unavailable, match="stale"):
        connect(sock_path)


def test_a_new_daemon_replaces_a_stale_socket(serve, sock_path: Path) -> None:
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(sock_path))
    dead.close()
    serve(echo_handler)
    assert exchange(connect(sock_path), {"q": "x"}, on_event=print, timeout=5)["event"] == "done"


def test_an_oversized_request_is_refused(serve, sock_path: Path) -> None:
    serve(echo_handler, max_request=1024)
    final = exchange(connect(sock_path), {"q": "x" * 5000}, on_event=print, timeout=5)
    assert final["event"] == "unserved" and "larger than 1024" in final["reason"]


def test_a_request_must_arrive_in_time(serve, sock_path: Path) -> None:
    serve(echo_handler, request_timeout=0.2)
    sock = connect(sock_path)
    assert sock is not None
    with sock:
        sock.settimeout(5)
        sock.sendall(b'{"q": "never fin')  # and then nothing
        answer = sock.makefile("rb").readline()
    assert b"timed out" in answer


def test_a_request_that_is_not_a_json_object_is_refused(serve, sock_path: Path) -> None:
    serve(echo_handler)
    sock = connect(sock_path)
    assert sock is not None
    with sock:
        sock.settimeout(5)
        sock.sendall(b"[1, 2]\n")
        assert b"not a JSON object" in sock.makefile("rb").readline()


def test_a_daemon_that_does_not_answer_in_time_is_given_up(serve, sock_path: Path) -> None:
    release = threading.Event()
    serve(lambda request, send: release.wait(10))
    try:
        with pytest.raises(Unavailable, match="did not answer within"):
            exchange(connect(sock_path), {"q": "x"}, on_event=print, timeout=0.3)
    finally:
        release.set()


@pytest.mark.parametrize("late", [False, True], ids=["request-written", "daemon-closed-first"])
def test_a_busy_daemon_says_so(serve, sock_path: Path, late: bool) -> None:
    """Also when the daemon answered "busy" and closed before the request was written (EPIPE on writing it)."""
    release, started = threading.Event(), threading.Event()

    def slow(request: dict, send) -> None:  # noqa: ANN001
        started.set()
        release.wait(10)
        send({"event": "done", "stdout": ""})

    serve(slow, max_clients=1)
    first = threading.Thread(target=exchange, args=(connect(sock_path), {"q": 1}),
                             kwargs={"on_event": print, "timeout": 10})
    first.start()
    try:
        assert started.wait(5)
        second = connect(sock_path)
        if late:
            time.sleep(0.5)  # refused and closed by now: the (large) request meets a closed socket
        final = exchange(second, {"q": 2, "pad": "x" * (300_000 if late else 1)}, on_event=print, timeout=5)
        assert final == {"event": "unserved", "reason": "the watch daemon is busy"}
    finally:
        release.set()
        first.join()


def test_a_request_carries_settings_variables_but_never_the_passphrase() -> None:
    env = {"ARCHIVIST_PASSPHRASE": "s", "ARCHIVIST_PASSPHRASE_FILE": "/f", "ARCHIVIST_NO_DAEMON": "1",
           "ARCHIVIST_PROFILE": "ops", "ARCHIVIST_RETRIEVAL__TOP_K": "3", "HOME": "/h"}
    assert service.settings_environment(env) == {"ARCHIVIST_RETRIEVAL__TOP_K": "3"}
