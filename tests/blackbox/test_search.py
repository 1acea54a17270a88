"""Black-box test of GET /api/v1/search against the real lotsd.

- every record type is found by a word of each field it indexes (companies:
  name, locality, orgnr in every form; cases: number, subject, description,
  closing note, company name and locality; contacts: summary; hand-offs: note,
  reference (diarienummer), decision and withdrawal notes), with a snippet of
  the original text whose highlights cover the matched word;
- every word must match, the last as a prefix; ranking by fields matched,
  then recency; type= filter; pages that cover every hit once;
- scoping: a handler finds only its units' records (companies and cases with
  a hand-off of theirs, those cases' contacts, their hand-offs); a viewer and
  the service are 403, as on the list routes;
- nonsense (emoji, control characters, 5,000 characters, 17 words, bad type,
  limit, cursor) gives an empty answer or 400, never everything;
- a rename moves a case's company words; anonymisation removes the replaced
  text's hits;
- eight threads writing contacts and searching for each at once: every
  answered write is found by the next search (searches run on the pool);
- lotsd check passes, and catches a posting added behind lotsd's back
  (mdb_load); lotsd reindex repairs it; served with --no-search-index the
  route is 503, and the next normal start rebuilds the index.
"""

import os
import subprocess
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import LOTSD, Lotsd, new_orgnr  # noqa: E402


def search(d, tok, q, **params):
    params["q"] = q
    return d.req("GET", "/api/v1/search?" + urllib.parse.urlencode(params), token=tok)


def found(d, tok, q, **params):
    r = search(d, tok, q, **params)
    assert r.status == 200, (q, r)
    return [(i["type"], i["id"]) for i in r.json["items"]]


def item(d, tok, q, typ, rid, **params):
    r = search(d, tok, q, **params)
    assert r.status == 200, (q, r)
    for i in r.json["items"]:
        if (i["type"], i["id"]) == (typ, rid):
            return i
    raise AssertionError("%s %d not found by %r: %r" % (typ, rid, q, r.json))


def highlighted(it):
    """The highlighted substrings of an item's snippet (code points)."""
    cps = list(it["snippet"])
    return ["".join(cps[s:s + n]) for s, n in it["highlights"]]


