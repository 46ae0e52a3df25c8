"""Interop: Debian's stomp.py (python3-stomp 8.0.0) against bin/stompbox over
plain TCP, for STOMP 1.0, 1.1 and 1.2.

    /usr/bin/python3 -m unittest discover -s test/interop/python -v

Each test class runs its own server on ephemeral loopback ports and stops it
with SIGTERM at the end, expecting exit code 0; each test uses its own
destinations. Cases a version does not have (NACK, client-individual and
header escaping in 1.0) are skipped for that version.
"""

import json
import unittest

from stompbox_harness import Client, Server, describe, unique

KOREAN = "안녕하세요."


class _Cases:
    """The cases, run once per STOMP version by the classes at the end."""

    VERSION = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError("stompbox exited with %r after SIGTERM, not 0; stderr tail:\n%s"
                                 % (code, cls.server.log_tail(30)))

    # --- helpers

    def client(self, name="client"):
        return Client(self, self.server, self.VERSION, name)

    def connected(self, name="client"):
        c = self.client(name)
        c.connect()
        return c

    def dest(self, kind):
        return "/%s/%s.%s" % (kind, unique(self._testMethodName), self.VERSION)

    def requires(self, version, what):
        if self.VERSION < version:
            self.skipTest("%s is STOMP %s+" % (what, version))

    def bodies(self, frames):
        return [f.body for f in frames]

    # --- connect and disconnect

    def test_connect_and_disconnect_with_receipt(self):
        # stomp.py sends CONNECT for 1.0 and STOMP for 1.1/1.2 unless told.
        for command in (["CONNECT"] if self.VERSION == "1.0" else ["STOMP", "CONNECT"]):
            with self.subTest(command=command):
                c = self.client(command)
                connected = c.connect(with_connect_command=command == "CONNECT")
                h = connected.headers
                self.assertEqual(connected.cmd, "CONNECTED")
                self.assertEqual(h.get("version"), self.VERSION, describe("connected", connected))
                self.assertTrue(h.get("session"), "CONNECTED without session: %s" % describe("connected", connected))
                self.assertTrue(h.get("server"), "CONNECTED without server: %s" % describe("connected", connected))
                if self.VERSION >= "1.1":
                    parts = h.get("heart-beat", "").split(",")
                    self.assertTrue(len(parts) == 2 and all(p.strip().isdigit() for p in parts),
                                    "CONNECTED heart-beat must be \"sx,sy\": %s" % describe("connected", connected))
                receipt = c.disconnect()
                self.assertEqual(receipt.cmd, "RECEIPT")
                self.assertFalse(c.rec.of("error"), c.rec.seen())

    # --- publish and subscribe

    def test_topic_round_trip_utf8_and_user_header(self):
        dest = self.dest("topic")
        sub = self.connected("subscriber")
        sid = sub.subscribe(dest)
        pub = self.connected("publisher")
        pub.send(dest, KOREAN, headers={"x-greeting": "hello", "x-name": "홍길동"})
        m = sub.wait_messages(1, dest)[0]
        self.assertEqual(m.body, KOREAN)
        self.assertEqual(m.headers.get("x-greeting"), "hello", describe("message", m))
        self.assertEqual(m.headers.get("x-name"), "홍길동", describe("message", m))
        self.assertEqual(m.headers.get("destination"), dest)
        self.assertEqual(m.headers.get("subscription"), sid, describe("message", m))
        self.assertTrue(m.headers.get("message-id"), describe("message", m))
        self.assertEqual(m.headers.get("content-length"), str(len(KOREAN.encode("utf-8"))), describe("message", m))
        pub.disconnect()
        sub.disconnect()

    def test_topic_fans_out_to_every_subscriber(self):
        dest = self.dest("topic")
        a = self.connected("subscriber-a")
        b = self.connected("subscriber-b")
        a.subscribe(dest)
        b.subscribe(dest)
        pub = self.connected("publisher")
        for i in range(3):
            pub.send(dest, "m%d" % i)
        self.assertEqual(self.bodies(a.wait_messages(3, dest)), ["m0", "m1", "m2"])
        self.assertEqual(self.bodies(b.wait_messages(3, dest)), ["m0", "m1", "m2"])
        a.assert_quiet(lambda: len(a.messages(dest)) > 3, "extra MESSAGE")
        self.assertEqual(len(b.messages(dest)), 3, b.rec.seen())

    def test_body_with_nul_byte(self):
        dest = self.dest("topic")
        sub = self.connected("subscriber")
        sub.subscribe(dest)
        pub = self.connected("publisher")
        body = "before\x00after " + KOREAN
        pub.send(dest, body)
        m = sub.wait_messages(1, dest)[0]
        self.assertEqual(m.body, body)

    def test_large_body(self):
        # About 300 KB: many reads on both sides (stomp.py reads 1 KB at a time).
        dest = self.dest("topic")
        sub = self.connected("subscriber")
        sub.subscribe(dest)
        pub = self.connected("publisher")
        body = "".join("%06d %s\n" % (i, KOREAN) for i in range(13000))
        pub.send(dest, body)
        pub.send(dest, "small")
        big, small = sub.wait_messages(2, dest)
        self.assertEqual(len(big.body), len(body))
        self.assertTrue(big.body == body, "the large body differs")
        self.assertEqual(big.headers.get("content-length"), str(len(body.encode("utf-8"))))
        self.assertEqual(small.body, "small")

    def test_header_escaping(self):
        dest = self.dest("topic")
        sub = self.connected("subscriber")
        sub.subscribe(dest)
        pub = self.connected("publisher")
        if self.VERSION == "1.0":
            # STOMP 1.0 has no escaping: a ':' in a value passes as it is
            # (only the first ':' separates name and value); '\n' cannot.
            value = "a:b:c http://example.com/x?y=z"
            wire = value.encode()
        else:
            # A real newline, colons, and backslashes followed by 'n' and
            # 'c': unescaped wrongly, those would turn into '\n' and ':'.
            value = "a:b\nline two C:\\new\\cat 고길동"
            wire = "a\\cb\\nline two C\\c\\\\new\\\\cat 고길동".encode()
        pub.send(dest, "escaped", headers={"x-odd": value})
        m = sub.wait_messages(1, dest)[0]
        self.assertEqual(m.headers.get("x-odd"), value, describe("message", m))
        self.assertEqual(m.body, "escaped")
        raw = sub.raw_messages()[0]
        self.assertIn(b"\nx-odd:" + wire + b"\n", raw, "MESSAGE as received: %r" % raw)

    def test_unsubscribe_stops_delivery(self):
        dest = self.dest("topic")
        sub = self.connected("subscriber")
        sid = sub.subscribe(dest)
        pub = self.connected("publisher")
        pub.send(dest, "before")
        sub.wait_body("before", dest)
        sub.unsubscribe(sid)
        # A second subscription on another connection proves the next
        # message was published; the unsubscribed one must not get it.
        witness = self.connected("witness")
        witness.subscribe(dest)
        pub.send(dest, "after")
        witness.wait_body("after", dest)
        sub.assert_quiet(lambda: len(sub.messages(dest)) > 1, "MESSAGE after UNSUBSCRIBE")
        self.assertEqual(self.bodies(sub.messages(dest)), ["before"])
        sub.disconnect()

    def test_app_chat_republishes_to_topic_chat(self):
        # /topic/chat is shared by the chat app; only this test uses it in
        # this class's server.
        sub = self.connected("subscriber")
        sub.subscribe("/topic/chat")
        pub = self.connected("publisher")
        msg = {"name": "홍길동", "content": KOREAN}
        pub.send("/app/chat", json.dumps(msg, ensure_ascii=False), headers={"content-type": "application/json"})
        m = sub.wait_messages(1, "/topic/chat")[0]
        self.assertEqual(json.loads(m.body), msg, describe("message", m))

    # --- the chat application (docs/chat-protocol.md)

    def named(self, name, passcode):
        c = self.client(name)
        c.connect(login=name, passcode=passcode)
        return c

    def test_chat_line_is_stamped_with_the_session_name(self):
        room = unique("room")
        name = unique("홍길동")
        c = self.named(name, unique("secret"))
        topic = "/topic/rooms." + room
        c.subscribe(topic)
        body = {"content": KOREAN, "name": "고길동", "id": 99}
        c.send("/app/rooms/%s/chat" % room, json.dumps(body, ensure_ascii=False),
               headers={"content-type": "application/json", "client-id": unique("c")}, receipt=True)
        m = c.wait_messages(1, topic)[0]
        line = json.loads(m.body)
        self.assertEqual((line["name"], line["content"], line["id"], line["room"]), (name, KOREAN, 1, room),
                         describe("line", m))
        # The stored history answers a SUBSCRIBE to /app/rooms/{room}/history.
        hist = "/app/rooms/%s/history" % room
        sid = c.subscribe(hist)
        page = json.loads(c.wait_messages(1, subscription=sid)[0].body)
        self.assertEqual([l["content"] for l in page], [KOREAN])
        c.unsubscribe(sid)

    def test_claimed_name_needs_its_passcode(self):
        name = unique("또치")
        self.named(name, "right-secret")
        thief = self.client("thief")
        thief.conn.connect(wait=False, headers={"login": name, "passcode": "wrong-secret"})
        err = thief.wait_error()
        self.assertEqual(err.headers.get("message"), "access denied", describe("error", err))
        self.assertIn("claimed by someone else", err.body)

    def test_send_to_a_topic_the_application_owns_is_refused(self):
        c = self.connected("intruder")
        c.conn.send("/topic/chat", "this is not json")
        err = c.wait_error()
        self.assertEqual(err.headers.get("message"), "access denied", describe("error", err))
        self.assertIn("/topic/chat", err.body)

    # --- queues

    def test_queue_competing_consumers(self):
        dest = self.dest("queue")
        a = self.connected("consumer-a")
        b = self.connected("consumer-b")
        a.subscribe(dest)
        b.subscribe(dest)
        pub = self.connected("producer")
        sent = ["q%d" % i for i in range(10)]
        for body in sent:
            pub.send(dest, body)
        a.wait_for(lambda: len(a.messages(dest)) + len(b.messages(dest)) >= 10,
                   "10 MESSAGE frames between the two consumers (b saw:\n%s\n)" % b.rec.seen())
        a.assert_quiet(lambda: len(a.messages(dest)) + len(b.messages(dest)) > 10, "MESSAGE beyond the 10 sent")
        got_a, got_b = self.bodies(a.messages(dest)), self.bodies(b.messages(dest))
        self.assertTrue(got_a and got_b, "each consumer should get some: a=%r b=%r" % (got_a, got_b))
        self.assertEqual(sorted(got_a + got_b), sorted(sent), "a=%r b=%r" % (got_a, got_b))
        # Each consumer sees its share in the order sent.
        self.assertEqual(got_a, sorted(got_a, key=sent.index))
        self.assertEqual(got_b, sorted(got_b, key=sent.index))

    def test_queue_ack_auto_nothing_to_ack(self):
        dest = self.dest("queue")
        a = self.connected("consumer-a")
        a.subscribe(dest, ack="auto")
        pub = self.connected("producer")
        pub.send(dest, "one")
        pub.send(dest, "two")
        self.assertEqual(self.bodies(a.wait_messages(2, dest)), ["one", "two"])
        b = self.connected("consumer-b")
        b.subscribe(dest, ack="auto")
        a.disconnect()
        # auto: delivered means acknowledged, so nothing is redelivered.
        b.assert_quiet(lambda: b.messages(dest), "redelivery of an auto-acked message")
        pub.send(dest, "three")
        self.assertEqual(b.wait_messages(1, dest)[0].body, "three")

    def test_queue_ack_client_individual_and_nack(self):
        self.requires("1.1", "ack:client-individual and NACK")
        dest = self.dest("queue")
        a = self.connected("consumer-a")
        a.subscribe(dest, ack="client-individual")
        pub = self.connected("producer")
        for body in ("m1", "m2", "m3"):
            pub.send(dest, body)
        m1, m2, m3 = a.wait_messages(3, dest)
        self.assertEqual(self.bodies([m1, m2, m3]), ["m1", "m2", "m3"])
        for m in (m1, m2, m3):
            if self.VERSION == "1.2":
                self.assertTrue(m.headers.get("ack"), "1.2 MESSAGE needs an ack header: %s" % describe("message", m))
            self.assertNotEqual(m.headers.get("redelivered"), "true", describe("message", m))
        b = self.connected("consumer-b")
        b.subscribe(dest, ack="client-individual")
        a.ack(m1)
        a.nack(m2)
        a.ack(m3)
        r = b.wait_messages(1, dest)[0]
        self.assertEqual(r.body, "m2", "the NACKed message goes to the other subscriber")
        self.assertEqual(r.headers.get("redelivered"), "true", describe("message", r))
        b.ack(r)
        a.assert_quiet(lambda: len(a.messages(dest)) > 3, "MESSAGE to the NACKing subscriber")
        # m1 and m3 were acked: A leaving redelivers nothing.
        a.disconnect()
        b.assert_quiet(lambda: len(b.messages(dest)) > 1, "redelivery of an acked message")
        b.disconnect()

    def test_queue_ack_client_is_cumulative(self):
        dest = self.dest("queue")
        a = self.connected("consumer-a")
        a.subscribe(dest, ack="client")
        pub = self.connected("producer")
        for body in ("m1", "m2", "m3", "m4"):
            pub.send(dest, body)
        msgs = a.wait_messages(4, dest)
        self.assertEqual(self.bodies(msgs), ["m1", "m2", "m3", "m4"])
        b = self.connected("consumer-b")
        b.subscribe(dest, ack="client")
        a.ack(msgs[2])  # acks m1, m2 and m3
        a.disconnect()
        r = b.wait_messages(1, dest)[0]
        self.assertEqual(r.body, "m4", "only the unacked m4 is redelivered")
        self.assertEqual(r.headers.get("redelivered"), "true", describe("message", r))
        b.assert_quiet(lambda: len(b.messages(dest)) > 1, "redelivery of a cumulatively acked message")
        b.ack(r)
        b.disconnect()

    def test_queue_unacked_is_held_until_a_subscriber_comes(self):
        dest = self.dest("queue")
        a = self.connected("consumer-a")
        a.subscribe(dest, ack="client")
        pub = self.connected("producer")
        pub.send(dest, "held")
        a.wait_messages(1, dest)
        a.disconnect()
        b = self.connected("consumer-b")
        b.subscribe(dest, ack="client")
        r = b.wait_messages(1, dest)[0]
        self.assertEqual(r.body, "held")
        self.assertEqual(r.headers.get("redelivered"), "true", describe("message", r))
        b.ack(r)

    def test_ack_of_unknown_id_is_an_error(self):
        dest = self.dest("queue")
        c = self.connected()
        c.subscribe(dest, ack="client-individual" if self.VERSION >= "1.1" else "client")
        if self.VERSION == "1.2":
            c.conn.ack("no-such-ack-id")
        elif self.VERSION == "1.1":
            c.conn.ack("no-such-message-id", "no-such-subscription")
        else:
            c.conn.ack("no-such-message-id")
        err = c.wait_error()
        self.assertTrue(err.headers.get("message"), "ERROR without message header: %s" % describe("error", err))
        c.wait_disconnected()

    # --- transactions

    def test_transaction_commit(self):
        dest = self.dest("topic")
        sub = self.connected("subscriber")
        sub.subscribe(dest)
        pub = self.connected("publisher")
        tx = pub.begin()
        pub.send(dest, "tx-1", transaction=tx)
        pub.send(dest, "tx-2", transaction=tx, receipt=True)
        # A message outside the transaction, sent after, arrives first.
        pub.send(dest, "plain")
        sub.wait_body("plain", dest)
        sub.assert_quiet(lambda: len(sub.messages(dest)) > 1, "MESSAGE from an uncommitted transaction")
        self.assertEqual(self.bodies(sub.messages(dest)), ["plain"])
        pub.commit(tx)
        self.assertEqual(self.bodies(sub.wait_messages(3, dest)), ["plain", "tx-1", "tx-2"])
        pub.disconnect()

    def test_transaction_abort(self):
        dest = self.dest("topic")
        sub = self.connected("subscriber")
        sub.subscribe(dest)
        pub = self.connected("publisher")
        tx = pub.begin()
        pub.send(dest, "tx-1", transaction=tx)
        pub.send(dest, "tx-2", transaction=tx)
        pub.abort(tx)
        pub.send(dest, "after-abort")
        sub.wait_body("after-abort", dest)
        sub.assert_quiet(lambda: len(sub.messages(dest)) > 1, "MESSAGE from an aborted transaction")
        self.assertEqual(self.bodies(sub.messages(dest)), ["after-abort"])
        pub.disconnect()

    def test_transaction_dropped_on_disconnect(self):
        dest = self.dest("topic")
        sub = self.connected("subscriber")
        sub.subscribe(dest)
        pub = self.connected("publisher")
        tx = pub.begin()
        pub.send(dest, "tx-1", transaction=tx, receipt=True)
        pub.disconnect()  # an open transaction is aborted
        other = self.connected("publisher-2")
        other.send(dest, "fence")
        sub.wait_body("fence", dest)
        sub.assert_quiet(lambda: len(sub.messages(dest)) > 1, "MESSAGE from a transaction left open at DISCONNECT")
        self.assertEqual(self.bodies(sub.messages(dest)), ["fence"])

    def test_transaction_ack_takes_effect_on_commit_only(self):
        dest = self.dest("queue")
        mode = "client-individual" if self.VERSION >= "1.1" else "client"
        a = self.connected("consumer-a")
        a.subscribe(dest, ack=mode)
        pub = self.connected("producer")
        pub.send(dest, "m1")
        pub.send(dest, "m2")
        m1, m2 = a.wait_messages(2, dest)
        self.assertEqual(self.bodies([m1, m2]), ["m1", "m2"])
        # Aborted: the ACK of m2 never happened (in 1.0's client mode
        # it would have acked m1 too).
        t1 = a.begin()
        a.ack(m2, transaction=t1)
        a.abort(t1)
        # Committed: m1 is acked.
        t2 = a.begin()
        a.ack(m1, transaction=t2)
        a.commit(t2)
        b = self.connected("consumer-b")
        b.subscribe(dest, ack=mode)
        a.disconnect()
        r = b.wait_messages(1, dest)[0]
        self.assertEqual(r.body, "m2", "the message whose ACK was aborted is redelivered")
        self.assertEqual(r.headers.get("redelivered"), "true", describe("message", r))
        b.assert_quiet(lambda: len(b.messages(dest)) > 1, "redelivery of the message acked in a committed transaction")
        b.ack(r)

    def test_transaction_ack_not_applied_before_commit(self):
        dest = self.dest("queue")
        mode = "client-individual" if self.VERSION >= "1.1" else "client"
        a = self.connected("consumer-a")
        a.subscribe(dest, ack=mode)
        pub = self.connected("producer")
        pub.send(dest, "m1")
        m1 = a.wait_messages(1, dest)[0]
        tx = a.begin()
        a.ack(m1, transaction=tx)
        b = self.connected("consumer-b")
        b.subscribe(dest, ack=mode)
        # Leaving with the transaction open drops it: m1 was never acked.
        a.disconnect()
        r = b.wait_messages(1, dest)[0]
        self.assertEqual(r.body, "m1")
        self.assertEqual(r.headers.get("redelivered"), "true", describe("message", r))
        b.ack(r)

    # --- errors

    def test_send_to_unknown_destination_is_an_error(self):
        c = self.connected()
        rid = unique("rcpt-nowhere")
        c.conn.send("/nowhere", "lost", receipt=rid)
        err = c.wait_error()
        self.assertEqual(err.cmd, "ERROR")
        self.assertTrue(err.headers.get("message"), "ERROR without message header: %s" % describe("error", err))
        # The ERROR names the frame it answers (STOMP 1.2: SHOULD).
        self.assertEqual(err.headers.get("receipt-id"), rid, describe("error", err))
        c.wait_disconnected()
        self.assertFalse(c.conn.is_connected())
        self.assertFalse(c.rec.of("receipt"), "a refused frame gets no RECEIPT: %s" % c.rec.seen())


class TestStompPy10(_Cases, unittest.TestCase):
    VERSION = "1.0"


class TestStompPy11(_Cases, unittest.TestCase):
    VERSION = "1.1"


class TestStompPy12(_Cases, unittest.TestCase):
    VERSION = "1.2"


if __name__ == "__main__":
    unittest.main()
