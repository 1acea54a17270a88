"""Black-box tests of the `lots` command-line client against a real lotsd.

A whole day of a lots (login, company add, case open, contact log, hand-off,
case close) and of a unit handler (inbox, ack, decide), --json output parsed
and compared with the API, every exit code (1 usage, 2 rejected, 3 not logged
in / not allowed, 4 unreachable), the token file's mode, and the interactive
follow-up survey and password prompt driven through a pseudo-terminal.

Each simulated user has its own XDG_CONFIG_HOME, so their token files are
separate, as on separate accounts."""

import json
import os
import pty
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd, free_port, new_orgnr  # noqa: E402

LOTS = os.path.join(BUILD_DIR, "lots")
NOW = "2026-03-16T09:00:00Z"  # a Monday; the CLI's "today" for follow-ups
TODAY = "2026-03-16"


class User:
    """One person at a terminal: own config directory, own token file."""

    def __init__(self, server, name, password):
        self.home = tempfile.mkdtemp(prefix="lots-cli-")
        self.name = name
        self.password = password
        self.pwfile = os.path.join(self.home, "pw")
        with open(self.pwfile, "w") as f:
            f.write(password + "\n")
        self.env = dict(os.environ)
        for k in ("LOTS_SERVER", "LOTS_TOKEN", "COLUMNS"):
            self.env.pop(k, None)
        self.env.update({"XDG_CONFIG_HOME": os.path.join(self.home, "cfg"),
                         "LOTS_SERVER": server, "LOTSBOK_NOW": NOW})

    def run(self, *args, input=None, env=None):
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.run([LOTS] + list(args), env=e, input=input, capture_output=True,
                              text=True, timeout=60)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, "lots %s -> %d\n%s%s" % (" ".join(args), r.returncode,
                                                          r.stdout, r.stderr)
        return r

    def json(self, *args):
        return json.loads(self.ok("--json", *args).stdout)

    def login(self):
        return self.ok("login", self.name, "--password-file", self.pwfile)

    @property
    def token_path(self):
        return os.path.join(self.env["XDG_CONFIG_HOME"], "lotsbok", "token")

    def close(self):
        shutil.rmtree(self.home, ignore_errors=True)


def lines_fit(text, width=80):
    return all(len(line) <= width for line in text.splitlines())


