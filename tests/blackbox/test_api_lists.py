"""Black-box tests of the lists screens and the CLI build on: the hand-off inbox
filtered on the server by a list of statuses, newest first and paged honestly,
each row with the case and company it shows; cases newest first with the
company's name; improvement actions filtered by status; and errors naming the
values a field takes ("allowed")."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402


def all_pages(d, path, token, limit):
    """Every item of a list, following `next`; also the size of every page."""
    items, sizes, after = [], [], None
    while True:
        sep = "&" if "?" in path else "?"
        q = "%s%slimit=%d" % (path, sep, limit) + ("&after=%s" % after if after else "")
        r = d.req("GET", q, token=token)
        assert r.status == 200, r
        items += r.json["items"]
        sizes.append(len(r.json["items"]))
        after = r.json["next"]
        if after is None:
            return items, sizes


class ApiLists(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = d = Lotsd()
        cls.admin = d.admin_token()
        cls.lots = d.user(cls.admin, "lotta", "lots")
        cls.bygg = d.user(cls.admin, "bengt", "handler", units=["bygglov"])
        cls.miljo = d.user(cls.admin, "mia", "handler", units=["miljo"])
        # 30 hand-offs to bygglov: the oldest 20 decided, then 5 acknowledged, 5 sent;
        # and 8 to miljö, all sent. The waiting ones are the newest, beyond a first
        # page of the oldest.
        cls.co = d.company(cls.lots, name="Mälarbåtar AB")
        cls.case = d.case(cls.lots, cls.co["id"], subject="Ny verkstadshall")
        cls.bygg_ids, cls.state = [], {}
        for i in range(30):
            h = d.handoff(cls.lots, cls.case["id"], "bygglov", "Hall %d" % i)
            cls.bygg_ids.append(h["id"])
            if i < 25:
                r = d.req("POST", "/api/v1/handoffs/%d/acknowledge" % h["id"], {},
                          token=cls.bygg)
                assert r.status == 200, r
                cls.state[h["id"]] = "acknowledged"
            else:
                cls.state[h["id"]] = "sent"
            if i < 20:
                r = d.req("POST", "/api/v1/handoffs/%d/decide" % h["id"],
                          {"decision": "granted"}, token=cls.bygg)
                assert r.status == 200, r
                cls.state[h["id"]] = "decided"
        other = d.company(cls.lots, name="Grisslehamns Rökeri AB")
        cls.case2 = d.case(cls.lots, other["id"], subject="Rökeri i hamnen")
        cls.miljo_ids = [d.handoff(cls.lots, cls.case2["id"], "miljo")["id"] for _ in range(8)]

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def test_inbox_status_list_filtered_on_the_server_newest_first(self):
        waiting = [i for i in self.bygg_ids if self.state[i] in ("sent", "acknowledged")]
        self.assertEqual(len(waiting), 10)
        r = self.d.req("GET", "/api/v1/handoffs?status=sent,acknowledged&limit=4",
                       token=self.bygg)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([x["id"] for x in r.json["items"]], sorted(waiting, reverse=True)[:4])
        # honest paging: full pages until the last, every waiting one exactly once
        items, sizes = all_pages(self.d, "/api/v1/handoffs?status=sent,acknowledged",
                                 self.bygg, 4)
        self.assertEqual([x["id"] for x in items], sorted(waiting, reverse=True))
        self.assertEqual(sizes, [4, 4, 2])
        # oldest first on request
        r = self.d.req("GET", "/api/v1/handoffs?status=acknowledged,sent&order=oldest",
                       token=self.bygg)
        self.assertEqual([x["id"] for x in r.json["items"]], sorted(waiting))
        # the other handler sees only miljö's, the lots both units
        items, _ = all_pages(self.d, "/api/v1/handoffs?status=sent,acknowledged", self.miljo, 3)
        self.assertEqual([x["id"] for x in items], sorted(self.miljo_ids, reverse=True))
        items, _ = all_pages(self.d, "/api/v1/handoffs?status=sent", self.lots, 50)
        self.assertEqual(len(items), 5 + 8)
        self.assertEqual([x["id"] for x in items], sorted([x["id"] for x in items], reverse=True))

    def test_inbox_rows_carry_case_and_company(self):
        r = self.d.req("GET", "/api/v1/handoffs?status=sent&limit=1", token=self.miljo)
        row = r.json["items"][0]
        self.assertEqual(row["case_number"], self.case2["number"])
        self.assertEqual(row["case_subject"], "Rökeri i hamnen")
        self.assertEqual(row["company_name"], "Grisslehamns Rökeri AB")
        r = self.d.req("GET", "/api/v1/handoffs/%d" % self.bygg_ids[0], token=self.bygg)
        self.assertEqual(r.json["company_name"], "Mälarbåtar AB")
        self.assertEqual(r.json["case_number"], self.case["number"])

    def test_unknown_status_names_the_values(self):
        for q in ("status=sent,bogus", "status=", "status=,"):
            r = self.d.req("GET", "/api/v1/handoffs?" + q, token=self.bygg)
            self.assertEqual(r.status, 400, (q, r))
            self.assertEqual(r.code, "bad_query")
            self.assertEqual(r.json["error"]["field"], "status")
            self.assertEqual(r.json["error"]["allowed"],
                             ["sent", "acknowledged", "decided", "withdrawn"])
            self.assertIn("acknowledged", r.json["error"]["message"])
        r = self.d.req("GET", "/api/v1/handoffs?order=random", token=self.bygg)
        self.assertEqual((r.status, r.json["error"]["allowed"]), (400, ["newest", "oldest"]))

    def test_cases_newest_first_with_company_name(self):
        co = self.d.company(self.lots, name="Norrtälje Glas AB")
        ids = [self.d.case(self.lots, co["id"])["id"] for _ in range(5)]
        items, sizes = all_pages(self.d, "/api/v1/cases?company_id=%d" % co["id"], self.lots, 2)
        self.assertEqual([x["id"] for x in items], ids[::-1])
        self.assertEqual(sizes, [2, 2, 1])
        self.assertEqual({x["company_name"] for x in items}, {"Norrtälje Glas AB"})
        items, _ = all_pages(self.d, "/api/v1/cases?company_id=%d&order=oldest" % co["id"],
                             self.lots, 2)
        self.assertEqual([x["id"] for x in items], ids)
        r = self.d.req("GET", "/api/v1/cases?limit=1", token=self.lots)
        self.assertEqual(r.json["items"][0]["id"], ids[-1])

    def test_improvements_filtered_by_status(self):
        made = []
        for title in ("Tydligare besked", "Snabbare kvittens", "Ny blankett"):
            r = self.d.req("POST", "/api/v1/improvements", {"title": title}, token=self.lots)
            self.assertEqual(r.status, 201, r)
            made.append(r.json["id"])
        r = self.d.req("PATCH", "/api/v1/improvements/%d" % made[1], {"status": "implemented"},
                       token=self.lots)
        self.assertEqual(r.status, 200, r)
        r = self.d.req("GET", "/api/v1/improvements?status=implemented", token=self.lots)
        self.assertEqual([x["id"] for x in r.json["items"]], [made[1]])
        r = self.d.req("GET", "/api/v1/improvements?status=identified&order=newest",
                       token=self.lots)
        self.assertEqual([x["id"] for x in r.json["items"]], [made[2], made[0]])
        r = self.d.req("GET", "/api/v1/improvements?status=bogus", token=self.lots)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json["error"]["allowed"], ["identified", "implemented", "dropped"])

    def test_improvements_of_a_handler_paged_honestly(self):
        # runs after test_improvements_filtered_by_status (name order): its
        # three actions have no unit, so the handler sees none of them
        mine = []
        for i in range(6):
            body = {"title": "Åtgärd %d" % i}
            if i % 2:
                body["unit"] = "miljo"
            r = self.d.req("POST", "/api/v1/improvements", body, token=self.lots)
            self.assertEqual(r.status, 201, r)
            if i % 2:
                mine.append(r.json["id"])
        items, sizes = all_pages(self.d, "/api/v1/improvements", self.miljo, 2)
        self.assertEqual([x["id"] for x in items], mine)
        self.assertEqual(sizes, [2, 1])
        items, _ = all_pages(self.d, "/api/v1/improvements", self.bygg, 2)
        self.assertEqual(items, [])

    def test_invalid_enum_in_a_body_names_the_values(self):
        r = self.d.req("POST", "/api/v1/cases/%d/contacts" % self.case["id"],
                       {"channel": "fax", "direction": "inbound", "summary": "x"},
                       token=self.lots)
        self.assertEqual((r.status, r.code), (422, "invalid_enum"))
        self.assertEqual(r.json["error"]["field"], "channel")
        self.assertEqual(r.json["error"]["allowed"], ["phone", "email", "visit", "meeting", "video"])
        r = self.d.req("POST", "/api/v1/cases/%d/close" % self.case["id"], {"outcome": "done"},
                       token=self.lots)
        self.assertEqual(r.json["error"]["allowed"],
                         ["resolved", "referred", "withdrawn", "no_action"])


if __name__ == "__main__":
    unittest.main()
