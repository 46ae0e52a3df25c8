"""Helpers for the stomp.py interop tests: run bin/stompbox, drive stomp.py
connections and wait for frames with a bound.

Run with Debian's Python, which sees the python3-stomp package:

    /usr/bin/python3 -m unittest discover -s test/interop/python -v

Every wait is bounded (WAIT seconds) and fails with what was seen.
"""

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

try:
    import stomp
    from stomp.listener import ConnectionListener
except ImportError as e:  # e.g. a pyenv or venv python3 that cannot see Debian's packages
    raise ImportError("%s: run these tests with Debian's /usr/bin/python3 after "
                      "`apt-get install python3-stomp` (make deps)" % e) from e

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(os.environ.get("STOMPBOX_BIN", ROOT / "bin" / "stompbox"))

WAIT = 10.0  # seconds: the bound on every wait for something expected
QUIET = 0.3  # seconds: how long "nothing more arrives" is checked

_STOMP_LINE = re.compile(r'msg="listening for STOMP over TCP".*?\baddr=(\S+)')

CONNECTIONS = {
    "1.0": stomp.Connection10,
    "1.1": stomp.Connection11,
    "1.2": stomp.Connection12,
}


def unique(prefix):
    """A destination or id nobody else uses."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


class Server:
    """bin/stompbox on ephemeral loopback ports, its stderr collected."""

    def __init__(self):
        self.proc = None
        self.lines = []
        self.addr = None
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._reader = None

    def start(self):
        # The chat's SQLite history goes to a directory of this server's own.
        self._data = tempfile.TemporaryDirectory(prefix="stompbox-interop-")
        if not BIN.exists():
            raise RuntimeError("%s not found: build it first (make build, or go build -o bin/stompbox ./cmd/stompbox)" % BIN)
        self.proc = subprocess.Popen(
            [str(BIN), "-addr", "127.0.0.1:0", "-stomp-addr", "127.0.0.1:0", "-data", self._data.name],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._listening.wait(WAIT) or self.addr is None:
            code = self.proc.poll()
            self.proc.kill()
            self.proc.wait(WAIT)
            raise RuntimeError("stompbox did not log its STOMP address within %ss (exit code %r); stderr:\n%s"
                               % (WAIT, code, self.log_tail(50)))
        host, _, port = self.addr.rpartition(":")
        self.host_and_port = (host, int(port))
        return self

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.lines.append(line)
            if self.addr is None:
                m = _STOMP_LINE.search(line)
                if m:
                    self.addr = m.group(1)
                    self._listening.set()
        self._listening.set()  # the process ended: stop waiting

    def log_tail(self, n=20):
        with self._lock:
            return "\n".join(self.lines[-n:])

    def stop(self):
        """SIGTERM, then the exit code (None if it did not exit in time)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(WAIT + 5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(WAIT)
            return None
        if self._reader is not None:
            self._reader.join(WAIT)
        return code


def describe(kind, f):
    """One line for a frame seen, for failure messages."""
    if f is None:
        return kind
    body = f.body
    if isinstance(body, (bytes, str)) and len(body) > 80:
        body = body[:80] + "..."
    return "%s %r body=%r" % (f.cmd, dict(f.headers), body)


class Recorder(ConnectionListener):
    """Records every frame and event of one connection, in order (RECEIPT
    frames are added by Client, see there)."""

    def __init__(self, cond):
        self.cond = cond
        self.events = []  # (kind, frame or None)

    def _add(self, kind, frame=None):
        with self.cond:
            self.events.append((kind, frame))
            self.cond.notify_all()

    def on_connected(self, frame):
        self._add("connected", frame)

    def on_message(self, frame):
        self._add("message", frame)

    def on_error(self, frame):
        self._add("error", frame)

    def on_disconnected(self):
        self._add("disconnected")

    def of(self, kind):
        with self.cond:
            return [f for k, f in self.events if k == kind]

    def seen(self):
        with self.cond:
            return "\n".join("  " + describe(k, f) for k, f in self.events) or "  (nothing)"


class Client:
    """One stomp.py connection of a given STOMP version, with bounded waits."""

    def __init__(self, test, server, version, name="client"):
        self.test = test
        self.server = server
        self.version = version
        self.name = name
        # One condition for all the clients of a test, so that a wait on one
        # client for something about several wakes on any of their frames.
        if not hasattr(test, "_stomp_cond"):
            test._stomp_cond = threading.Condition()
        self.rec = Recorder(test._stomp_cond)
        self.conn = CONNECTIONS[version](
            [server.host_and_port], reconnect_attempts_max=1, auto_content_length=True)
        self.conn.set_listener("recorder", self.rec)
        # Keep every frame's bytes as received (stomp.py unescapes headers
        # for every version, so only the raw bytes show what was sent).
        self.raw = []
        transport = self.conn.transport
        process = transport.process_frame

        def process_frame(f, frame_bytes):
            with self.rec.cond:
                self.raw.append(bytes(frame_bytes))
                # A RECEIPT is recorded here, not in a listener: for the
                # DISCONNECT receipt stomp.py closes the socket and reports
                # "disconnected" before it calls on_receipt.
                if f.cmd == "RECEIPT":
                    self.rec._add("receipt", f)
            process(f, frame_bytes)
        transport.process_frame = process_frame
        test.addCleanup(self.close)

    # --- waiting

    def wait_for(self, pred, what, timeout=WAIT, until_closed=False):
        """Waits until pred() is true; fails with what this client saw.

        An ERROR frame or the connection closing ends the wait at once
        (nothing more can come), unless until_closed is set.
        """
        deadline = time.monotonic() + timeout
        why = "within %ss" % timeout
        with self.rec.cond:
            while True:
                v = pred()
                if v:
                    return v
                if not until_closed and any(k in ("error", "disconnected") for k, _ in self.rec.events):
                    why = "before the connection ended"
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.rec.cond.wait(left)
        self.test.fail("%s (STOMP %s): no %s %s; it saw:\n%s\nserver log (tail):\n%s"
                       % (self.name, self.version, what, why, self.rec.seen(), self.server.log_tail(8)))

    def connect(self, with_connect_command=False, **headers):
        """STOMP (1.1/1.2; stomp.py's default) or CONNECT, and wait for CONNECTED."""
        kw = {"with_connect_command": True} if with_connect_command and self.version != "1.0" else {}
        self.conn.connect(wait=False, headers=headers, **kw)
        self.wait_for(lambda: self.rec.of("connected"), "CONNECTED")
        return self.rec.of("connected")[0]

    def receipt(self, rid):
        """Waits for RECEIPT receipt-id:rid and returns it."""
        def found():
            for f in self.rec.of("receipt"):
                if f.headers.get("receipt-id") == rid:
                    return f
            return None
        return self.wait_for(found, "RECEIPT receipt-id:%s" % rid)

    def messages(self, destination=None, subscription=None):
        out = []
        for f in self.rec.of("message"):
            if destination is not None and f.headers.get("destination") != destination:
                continue
            if subscription is not None and f.headers.get("subscription") != subscription:
                continue
            out.append(f)
        return out

    def wait_messages(self, n, destination=None, subscription=None):
        """Waits until at least n MESSAGE frames (filtered) arrived; returns all of them."""
        where = " to %s" % destination if destination else ""
        where += " on subscription %s" % subscription if subscription else ""
        return self.wait_for(lambda: (lambda m: m if len(m) >= n else None)(self.messages(destination, subscription)),
                             "%d MESSAGE frame(s)%s" % (n, where))

    def wait_body(self, body, destination=None):
        """Waits for a MESSAGE with that body and returns it."""
        def found():
            for f in self.messages(destination):
                if f.body == body:
                    return f
            return None
        return self.wait_for(found, "MESSAGE with body %r" % (body,))

    def raw_messages(self):
        with self.rec.cond:
            return [r for r in self.raw if r.startswith(b"MESSAGE")]

    def wait_error(self):
        return self.wait_for(lambda: (self.rec.of("error") or [None])[0], "ERROR frame", until_closed=True)

    def wait_disconnected(self):
        return self.wait_for(lambda: self.rec.of("disconnected"), "connection close", until_closed=True)

    # --- frames

    def subscribe(self, destination, ack="auto", sid=None):
        """SUBSCRIBE with a receipt, and wait for it: the subscription is live after this."""
        sid = sid or unique("sub")
        rid = unique("rcpt-sub")
        self.conn.subscribe(destination, id=sid, ack=ack, receipt=rid)
        self.receipt(rid)
        return sid

    def unsubscribe(self, sid):
        rid = unique("rcpt-unsub")
        self.conn.unsubscribe(id=sid, receipt=rid)
        self.receipt(rid)

    def send(self, destination, body, headers=None, transaction=None, receipt=False):
        """SEND; with receipt=True, waits for the RECEIPT (the server has acted on it)."""
        kw = {}
        if transaction is not None:
            kw["transaction"] = transaction
        rid = None
        if receipt:
            rid = unique("rcpt-send")
            kw["receipt"] = rid
        self.conn.send(destination, body, headers=dict(headers or {}), **kw)
        if rid:
            self.receipt(rid)

    def _ack_args(self, msg):
        h = msg.headers
        if self.version == "1.2":
            self.test.assertIn("ack", h, "STOMP 1.2 MESSAGE from a client/client-individual subscription must carry an ack header: %s"
                               % describe("message", msg))
            return (h["ack"],)
        if self.version == "1.1":
            return (h["message-id"], h["subscription"])
        return (h["message-id"],)

    def ack(self, msg, transaction=None, receipt=True):
        """ACK msg the way this version addresses it (1.2: ack header; 1.1: message-id + subscription; 1.0: message-id)."""
        rid = unique("rcpt-ack") if receipt else None
        self.conn.ack(*self._ack_args(msg), transaction=transaction, receipt=rid)
        if rid:
            self.receipt(rid)

    def nack(self, msg, transaction=None, receipt=True):
        assert self.version != "1.0", "NACK is STOMP 1.1+"
        rid = unique("rcpt-nack") if receipt else None
        self.conn.nack(*self._ack_args(msg), transaction=transaction, receipt=rid)
        if rid:
            self.receipt(rid)

    def begin(self):
        tx = unique("tx")
        rid = unique("rcpt-begin")
        self.conn.begin(tx, receipt=rid)
        self.receipt(rid)
        return tx

    def commit(self, tx):
        rid = unique("rcpt-commit")
        self.conn.commit(tx, receipt=rid)
        self.receipt(rid)

    def abort(self, tx):
        rid = unique("rcpt-abort")
        self.conn.abort(tx, receipt=rid)
        self.receipt(rid)

    def disconnect(self):
        """DISCONNECT with a receipt: waits for the RECEIPT and for the server to close."""
        rid = unique("rcpt-disconnect")
        # stomp.py's disconnect(receipt=...) blocks until its reader ends;
        # run it aside so that the wait stays bounded.
        t = threading.Thread(target=self.conn.disconnect, kwargs={"receipt": rid}, daemon=True)
        t.start()
        r = self.receipt(rid)
        self.wait_disconnected()
        t.join(WAIT)
        self.test.assertFalse(t.is_alive(), "%s: stomp.py's disconnect did not return" % self.name)
        return r

    def close(self):
        """Cleanup: drop the socket if the test left it open."""
        try:
            if self.conn.transport.socket is not None:
                self.conn.transport.disconnect_socket()
        except Exception:
            pass

    def assert_quiet(self, pred, what):
        """The bounded "nothing more arrives" check: pred() stays false for QUIET seconds."""
        deadline = time.monotonic() + QUIET
        with self.rec.cond:
            while True:
                if pred():
                    self.test.fail("%s (STOMP %s): unexpected %s; it saw:\n%s"
                                   % (self.name, self.version, what, self.rec.seen()))
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.rec.cond.wait(left)
