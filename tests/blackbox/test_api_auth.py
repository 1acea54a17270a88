"""Black-box tests of authentication and authorisation in lotsd: sessions,
the route x role matrix, expiry, revocation, unit scoping, login lockout and
the worker's token file."""

import datetime
import os
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import new_orgnr, Lotsd  # noqa: E402

A, L, H, V, S = "admin", "lots", "handler", "viewer", "service"
ROLES = (A, L, H, V, S)


def rfc3339(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Auth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd()
        d = cls.d
        cls.tok = {A: d.admin_token()}
        cls.tok[L] = d.user(cls.tok[A], "lotta", "lots")
        cls.tok[H] = d.user(cls.tok[A], "bengt", "handler", units=["bygglov"])
        cls.tok[V] = d.user(cls.tok[A], "vera", "viewer")
        cls.tok[S] = d.worker_token()
        lots = cls.tok[L]
        cls.company = d.company(lots)
        cls.case = d.case(lots, cls.company["id"])
        cls.handoff = d.handoff(lots, cls.case["id"], "bygglov")
        r = d.req("POST", "/api/v1/followups",
                  {"company_id": cls.company["id"], "due": "2026-06-01", "assignee": "lotta",
                   "items": [{"kind": "lots", "case_id": cls.case["id"]}]}, token=cls.tok[S])
        assert r.status == 201, r
        cls.followup = r.json
        r = d.req("POST", "/api/v1/improvements", {"title": "Bättre skyltning"}, token=lots)
        assert r.status == 201, r
        cls.improvement = r.json

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def test_role_matrix(self):
        c, k, h = self.case["id"], self.company["id"], self.handoff["id"]
        f, m = self.followup["id"], self.improvement["id"]
        # (method, path, allowed roles); bodies are {} so allowed writes fail validation (422)
        # or a state check and change nothing that matters here.
        matrix = [
            ("POST", "/api/v1/companies", {A, L}),
            ("GET", "/api/v1/companies", {A, L, H}),
            ("GET", "/api/v1/companies/%d" % k, {A, L, H}),
            ("PATCH", "/api/v1/companies/%d" % k, {A, L}),
            ("POST", "/api/v1/cases", {L}),
            ("GET", "/api/v1/cases", {A, L}),
            ("GET", "/api/v1/cases/%d" % c, {A, L, H}),
            ("PATCH", "/api/v1/cases/%d" % c, {A, L}),  # admin: legal_hold only
            ("POST", "/api/v1/cases/%d/contacts" % c, {L}),
            ("POST", "/api/v1/cases/%d/close" % c, {L}),
            ("POST", "/api/v1/cases/%d/handoffs" % c, {L}),
            ("GET", "/api/v1/handoffs", {A, L, H}),
            ("GET", "/api/v1/handoffs/%d" % h, {A, L, H}),
            ("POST", "/api/v1/handoffs/%d/decide" % h, {H}),
            ("GET", "/api/v1/followups", {A, L}),
            ("GET", "/api/v1/followups/%d" % f, {A, L}),
            ("POST", "/api/v1/followups", {S}),
            ("POST", "/api/v1/followups/%d/items" % f, {S}),
            ("POST", "/api/v1/followups/%d/result" % f, {L}),
            ("PATCH", "/api/v1/followups/%d" % f, {S}),
            ("GET", "/api/v1/improvements", {A, L, H, V}),  # handler: own units'

            ("POST", "/api/v1/improvements", {A, L}),
            ("PATCH", "/api/v1/improvements/%d" % m, {A, L}),
            ("POST", "/api/v1/users", {A}),
            ("GET", "/api/v1/users", {A, L, H}),  # lots, handler: the directory
            ("GET", "/api/v1/units", set(ROLES)),
            ("PATCH", "/api/v1/users/nobody", {A}),
            ("GET", "/api/v1/me", set(ROLES)),
            ("POST", "/api/v1/companies/%d/anonymize" % k, {A, S}),
            ("GET", "/api/v1/companies/%d/export" % k, {A}),
            ("GET", "/api/v1/persons", {A}),
        ]
        failures = []
        for method, path, allowed in matrix:
            body = {} if method in ("POST", "PATCH") else None
            for role in ROLES:
                r = self.d.req(method, path, body, token=self.tok[role])
                ok = r.status not in (401, 403) if role in allowed else r.status == 403
                if not ok:
                    failures.append((method, path, role, r.status, r.raw[:120]))
            r = self.d.req(method, path, body)
            if r.status != 401:
                failures.append((method, path, "no one", r.status))
        self.assertEqual(failures, [])

    def test_unit_scoping(self):
        d, lots = self.d, self.tok[L]
        co = d.company(lots)
        case = d.case(lots, co["id"])
        mh = d.handoff(lots, case["id"], "miljo")
        hd = self.tok[H]
        r = d.req("GET", "/api/v1/handoffs", token=hd)
        ids = [x["id"] for x in r.json["items"]]
        self.assertNotIn(mh["id"], ids)
        self.assertIn(self.handoff["id"], ids)
        self.assertTrue(all(x["unit"] == "bygglov" for x in r.json["items"]))
        r = d.req("GET", "/api/v1/handoffs?unit=miljo", token=hd)
        self.assertEqual(r.json["items"], [])
        self.assertEqual(d.req("GET", "/api/v1/handoffs/%d" % mh["id"], token=hd).status, 404)
        for action, body in (("acknowledge", {}), ("decide", {"decision": "granted"})):
            r = d.req("POST", "/api/v1/handoffs/%d/%s" % (mh["id"], action), body, token=hd)
            self.assertEqual(r.status, 404, r)
        self.assertEqual(d.req("GET", "/api/v1/companies/%d" % co["id"], token=hd).status, 404)
        r = d.req("GET", "/api/v1/companies?orgnr=%s" % co["orgnr"], token=hd)
        self.assertEqual(r.json["items"], [])
        self.assertEqual(d.req("GET", "/api/v1/cases/%d" % case["id"], token=hd).status, 404)
        # still untouched for its own unit
        r = d.req("GET", "/api/v1/handoffs/%d" % mh["id"], token=lots)
        self.assertEqual(r.json["status"], "sent")
        # the bygglov handler reaches its own case and company
        self.assertEqual(
            d.req("GET", "/api/v1/cases/%d" % self.case["id"], token=hd).status, 200)
        self.assertEqual(
            d.req("GET", "/api/v1/companies/%d" % self.company["id"], token=hd).status, 200)

    def test_invalid_credentials_identical(self):
        a = self.d.req("POST", "/api/v1/sessions", {"username": "lotta", "password": "wrong-pw"})
        b = self.d.req("POST", "/api/v1/sessions", {"username": "nosuch", "password": "wrong-pw"})
        self.assertEqual((a.status, a.code), (401, "invalid_credentials"))
        self.assertEqual((a.status, a.raw), (b.status, b.raw))

    def test_logout_and_revocation(self):
        d, admin = self.d, self.tok[A]
        t1 = d.user(admin, "olle", "lots", password="olle-password")
        t2 = d.login("olle", "olle-password")
        r = d.req("DELETE", "/api/v1/sessions/current", token=t1)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(d.req("GET", "/api/v1/me", token=t1).status, 401)
        self.assertEqual(d.req("GET", "/api/v1/me", token=t2).status, 200)
        # a password change revokes every session
        r = d.req("PATCH", "/api/v1/users/olle", {"password": "new-password-1"}, token=admin)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(d.req("GET", "/api/v1/me", token=t2).status, 401)
        t3 = d.login("olle", "new-password-1")
        # disabling revokes too, and login is refused with the same answer
        r = d.req("PATCH", "/api/v1/users/olle", {"disabled": True}, token=admin)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(d.req("GET", "/api/v1/me", token=t3).status, 401)
        r = d.req("POST", "/api/v1/sessions", {"username": "olle", "password": "new-password-1"})
        self.assertEqual((r.status, r.code), (401, "invalid_credentials"))

    def test_role_change_applies_to_open_sessions(self):
        # lotsd caches authenticated sessions; a user written since must be
        # read again, so the new role holds from the very next request
        d, admin = self.d, self.tok[A]
        t = d.user(admin, "rolf", "lots", password="rolf-password")
        self.assertEqual(d.req("GET", "/api/v1/me", token=t).json["role"], "lots")
        r = d.req("POST", "/api/v1/companies", {"orgnr": new_orgnr(), "name": "Roll AB"}, token=t)
        self.assertEqual(r.status, 201, r)
        r = d.req("PATCH", "/api/v1/users/rolf", {"role": "viewer"}, token=admin)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(d.req("GET", "/api/v1/me", token=t).json["role"], "viewer")
        r = d.req("POST", "/api/v1/companies", {"orgnr": new_orgnr(), "name": "Roll 2 AB"}, token=t)
        self.assertEqual(r.status, 403, r)
        r = d.req("PATCH", "/api/v1/users/rolf", {"role": "handler", "units": ["miljo"]},
                  token=admin)
        self.assertEqual(r.status, 200, r)
        me = d.req("GET", "/api/v1/me", token=t).json
        self.assertEqual((me["role"], me["units"]), ("handler", ["miljo"]))

    def test_token_file_mode(self):
        st = os.stat(os.path.join(self.d.data, "worker.token"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)

    def test_init_refuses_existing(self):
        r = self.d.run("init", "--data", self.d.data, "--admin", "x",
                       "--password-file", os.path.join(self.d.dir, "admin.pw"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("already", r.stderr)

    def test_zz_restart_sessions_and_expiry(self):
        d = self.d
        tok = d.login("vera", "vera-password")
        d.restart()
        self.assertEqual(d.req("GET", "/api/v1/me", token=tok).status, 200)
        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=13)
        d.restart(env={"LOTSBOK_NOW": rfc3339(later)})
        r = d.req("GET", "/api/v1/me", token=tok)
        self.assertEqual((r.status, r.code), (401, "unauthorized"))
        # the worker's service session does not expire after 12 h
        self.assertEqual(d.req("GET", "/api/v1/me", token=self.tok[S]).status, 200)
        d.restart()
        self.assertEqual(d.req("GET", "/api/v1/me", token=tok).status, 200)


class Lockout(unittest.TestCase):
    def test_lockout_and_expiry(self):
        with Lotsd(serve_args=["--login-window", "2"]) as d:
            admin = d.admin_token()
            d.user(admin, "lotta", "lots", password="lotta-password")
            for _ in range(10):
                r = d.req("POST", "/api/v1/sessions", {"username": "lotta", "password": "bad"})
                self.assertEqual(r.status, 401)
            r = d.req("POST", "/api/v1/sessions",
                      {"username": "lotta", "password": "lotta-password"})
            self.assertEqual((r.status, r.code), (429, "too_many_attempts"))
            self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
            time.sleep(2.2)
            d.login("lotta", "lotta-password")
            # per client address: failures spread over many usernames
            for i in range(10):
                d.req("POST", "/api/v1/sessions", {"username": "u%d" % i, "password": "bad"})
            r = d.req("POST", "/api/v1/sessions", {"username": "zz", "password": "bad"})
            self.assertEqual(r.status, 429)


if __name__ == "__main__":
    unittest.main(verbosity=2)
