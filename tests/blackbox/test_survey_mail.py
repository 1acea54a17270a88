"""The e-mail survey end to end: the real lotsd, the real lots-worker and a real
SMTP server (Debian's python3-aiosmtpd on loopback, in this process), the
clock moved with LOTSBOK_NOW (docs/surveys.md).

1. Without --smtp-url the worker schedules the calls and mails nothing.
2. With it, each due call is mailed once: the mail is parsed with Python's
   email package (headers, RFC 2047 subject, both parts, the link); a 451
   twice is retried and then delivered once; a 550 is a bounce (the call is
   due today, the address marked).
3. Reminders on the 3rd, 6th and 9th working day; an answer through the link
   (HTTP, the form as a browser posts it) makes the call done by e-mail and
   moves the indicators; a call the lots makes stops the link; three
   reminders unanswered and the call is on the lots's list on day 12.
4. The worker SIGKILLed again and again while it mails: no call gets two
   different mails, none more than one duplicate (same Message-ID, Date and
   text), none is lost.
5. --smtp-credentials refused unless the file is mode 0600.
No token or address reaches a log line or an event.
"""

import asyncio
import email
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from email import policy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd, free_port  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

WORKER = os.path.join(BUILD_DIR, "lots-worker")
FROM = "Företagslotsen, Norrtälje kommun <foretagslots@norrtalje.se>"
# Monday 30 November 2026; the calls of cases closed on 16 November are due.
DAYS = {0: "2026-11-30", 3: "2026-12-03", 6: "2026-12-08", 9: "2026-12-11", 12: "2026-12-16"}


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what)