class PtySession:
    """`lots ARGS` with stdin, stdout and stderr on a pseudo-terminal."""

    def __init__(self, user, *args):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([LOTS] + list(args), env=user.env, stdin=slave,
                                     stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.out = b""

    def expect(self, text, timeout=10):
        """Reads until text (str) has appeared since the last expect; returns what was read."""
        want = text.encode()
        deadline = time.time() + timeout
        while want not in self.out:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("did not see %r in %r" % (text, self.out.decode("utf-8",
                                                                                     "replace")))
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError("EOF before %r in %r" % (text, self.out))
                self.out += chunk
        i = self.out.index(want) + len(want)
        seen, self.out = self.out[:i], self.out[i:]
        return seen.decode("utf-8", "replace")

    def send(self, line):
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout=20):
        rest = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            r, _, _ = select.select([self.master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                rest += chunk
            elif self.proc.poll() is not None:
                break
        rc = self.proc.wait(timeout=timeout)
        os.close(self.master)
        return rc, (self.out + rest).decode("utf-8", "replace")


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd()
        cls.server = "http://127.0.0.1:%d" % cls.d.port
        cls.admin = User(cls.server, "admin", cls.d.admin_password)
        cls.admin.login()
        cls.lotta = User(cls.server, "lotta", "lotta-password-1")
        cls.bengt = User(cls.server, "bengt", "bengt-password-1")
        cls.admin.ok("user", "add", "lotta", "--role", "lots", "--password-file",
                     cls.lotta.pwfile)
        cls.admin.ok("user", "add", "bengt", "--role", "handler", "--unit", "bygglov",
                     "--password-file", cls.bengt.pwfile)
        cls.lotta.login()
        cls.bengt.login()

    @classmethod
    def tearDownClass(cls):
        for u in (cls.admin, cls.lotta, cls.bengt):
            u.close()
        cls.d.close()

    # --- helpers -------------------------------------------------------------

    def new_case(self, subject="Etablering av lager"):
        orgnr = new_orgnr(formatted=True)
        c = self.lotta.json("company", "add", "--orgnr", orgnr, "--name", "Hamnens Fisk AB")
        k = self.lotta.json("case", "open", "--company", orgnr, "--subject", subject,
                            "--category", "establishment")
        return c, k

    # --- a day's work ----------------------------------------------------------

    def test_a_day_of_a_lots_and_a_handler(self):
        lotta, bengt = self.lotta, self.bengt
        self.assertIn("lotta", lotta.ok("whoami").stdout)
        orgnr = new_orgnr()
        name = "Mälardalens Åkeri och Transport Aktiebolag i Norrtälje"
        r = lotta.ok("company", "add", "--orgnr", orgnr[:6] + "-" + orgnr[6:], "--name", name,
                     "--locality", "Norrtälje", "--contact", "Åsa Öberg;VD;070-123 45 67;asa@x.se")
        self.assertIn("registrerat", r.stdout)
        # Found by a name prefix without diacritics, shortened with … to fit 80 columns.
        r = lotta.ok("company", "find", "malardalens")
        self.assertIn(orgnr[:6] + "-" + orgnr[6:], r.stdout)
        self.assertIn("…", r.stdout)
        self.assertTrue(lines_fit(r.stdout), r.stdout)
        # Shown by its orgnr in the 12-digit "16" form.
        r = lotta.ok("company", "show", "16" + orgnr)
        self.assertIn(name, r.stdout)
        self.assertIn("Åsa Öberg", r.stdout)

        r = lotta.ok("case", "open", "--company", orgnr, "--subject",
                     "Bygglov för ny lagerlokal vid hamnen", "--category", "permit")
        number = r.stdout.split()[1]
        self.assertRegex(number, r"^L\d{4}-\d{4}$")
        r = lotta.ok("contact", "log", number, "--channel", "phone", "--direction", "inbound",
                     "--summary", "Ringde om bygglov för lagerhall", "--minutes", "15")
        self.assertIn("Telefon", r.stdout)
        r = lotta.ok("handoff", number, "--unit", "bygglov", "--note", "Behöver förhandsbesked")
        self.assertIn("Bygglov", r.stdout)

        # The handler's inbox has it; ack with the diarienummer; decide.
        case = lotta.json("case", "show", number)
        hid = str(case["handoffs"][0]["id"])
        r = bengt.ok("inbox")
        self.assertIn(number, r.stdout)
        self.assertTrue(lines_fit(r.stdout), r.stdout)
        r = bengt.ok("ack", hid, "--reference", "BN 2026/123")
        self.assertIn("BN 2026/123", r.stdout)
        r = bengt.ok("decide", hid, "--decision", "granted", "--note", "Beviljat enligt ansökan")
        self.assertIn("Beviljat", r.stdout)
        self.assertNotIn(number, bengt.ok("inbox").stdout)  # decided: no longer waiting
        self.assertIn(number, bengt.ok("inbox", "--all").stdout)

        r = lotta.ok("case", "close", number, "--outcome", "resolved", "--note", "Klart")
        self.assertIn("avslutat", r.stdout)
        r = lotta.ok("case", "show", number)
        for text in ("Avslutat", "Löst", "Beslutad", "BN 2026/123", "Telefon", name):
            self.assertIn(text, r.stdout)
        self.assertTrue(lines_fit(r.stdout), r.stdout)
        case = lotta.json("case", "show", number)
        self.assertEqual(case["status"], "closed")
        self.assertEqual(case["outcome"], "resolved")
        self.assertEqual(case["handoffs"][0]["status"], "decided")
        self.assertEqual(case["handoffs"][0]["reference"], "BN 2026/123")
        self.assertEqual(case["contacts"][0]["minutes"], 15)
        # Reopen and close again.
        lotta.ok("case", "reopen", number)
        self.assertEqual(lotta.json("case", "show", number)["status"], "open")
        lotta.ok("case", "close", number, "--outcome", "referred")

    def test_json_is_the_apis_json(self):
        c, k = self.new_case()
        api = self.d.req("GET", "/api/v1/cases/%d" % k["id"],
                         token=self.d.login("lotta", "lotta-password-1"))
        self.assertEqual(self.lotta.json("case", "show", k["number"]), api.json)
        self.assertEqual(self.lotta.json("case", "show", str(k["id"])), api.json)
        self.assertEqual(self.lotta.json("company", "show", c["orgnr"])["id"], c["id"])
        listed = self.lotta.json("case", "list", "--mine")
        self.assertIn(k["id"], [x["id"] for x in listed["items"]])
        self.assertTrue(all(x["owner"] == "lotta" for x in listed["items"]))
        me = self.lotta.json("whoami")
        self.assertEqual((me["username"], me["role"]), ("lotta", "lots"))
        users = self.admin.json("user", "list")
        self.assertIn("bengt", [u["username"] for u in users["items"]])

    # --- exit codes --------------------------------------------------------------

    def test_exit_1_usage(self):
        for args in (["nonsense"], ["case"], ["case", "open", "--subject", "x"],
                     ["case", "open", "--bogus"], ["company", "add", "--orgnr"],
                     ["followup", "record", "1", "--status", "done", "--answer", "lots.nope=1"],
                     ["indicators", "--quarter", "2026-Q5"], []):
            r = self.lotta.run(*args)
            self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
            self.assertTrue(r.stderr.startswith("Fel:") or "Användning" in r.stderr, r.stderr)
        self.assertEqual(self.lotta.run("--help").returncode, 0)
        self.assertEqual(self.lotta.run("help", "case", "open").returncode, 0)
        self.assertIn("Slutstatus", self.lotta.run("help", "decide").stdout)

    def test_exit_2_rejected_with_swedish_message(self):
        r = self.lotta.run("company", "add", "--orgnr", "5560360794", "--name", "Fel AB")
        self.assertEqual(r.returncode, 2)
        self.assertIn("Fel: ogiltigt organisationsnummer", r.stderr)
        self.assertIn("(fält: orgnr)", r.stderr)
        orgnr = new_orgnr()
        self.lotta.ok("company", "add", "--orgnr", orgnr, "--name", "Först AB")
        r = self.lotta.run("company", "add", "--orgnr", orgnr, "--name", "Sedan AB")
        self.assertEqual(r.returncode, 2)
        self.assertIn("redan registrerat", r.stderr)
        self.assertIn("Befintlig post: id", r.stderr)
        r = self.lotta.run("case", "show", "L2026-9999")
        self.assertEqual(r.returncode, 2)
        self.assertIn("Fel:", r.stderr)
        c, k = self.new_case()
        r = self.lotta.run("case", "reopen", k["number"])  # open already: 409
        self.assertEqual(r.returncode, 2)
        r = self.lotta.run("contact", "log", k["number"], "--channel", "fax", "--direction",
                           "inbound", "--summary", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("(fält: channel)", r.stderr)
        # --json on an error: the API's error document on stdout.
        r = self.lotta.run("--json", "case", "show", "L2026-9998")
        self.assertEqual(r.returncode, 2)
        self.assertIn("code", json.loads(r.stdout)["error"])
        # The quarterly routes may not exist yet: a clean Swedish error either way.
        r = self.lotta.run("indicators", "--quarter", "2026-Q1")
        self.assertIn(r.returncode, (0, 2))
        if r.returncode == 2:
            self.assertTrue(r.stderr.startswith("Fel: "), r.stderr)

    def test_exit_3_not_logged_in_or_not_allowed(self):
        stranger = User(self.server, "nobody", "x")
        try:
            r = stranger.run("case", "list")
            self.assertEqual(r.returncode, 3)
            self.assertIn("inte inloggad", r.stderr)
            r = stranger.run("case", "list", env={"LOTS_TOKEN": "not-a-token"})
            self.assertEqual(r.returncode, 3)
            r = stranger.run("login", "nobody", "--password-file", stranger.pwfile)
            self.assertEqual(r.returncode, 3)
            self.assertIn("fel användarnamn eller lösenord", r.stderr)
        finally:
            stranger.close()
        # A handler may not register companies: 403.
        r = self.bengt.run("company", "add", "--orgnr", new_orgnr(), "--name", "X AB")
        self.assertEqual(r.returncode, 3)
        self.assertIn("Fel:", r.stderr)

    def test_exit_4_unreachable(self):
        dead = "http://127.0.0.1:%d" % free_port()
        r = self.lotta.run("--server", dead, "whoami", env={"LOTS_TOKEN": "t"})
        self.assertEqual(r.returncode, 4)
        self.assertIn("kan inte nås", r.stderr)
        r = self.lotta.run("case", "list", env={"LOTS_SERVER": dead, "LOTS_TOKEN": "t"})
        self.assertEqual(r.returncode, 4)

    # --- token file ----------------------------------------------------------------

    def test_token_file_mode_and_logout(self):
        u = User(self.server, "lotta", "lotta-password-1")
        try:
            r = u.run("login", "lotta", input="lotta-password-1\n")  # stdin, not a tty
            self.assertEqual(r.returncode, 0, r.stderr)
            st = os.stat(u.token_path)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(u.token_path)).st_mode), 0o700)
            with open(u.token_path) as f:
                saved = f.read()
            self.assertIn("server=" + self.server, saved)
            self.assertIn("token=", saved)
            self.assertNotIn("lotta-password-1", saved)
            # The saved token is not sent to another server.
            other = "http://127.0.0.1:%d" % free_port()
            self.assertEqual(u.run("--server", other, "whoami").returncode, 3)
            u.ok("logout")
            self.assertFalse(os.path.exists(u.token_path))
            self.assertEqual(u.run("whoami").returncode, 3)
        finally:
            u.close()

    # --- follow-ups ------------------------------------------------------------------

    def scheduled_followup(self):
        """A closed case with a decided bygglov hand-off and the call the worker
        would schedule for it (posted here as the service)."""
        c, k = self.new_case("Uppföljning av ny restaurang")
        h = self.lotta.json("handoff", k["number"], "--unit", "bygglov", "--note", "Skylt")
        self.bengt.ok("ack", str(h["id"]))
        self.bengt.ok("decide", str(h["id"]), "--decision", "granted")
        self.lotta.ok("case", "close", k["number"], "--outcome", "resolved")
        body = {"company_id": c["id"], "due": TODAY, "assignee": "lotta",
                "items": [{"kind": "lots", "case_id": k["id"]},
                          {"kind": "unit", "case_id": k["id"], "handoff_id": h["id"]}]}
        r = self.d.req("POST", "/api/v1/followups", body, token=self.d.worker_token(),
                       headers={"Idempotency-Key": "cli-test-%d" % k["id"]})
        self.assertEqual(r.status, 201, r)
        return r.json, k

    def test_followups_list_and_record_with_options(self):
        f, k = self.scheduled_followup()
        r = self.lotta.ok("followups")
        self.assertIn(k["number"], r.stdout)
        self.assertIn("Hamnens Fisk AB", r.stdout)
        self.assertTrue(lines_fit(r.stdout), r.stdout)
        listed = self.lotta.json("followups")
        self.assertIn(f["id"], [x["id"] for x in listed["items"]])
        # Not a terminal: answers as options; without them none are sent.
        r = self.lotta.run("followup", "record", str(f["id"]), "--status", "done",
                           "--answer", "lots.usefulness=5", "--answer", "lots.easy_contact=ja",
                           "--answer", "bygglov.nki_overall=vet_ej",
                           "--answer", "bygglov.clear_and_lawful=nej", "--comment", "Nöjd")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.d.req("GET", "/api/v1/followups/%d" % f["id"],
                         token=self.d.login("lotta", "lotta-password-1")).json
        self.assertEqual(got["status"], "done")
        self.assertEqual(got["answers"]["lots"]["usefulness"], 5)
        self.assertIs(got["answers"]["lots"]["easy_contact"], True)
        self.assertIsNone(got["answers"]["bygglov"]["nki_overall"])
        self.assertIs(got["answers"]["bygglov"]["clear_and_lawful"], False)
        # Recording it again: the call is no longer scheduled.
        r = self.lotta.run("followup", "record", str(f["id"]), "--status", "done",
                           "--answer", "lots.usefulness=4")
        self.assertEqual(r.returncode, 2)

    def test_followup_survey_on_a_terminal(self):
        f, k = self.scheduled_followup()
        s = PtySession(self.lotta, "followup", "record", str(f["id"]), "--status", "done")
        try:
            s.expect("Frågor om företagslotsen")
            s.expect("kontakt med rätt person? (1–6, vet ej): ")
            s.send("5")
            s.expect("företagslotsen? (1–6, vet ej): ")
            s.send("7")  # out of the scale: asked again
            s.expect("Svara med en siffra 1–6")
            s.expect("(1–6, vet ej): ")
            s.send("6")
            s.expect("(ja/nej, vet ej): ")
            s.send("ja")
            s.expect("bemötandet? (1–6, vet ej): ")
            s.send("vet ej")
            s.expect("webbplats? (1–6, vet ej): ")
            s.send("4")
            s.expect("Frågor om Bygglov")
            for answer in ("5", "4", "vet ej", "5", "5", "6", "5", "5", "4"):
                s.expect("(1–6, vet ej): ")
                s.send(answer)
            s.expect("Var handläggningen tydlig och rättssäker? (ja/nej, vet ej): ")
            s.send("nej")
            s.expect("Kommentar")
            s.send("Snabbt och trevligt")
            s.expect("Spara? [j/N] ")
            s.send("j")
            rc, out = s.finish()
        finally:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
        self.assertEqual(rc, 0, out)
        self.assertIn("registrerad", out)
        got = self.d.req("GET", "/api/v1/followups/%d" % f["id"],
                         token=self.d.login("lotta", "lotta-password-1")).json
        self.assertEqual(got["answers"]["lots"],
                         {"reached_right_person": 5, "usefulness": 6, "easy_contact": True,
                          "treatment": None, "website_information": 4})
        b = got["answers"]["bygglov"]
        self.assertEqual((b["nki_overall"], b["nki_expectations"], b["nki_ideal"]), (5, 4, None))
        self.assertEqual(b["efficiency"], 4)
        self.assertIs(b["clear_and_lawful"], False)
        self.assertEqual(got["comment"], "Snabbt och trevligt")

    def test_login_prompts_without_echo_on_a_terminal(self):
        u = User(self.server, "lotta", "lotta-password-1")
        try:
            s = PtySession(u, "login")
            try:
                s.expect("Användarnamn: ")
                s.send("lotta")
                s.expect("Lösenord: ")
                s.send("lotta-password-1")
                rc, out = s.finish()
            finally:
                if s.proc.poll() is None:
                    s.proc.kill()
                    s.proc.wait()
            self.assertEqual(rc, 0, out)
            self.assertIn("Inloggad som lotta", out)
            self.assertNotIn("lotta-password-1", out)
            self.assertEqual(stat.S_IMODE(os.stat(u.token_path).st_mode), 0o600)
        finally:
            u.close()

    # --- the arbetsgrupp and admin -----------------------------------------------

    def test_user_add_list_disable(self):
        temp = User(self.server, "tilda", "tilda-password-1")
        try:
            r = self.admin.ok("user", "add", "tilda", "--role", "handler", "--unit", "miljo",
                              "--unit", "livsmedel", "--password-file", temp.pwfile)
            self.assertIn("handläggare", r.stdout)
            r = self.admin.ok("user", "list")
            self.assertRegex(r.stdout, r"tilda +handläggare +aktiv +miljo, livsmedel")
            temp.login()
            self.assertIn("Miljö- och hälsoskydd", temp.ok("whoami").stdout)
            self.admin.ok("user", "disable", "tilda")
            self.assertRegex(self.admin.ok("user", "list").stdout, r"tilda +handläggare +avstängd")
            r = temp.run("login", "tilda", "--password-file", temp.pwfile)
            self.assertEqual(r.returncode, 3)
            # A lots reads the staff directory (docs/api.md: GET /users for lots and handlers).
            self.assertRegex(self.lotta.ok("user", "list").stdout, r"tilda +handläggare")
            # A handler without a unit is rejected by the server: exit 2 with the field.
            r = self.admin.run("user", "add", "ulf", "--role", "handler", "--password-file",
                               temp.pwfile)
            self.assertEqual(r.returncode, 2)
            self.assertIn("(fält: units)", r.stderr)
        finally:
            temp.close()


    def test_improvements_and_backup(self):
        r = self.lotta.ok("improvement", "add", "--title", "Tydligare info om bygglov på webben",
                          "--unit", "bygglov")
        mid = r.stdout.split()[1]
        self.assertIn("Tydligare info", self.lotta.ok("improvement", "list").stdout)
        self.lotta.ok("improvement", "done", mid)
        items = self.lotta.json("improvement", "list")["items"]
        self.assertEqual([m["status"] for m in items if str(m["id"]) == mid], ["implemented"])
        # Backup without the data directory: says what to run on the server host.
        r = self.admin.run("backup", "--to", "/tmp/x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("lotsd backup --data", r.stderr)
        # On the server host: runs lotsd backup.
        out = os.path.join(self.admin.home, "backup")
        r = self.admin.run("backup", "--to", out, "--data", self.d.data,
                           env={"LOTSD": os.path.join(BUILD_DIR, "lotsd")})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("data.mdb", os.listdir(out))
        self.assertGreater(os.path.getsize(os.path.join(out, "data.mdb")), 0)
        check = self.d.run("check", "--data", out)
        self.assertEqual(check.returncode, 0, check.stderr)
        # lotsd failing (here: the target exists and is not empty) is exit 5, not success.
        r = self.admin.run("backup", "--to", out, "--data", self.d.data,
                           env={"LOTSD": os.path.join(BUILD_DIR, "lotsd")})
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
