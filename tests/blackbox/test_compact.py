#!/usr/bin/python3
"""lotsd compact: anonymised text no longer lingers in free LMDB pages
(issue 19, item 4).

After POST /companies/{id}/anonymize the replaced text stays in the pages LMDB
freed until they are reused: `strings data.mdb` finds it. The worker's
retention run logs that a compaction is due; `lotsd compact --data DIR` is
refused while `lotsd serve` holds DIR, and offline it rewrites data.mdb from
its live pages only, checks the copy and swaps it in: the text is gone, `lotsd
check` is clean and every record reads back.
"""

import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd, new_orgnr  # noqa: E402

WORKER = os.path.join(BUILD_DIR, "lots-worker")
MARK = "Quarnstedtska"  # in contact persons and free text only, never in a name


def found(path, text):
    with open(path, "rb") as f:
        data = f.read()
    runs = re.findall(rb"[\x20-\x7e]{4,}", data)  # what `strings` prints
    return any(text.encode() in r for r in runs)


class Compact(unittest.TestCase):
    def test_compact_removes_anonymised_text(self):
        with Lotsd() as d:
            admin = d.admin_token()
            lots = d.user(admin, "lotsa", "lots")
            co = d.company(lots, orgnr=new_orgnr(), name="Rimbo Snickeri AB",
                           contacts=[{"name": "Alva " + MARK, "phone": "070-123 45 67"}])
            keep = d.company(lots, name="Hallstavik Mekaniska AB")
            case = d.case(lots, co["id"], description="Familjen %s vill bygga" % MARK)
            kept_case = d.case(lots, keep["id"], description="Ny verkstadshall")
            for i in range(3):
                r = d.req("POST", "/api/v1/cases/%d/contacts" % case["id"],
                          {"channel": "phone", "direction": "inbound",
                           "summary": "Samtal %d med %s om lokalen" % (i, MARK)}, token=lots)
                self.assertEqual(r.status, 201, r)
            r = d.req("POST", "/api/v1/companies/%d/anonymize" % co["id"],
                      {"reason": "erasure_request"}, token=admin)
            self.assertEqual(r.status, 200, r)
            self.assertNotIn(MARK, d.req("GET", "/api/v1/cases/%d" % case["id"], token=admin).raw)

            # The worker's retention run says a compaction is due.
            wlog = os.path.join(d.dir, "worker.log")
            with open(wlog, "w") as log:
                w = subprocess.Popen(
                    [WORKER, "--data", os.path.join(d.dir, "worker"), "--server",
                     "http://127.0.0.1:%d" % d.port, "--token-file",
                     os.path.join(d.data, "worker.token"), "--sub", d.pub, "--replay", d.replay,
                     "--no-indicators"], env=d.env, stdout=log, stderr=log)
            try:
                deadline = time.time() + 20
                while time.time() < deadline and "compaction due" not in open(wlog).read():
                    time.sleep(0.1)
            finally:
                w.send_signal(signal.SIGTERM)
                w.wait(15)
            text = open(wlog).read()
            self.assertIn('msg="compaction due', text)
            self.assertIn("anonymized_since_compaction=1", text)

            # Refused while serve holds the directory; nothing changes.
            db = os.path.join(d.data, "data.mdb")
            ino = os.stat(db).st_ino
            r = d.run("compact", "--data", d.data)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("lotsd serve", r.stderr)
            self.assertEqual(os.stat(db).st_ino, ino)

            self.assertEqual(d.stop(), 0)
            self.assertTrue(found(db, MARK), "the text should linger in free pages before compact")
            r = d.run("compact", "--data", d.data)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertFalse(found(db, MARK), "anonymised text left in data.mdb after compact")
            self.assertFalse(os.path.exists(db + ".old"))
            self.assertFalse(os.path.exists(os.path.join(d.data, "compact.tmp")))
            self.assertEqual(os.stat(db).st_mode & 0o077, 0)
            r = d.run("check", "--data", d.data)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

            # Everything reads back, and writing goes on.
            d.start()
            self.assertEqual(d.req("GET", "/api/v1/companies/%d" % keep["id"],
                                   token=admin).json["name"], "Hallstavik Mekaniska AB")
            self.assertEqual(d.req("GET", "/api/v1/cases/%d" % kept_case["id"],
                                   token=admin).json["description"], "Ny verkstadshall")
            got = d.req("GET", "/api/v1/cases/%d" % case["id"], token=admin).json
            self.assertEqual(len(got["contacts"]), 3)
            self.assertEqual(got["description"], "[anonymiserad]")
            r = d.req("POST", "/api/v1/cases/%d/contacts" % kept_case["id"],
                      {"channel": "email", "direction": "outbound", "summary": "Efter compact"},
                      token=lots)
            self.assertEqual(r.status, 201, r)
            r = d.req("PUT", "/api/v1/worker/cursor", {"seq": 0}, token=d.worker_token())
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["anonymized_since_compaction"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