def main():
    with Lotsd() as d:
        admin = d.admin_token()
        lots = d.user(admin, "anna.lots", "lots")
        bygg = d.user(admin, "bo.bygg", "handler", units=["bygglov"])
        miljo = d.user(admin, "mia.miljo", "handler", units=["miljo"])
        viewer = d.user(admin, "vera.viewer", "viewer")

        orgnr = new_orgnr()
        co = d.company(lots, orgnr=orgnr, name="Larssons Båtbyggeri AB", locality="Grisslehamn")
        case = d.case(lots, co["id"], subject="Utbyggnad av båtvarvet",
                      description="Ny hall inom strandskyddat område vid bryggan")
        r = d.req("POST", "/api/v1/cases/%d/contacts" % case["id"],
                  {"channel": "phone", "direction": "inbound",
                   "summary": "Frågar om dispens från strandskyddet"}, token=lots)
        assert r.status == 201, r
        contact = r.json
        hb = d.handoff(lots, case["id"], unit="bygglov", note="Bygglov för ny verkstadshall")
        r = d.req("POST", "/api/v1/handoffs/%d/acknowledge" % hb["id"],
                  {"reference": "BYGG 2026-1234"}, token=bygg)
        assert r.status == 200, r
        r = d.req("POST", "/api/v1/handoffs/%d/decide" % hb["id"],
                  {"decision": "granted", "note": "Beviljat med villkor om takhöjd"}, token=bygg)
        assert r.status == 200, r
        hm = d.handoff(lots, case["id"], unit="miljo", note="Avlopp från tvätthallen")
        r = d.req("POST", "/api/v1/handoffs/%d/withdraw" % hm["id"],
                  {"note": "Återkallad, fel enhet för oljeavskiljare"}, token=lots)
        assert r.status == 200, r
        # A company and case only miljö works with.
        other = d.company(lots, name="Roslagens Fisk AB", locality="Väddö")
        ocase = d.case(lots, other["id"], subject="Fiskrökeri i hamnen")
        d.handoff(lots, ocase["id"], unit="miljo", note="Rökeriets utsläpp")

        C, K, T, H = ("company", co["id"]), ("case", case["id"]), ("contact", contact["id"]), \
            ("handoff", hb["id"])
        num = case["number"]
        # --- every type by each field -------------------------------------------
        for q in ("båt", "BATBYGG", "larssons ab", "grisslehamn", orgnr,
                  orgnr[:6] + "-" + orgnr[6:], "16" + orgnr, "16" + orgnr[:6] + "-" + orgnr[6:]):
            assert C in found(d, lots, q, type="company"), q
        for q in (num, num[1:], "utbyggnad båtv", "strandskyddat", "larssons utbyggnad",
                  "grisslehamn strandsk"):
            assert K in found(d, lots, q, type="case"), q
        assert T in found(d, lots, "dispens strandskyddet")
        for q in ("verkstadshall", "BYGG 2026-1234", "2026/1234", "takhöjd villkor"):
            assert H in found(d, lots, q, type="handoff"), q
        assert ("handoff", hm["id"]) in found(d, lots, "oljeavskiljare")
        # The snippet is the original text; highlights cover the words.
        it = item(d, lots, "grisslehamn strandskydd", "case", case["id"])
        assert it["snippet"] == "Ny hall inom strandskyddat område vid bryggan", it
        assert highlighted(it) == ["strandskyddat"], it
        assert set(it["fields"]) == {"description", "company_locality"}, it
        assert it["title"] == num + " Utbyggnad av båtvarvet", it
        assert it["company_name"] == "Larssons Båtbyggeri AB" and it["status"] == "open"
        it = item(d, lots, "takhojd", "handoff", hb["id"])
        assert highlighted(it) == ["takhöjd"] and it["field"] == "decision_note", it
        assert it["unit_name"] == "Bygglov" and it["reference"] == "BYGG 2026-1234", it
        it = item(d, lots, "dispens", "contact", contact["id"])
        assert it["case_number"] == num and it["channel"] == "phone", it
        # lots search: the same in a Swedish table.
        lots_bin = os.path.join(os.path.dirname(LOTSD), "lots")
        env = dict(os.environ, LOTS_TOKEN=lots, COLUMNS="200", XDG_CONFIG_HOME=d.dir)
        url = "http://127.0.0.1:%d" % d.port
        r = subprocess.run([lots_bin, "--server", url, "search", "grisslehamn", "strandsk"],
                           env=env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and "Ärende" in r.stdout and num in r.stdout, r
        assert "strandskyddat" in r.stdout, r.stdout
        r = subprocess.run([lots_bin, "--server", url, "search", "--type", "foretag", "grisslehamn"],
                           env=env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and "Företag" in r.stdout and "Ärende" not in r.stdout, r
        r = subprocess.run([lots_bin, "--server", url, "search", "nonsensord"], env=env,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and r.stdout.strip() == "Inga träffar.", r
        # Every word must match; the last one as a prefix only.
        assert found(d, lots, "strand grisslehamn") == []
        assert found(d, lots, "båtvarvet nonsensord") == []
        # type filter, several types
        got = found(d, lots, "grisslehamn", type="company,case")
        assert set(got) == {C, K}, got
        # Closing note once the case is closed.
        r = d.req("POST", "/api/v1/cases/%d/close" % case["id"],
                  {"outcome": "resolved", "note": "Klart efter platsbesök"}, token=lots)
        assert r.status == 200, r
        assert K in found(d, lots, "platsbesök")

        # --- ranking and pages ------------------------------------------------------
        rk = d.case(lots, other["id"], subject="Kylrum för fisk", description="Kylrum och frys")
        ids = []
        for i in range(25):
            r = d.req("POST", "/api/v1/cases/%d/contacts" % rk["id"],
                      {"channel": "email", "direction": "outbound",
                       "summary": "Skickade ritning på kylrum nr %d" % i}, token=lots)
            ids.append(r.json["id"])
        got = found(d, lots, "kylrum", limit=100)
        # The case matches in two fields and leads; the contacts follow newest first.
        assert got[0] == ("case", rk["id"]), got
        assert [i for _, i in got[1:]] == ids[::-1], got
        seen, after, pages = [], None, 0
        while True:
            params = {"limit": 7}
            if after:
                params["after"] = after
            r = search(d, lots, "kylrum", **params)
            assert r.status == 200, r
            seen += [(i["type"], i["id"]) for i in r.json["items"]]
            pages += 1
            after = r.json["next"]
            if after is None:
                break
            assert isinstance(after, str) and pages < 10
        assert seen == got and pages == 4, (pages, seen)

        # --- scoping ------------------------------------------------------------------
        g = found(d, bygg, "grisslehamn")
        assert C in g and K in g, g
        assert T in found(d, bygg, "dispens"), "a handler sees the contacts of its cases"
        assert H in found(d, bygg, "verkstadshall")
        assert found(d, bygg, "oljeavskiljare") == [], "another unit's hand-off"
        assert found(d, bygg, "fiskrökeri") == [] and found(d, bygg, "roslagens") == []
        assert ("case", ocase["id"]) in found(d, miljo, "fiskrökeri")
        assert found(d, miljo, "verkstadshall") == []
        for tok in (viewer, d.worker_token()):
            r = search(d, tok, "grisslehamn")
            assert r.status == 403 and r.code == "forbidden", r
        assert search(d, None, "grisslehamn").status == 401

        # --- nonsense ------------------------------------------------------------------------
        for q in ("😀🚤", "\x01\x02\x03", "!!! ?? --", "   "):
            r = search(d, lots, q)
            assert r.status == 200 and r.json == {"items": [], "next": None}, (q, r)
        bad = [{"q": "a" * 5000}, {"q": "ö" * 201}, {}, {"q": " ".join("abcdefghijklmnopq")},
               {"q": "x", "type": "meetings"}, {"q": "x", "type": ""}, {"q": "x", "limit": "0"},
               {"q": "x", "limit": "101"}, {"q": "x", "after": "zz"}, {"q": "x", "after": "1.2"},
               {"q": "x", "after": "5000"}]
        for p in bad:
            r = d.req("GET", "/api/v1/search?" + urllib.parse.urlencode(p), token=lots)
            assert r.status == 400 and r.code == "bad_query", (p, r)
        r = d.req("GET", "/api/v1/search?q=%C3%28", token=lots)  # invalid UTF-8
        assert r.status == 400, r

        # --- rename and anonymisation -----------------------------------------------------------
        r = d.req("PATCH", "/api/v1/companies/%d" % co["id"],
                  {"name": "Mälarvarvet AB", "locality": "Östhammar"}, token=lots)
        assert r.status == 200, r
        assert K not in found(d, lots, "larssons") and K in found(d, lots, "mälarvarvet")
        assert K in found(d, lots, "osthammar platsbesok")
        r = d.req("POST", "/api/v1/companies/%d/anonymize" % co["id"],
                  {"reason": "erasure_request"}, token=admin)
        assert r.status == 200, r
        for q in ("dispens", "verkstadshall", "takhöjd", "platsbesök", "strandskyddat",
                  "oljeavskiljare"):
            assert found(d, lots, q) == [], q
        assert found(d, lots, "kylrum")[:1] == [("case", rk["id"])]

        # --- searches on the thread pool, beside writes -------------------------------------------
        # Each thread writes a contact with a word of its own and searches for it at
        # once, while the others do the same: every answered write is found by the
        # next search (its read transaction begins after the answer), and nothing
        # another thread wrote leaks into a thread's word.
        errors = []

        def writer_searcher(n):
            try:
                for i in range(15):
                    # letters only (digits would start words of their own)
                    word = "parall" + "abcdefgh"[n] + "q" + "abcdefghijklmnop"[i] + "z"
                    r = d.req("POST", "/api/v1/cases/%d/contacts" % rk["id"],
                              {"channel": "phone", "direction": "inbound",
                               "summary": "Samtal om %s och kylrum" % word}, token=lots)
                    assert r.status == 201, r
                    got = found(d, lots, word)
                    assert got == [("contact", r.json["id"])], (word, got)
                    mine = found(d, lots, "parall" + "abcdefgh"[n] + "q", limit=100)
                    assert len(mine) == i + 1 and mine[0] == got[0], (word, mine)
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=writer_searcher, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        r = search(d, lots, "parall", limit=100)
        assert r.status == 200 and len(r.json["items"]) == 100 and r.json["next"], r
        assert len(found(d, lots, "parall", limit=100, after=r.json["next"])) == 8 * 15 - 100

        # --- check, a broken entry, reindex, the index off and rebuilt ----------------------------
        assert d.stop() == 0
        r = d.run("check", "--data", d.data)
        assert r.returncode == 0, r.stdout + r.stderr
        bogus = os.path.join(d.dir, "bogus.txt")
        with open(bogus, "w") as f:
            f.write("\\03hemligt\\00\\01\n" + "\\00" * 5 + "\\01" + "\\00" * 5 + "\\01\n")
        subprocess.run(["mdb_load", "-T", "-s", "search", "-f", bogus, d.data], check=True)
        r = d.run("check", "--data", d.data)
        assert r.returncode == 1 and "belongs to no record" in r.stdout, r.stdout
        assert 'contact summary "hemligt"' in r.stdout, r.stdout
        r = d.run("reindex", "--data", d.data)
        assert r.returncode == 0, r.stderr
        assert d.run("check", "--data", d.data).returncode == 0

        d.start(extra_args=["--no-search-index"])
        r = search(d, lots, "kylrum")
        assert r.status == 503 and r.code == "search_unavailable", r
        r = d.req("POST", "/api/v1/cases/%d/contacts" % rk["id"],
                  {"channel": "email", "direction": "outbound", "summary": "Kylrum utan index"},
                  token=lots)
        assert r.status == 201, r
        late = r.json["id"]
        assert d.stop() == 0
        assert d.run("check", "--data", d.data).returncode == 1  # not built
        d.start()
        assert 'msg="building the search index"' in d.log()
        assert found(d, lots, "kylrum utan")[0] == ("contact", late)
        assert d.stop() == 0
        assert d.run("check", "--data", d.data).returncode == 0
    print("ok: every type and field, ranking, pages, scoping, nonsense, rename, "
          "anonymisation, check, reindex, upgrade")
    return 0


if __name__ == "__main__":
    sys.exit(main())
