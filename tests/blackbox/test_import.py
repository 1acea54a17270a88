"""Black-box test of POST /api/v1/imports/companies against the real lotsd,
with the corpus of tests/data/import/ (make_corpus.py says what each file holds):

- a dry run answers every row's result and changes nothing (no company, no event);
- the real run creates the companies and contact persons (Windows-1252 text
  arrives as UTF-8, a quoted newline inside a cell, the orgnr in every form, a
  personnummer's dropped zero), reports the failing rows with line, column and
  the API's code, the unknown column, and writes import.completed once;
- an imported company is found by search at once;
- a row for a company the register has fills its empty fields only;
- re-importing the same file (CSV, then XLSX) changes nothing and writes no event;
- XLSX from openpyxl (10,000 rows) and a hand-made one (inline strings); a broken
  XLSX, a CSV without an orgnr column, an empty body, a bad dry_run are refused;
- over 1,000,000 rows and over 50 MiB are 413 with a clear code; a file over the
  API's usual 1 MiB body limit is taken;
- a handler and a viewer are 403.
"""

import http.client
import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd, luhn_digit  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "import")


def corpus(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def imp(d, tok, raw, dry_run=None, ctype="text/csv"):
    path = "/api/v1/imports/companies"
    if dry_run is not None:
        path += "?dry_run=" + dry_run
    return d.req("POST", path, token=tok, raw=raw, headers={"Content-Type": ctype})


def events(d, admin, after=0):
    out = []
    while True:
        r = d.req("GET", "/api/v1/events?limit=500&after=%d" % after, token=admin)
        assert r.status == 200, r
        out += r.json["items"]
        if not r.json["items"]:
            return out
        after = r.json["next"]


def companies(d, tok):
    r = d.req("GET", "/api/v1/companies?limit=500", token=tok)
    assert r.status == 200, r
    return {c["orgnr"]: c for c in r.json["items"]}


def orgnr(n):
    body = "556%06d" % n
    return body + luhn_digit(body)


def main():
    with Lotsd() as d:
        admin = d.admin_token()
        lots = d.user(admin, "anna.lots", "lots")
        handler = d.user(admin, "bo.bygg", "handler", units=["bygglov"])
        viewer = d.user(admin, "vera.viewer", "viewer")
        win = corpus("win1252.csv")

        # --- roles, bad requests ----------------------------------------------------------
        for tok in (handler, viewer):
            assert imp(d, tok, win).status == 403
        r = imp(d, lots, win, dry_run="maybe")
        assert r.status == 400 and r.code == "bad_query", r
        r = imp(d, lots, b"")
        assert r.status == 400 and r.code == "empty_file", r
        r = imp(d, lots, corpus("broken.xlsx"), ctype="application/octet-stream")
        assert r.status == 400 and r.code == "unreadable_file", r
        r = imp(d, lots, "Namn;Ort\nX AB;Rimbo\n".encode())
        assert r.status == 422 and r.code == "missing_column", r
        assert r.json["error"]["field"] == "orgnr", r
        r = imp(d, lots, b'Orgnr;Namn\n"5560360793;X\n')
        assert r.status == 400 and r.code == "unreadable_file" and "line 2" in r.json["error"]["message"], r

        # --- dry run: every row's result, nothing written --------------------------------
        before = len(events(d, admin))
        r = imp(d, lots, win, dry_run="true")
        assert r.status == 200, r
        j = r.json
        assert j["dry_run"] is True and j["encoding"] == "windows-1252", j
        assert (j["rows"], j["created"], j["updated"], j["unchanged"], j["failed"]) == (9, 4, 1, 1, 3), j
        assert j["unknown_columns"] == ["Anställda"], j
        got = [(i["line"], i["status"], i.get("code"), i.get("column")) for i in j["items"]]
        assert got == [(2, "created", None, None), (3, "created", None, None),
                       (4, "created", None, None), (6, "created", None, None),
                       (7, "updated", None, None), (8, "unchanged", None, None),
                       (9, "failed", "invalid_orgnr_checksum", "Organisationsnummer"),
                       (10, "failed", "missing_field", "Företagsnamn"),
                       (11, "failed", "missing_field", "Kontaktperson")], got
        assert all(i.get("company_id") is None for i in j["items"]), j
        assert companies(d, lots) == {} and len(events(d, admin)) == before

        # --- the real run ------------------------------------------------------------------
        r = imp(d, lots, win, dry_run="false")
        assert r.status == 200, r
        assert (r.json["created"], r.json["updated"], r.json["failed"]) == (4, 1, 3), r.json
        ids = {i["line"]: i["company_id"] for i in r.json["items"] if i["status"] != "failed"}
        assert ids[2] and ids[2] == ids[7] == ids[8], ids
        cos = companies(d, lots)
        a = cos["5560360793"]
        assert a["id"] == ids[2] and a["name"] == "Larssons Båtbyggeri AB", a
        assert a["locality"] == "Grisslehamn" and a["sni"] == "30120", a
        assert [(p["name"], p["role"], p["email"]) for p in a["contacts"]] == [
            ("Åsa Öberg", "VD", "asa@larssons.example"),
            ("Örjan Larsson", "Säljare", "orjan@larssons.example")], a["contacts"]
        assert cos["5566778899"]["name"] == "Ölands Kök & Catering AB"
        c = cos["5590123450"]
        assert c["contacts"][0]["name"] == 'Märta "Mia" Holm', c
        assert c["contacts"][0]["role"] == "Kock,\nsommartid", c
        p = cos["0501011233"]
        assert p["personal_orgnr"] is True and p["contacts"] == [], p
        new = events(d, admin)[before:]
        assert [e["type"] for e in new].count("company.created") == 4, new
        done = [e for e in new if e["type"] == "import.completed"]
        assert len(done) == 1 and done[0]["actor"] == "anna.lots", done
        assert done[0]["data"]["created"] == 4 and done[0]["data"]["failed"] == 3, done
        r = d.req("GET", "/api/v1/search?q=%C3%B6lands+catering", token=lots)
        assert r.status == 200 and [i["id"] for i in r.json["items"]] == [ids[3]], r.json

        # --- again: nothing changes, no event ---------------------------------------------
        n = len(events(d, admin))
        r = imp(d, lots, win)
        assert r.status == 200 and r.json["dry_run"] is False, r
        assert (r.json["created"], r.json["updated"], r.json["unchanged"]) == (0, 0, 6), r.json
        assert len(events(d, admin)) == n and companies(d, lots) == cos

        # --- a company the register has: empty fields only ----------------------------------
        r = d.req("PATCH", "/api/v1/companies/%d" % ids[3], {"locality": None, "sni": "56211"},
                  token=lots)
        assert r.status == 200, r
        r = imp(d, lots, win)
        item = [i for i in r.json["items"] if i["line"] == 3][0]
        assert item["status"] == "updated" and item["fields"] == ["locality"], item
        b = companies(d, lots)["5566778899"]
        assert b["locality"] == "Norrtälje" and b["sni"] == "56211", b

        # --- XLSX --------------------------------------------------------------------------
        r = imp(d, lots, corpus("sheet.xlsx"), ctype="application/octet-stream")
        assert r.status == 200 and r.json["format"] == "xlsx", r
        assert [i["status"] for i in r.json["items"]] == ["created", "updated", "unchanged"], r.json
        assert companies(d, lots)["0501011233"]["contacts"][0]["name"] == "Lena Ekström"
        r = imp(d, lots, corpus("sheet.xlsx"))
        assert (r.json["created"], r.json["updated"]) == (0, 0), r.json
        r = imp(d, lots, corpus("inline.xlsx"))
        assert r.status == 200 and r.json["items"][0]["line"] == 3, r.json
        assert companies(d, lots)["5569000069"]["locality"] == "Rimbo Rör", r.json

        import openpyxl  # python3-openpyxl (scripts/deps.sh)
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["Organisationsnummer", "Företagsnamn", "Ort", "Kontaktperson"])
        for i in range(10000):
            ws.append([int(orgnr(100000 + i)), "Bolag %d AB" % i, "Norrtälje", "Kontakt %d" % i])
        buf = io.BytesIO()
        wb.save(buf)
        big = buf.getvalue()
        r = imp(d, lots, big, dry_run="true")
        assert r.status == 200 and r.json["created"] == 10000, {k: v for k, v in r.json.items() if k != "items"}
        r = imp(d, lots, big)
        assert r.status == 200 and r.json["created"] == 10000 and r.json["items"][-1]["line"] == 10001
        r = imp(d, lots, big)
        assert r.status == 200 and r.json["unchanged"] == 10000

        # --- limits ------------------------------------------------------------------------
        rows = b"Orgnr;Namn\n" + b"1;X\n" * 1000001  # over 1 MiB: reaches the reader
        r = imp(d, lots, rows)
        assert r.status == 413 and r.code == "too_many_rows", r
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
        c.putrequest("POST", "/api/v1/imports/companies")
        c.putheader("Authorization", "Bearer " + lots)
        c.putheader("Content-Type", "text/csv")
        c.putheader("Content-Length", str(50 * 1024 * 1024 + 1))
        c.endheaders()
        resp = c.getresponse()
        assert resp.status == 413 and b"payload_too_large" in resp.read()
        c.close()
        # Elsewhere the usual 1 MiB holds.
        r = d.req("POST", "/api/v1/companies", raw=b"{" + b" " * (1 << 20) + b"}", token=lots,
                  headers={"Content-Type": "application/json"})
        assert r.status == 413, r
        # --- lots import companies ----------------------------------------------------------
        env = dict(os.environ, LOTS_SERVER="http://127.0.0.1:%d" % d.port, LOTS_TOKEN=lots)
        lots_bin = os.path.join(BUILD_DIR, "lots")
        p = subprocess.run([lots_bin, "import", "companies", "--dry-run",
                            os.path.join(DATA, "win1252.csv")], env=env, capture_output=True, text=True)
        assert p.returncode == 0 and "Provkörning" in p.stdout, p
        assert "Skapade" in p.stdout and "Anställda" in p.stdout and "fel kontrollsiffra" in p.stdout, p.stdout
        assert "Skickar" not in p.stderr, p.stderr  # no progress bar when piped
        p = subprocess.run([lots_bin, "import", "companies", os.path.join(DATA, "broken.xlsx")],
                           env=env, capture_output=True, text=True)
        assert p.returncode == 2 and "kan inte läsas" in p.stderr, p
    print("ok: dry run, import, per-row results, re-import, XLSX, limits, roles, lots import")
    return 0


if __name__ == "__main__":
    sys.exit(main())
