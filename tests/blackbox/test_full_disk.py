#!/usr/bin/python3
"""A full disk answers 507, loses nothing acknowledged, and recovers.

lotsd's data directory lives on a small tmpfs (mounted by the test, which
needs root and a kernel that allows it; otherwise the test says why and
exits 0 as skipped). A filler file takes part of the space. Writes go on
until lotsd answers 507; then every contact acknowledged with 201 must be
readable, reads must still be served, `lotsd check` must be clean, and once
the filler is removed, writes must succeed again.
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402

SIZE = "12m"


def main():
    if os.geteuid() != 0:
        print("SKIP: mounting a tmpfs needs root")
        return
    mnt = tempfile.mkdtemp(prefix="lotsbok-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + SIZE, "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mnt)
        print("SKIP: this machine does not let the test mount a tmpfs: %s" % r.stderr.strip())
        return
    try:
        run(mnt)
    finally:
        subprocess.run(["umount", "-l", mnt])
        os.rmdir(mnt)


def run(mnt):
    d = Lotsd(start=False)
    try:
        # Move the fresh environment onto the tmpfs.
        small = os.path.join(mnt, "data")
        shutil.copytree(d.data, small)
        shutil.rmtree(d.data)
        d.data = small
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * (4 << 20))
        d.start()
        admin = d.admin_token()
        lots = d.user(admin, "lotsa", "lots")
        case_id = d.case(lots, d.company(lots)["id"])["id"]

        acked, status = [], None
        summary = "Samtal om bygglov för en ny lagerhall. " * 40
        for _ in range(20000):
            r = d.req("POST", "/api/v1/cases/%d/contacts" % case_id,
                      {"channel": "phone", "direction": "inbound", "summary": summary},
                      token=lots)
            if r.status == 201:
                acked.append(r.json["id"])
                continue
            status = r
            break
        assert status is not None, "the disk never filled (%d writes)" % len(acked)
        assert status.status == 507, "expected 507 on a full disk, got %r" % status
        assert status.code == "storage_full", status
        assert len(acked) > 10, "too few writes before the disk filled: %d" % len(acked)

        # Reads go on, and nothing acknowledged is missing.
        r = d.req("GET", "/api/v1/cases/%d" % case_id, token=lots)
        assert r.status == 200, r
        present = {c["id"] for c in r.json["contacts"]}
        missing = [i for i in acked if i not in present]
        assert not missing, "acknowledged contacts lost: %s" % missing[:10]
        r = d.req("GET", "/healthz")
        assert r.status == 200, r

        # Space back: writes work again, and the environment is consistent.
        os.remove(filler)
        r = d.req("POST", "/api/v1/cases/%d/contacts" % case_id,
                  {"channel": "email", "direction": "outbound", "summary": "Svar skickat"},
                  token=lots)
        assert r.status == 201, "no write after space came back: %r" % r
        assert d.stop() == 0, "lotsd did not stop cleanly"
        c = d.run("check", "--data", d.data)
        assert c.returncode == 0, "lotsd check after the full disk:\n%s%s" % (c.stdout, c.stderr)
        print("ok: %d writes acknowledged before 507 (%s), all present; reads served; "
              "writes resumed after space was freed; check clean" % (len(acked), status.code))
    finally:
        d.close()


if __name__ == "__main__":
    main()
