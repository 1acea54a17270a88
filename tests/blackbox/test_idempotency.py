#!/usr/bin/python3
"""Idempotency-Key at its limits and on PATCH (issue 30, item 4).

- The longest key (200 characters) of the longest username (64) fits the stored key:
  the write succeeds and its repeat answers the first answer.
- PATCH honours the key as POST does (the worker keys its cancelling PATCH,
  docs/worker.md): a repeat answers the stored answer and changes nothing (no second
  version, no second event); the same key on another body is 422.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd, new_orgnr  # noqa: E402


class Idempotency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd()
        cls.admin = cls.d.admin_token()
        cls.lots = cls.d.user(cls.admin, "lisa", "lots")

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def test_longest_key_of_longest_username(self):
        d = self.d
        name = "l" * 64
        tok = d.user(self.admin, name, "lots")
        key = "k" * 200
        body = {"orgnr": new_orgnr(), "name": "Långnamn AB"}
        first = d.req("POST", "/api/v1/companies", body, token=tok,
                      headers={"Idempotency-Key": key})
        self.assertEqual(first.status, 201, first)
        again = d.req("POST", "/api/v1/companies", body, token=tok,
                      headers={"Idempotency-Key": key})
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.json, first.json)
        self.assertEqual(again.headers.get("location"), first.headers.get("location"))
        # 201 characters is still refused, as documented.
        r = d.req("POST", "/api/v1/companies", {"orgnr": new_orgnr(), "name": "X AB"},
                  token=tok, headers={"Idempotency-Key": "k" * 201})
        self.assertEqual((r.status, r.code), (400, "bad_header"), r)

    def events_of(self, company_id):
        r = self.d.req("GET", "/api/v1/events?limit=500", token=self.admin)
        self.assertEqual(r.status, 200, r)
        return [e for e in r.json["items"]
                if e.get("type") == "company.updated" and e.get("id") == company_id]

    def test_patch_honours_the_key(self):
        d = self.d
        c = d.company(self.lots)
        key = {"Idempotency-Key": "patch-name-1"}
        first = d.req("PATCH", "/api/v1/companies/%d" % c["id"], {"name": "Nytt Namn AB"},
                      token=self.lots, headers=key)
        self.assertEqual(first.status, 200, first)
        self.assertEqual(first.json["version"], c["version"] + 1)
        again = d.req("PATCH", "/api/v1/companies/%d" % c["id"], {"name": "Nytt Namn AB"},
                      token=self.lots, headers=key)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json, first.json)
        now = d.req("GET", "/api/v1/companies/%d" % c["id"], token=self.lots)
        self.assertEqual(now.json["version"], first.json["version"], "the repeat changed it")
        self.assertEqual(len(self.events_of(c["id"])), 1, "the repeat appended an event")
        other = d.req("PATCH", "/api/v1/companies/%d" % c["id"], {"name": "Annat AB"},
                      token=self.lots, headers=key)
        self.assertEqual((other.status, other.code), (422, "idempotency_key_reused"), other)

    def test_worker_cancel_patch_replayed(self):
        """The worker's cancelling PATCH, sent again after a crash with the same key,
        answers its first answer instead of 409 (already cancelled)."""
        d = self.d
        svc = d.worker_token()
        c = d.company(self.lots)
        k = d.case(self.lots, c["id"])
        r = d.req("POST", "/api/v1/followups",
                  {"company_id": c["id"], "due": "2026-06-01", "assignee": "lisa",
                   "items": [{"kind": "lots", "case_id": k["id"]}]}, token=svc)
        self.assertEqual(r.status, 201, r)
        f = r.json
        key = {"Idempotency-Key": "ev-77-cancel-%d" % f["id"]}
        path = "/api/v1/followups/%d" % f["id"]
        first = d.req("PATCH", path, {"status": "cancelled"}, token=svc, headers=key)
        self.assertEqual(first.status, 200, first)
        again = d.req("PATCH", path, {"status": "cancelled"}, token=svc, headers=key)
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json, first.json)


if __name__ == "__main__":
    unittest.main(verbosity=2)
