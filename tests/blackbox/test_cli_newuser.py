"""Black-box tests of what a new user of `lots` hit (issue 26), against a real lotsd.

The inbox filtered on the server (not falsely empty), a piped survey refused
without answers and a terminal survey confirmed with "Spara? [j/N]", logout
touching only its own server, improvement filters, list order and paging
hints on stderr, `case show` and `followup show`, `followup correct` (the
same day, piped only with --answer, confirmed at a terminal), errors that say what was
not found, which state a record is already in and which values are valid,
Swedish instead of libcurl's English, `--at` as people type it, `auth status`,
`--version`, and the bash completion driven through `compgen`.

Terminal behaviour goes through a pseudo-terminal (test_cli.PtySession)."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import free_port, new_orgnr  # noqa: E402
import test_cli  # noqa: E402
from test_cli import PtySession, User, lines_fit  # noqa: E402

COMPLETION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                          "lots-completion.bash")


class CliNewUser(test_cli.CliTest):
    # CliTest's own tests are not run again here (its fixtures and helpers are shared).
    for _name in [n for n in dir(test_cli.CliTest) if n.startswith("test_")]:
        locals()[_name] = None
    del _name

    # --- 1. the inbox ----------------------------------------------------------

    def test_inbox_not_falsely_empty(self):
        # (runs after test_errors_…, whose acknowledged hand-off waits too)
        c, k = self.new_case("Inkorgen")
        ids = []
        for i in range(55):
            ids.append(self.lotta.json("handoff", k["number"], "--unit", "bygglov",
                                       "--note", "Nr %d" % i)["id"])
        for h in ids[:50]:  # the oldest 50 decided: beyond a first page, 5 still wait
            self.bengt.ok("ack", str(h))
            self.bengt.ok("decide", str(h), "--decision", "granted")
        r = self.bengt.ok("inbox")
        self.assertNotIn("Inga överlämningar väntar", r.stdout)
        for h in ids[50:]:
            self.assertIn("\n%d " % h, "\n" + r.stdout)
        self.assertIn(k["number"], r.stdout)
        self.assertIn("Hamnens Fisk AB", r.stdout)
        # newest first
        first = [ln.split()[0] for ln in r.stdout.splitlines()[1:]
                 if ln.strip() and not ln.startswith("─")]
        self.assertEqual(first[0], str(max(ids)))
        got = self.bengt.json("inbox")
        self.assertTrue(got["items"])
        self.assertTrue(all(x["status"] in ("sent", "acknowledged") for x in got["items"]))
        self.assertIn(ids[-1], [x["id"] for x in got["items"]])
        # paging: the hint on stderr, stdout only rows
        r = self.bengt.ok("inbox", "--all", "--limit", "3")
        self.assertIn("Fler finns", r.stderr)
        self.assertNotIn("Fler finns", r.stdout)
        self.assertEqual(len(r.stdout.splitlines()), 5)  # header, rule, 3 rows
        r = self.bengt.ok("inbox", "--status", "decided,withdrawn", "--limit", "2")
        self.assertIn("Beslutad", r.stdout)

    # --- 2. the survey ---------------------------------------------------------

    def test_piped_survey_saves_nothing_without_answers(self):
        f, k = self.scheduled_followup()
        r = self.lotta.run("followup", "record", str(f["id"]), "--status", "done",
                           input="5\n5\n")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("--answer", r.stderr)
        got = self.d.req("GET", "/api/v1/followups/%d" % f["id"],
                         token=self.d.login("lotta", "lotta-password-1")).json
        self.assertEqual(got["status"], "scheduled")
        # no_answer needs no answers when piped
        self.lotta.ok("followup", "record", str(f["id"]), "--status", "no_answer", input="")

    def survey_on_a_terminal(self, confirm):
        f, k = self.scheduled_followup()
        self.d.req("PATCH", "/api/v1/companies/%d" % f["company_id"],
                   {"contacts": [{"name": "Sara Ek", "role": "VD", "phone": "070-123 45 67"}]},
                   token=self.d.login("lotta", "lotta-password-1"))
        s = PtySession(self.lotta, "followup", "record", str(f["id"]), "--status", "done")
        try:
            head = s.expect("Frågor om företagslotsen")
            for answer in ["5", "6", "ja", "5", "4"] + ["5"] * 9 + ["ja"]:
                s.expect("): ")
                s.send(answer)
            s.expect("Kommentar")
            s.send("")
            summary = s.expect("Spara? [j/N] ")
            s.send(confirm)
            rc, out = s.finish()
        finally:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
        got = self.d.req("GET", "/api/v1/followups/%d" % f["id"],
                         token=self.d.login("lotta", "lotta-password-1")).json
        return head, summary, rc, out, got

    def test_terminal_survey_shows_whom_to_call_and_asks_before_saving(self):
        head, summary, rc, out, got = self.survey_on_a_terminal("n")
        self.assertIn("Hamnens Fisk AB", head)
        self.assertIn("Sara Ek", head)
        self.assertIn("070-123 45 67", head)
        self.assertIn("Svaren:", summary)
        self.assertIn("Bygglov", summary)
        self.assertEqual(rc, 1, out)
        self.assertIn("Inget sparades", out)
        self.assertEqual(got["status"], "scheduled")
        head, summary, rc, out, got = self.survey_on_a_terminal("j")
        self.assertEqual(rc, 0, out)
        self.assertEqual(got["status"], "done")
        self.assertEqual(got["answers"]["lots"]["usefulness"], 6)

    def test_followup_show(self):
        f, k = self.scheduled_followup()
        r = self.lotta.ok("followup", "show", str(f["id"]))
        self.assertIn("Hamnens Fisk AB", r.stdout)
        self.assertIn(k["number"], r.stdout)
        self.assertIn("Planerad", r.stdout)
        r = self.lotta.run("followup", "show", "999999")
        self.assertEqual(r.returncode, 2)
        self.assertIn("uppföljning 999999 finns inte", r.stderr)

    def lotta_get(self, fid):
        return self.d.req("GET", "/api/v1/followups/%d" % fid,
                          token=self.d.login("lotta", "lotta-password-1")).json

    def test_correct_answers_the_same_day(self):
        f, k = self.scheduled_followup()
        fid = str(f["id"])
        # Only a call recorded done has answers to correct.
        r = self.lotta.run("followup", "correct", fid, "--answer", "lots.usefulness=2")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("inte genomförd", r.stderr)
        self.lotta.ok("followup", "record", fid, "--status", "done",
                      "--answer", "lots.usefulness=5", "--answer", "bygglov.nki_overall=3",
                      "--answer", "bygglov.clear_and_lawful=nej")
        # Piped: the answers are required as options; a bad one is a usage error.
        r = self.lotta.run("followup", "correct", fid, input="2\n")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("--answer", r.stderr)
        r = self.lotta.run("followup", "correct", fid, "--answer", "lots.usefulness=9")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("lots.usefulness", r.stderr)
        r = self.lotta.run("followup", "correct", fid, "--answer", "miljo.nki_overall=3")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)  # not an item of the call
        got = self.lotta_get(f["id"])
        self.assertEqual(got["answers"]["lots"]["usefulness"], 5)
        self.assertEqual(got["corrections"], [])
        r = self.lotta.ok("followup", "correct", fid, "--answer", "lots.usefulness=2",
                          "--answer", "bygglov.clear_and_lawful=ja",
                          "--answer", "bygglov.nki_overall=3")  # unchanged: not sent
        self.assertIn("rättade", r.stdout)
        self.assertIn("5 → 2", r.stdout)
        self.assertIn("nej → ja", r.stdout)
        self.assertNotIn("3 → 3", r.stdout)
        got = self.lotta_get(f["id"])
        self.assertEqual(got["answers"]["lots"]["usefulness"], 2)
        self.assertIs(got["answers"]["bygglov"]["clear_and_lawful"], True)
        self.assertEqual(got["answers"]["bygglov"]["nki_overall"], 3)
        self.assertEqual(len(got["corrections"]), 2)
        r = self.lotta.ok("followup", "show", fid)
        self.assertIn("Rättelser:", r.stdout)
        self.assertIn("lots.usefulness 5 → 2", r.stdout)
        self.assertTrue(lines_fit(r.stdout), r.stdout)
        r = self.lotta.ok("followup", "correct", fid, "--answer", "lots.usefulness=2")
        self.assertIn("oförändrade", r.stdout)
        # A handler may not.
        r = self.bengt.run("followup", "correct", fid, "--answer", "lots.usefulness=4")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)

        # At a terminal: each question again, the recorded answer in brackets,
        # an empty line keeps it; the changes shown before "Spara? [j/N]".
        def on_terminal(confirm, *extra):
            s = PtySession(self.lotta, "followup", "correct", fid, *extra)
            try:
                if not extra:
                    s.expect("Frågor om företagslotsen")
                    first = s.expect("]: ")
                    s.send("")  # reached_right_person: kept
                    s.expect("[2]: ")  # usefulness as recorded
                    s.send("6")
                    for _ in range(3 + 10):
                        s.expect("]: ")
                        s.send("")
                else:
                    first = ""
                summary = s.expect("Spara? [j/N] ")
                s.send(confirm)
                rc, out = s.finish()
            finally:
                if s.proc.poll() is None:
                    s.proc.kill()
                    s.proc.wait()
            return first, summary, rc, out

        first, summary, rc, out = on_terminal("n")
        self.assertIn("[vet ej]", first)
        self.assertIn("2 → 6", summary)
        self.assertEqual(summary.count("→"), 1, summary)  # only what changed
        self.assertEqual(rc, 1, out)
        self.assertIn("Inget sparades", out)
        self.assertEqual(self.lotta_get(f["id"])["answers"]["lots"]["usefulness"], 2)
        first, summary, rc, out = on_terminal("j")
        self.assertEqual(rc, 0, out)
        self.assertEqual(self.lotta_get(f["id"])["answers"]["lots"]["usefulness"], 6)
        # With --answer at a terminal: the change is shown and confirmed too.
        first, summary, rc, out = on_terminal("j", "--answer", "bygglov.nki_overall=vet_ej")
        self.assertIn("3 → vet ej", summary)
        self.assertEqual(rc, 0, out)
        got = self.lotta_get(f["id"])
        self.assertIsNone(got["answers"]["bygglov"]["nki_overall"])
        self.assertEqual(len(got["corrections"]), 4)

    # --- 3. logout -------------------------------------------------------------

    def test_logout_other_server_keeps_this_servers_token(self):
        u = User(self.server, "lotta", "lotta-password-1")
        try:
            u.login()
            with open(u.token_path) as fh:
                saved = fh.read()
            other = "http://127.0.0.1:%d" % free_port()
            r = u.run("--server", other, "logout")
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertIn(other, r.stderr)
            with open(u.token_path) as fh:
                self.assertEqual(fh.read(), saved)
            u.ok("whoami")  # the session is still valid
            u.ok("logout")
            self.assertFalse(os.path.exists(u.token_path))
            # ...and revoked on the server it belongs to
            tok = [ln[6:] for ln in saved.splitlines() if ln.startswith("token=")][0]
            self.assertEqual(self.d.req("GET", "/api/v1/me", token=tok).status, 401)
        finally:
            u.close()

    # --- 4. improvements -------------------------------------------------------

    def test_improvement_list_status_filter(self):
        a = self.lotta.json("improvement", "add", "--title", "Filtrera mig")
        b = self.lotta.json("improvement", "add", "--title", "Genomför mig")
        self.lotta.ok("improvement", "done", str(b["id"]))
        got = self.lotta.json("improvement", "list", "--status", "implemented", "--limit", "500")
        ids = [x["id"] for x in got["items"]]
        self.assertIn(b["id"], ids)
        self.assertNotIn(a["id"], ids)
        r = self.lotta.run("improvement", "list", "--status", "bogus")
        self.assertEqual(r.returncode, 2)
        self.assertIn("identified, implemented, dropped", r.stderr)

    # --- 5. lists --------------------------------------------------------------

    def test_lists_order_hint_and_limit(self):
        c, k1 = self.new_case("Äldre")
        c, k2 = self.new_case("Nyare")
        r = self.lotta.ok("case", "list", "--limit", "1")
        self.assertIn(k2["number"], r.stdout)
        self.assertNotIn("Fler finns", r.stdout)
        self.assertIn("Fler finns: lägg till --after", r.stderr)
        r = self.lotta.ok("search", "Hamnens", "--limit", "1")
        self.assertIn("Fler träffar", r.stderr)
        self.assertNotIn("Fler", r.stdout)
        for bad in ("abc", "0", "501"):
            r = self.lotta.run("case", "list", "--limit", bad)
            self.assertEqual(r.returncode, 1, (bad, r.stderr))
            self.assertIn("--limit", r.stderr)
        # followups --all: by due date, not by id
        f1, _ = self.scheduled_followup()
        f2, _ = self.scheduled_followup()
        svc = self.d.worker_token()
        self.d.req("PATCH", "/api/v1/followups/%d" % f1["id"], {"due": "2026-04-20"}, token=svc)
        self.d.req("PATCH", "/api/v1/followups/%d" % f2["id"], {"due": "2026-04-10"}, token=svc)
        r = self.lotta.ok("followups", "--all")
        self.assertLess(r.stdout.index("2026-04-10"), r.stdout.index("2026-04-20"))

    # --- 6. case show ----------------------------------------------------------

    def test_case_show_whole_summaries_in_time_order_with_notes(self):
        c, k = self.new_case("Visa allt")
        long_summary = ("Ringde om bygglov för en ny lagerhall vid hamnen; företaget vill "
                        "veta vilka ritningar som krävs och när beslut kan väntas, slutord")
        self.lotta.ok("contact", "log", k["number"], "--channel", "phone", "--direction",
                      "inbound", "--summary", "Senare samtal", "--at", "2026-03-15 10:00")
        self.lotta.ok("contact", "log", k["number"], "--channel", "email", "--direction",
                      "outbound", "--summary", long_summary, "--at", "2026-03-14 09:30")
        self.lotta.ok("handoff", k["number"], "--unit", "miljo", "--note",
                      "Kontrollera dagvattnet")
        r = self.lotta.ok("case", "show", k["number"])
        self.assertTrue(lines_fit(r.stdout), r.stdout)
        self.assertIn("slutord", r.stdout)
        self.assertIn("Kontrollera dagvattnet", r.stdout)
        self.assertLess(r.stdout.index("2026-03-14 09:30"), r.stdout.index("2026-03-15 10:00"))

    # --- 7. help, --at, --version, indicators ----------------------------------

    def test_help_version_and_at(self):
        r = self.lotta.ok("--help")
        self.assertIn("handoff withdraw", r.stdout)
        self.assertIn("auth status", r.stdout)
        self.assertIn("followup show", r.stdout)
        self.assertTrue(lines_fit(r.stdout), r.stdout)
        # every help line whole (no "…", no sentence cut at "t.ex.") and within 80 columns
        heads = []
        listing = r.stdout.split("Kommandon:\n", 1)[1].split("\n\n", 1)[0]
        for ln in listing.splitlines():
            self.assertNotIn("…", ln)
            if not ln.startswith("   "):  # a command's line, not a continuation
                heads.append(ln[2:22].split())
                self.assertTrue(ln.rstrip().endswith("."), ln)
        self.assertGreater(len(heads), 40)
        for head in heads:
            h = self.lotta.ok("help", *head).stdout
            self.assertTrue(lines_fit(h), (head, [x for x in h.splitlines() if len(x) > 80]))
            self.assertIn("Användning: lots " + " ".join(head), h)
        r = self.lotta.ok("--version")
        self.assertRegex(r.stdout, r"^lots \d+\.\d+\.\d+\n$")
        c, k = self.new_case("Tider")
        got = self.lotta.json("contact", "log", k["number"], "--channel", "visit", "--direction",
                              "inbound", "--summary", "Besök", "--at", "2026-03-03 10:00")
        self.assertEqual(got["at"], "2026-03-03T09:00:00Z")  # CET
        got = self.lotta.json("contact", "log", k["number"], "--channel", "visit", "--direction",
                              "inbound", "--summary", "Besök", "--at", "2025-07-01T10:00")
        self.assertEqual(got["at"], "2025-07-01T08:00:00Z")  # CEST
        r = self.lotta.run("contact", "log", k["number"], "--channel", "visit", "--direction",
                           "inbound", "--summary", "x", "--at", "i förrgår")
        self.assertEqual(r.returncode, 1)
        self.assertIn("2026-12-03 10:00", r.stderr)

    def test_indicators_without_quarter_asks_for_the_current_one(self):
        r = self.lotta.run("indicators")
        self.assertNotEqual(r.returncode, 1, r.stderr)  # not a usage error
        self.assertIn("2026-Q1", r.stdout + r.stderr)

    # --- 8. errors ------------------------------------------------------------

    def test_errors_say_what_and_why_in_swedish(self):
        c, k = self.new_case("Fel")
        r = self.lotta.run("contact", "log", k["number"], "--channel", "fax", "--direction",
                           "inbound", "--summary", "x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("phone, email, visit, meeting, video", r.stderr)
        r = self.lotta.run("case", "show", "L2026-9999")
        self.assertIn("ärende L2026-9999 finns inte", r.stderr)
        self.lotta.ok("case", "close", k["number"], "--outcome", "resolved")
        r = self.lotta.run("case", "close", k["number"], "--outcome", "resolved")
        self.assertEqual(r.returncode, 2)
        self.assertIn("är redan avslutat", r.stderr)
        c, k = self.new_case("Kvittens")
        h = self.lotta.json("handoff", k["number"], "--unit", "bygglov", "--note", "x")
        self.bengt.ok("ack", str(h["id"]))
        r = self.bengt.run("ack", str(h["id"]))
        self.assertEqual(r.returncode, 2)
        self.assertIn("överlämning %d är redan mottagen" % h["id"], r.stderr)
        # unreachable: Swedish, no libcurl English
        r = self.lotta.run("--server", "127.0.0.1:%d" % free_port(), "login", "lotta",
                           "--password-file", self.lotta.pwfile)
        self.assertEqual(r.returncode, 4)
        self.assertIn("kan inte nås", r.stderr)
        self.assertNotIn("onnect", r.stderr)
        # a server without a scheme is http://
        u = User(self.server.replace("http://", ""), "lotta", "lotta-password-1")
        try:
            u.login()
            self.assertIn("lotta", u.ok("whoami").stdout)
        finally:
            u.close()
        # the minimum password length is stated
        pw = os.path.join(self.admin.home, "short")
        with open(pw, "w") as fh:
            fh.write("kort\n")
        r = self.admin.run("user", "add", "kalle", "--role", "lots", "--password-file", pw)
        self.assertEqual(r.returncode, 2)
        self.assertIn("minst 8 tecken", r.stderr)
        # a file that is not there: Swedish, not errno's English
        r = self.lotta.run("import", "companies", os.path.join(self.admin.home, "saknas.csv"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("filen eller katalogen finns inte", r.stderr)
        self.assertNotIn("No such file", r.stderr)

    # --- 9. auth status --------------------------------------------------------

    def test_auth_status(self):
        r = self.bengt.ok("auth", "status")
        self.assertIn(self.server, r.stdout)
        self.assertIn("bengt", r.stdout)
        self.assertIn("handläggare", r.stdout)
        self.assertIn("Bygglov", r.stdout)
        self.assertRegex(r.stdout, r"Giltig till: \d{4}-\d\d-\d\d \d\d:\d\d")
        r = self.bengt.run("--server", "http://127.0.0.1:%d" % free_port(), "auth", "status")
        self.assertEqual(r.returncode, 3)
        self.assertIn("Inte inloggad", r.stderr)

    # --- man pages ------------------------------------------------------------

    def man(self, page):
        path = os.path.join(os.path.dirname(COMPLETION), "..", "docs", page)
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
        r = subprocess.run(["man", "-l", path], capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        return r.stdout

    def test_man_pages(self):
        text = self.man("lots.1")
        # headings are whole phrases, not cut-off genitives ("Handläggarens")
        for line in text.splitlines():
            self.assertFalse(line.strip().endswith(("arens", "ens", "ppens")) and
                             line.startswith("   ") and not line.startswith("    "), line)
        self.assertIn("   För handläggaren", text)
        # groff hyphenates nothing: no line ends inside a word with a hyphen
        for line in text.splitlines():
            self.assertNotRegex(line, r"\w[-\u2010]$", line)
        for opt in ("--password-file", "--direction", "--reference"):
            self.assertIn(opt, text.replace("\u2010", "-"))
        self.assertIn("auth status", text)
        self.assertIn("lotsd(8)", text)
        # the page SE ÄVEN names exists
        text = self.man("lotsd.8")
        self.assertIn("LOTSD(8)", text)
        self.assertIn("admin-reset", text.replace("\u2010", "-"))
        for line in text.splitlines():
            self.assertNotRegex(line, r"\w[-\u2010]$", line)

    # --- completion -------------------------------------------------------------

    def complete(self, *words):
        """COMPREPLY for `lots WORDS…`, the last word being completed, with the
        words split as bash splits them (a URL's colon is a word break)."""
        script = ('source %s; COMP_WORDS=(lots %s); COMP_CWORD=%d; _lots; '
                  'printf "%%s\\n" "${COMPREPLY[@]}"'
                  % (COMPLETION, " ".join("'%s'" % w for w in words), len(words)))
        r = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()

    def test_completion(self):
        self.assertIn("withdraw", self.complete("handoff", ""))
        self.assertIn("auth", self.complete("au"))
        self.assertEqual(self.complete("inbox", "--status", ""),
                         ["sent", "acknowledged", "decided", "withdrawn"])
        self.assertEqual(self.complete("case", "list", "--status", ""), ["open", "closed"])
        # --server http://127.0.0.1:8080 split at its colons, then the command
        self.assertIn("list", self.complete("--server", "http", ":", "//127.0.0.1", ":", "8080",
                                            "case", ""))
        self.assertIn("--limit", self.complete("--server", "http", ":", "//127.0.0.1", ":",
                                               "8080", "inbox", "--"))


if __name__ == "__main__":
    unittest.main()