def wait_for(cond, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Box:
    """The SMTP server's mailbox: every DATA with its recipient; rules per
    recipient: a list of replies to give to RCPT before accepting."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mails = []
        self.rules = {}
        self.refused = []
        self.delay = 0.0
        self.in_data = 0  # DATA commands received (before any delay)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            rule = self.rules.get(address)
            if rule:
                reply = rule[0] if len(rule) == 1 else rule.pop(0)
                if not reply.startswith("2"):
                    self.refused.append((address, reply[:3]))
                    return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.in_data += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.mails.append((rcpt, envelope.original_content or envelope.content))
        return "250 OK"

    def to(self, rcpt):
        with self.lock:
            return [email.message_from_bytes(raw, policy=policy.default)
                    for r, raw in self.mails if r == rcpt]


class Worker:
    def __init__(self, d, smtp_port=None, extra=()):
        self.d = d
        self.smtp_port = smtp_port
        self.extra = list(extra)
        self.dir = os.path.join(d.dir, "worker")
        self.log_path = os.path.join(d.dir, "worker.log")
        self.proc = None

    def start(self, now):
        args = [WORKER, "--data", self.dir, "--server", "http://127.0.0.1:%d" % self.d.port,
                "--token-file", os.path.join(self.d.data, "worker.token"), "--sub", self.d.pub,
                "--replay", self.d.replay, "--heartbeat-ms", "200",
                "--indicators-debounce-ms", "50"] + self.extra
        if self.smtp_port:
            args += ["--smtp-url", "smtp://127.0.0.1:%d" % self.smtp_port, "--smtp-from", FROM,
                     "--public-base", "http://127.0.0.1:%d" % self.d.port,
                     "--survey-interval-ms", "100", "--survey-retry-ms", "100"]
        env = dict(self.d.env, LOTSBOK_NOW=now)
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log_path, "ab"))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(timeout=60)
            assert rc == 0, "worker exited %r" % rc
        self.proc = None

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def at(d, w, day, world):
    """lotsd and the worker restarted with the clock on working day `day`
    (and the lots logged in again: sessions last 12 hours)."""
    w.stop()
    now = DAYS[day] + "T08:00:00Z"
    d.restart(env={"LOTSBOK_NOW": now})
    world.lots = d.login("anna.lots", "anna.lots-password")
    w.start(now)


class World:
    def __init__(self, d):
        self.d = d
        self.lots = d.user(d.admin_token(), "anna.lots", "lots")
        self.handler = d.user(d.admin_token(), "bygg.handl", "handler", units=["bygglov"])
        self.svc = d.worker_token()

    def closed_case(self, name, email_addr, unit=False):
        co = self.d.company(self.lots, name=name, contacts=[
            {"name": "Karin Öberg", "role": "VD", "phone": "0176-123 45", "email": email_addr}])
        case = self.d.case(self.lots, co["id"], subject="Utbyggnad av bageriet",
                           opened_at="2026-11-02T09:00:00Z")
        if unit:
            h = self.d.handoff(self.lots, case["id"])
            r = self.d.req("POST", "/api/v1/handoffs/%d/decide" % h["id"],
                           {"decision": "granted", "decided_at": "2026-11-16T09:00:00Z"},
                           token=self.handler)
            assert r.status == 200, r
        r = self.d.req("POST", "/api/v1/cases/%d/close" % case["id"],
                       {"outcome": "resolved", "closed_at": "2026-11-16T10:00:00Z"},
                       token=self.lots)
        assert r.status == 200, r
        return co, case

    def followup_of(self, case_id):
        r = self.d.req("GET", "/api/v1/followups?limit=500", token=self.lots)
        for f in r.json["items"]:
            if any(it["case_id"] == case_id for it in f["items"]):
                return f
        return None

    def events(self):
        out, after = [], 0
        while True:
            r = self.d.req("GET", "/api/v1/events?after=%d&limit=500" % after, token=self.svc)
            out += r.json["items"]
            if len(r.json["items"]) < 500:
                return out
            after = out[-1]["seq"]


def link_of(msg):
    text = msg.get_body(("plain",)).get_content()
    m = re.search(r"(http://127\.0\.0\.1:\d+/enkat/([A-Za-z0-9_-]{43}))\s", text)
    return m.group(1), m.group(2)


def test_story():
    box = Box()
    port = free_port()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        with Lotsd(env={"LOTSBOK_NOW": DAYS[0] + "T08:00:00Z"}) as d:
            story(d, box, port)
    finally:
        ctl.stop()


def story(d, box, port):
    w0 = World(d)
    A = w0.closed_case("Kvarnbackens Bageri AB", "a@example.se", unit=True)
    B = w0.closed_case("Bryggeriet i Hallstavik AB", "b@example.se")
    C = w0.closed_case("Café Strandvägen AB", "c@example.se")
    D = w0.closed_case("Borttappade AB", "gone@example.se")
    box.rules["c@example.se"] = ["451 4.7.1 Try again later", "451 4.7.1 Try again later", "250 OK"]
    box.rules["gone@example.se"] = ["550 5.1.1 No such user"]

    # 1. Without --smtp-url: calls scheduled as today, nothing mailed.
    plain = Worker(d)
    plain.start(DAYS[0] + "T08:00:00Z")
    wait_for(lambda: len((w0.followup_of(A[1]["id"]) or {"items": []})["items"]) == 2,
             "A's call covers the case and the bygglov hand-off")
    wait_for(lambda: all(w0.followup_of(x[1]["id"]) for x in (B, C, D)), "all four calls")
    time.sleep(1.0)
    plain.stop()
    fa = w0.followup_of(A[1]["id"])
    check(not box.mails and fa["survey"] is None and fa["due"] == DAYS[0],
          "without --smtp-url: no mail, the call due today as before")

    # 2. With SMTP.
    w = Worker(d, port)
    w.dir = plain.dir  # the same worker state
    w.start(DAYS[0] + "T08:00:00Z")
    wait_for(lambda: box.to("a@example.se") and box.to("b@example.se") and box.to("c@example.se"),
             "first mails to A, B and C")
    wait_for(lambda: (w0.followup_of(D[1]["id"])["survey"] or {}).get("status") == "bounced",
             "D bounced")
    time.sleep(0.5)
    ma = box.to("a@example.se")
    check(len(ma) == 1 and len(box.to("b@example.se")) == 1, "one mail each")
    check(len(box.to("c@example.se")) == 1 and
          [r for r in box.refused if r[0] == "c@example.se"] == [("c@example.se", "451")] * 2,
          "451 twice: retried, delivered once")
    m = ma[0]
    check(str(m["subject"]) == "Hur var vår service? Några frågor från Norrtälje kommun",
          "subject decoded from RFC 2047: %s" % m["subject"])
    check("=?UTF-8?B?" in m.as_string().split("\n\n")[0], "the raw subject is an encoded-word")
    check(m["to"].addresses[0].display_name == "Karin Öberg" and
          m["to"].addresses[0].addr_spec == "a@example.se", "To: Karin Öberg")
    check(m["from"].addresses[0].display_name == "Företagslotsen, Norrtälje kommun",
          "From: Företagslotsen, Norrtälje kommun")
    check(re.fullmatch(r"<lotsbok\.survey\.\d+\.0\.[0-9a-f]{16}@norrtalje\.se>",
                       m["message-id"]) is not None, "Message-ID: %s" % m["message-id"])
    check(m["date"].datetime.isoformat() == "2026-11-30T09:00:00+01:00", "Date in Stockholm time")
    url, token = link_of(m)
    check(m["list-unsubscribe"] == "<%s/avregistrera>" % url and
          m["list-unsubscribe-post"] == "List-Unsubscribe=One-Click", "List-Unsubscribe one-click")
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",)).get_content()
    check(m.get_content_type() in ("multipart/mixed", "multipart/alternative") and
          html.startswith("<!DOCTYPE html>") and 'lang="sv"' in html, "text and HTML parts")
    check("Norrtälje kommun" in text and "Bygglov" in text and "Företagslotsen" in text and
          A[1]["number"] in text and "Utbyggnad av bageriet" in text, "the mail names the matters")
    check(url in html and url + "/avregistrera" in html and url in text, "the link in both parts")
    fa = w0.followup_of(A[1]["id"])
    check(fa["survey"]["status"] == "sent" and fa["due"] == DAYS[12],
          "A waits for the e-mail answer; its call is due on working day 12")
    fd = w0.followup_of(D[1]["id"])
    comp = d.req("GET", "/api/v1/companies/%d" % D[0]["id"], token=w0.lots).json
    check(fd["due"] == DAYS[0] and fd["status"] == "scheduled" and
          comp["contacts"][0]["email_bounced"] is True, "550: the call is due today, address marked")
    r = d.req("GET", "/enkat/" + token)
    check(r.status == 200 and A[0]["name"] in r.raw, "the link opens the form")

    # 3. Reminder 1 on the 3rd working day; A answers.
    at(d, w, 3, w0)
    wait_for(lambda: len(box.to("b@example.se")) == 2 and len(box.to("a@example.se")) == 2 and
             len(box.to("c@example.se")) == 2, "reminder 1 to A, B and C")
    r1 = box.to("a@example.se")[1]
    check(str(r1["subject"]).startswith("Påminnelse: ") and
          r1["message-id"] != m["message-id"] and ".1." in r1["message-id"],
          "the reminder: its own Message-ID and subject")
    check(link_of(r1)[1] == token and "30 november 2026" in r1.get_body(("plain",)).get_content(),
          "the same link; says when the first mail was sent")
    seq0 = w0.events()[-1]["seq"]
    fields = [("lots.reached_right_person", "5"), ("lots.usefulness", "6"),
              ("lots.easy_contact", "ja"), ("bygglov.nki_overall", "5"),
              ("bygglov.nki_expectations", "4"), ("bygglov.nki_ideal", "4")]
    r = d.req("POST", urllib.parse.urlparse(url).path, raw=urllib.parse.urlencode(fields).encode(),
              headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(r.status == 200 and "Tack för dina svar" in r.raw, "A answers through the link")
    fa = w0.followup_of(A[1]["id"])
    check(fa["status"] == "done" and fa["channel"] == "email" and
          fa["survey"]["status"] == "answered", "A's call is done by e-mail")

    def snapshot():
        r = d.req("GET", "/api/v1/indicators?quarter=2026-Q4", token=w0.lots)
        if r.status != 200 or r.json.get("source_seq", 0) <= seq0:
            return None
        return r.json
    snap = wait_for(snapshot, "the indicators to take the answer")
    lf = snap["lots"]["followups"]
    check(lf["done"] >= 1 and snap["lots"]["questions"]["usefulness"]["n"] == 1,
          "the indicators count the e-mail answer: done %d, usefulness n 1" % lf["done"])
    check(snap["units"]["bygglov"]["nki"]["n"] == 1, "bygglov's NKI has the answer (n 1)")
    check(lf["done_by_email"] == 1, "done_by_email counts it")
    r = d.req("GET", "/api/v1/reports/quarterly?quarter=2026-Q4&format=html", token=w0.lots)
    check(r.status == 200 and "Besvarade per e-post" in r.raw and "100 % (1 av 1)" in r.raw,
          "the quarterly report states the share answered by e-mail")

    # 4. Reminder 2; the lots calls C, which stops C's link.
    at(d, w, 6, w0)
    wait_for(lambda: len(box.to("b@example.se")) == 3 and len(box.to("c@example.se")) == 3,
             "reminder 2 to B and C")
    fc = w0.followup_of(C[1]["id"])
    r = d.req("POST", "/api/v1/followups/%d/result" % fc["id"],
              {"status": "declined"}, token=w0.lots)
    check(r.status == 200, "the lots calls C (declined)")
    _, ctok = link_of(box.to("c@example.se")[0])
    r = d.req("GET", "/enkat/" + ctok)
    check(r.status == 409, "C's link no longer works after the call")

    # The lots's list on the terminal: B waits for its e-mail answer.
    env = dict(os.environ, LOTS_SERVER="http://127.0.0.1:%d" % d.port, LOTS_TOKEN=w0.lots,
               LOTSBOK_NOW=DAYS[6] + "T08:00:00Z", COLUMNS="200",
               XDG_CONFIG_HOME=os.path.join(d.dir, "cfg"))
    lots = os.path.join(BUILD_DIR, "lots")
    r = subprocess.run([lots, "followups"], env=env, capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and "1 samtal väntar på svar på e-postenkäten" in r.stderr,
          "lots followups: says one call waits for its e-mail answer: %r" % r.stderr)
    r = subprocess.run([lots, "followups", "--all"], env=env, capture_output=True, text=True,
                       timeout=30)
    row_b = [ln for ln in r.stdout.splitlines() if B[0]["name"] in ln]
    check(r.returncode == 0 and "E-postenkät" in r.stdout and row_b and
          "väntar sedan 30/11, 2 påm." in row_b[0],
          "lots followups --all: B waits since 30/11, two reminders: %r" % row_b)

    # 5. Reminder 3 to B alone; 6. on day 12 B is on the call list.
    at(d, w, 9, w0)
    wait_for(lambda: len(box.to("b@example.se")) == 4, "reminder 3 to B")
    at(d, w, 12, w0)
    time.sleep(1.5)
    w.stop()
    check(len(box.to("a@example.se")) == 2 and len(box.to("b@example.se")) == 4 and
          len(box.to("c@example.se")) == 3 and not box.to("gone@example.se"),
          "mails: A 2 (answered), B 4 (three reminders), C 3 (called), D none")
    r = d.req("GET", "/api/v1/followups?status=scheduled&assignee=anna.lots&due_before=" +
              DAYS[12], token=w0.lots)
    due = {f["id"] for f in r.json["items"]}
    fb = w0.followup_of(B[1]["id"])
    check(fb["id"] in due and fb["survey"]["reminders"] == 3 and fb["survey"]["waiting"],
          "B unanswered: on the lots's call list on working day 12, three reminders shown")
    r = d.req("GET", "/api/v1/followups?status=scheduled&assignee=anna.lots&due_before=" +
              DAYS[9], token=w0.lots)
    check(fb["id"] not in {f["id"] for f in r.json["items"]}, "...and not before")

    # No token or address in any log line or event.
    tokens = [link_of(x)[1] for x in box.to("b@example.se")[:1]] + [token, ctok]
    with open(d.log_path, "rb") as f:
        lotsd_log = f.read().decode("utf-8", "replace")
    evs = repr(w0.events())
    for s in tokens + ["a@example.se", "b@example.se", "c@example.se", "gone@example.se"]:
        check(s not in lotsd_log and s not in w.log() and s not in evs,
              "no log line or event holds %s..." % s[:8])


def test_kill9():
    """Mails in batches of 8 to a slow server, the worker SIGKILLed at random."""
    box = Box()
    box.delay = 0.03
    port = free_port()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    rnd = random.Random(2226)
    try:
        with Lotsd(env={"LOTSBOK_NOW": DAYS[0] + "T08:00:00Z"}) as d:
            w0 = World(d)
            n = 40
            for i in range(n):
                w0.closed_case("Kill %02d AB" % i, "k%02d@example.se" % i)
            w = Worker(d, port, extra=["--survey-batch", "8", "--no-indicators"])
            w.start(DAYS[0] + "T08:00:00Z")
            kills = 0
            def done():
                return all(box.to("k%02d@example.se" % i) for i in range(n))
            while kills < 8 and not done():
                # Kill while mails are going out: after the next one arrives.
                before = len(box.mails)
                try:
                    wait_for(lambda: len(box.mails) > before or done(), "a mail", timeout=60)
                except AssertionError:
                    print(w.log()[-3000:])
                    raise
                time.sleep(rnd.uniform(0.0, 0.2))
                w.kill9()
                kills += 1
                w.start(DAYS[0] + "T08:00:00Z")
            try:
                wait_for(done, "every call mailed", timeout=120)
            except AssertionError:
                print(w.log()[-6000:])
                print("missing", [i for i in range(n) if not box.to("k%02d@example.se" % i)])
                raise
            time.sleep(1.0)
            w.stop()
            dup = 0
            for i in range(n):
                ms = box.to("k%02d@example.se" % i)
                ids = {x["message-id"] for x in ms}
                bodies = {(str(x["subject"]), str(x["date"]), x.get_body(("plain",)).get_content(),
                           x.get_body(("html",)).get_content()) for x in ms}
                check(1 <= len(ms) <= 2 and len(ids) == 1 and len(bodies) == 1,
                      "k%02d: %d mail(s), one Message-ID, the same mail" % (i, len(ms)))
                dup += len(ms) - 1
            print("     %d duplicates after %d kills (%d mails)" % (dup, kills, len(box.mails)))
            check(dup <= kills, "at most one duplicate per kill (the mail in SMTP at the time)")
            check(w.log().count("in flight at start") >= 1,
                  "kills landed between the two records (%d resends)" %
                  w.log().count("in flight at start"))
            sent = [e for e in w0.events() if e["type"] == "survey.sent"]
            check(len({e["id"] for e in sent}) == n and len(sent) == n,
                  "lotsd recorded each survey once (%d survey.sent)" % len(sent))
            d.stop()
            r = d.run("check", "--data", d.data)
            check(r.returncode == 0, "lotsd check clean")
    finally:
        ctl.stop()


def test_sigterm_while_server_silent():
    """SIGTERM while the mail server keeps a transaction waiting: the worker
    stops at once (not after libcurl's 60 s timeout), and the mail goes out
    after the restart with the same Message-ID."""
    box = Box()
    box.delay = 300
    port = free_port()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        with Lotsd(env={"LOTSBOK_NOW": DAYS[0] + "T08:00:00Z"}) as d:
            w0 = World(d)
            w0.closed_case("Tyst Server AB", "tyst@example.se")
            w = Worker(d, port, extra=["--no-indicators"])
            w.start(DAYS[0] + "T08:00:00Z")
            wait_for(lambda: box.in_data > 0, "the mail's DATA at the server")
            t0 = time.time()
            w.proc.send_signal(signal.SIGTERM)
            rc = w.proc.wait(timeout=90)
            took = time.time() - t0
            check(rc == 0 and took < 20, "the worker stopped in %.1f s (exit %d)" % (took, rc))
            box.delay = 0
            w.start(DAYS[0] + "T08:00:00Z")
            wait_for(lambda: box.to("tyst@example.se"), "the mail after the restart")
            w.stop()
            check(len({m["message-id"] for m in box.to("tyst@example.se")}) == 1,
                  "one Message-ID for the mail")
    finally:
        ctl.stop()


def test_credentials_file():
    """--smtp-credentials is refused unless the file is mode 0600; the worker says why."""
    with Lotsd() as d:
        cred = os.path.join(d.dir, "smtp.cred")
        with open(cred, "w") as f:
            f.write("lotsbok:hemligt-lösen\n")
        os.chmod(cred, 0o644)
        w = Worker(d, free_port(), extra=["--smtp-credentials", cred])
        w.start(DAYS[0] + "T08:00:00Z")
        rc = w.proc.wait(timeout=30)
        check(rc == 1 and "cannot set up the survey mailer" in w.log() and
              "hemligt" not in w.log(), "a credentials file readable by others is refused")
        os.chmod(cred, 0o600)
        w.start(DAYS[0] + "T08:00:00Z")
        wait_for(lambda: "surveys=email" in w.log(), "the worker to start with its credentials")
        w.stop()
        check("hemligt" not in w.log(), "the password is never logged")


if __name__ == "__main__":
    test_credentials_file()
    test_story()
    test_kill9()
    test_sigterm_while_server_silent()
    print("all ok")
