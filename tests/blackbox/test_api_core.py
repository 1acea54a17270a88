"""Black-box tests of lotsd's API: each route's success path and every error
status with its code, against the real lotsd on a loopback port."""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd, new_orgnr, raw_exchange, statuses  # noqa: E402


class ApiCore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd()
        d = cls.d
        cls.admin = d.admin_token()
        cls.lots = d.user(cls.admin, "lotta", "lots")
        cls.handler = d.user(cls.admin, "bengt", "handler", units=["bygglov"])
        cls.service = d.worker_token()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def req(self, *a, **kw):
        return self.d.req(*a, **kw)

    # --- success paths ------------------------------------------------------

    def test_healthz_and_metrics(self):
        r = self.req("GET", "/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["status"], "ok")
        self.assertIsInstance(r.json["seq"], int)
        r = self.req("GET", "/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["content-type"].startswith("text/plain"))
        self.assertIn('lotsd_http_requests_total{method="GET",route="/healthz",status="200"}',
                      r.raw)
        self.assertIn("lotsd_commit_batch_size_bucket", r.raw)
        self.assertIn("lotsd_open_connections", r.raw)

    def test_company_lifecycle(self):
        orgnr = new_orgnr()
        body = {"orgnr": orgnr[:6] + "-" + orgnr[6:], "name": "Mälarbåtar AB",
                "locality": "Norrtälje",
                "contacts": [{"name": "Anna Berg", "phone": "0176-12345"}]}
        r = self.req("POST", "/api/v1/companies", body, token=self.lots)
        self.assertEqual(r.status, 201, r)
        c = r.json
        self.assertEqual(c["orgnr"], orgnr)
        self.assertEqual(c["version"], 1)
        for k in ("id", "created_at", "updated_at"):
            self.assertIn(k, c)
        self.assertTrue(c["created_at"].endswith("Z"))
        self.assertEqual(r.headers["location"], "/api/v1/companies/%d" % c["id"])
        # 16-prefixed form is the same company: 409 with the existing id
        r = self.req("POST", "/api/v1/companies", {"orgnr": "16" + orgnr, "name": "X"},
                     token=self.lots)
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.code, "duplicate_orgnr")
        self.assertEqual(r.json["error"]["existing_id"], c["id"])
        # lookups
        r = self.req("GET", "/api/v1/companies?orgnr=%s" % orgnr, token=self.lots)
        self.assertEqual([x["id"] for x in r.json["items"]], [c["id"]])
        # an orgnr nobody registered is an empty list, not a 404
        r = self.req("GET", "/api/v1/companies?orgnr=5560125790", token=self.lots)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["items"], [])
        r = self.req("GET", "/api/v1/companies?q=malarbat", token=self.lots)
        self.assertIn(c["id"], [x["id"] for x in r.json["items"]])
        r = self.req("GET", "/api/v1/companies/%d" % c["id"], token=self.admin)
        self.assertEqual(r.json["name"], "Mälarbåtar AB")
        # PATCH with If-Match: current version works, a stale one is 412
        r = self.req("PATCH", "/api/v1/companies/%d" % c["id"], {"locality": "Rimbo"},
                     token=self.lots, headers={"If-Match": "1"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["version"], 2)
        self.assertEqual(r.json["locality"], "Rimbo")
        r = self.req("PATCH", "/api/v1/companies/%d" % c["id"], {"locality": "Hallstavik"},
                     token=self.lots, headers={"If-Match": "1"})
        self.assertEqual(r.status, 412, r)
        self.assertEqual(r.code, "stale")

    def test_case_contacts_handoffs_close(self):
        co = self.d.company(self.lots)
        r = self.req("POST", "/api/v1/cases",
                     {"orgnr": co["orgnr"], "subject": "Ny restaurang", "category": "permit"},
                     token=self.lots)
        self.assertEqual(r.status, 201, r)
        case = r.json
        self.assertRegex(case["number"], r"^L\d{4}-\d{4}$")
        self.assertEqual(case["owner"], "lotta")
        self.assertEqual(case["company_id"], co["id"])
        self.assertEqual(case["status"], "open")
        cid = case["id"]
        r = self.req("POST", "/api/v1/cases/%d/contacts" % cid,
                     {"channel": "phone", "direction": "inbound", "summary": "Ringde om lokal",
                      "minutes": 12}, token=self.lots)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["logged_by"], "lotta")
        h = self.d.handoff(self.lots, cid, "bygglov")
        self.assertEqual(h["status"], "sent")
        # the case by number embeds contacts and hand-offs
        r = self.req("GET", "/api/v1/cases/%s" % case["number"], token=self.lots)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["id"], cid)
        self.assertEqual(len(r.json["contacts"]), 1)
        self.assertEqual([x["id"] for x in r.json["handoffs"]], [h["id"]])
        self.assertEqual(r.json["followups"], [])
        # handler acknowledges and decides; a second time is 409
        r = self.req("POST", "/api/v1/handoffs/%d/acknowledge" % h["id"],
                     {"reference": "BN 2026-123"}, token=self.handler)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "acknowledged")
        r = self.req("POST", "/api/v1/handoffs/%d/acknowledge" % h["id"], {},
                     token=self.handler)
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.code, "invalid_transition")
        r = self.req("POST", "/api/v1/handoffs/%d/decide" % h["id"], {"decision": "granted"},
                     token=self.handler)
        self.assertEqual(r.status, 200, r)
        r = self.req("POST", "/api/v1/handoffs/%d/decide" % h["id"], {"decision": "granted"},
                     token=self.handler)
        self.assertEqual(r.status, 409, r)
        # withdraw of a decided hand-off: 409
        r = self.req("POST", "/api/v1/handoffs/%d/withdraw" % h["id"], {}, token=self.lots)
        self.assertEqual(r.status, 409, r)
        # close, close again (409), reopen, reopen again (409)
        r = self.req("POST", "/api/v1/cases/%d/close" % cid, {"outcome": "resolved"},
                     token=self.lots)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "closed")
        r = self.req("POST", "/api/v1/cases/%d/close" % cid, {"outcome": "resolved"},
                     token=self.lots)
        self.assertEqual(r.status, 409, r)
        r = self.req("POST", "/api/v1/cases/%d/reopen" % cid, None, token=self.lots)
        self.assertEqual(r.status, 200, r)
        r = self.req("POST", "/api/v1/cases/%d/reopen" % cid, None, token=self.lots)
        self.assertEqual(r.status, 409, r)
        # lists
        r = self.req("GET", "/api/v1/cases?company_id=%d&status=open" % co["id"],
                     token=self.lots)
        self.assertEqual([x["id"] for x in r.json["items"]], [cid])
        r = self.req("GET", "/api/v1/handoffs?unit=bygglov", token=self.handler)
        self.assertIn(h["id"], [x["id"] for x in r.json["items"]])

    def test_pagination(self):
        co = self.d.company(self.lots)
        ids = [self.d.case(self.lots, co["id"])["id"] for _ in range(5)]
        seen, after = [], None
        while True:
            q = "/api/v1/cases?company_id=%d&limit=2" % co["id"]
            if after:
                q += "&after=%d" % after
            r = self.req("GET", q, token=self.lots)
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.json["items"]), 2)
            seen += [x["id"] for x in r.json["items"]]
            after = r.json["next"]
            if after is None:
                break
        self.assertEqual(seen, ids[::-1])  # newest first
        for bad in ("limit=0", "limit=501", "limit=x", "after=-1"):
            r = self.req("GET", "/api/v1/cases?" + bad, token=self.lots)
            self.assertEqual(r.status, 400, (bad, r))

    def test_followups_and_improvements(self):
        co = self.d.company(self.lots)
        case = self.d.case(self.lots, co["id"])
        h = self.d.handoff(self.lots, case["id"], "bygglov")
        body = {"company_id": co["id"], "due": "2026-05-04", "assignee": "lotta",
                "items": [{"kind": "lots", "case_id": case["id"]},
                          {"kind": "unit", "case_id": case["id"], "handoff_id": h["id"]}]}
        r = self.req("POST", "/api/v1/followups", body, token=self.service,
                     headers={"Idempotency-Key": "fu-%d" % case["id"]})
        self.assertEqual(r.status, 201, r)
        fu = r.json
        self.assertEqual(fu["status"], "scheduled")
        self.assertEqual(fu["items"][1]["unit"], "bygglov")
        r = self.req("GET", "/api/v1/followups?assignee=lotta", token=self.lots)
        self.assertIn(fu["id"], [x["id"] for x in r.json["items"]])
        bad = [({"lots": {"usefulness": 7}}, "answers.lots.usefulness"),
               ({"lots": {"nki_overall": 3}}, "answers.lots.nki_overall"),
               ({"miljo": {"nki_overall": 3}}, "answers.miljo"),
               ({"bygglov": {"clear_and_lawful": 1}}, "answers.bygglov.clear_and_lawful"),
               ({"lots": {"easy_contact": "yes"}}, "answers.lots.easy_contact")]
        for answers, field in bad:
            r = self.req("POST", "/api/v1/followups/%d/result" % fu["id"],
                         {"status": "done", "answers": answers}, token=self.lots)
            self.assertEqual(r.status, 422, (answers, r))
            self.assertEqual(r.json["error"]["field"], field)
        r = self.req("POST", "/api/v1/followups/%d/result" % fu["id"], {"status": "no_answer"},
                     token=self.lots)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "scheduled")
        self.assertEqual(r.json["attempts"], 1)
        answers = {"lots": {"usefulness": 5, "easy_contact": True, "treatment": None},
                   "bygglov": {"nki_overall": 4, "clear_and_lawful": False}}
        r = self.req("POST", "/api/v1/followups/%d/result" % fu["id"],
                     {"status": "done", "answers": answers, "comment": "Nöjd"}, token=self.lots)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "done")
        self.assertEqual(r.json["answers"]["lots"]["usefulness"], 5)
        self.assertIs(r.json["answers"]["bygglov"]["clear_and_lawful"], False)
        # improvements
        r = self.req("POST", "/api/v1/improvements",
                     {"title": "Tydligare besked om handläggningstid", "unit": "bygglov",
                      "followup_id": fu["id"]}, token=self.lots)
        self.assertEqual(r.status, 201, r)
        imp = r.json
        self.assertEqual(imp["status"], "identified")
        r = self.req("PATCH", "/api/v1/improvements/%d" % imp["id"], {"status": "implemented"},
                     token=self.lots, headers={"If-Match": str(imp["version"])})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "implemented")
        self.assertIsNotNone(r.json["implemented_at"])
        r = self.req("POST", "/api/v1/improvements", {"title": "x", "unit": "nope"},
                     token=self.lots)
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.code, "unknown_unit")

    def test_users_and_me(self):
        r = self.req("GET", "/api/v1/me", token=self.lots)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["username"], "lotta")
        self.assertEqual(r.json["role"], "lots")
        r = self.req("GET", "/api/v1/users", token=self.admin)
        self.assertEqual(r.status, 200)
        names = [u["username"] for u in r.json["items"]]
        self.assertIn("worker", names)
        self.assertNotIn("password_hash", r.raw)
        self.assertNotIn("argon2", r.raw)
        r = self.req("POST", "/api/v1/users",
                     {"username": "h2", "password": "handler-pass-2", "role": "handler"},
                     token=self.admin)
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.json["error"]["field"], "units")
        r = self.req("POST", "/api/v1/users",
                     {"username": "lotta", "password": "lotta-pass-22", "role": "lots"},
                     token=self.admin)
        self.assertEqual(r.status, 409, r)
        self.assertNotIn("argon2", self.d.log())

    # --- error statuses --------------------------------------------------------

    def test_400_malformed_json_and_invalid_utf8(self):
        for raw in (b"{", b"[1,2]", b'{"name": "\xff\xfe"}'):
            r = self.req("POST", "/api/v1/companies", token=self.lots, raw=raw,
                         headers={"Content-Type": "application/json"})
            self.assertEqual(r.status, 400, (raw, r))
            self.assertEqual(r.code, "invalid_json")

    def test_401(self):
        r = self.req("GET", "/api/v1/cases")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.code, "unauthorized")
        r = self.req("GET", "/api/v1/cases", token="x" * 43)
        self.assertEqual(r.status, 401)
        r = self.req("GET", "/api/v1/cases", token="garbage")
        self.assertEqual(r.status, 401)

    def test_403(self):
        r = self.req("POST", "/api/v1/cases", {"company_id": 1, "subject": "x",
                                                "category": "other"}, token=self.handler)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.code, "forbidden")

    def test_404_and_405(self):
        r = self.req("GET", "/api/v1/cases/999999", token=self.lots)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.code, "not_found")
        r = self.req("GET", "/api/v1/nothing", token=self.lots)
        self.assertEqual(r.status, 404, r)
        r = self.req("DELETE", "/api/v1/cases/1", token=self.lots)
        self.assertEqual(r.status, 405, r)
        self.assertIn("GET", r.headers["allow"])
        self.assertIn("PATCH", r.headers["allow"])

    def test_413_415_431(self):
        big = b'{"name": "' + b"a" * (2 * 1024 * 1024) + b'"}'
        r = self.req("POST", "/api/v1/companies", token=self.lots, raw=big,
                     headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 413, r)
        r = self.req("POST", "/api/v1/companies", token=self.lots, raw=b"orgnr=1",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 415, r)
        self.assertEqual(r.code, "unsupported_media_type")
        buf = raw_exchange(self.d.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " +
                           b"a" * (100 * 1024) + b"\r\n\r\n")
        self.assertEqual(statuses(buf)[:1], [431])

    def test_422_per_kind(self):
        co = self.d.company(self.lots)
        cases = [
            ({"name": "X"}, "missing_field", "orgnr"),
            ({"orgnr": "5560360794", "name": "X"}, None, "orgnr"),
            ({"orgnr": "55603607", "name": "X"}, None, "orgnr"),
            ({"orgnr": new_orgnr(), "name": 5}, "invalid_type", "name"),
            ({"orgnr": new_orgnr(), "name": "å" * 201}, "too_long", "name"),
            ({"orgnr": new_orgnr(), "name": "X", "contacts": [{"role": "vd"}]},
             "missing_field", "contacts[0].name"),
        ]
        codes = set()
        for body, code, field in cases:
            r = self.req("POST", "/api/v1/companies", body, token=self.lots)
            self.assertEqual(r.status, 422, (body, r))
            self.assertEqual(r.json["error"]["field"], field, r)
            if code:
                self.assertEqual(r.code, code)
            else:
                codes.add(r.code)
        self.assertEqual(len(codes), 2, codes)  # checksum and format are told apart
        # exactly 200 characters (multi-byte) is accepted
        r = self.req("POST", "/api/v1/companies", {"orgnr": new_orgnr(), "name": "å" * 200},
                     token=self.lots)
        self.assertEqual(r.status, 201, r)
        case = self.d.case(self.lots, co["id"])
        for body, field in [({"channel": "fax", "direction": "inbound", "summary": "x"},
                             "channel"),
                            ({"channel": "phone", "direction": "inbound", "summary": "x" * 2001},
                             "summary"),
                            ({"channel": "phone", "direction": "inbound", "summary": "x",
                              "at": "yesterday"}, "at"),
                            ({"channel": "phone", "summary": "x"}, "direction")]:
            r = self.req("POST", "/api/v1/cases/%d/contacts" % case["id"], body,
                         token=self.lots)
            self.assertEqual(r.status, 422, (body, r))
            self.assertEqual(r.json["error"]["field"], field)
        r = self.req("POST", "/api/v1/cases/%d/handoffs" % case["id"],
                     {"unit": "ufo", "note": "x"}, token=self.lots)
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.code, "unknown_unit")

    def test_idempotency(self):
        co = self.d.company(self.lots)
        case = self.d.case(self.lots, co["id"])
        path = "/api/v1/cases/%d/contacts" % case["id"]
        body = {"channel": "email", "direction": "outbound", "summary": "Skickade info"}
        key = {"Idempotency-Key": "contact-%d" % case["id"]}
        r1 = self.req("POST", path, body, token=self.lots, headers=key)
        r2 = self.req("POST", path, body, token=self.lots, headers=key)
        self.assertEqual(r1.status, 201)
        self.assertEqual((r2.status, r2.json), (r1.status, r1.json))
        self.assertEqual(r2.headers.get("location"), r1.headers.get("location"))
        r3 = self.req("POST", path, dict(body, summary="annat"), token=self.lots, headers=key)
        self.assertEqual(r3.status, 422, r3)
        self.assertEqual(r3.code, "idempotency_key_reused")
        got = self.req("GET", "/api/v1/cases/%d" % case["id"], token=self.lots).json
        self.assertEqual(len(got["contacts"]), 1)
        # the same key twice at once (likely in one batch): still one effect
        key2 = {"Idempotency-Key": "burst-%d" % case["id"]}
        results = []

        def post():
            results.append(self.req("POST", path, body, token=self.lots, headers=key2))
        threads = [threading.Thread(target=post) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual({r.status for r in results}, {201})
        self.assertEqual(len({r.json["id"] for r in results}), 1)
        got = self.req("GET", "/api/v1/cases/%d" % case["id"], token=self.lots).json
        self.assertEqual(len(got["contacts"]), 2)

    def test_case_page_follows_changed_contacts(self):
        # lotsd memoises each contact's answer by its stored bytes; a contact
        # rewritten (anonymised here) must come back rewritten, the rest as it was
        co = self.d.company(self.lots)
        case = self.d.case(self.lots, co["id"])
        path = "/api/v1/cases/%d/contacts" % case["id"]
        for i in range(3):
            r = self.req("POST", path, {"channel": "phone", "direction": "inbound",
                                        "summary": "Sven Svensson ringde %d" % i},
                         token=self.lots)
            self.assertEqual(r.status, 201, r)
        first = self.req("GET", "/api/v1/cases/%d" % case["id"], token=self.lots).json
        again = self.req("GET", "/api/v1/cases/%d" % case["id"], token=self.lots).json
        self.assertEqual(first, again)
        self.assertEqual([c["summary"] for c in first["contacts"]],
                         ["Sven Svensson ringde %d" % i for i in range(3)])
        r = self.req("POST", "/api/v1/companies/%d/anonymize" % co["id"],
                     {"reason": "erasure_request"}, token=self.admin)
        self.assertEqual(r.status, 200, r)
        after = self.req("GET", "/api/v1/cases/%d" % case["id"], token=self.lots).json
        self.assertEqual(len(after["contacts"]), 3)
        for before, now in zip(first["contacts"], after["contacts"]):
            self.assertNotIn("Sven", now["summary"])
            self.assertEqual(now["id"], before["id"])
            self.assertEqual(now["at"], before["at"])
            self.assertEqual(now["version"], before["version"] + 1)

    def test_static_root(self):
        r = self.req("GET", "/../etc/passwd")
        self.assertEqual(r.status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
