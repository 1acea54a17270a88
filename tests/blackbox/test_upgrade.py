#!/usr/bin/python3
"""Upgrades: a data directory written by the previous release opens with this
lotsd (issue 28, "Upgrades"; docs/operations.md).

tests/data/upgrade-v1/data.tar.xz is a data directory made by the lotsd before
data versions existed (data version 1: `lotsd init` and `lotsd demo --seed 7
--today 2026-11-30 --companies 40`), and manifest.json what that lotsd served
from it: every company, case (with its contacts, hand-offs and follow-ups),
hand-off, follow-up, improvement, meeting and user by id and version, and the
event log's length. Both are made by this file's --make mode (see the end).

The test, against this build's lotsd:
  - `lotsd check` names the old data version and exits 1; `lotsd reindex`
    refuses with a message naming `lotsd migrate`, and changes nothing;
  - `lotsd serve` migrates it in one transaction and logs it (from=1 to=3);
  - every record of the manifest reads back with the same version and fields,
    the lists hold exactly the manifest's ids, the event log is as long;
  - `lotsd check` is clean, and a second start migrates nothing;
  - a directory of a newer data version is refused by serve and by migrate,
    and left as it was;
  - `lotsd migrate` on another copy migrates, and says so, once.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import LOTSD, SOURCE_DIR, Lotsd  # noqa: E402

FIXTURE = os.path.join(SOURCE_DIR, "tests", "data", "upgrade-v1")
ADMIN, ADMIN_PASSWORD = "admin", "Gammal-release-2026!"


def get_all(d, token, path):
    """Every item of a paginated list (limit 500, after the last id)."""
    items, after = [], None
    sep = "&" if "?" in path else "?"
    while True:
        url = path + sep + "limit=500" + ("&after=%d" % after if after else "")
        r = d.req("GET", url, token=token)
        assert r.status == 200, (url, r)
        items += r.json["items"]
        after = r.json.get("next")
        if not after:
            return items


def walk(d, token):
    """What lotsd serves of the data: the manifest (also made by --make)."""
    m = {}

    def rec(path, keys):
        r = d.req("GET", path, token=token)
        assert r.status == 200, (path, r)
        return {k: r.json.get(k) for k in keys}, r.json

    m["companies"] = []
    for c in get_all(d, token, "/api/v1/companies"):
        one, _ = rec("/api/v1/companies/%d" % c["id"], ["id", "version", "orgnr", "name"])
        m["companies"].append(one)
    m["cases"] = []
    for c in get_all(d, token, "/api/v1/cases?order=oldest"):
        one, full = rec("/api/v1/cases/%d" % c["id"],
                        ["id", "version", "company_id", "status", "subject", "category"])
        one["contacts"] = sorted([x["id"], x["version"]] for x in full.get("contacts", []))
        one["handoffs"] = sorted([x["id"], x["version"]] for x in full.get("handoffs", []))
        one["followups"] = sorted([x["id"], x["version"]] for x in full.get("followups", []))
        m["cases"].append(one)
    m["handoffs"] = []
    for h in get_all(d, token, "/api/v1/handoffs?order=oldest"):
        one, _ = rec("/api/v1/handoffs/%d" % h["id"], ["id", "version", "case_id", "unit", "status"])
        m["handoffs"].append(one)
    m["followups"] = []
    for f in get_all(d, token, "/api/v1/followups"):
        one, _ = rec("/api/v1/followups/%d" % f["id"], ["id", "version", "case_id", "status"])
        m["followups"].append(one)
    m["improvements"] = sorted(
        [x["id"], x["version"], x["status"]]
        for st in ("identified", "implemented", "dropped")
        for x in get_all(d, token, "/api/v1/improvements?status=" + st))
    m["meetings"] = sorted([x["id"], x["version"]] for x in get_all(d, token, "/api/v1/meetings"))
    r = d.req("GET", "/api/v1/users", token=token)
    assert r.status == 200, r
    m["users"] = sorted([u["username"], u["role"]] for u in r.json["items"])
    seq = 0
    while True:
        r = d.req("GET", "/api/v1/events?limit=500&after=%d" % seq, token=token)
        assert r.status == 200, r
        if r.json["next"] == seq:
            break
        seq = r.json["next"]
    m["events"] = seq
    return m


def meta_put(data_dir, key, value):
    """Writes meta[key] = value (8 bytes big-endian) with lmdb-utils' mdb_load."""
    esc = "".join("\\%02x" % b for b in value.to_bytes(8, "big"))
    subprocess.run(["mdb_load", "-T", "-s", "meta", data_dir], input=key + "\n" + esc + "\n",
                   text=True, check=True, capture_output=True)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Upgrade(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(FIXTURE, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.d = Lotsd(admin=ADMIN, admin_password=ADMIN_PASSWORD, start=False)
        shutil.rmtree(self.d.data)
        with tarfile.open(os.path.join(FIXTURE, "data.tar.xz")) as t:
            t.extractall(self.d.dir)  # holds data/
        self.assertTrue(os.path.exists(os.path.join(self.d.data, "data.mdb")))

    def tearDown(self):
        self.d.close()

    def copy(self, name):
        dst = os.path.join(self.d.dir, name)
        shutil.copytree(self.d.data, dst)
        return dst

    def test_serve_migrates_and_every_record_reads(self):
        d = self.d
        r = d.run("check", "--data", d.data)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("data version 1 is older than this lotsd's 3: run lotsd migrate", r.stdout)

        before = sha(os.path.join(d.data, "data.mdb"))
        r = d.run("reindex", "--data", d.data)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("holds data version 1, older than this lotsd's 3: run 'lotsd migrate --data",
                      r.stderr)
        self.assertEqual(sha(os.path.join(d.data, "data.mdb")), before, "reindex changed it")

        d.start()
        log = d.log()
        self.assertIn('msg="migrated the data directory" from=1 to=3', log)
        token = d.login(ADMIN, ADMIN_PASSWORD)
        got = walk(d, token)
        for kind in self.manifest:
            self.assertEqual(got[kind], self.manifest[kind], kind)
        self.assertGreater(len(got["cases"]), 20)
        self.assertGreater(len(got["followups"]), 5)
        self.assertEqual(d.stop(), 0)

        r = d.run("check", "--data", d.data)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("is consistent", r.stdout)
        d.start()
        with open(d.log_path, encoding="utf-8", errors="replace") as f:
            self.assertEqual(f.read().count("migrated the data directory"), 1, d.log())
        self.assertEqual(d.stop(), 0)

    def test_migrate_command(self):
        d = self.d
        data = self.copy("other")
        r = d.run("migrate", "--data", data)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout.strip(), "lotsd: %s migrated from data version 1 to 3" % data)
        r = d.run("migrate", "--data", data)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("is at data version 3 already", r.stdout)
        r = d.run("check", "--data", data)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        # Refused while lotsd serve holds the directory.
        d.start()
        r = d.run("migrate", "--data", d.data)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("in use by lotsd serve", r.stderr)
        self.assertEqual(d.stop(), 0)

    def test_newer_data_version_is_refused(self):
        d = self.d
        r = d.run("migrate", "--data", d.data)
        self.assertEqual(r.returncode, 0, r)
        meta_put(d.data, "data_version", 4)
        before = sha(os.path.join(d.data, "data.mdb"))
        for cmd in (["migrate", "--data", d.data],
                    ["serve", "--data", d.data, "--listen", "127.0.0.1:0",
                     "--pub", "tcp://127.0.0.1:0", "--replay", "tcp://127.0.0.1:0"]):
            r = subprocess.run([LOTSD] + cmd, env=d.env, capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn("holds data version 4, newer than this lotsd's 3", r.stderr)
        self.assertEqual(sha(os.path.join(d.data, "data.mdb")), before)
        r = d.run("check", "--data", d.data)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("data version 4 is newer than this lotsd's 3", r.stdout)


def manifest_text(m):
    """JSON, one record a line."""
    out = []
    for kind in sorted(m):
        v = m[kind]
        if isinstance(v, list):
            rows = [json.dumps(x, sort_keys=True, ensure_ascii=False) for x in v]
            out.append('"%s": [\n%s\n]' % (kind, ",\n".join(rows)))
        else:
            out.append('"%s": %s' % (kind, json.dumps(v)))
    return "{\n" + ",\n".join(out) + "\n}\n"


def make(old_lotsd, out_dir):
    """--make OLD_LOTSD: the fixture, from a lotsd built from the release before."""
    tmp = tempfile.mkdtemp(prefix="lotsbok-upgrade-fixture-")
    try:
        data = os.path.join(tmp, "data")
        pw = os.path.join(tmp, "pw")
        with open(pw, "w") as f:
            f.write(ADMIN_PASSWORD + "\n")
        subprocess.run([old_lotsd, "init", "--data", data, "--admin", ADMIN,
                        "--password-file", pw], check=True)
        subprocess.run([old_lotsd, "demo", "--data", data, "--seed", "7", "--today",
                        "2026-11-30", "--companies", "40"], check=True, stdout=subprocess.DEVNULL)
        import lbtest
        lbtest.LOTSD = old_lotsd
        d = Lotsd(admin=ADMIN, admin_password=ADMIN_PASSWORD, start=False)
        shutil.rmtree(d.data)
        d.data = data
        d.start()
        manifest = walk(d, d.login(ADMIN, ADMIN_PASSWORD))
        assert d.stop() == 0
        d.close()
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "manifest.json"), "w") as f:
            f.write(manifest_text(manifest))
        with tarfile.open(os.path.join(out_dir, "data.tar.xz"), "w:xz") as t:
            for name in ("data.mdb", "pseudonym.key", "worker.token", "demo-logins.txt"):
                t.add(os.path.join(data, name), arcname="data/" + name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--make":
        make(os.path.abspath(sys.argv[2]), FIXTURE)
        sys.exit(0)
    unittest.main()
