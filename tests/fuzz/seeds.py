#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Seeds are hand-picked valid and near-valid inputs so that each target starts
deep inside its decoder instead of at random bytes. Inputs the fuzzer found
(crashes turned regression tests) live beside them as corpus/<target>/crash-*
and are not written by this script. In fuzz_http seeds, "$A", "$L", "$H",
"$V" and "$S" stand for the tokens of the admin, lots, handler, viewer and
worker sessions the harness creates, and "$T" for the public survey token of
the follow-up it mails (see fuzz_http.c)."""
import json
import os

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))


def w(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def req(method, path, tok=None, body=None, extra=""):
    h = "%s %s HTTP/1.1\r\nHost: x\r\n" % (method, path)
    if tok:
        h += "Authorization: Bearer $%s\r\n" % tok
    h += extra
    h = h.encode()
    if body is None:
        return h + b"\r\n"
    b = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return h + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(b) + b


def form(path, body):
    """An HTML form's POST (application/x-www-form-urlencoded), no login."""
    return (("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: %d\r\n\r\n" % (path, len(body))).encode() + body)


HTTP = [
    ("healthz", req("GET", "/healthz")),
    ("metrics", req("GET", "/metrics")),
    ("login", req("POST", "/api/v1/sessions", None, {"username": "lotsa", "password": "fuzz-password-1"})),
    ("me", req("GET", "/api/v1/me", "A")),
    ("company_create", req("POST", "/api/v1/companies", "L", {
        "orgnr": "556036-0793", "name": "Mälar Bygg AB", "locality": "Norrtälje", "sni": "41200",
        "contacts": [{"name": "Anna Berg", "role": "VD", "phone": "0176-123 45", "email": "anna@example.se"}]})),
    ("company_list", req("GET", "/api/v1/companies?q=malar&limit=5", "L")),
    ("company_orgnr", req("GET", "/api/v1/companies?orgnr=5560360793", "H")),
    ("company_patch", req("PATCH", "/api/v1/companies/1", "L", {"name": "Nytt namn AB"}, "If-Match: 1\r\n")),
    ("case_create", req("POST", "/api/v1/cases", "L", {
        "orgnr": "5560360793", "subject": "Etablering", "category": "establishment",
        "opened_at": "2026-03-14T09:30:00+01:00"})),
    ("case_list", req("GET", "/api/v1/cases?status=open&opened_from=2026-01-01&opened_to=2026-12-31&after=0&limit=500", "A")),
    ("case_get", req("GET", "/api/v1/cases/1", "H")),
    ("contact", req("POST", "/api/v1/cases/1/contacts", "L", {
        "at": "2026-03-14T09:30:00Z", "channel": "email", "direction": "outbound", "summary": "Svar", "minutes": 5})),
    ("close", req("POST", "/api/v1/cases/1/close", "L", {"outcome": "resolved", "note": "Klart", "closed_at": "2026-03-20T10:00:00Z"})),
    ("reopen", req("POST", "/api/v1/cases/1/reopen", "L", {})),
    ("handoff", req("POST", "/api/v1/cases/1/handoffs", "L", {"unit": "miljo", "note": "Miljö"})),
    ("handoff_list", req("GET", "/api/v1/handoffs?unit=bygglov&status=sent&overdue=true", "H")),
    ("ack", req("POST", "/api/v1/handoffs/1/acknowledge", "H", {"reference": "BN 2026-123"})),
    ("decide", req("POST", "/api/v1/handoffs/1/decide", "H", {"decision": "granted", "note": "OK", "decided_at": "2026-04-01T08:00:00Z"})),
    ("withdraw", req("POST", "/api/v1/handoffs/1/withdraw", "L", {"note": "x"})),
    ("followup_create", req("POST", "/api/v1/followups", "S", {
        "company_id": 1, "due": "2026-04-15", "assignee": "lotsa", "items": [{"kind": "lots", "case_id": 1}]},
        "Idempotency-Key: k1\r\n")),
    ("followup_items", req("POST", "/api/v1/followups/1/items", "S", {"kind": "unit", "case_id": 1, "handoff_id": 1})),
    ("followup_result", req("POST", "/api/v1/followups/1/result", "L", {
        "status": "done", "comment": "Bra",
        "answers": {"lots": {"reached_right_person": 5, "usefulness": 6, "easy_contact": True, "treatment": None},
                    "bygglov": {"nki_overall": 4, "clear_and_lawful": False}}})),
    ("followup_list", req("GET", "/api/v1/followups?status=scheduled&assignee=lotsa&due_before=2026-05-01", "L")),
    ("improvement", req("POST", "/api/v1/improvements", "L", {"unit": "bygglov", "title": "Checklista", "status": "identified"})),
    ("improvement_patch", req("PATCH", "/api/v1/improvements/1", "A", {"status": "implemented"})),
    ("indicators", req("GET", "/api/v1/indicators?quarter=2026-Q1", "V")),
    ("indicators_put", req("PUT", "/api/v1/indicators/2026-Q1", "S", {"quarter": "2026-Q1", "lots": {}})),
    ("report", req("GET", "/api/v1/reports/quarterly?quarter=2026-Q1&format=csv", "V")),
    ("events", req("GET", "/api/v1/events?after=0&limit=10", "A")),
    ("users", req("POST", "/api/v1/users", "A", {"username": "ny.handl", "password": "langt-losenord", "role": "handler", "units": ["miljo"]})),
    ("user_patch", req("PATCH", "/api/v1/users/ny.handl", "A", {"disabled": True})),
    ("anonymize", req("POST", "/api/v1/companies/1/anonymize", "A", {"reason": "gallring"})),
    ("export", req("GET", "/api/v1/companies/1/export", "A")),
    ("persons", req("GET", "/api/v1/persons?email=anna%40example.se", "A")),
    ("logout", req("DELETE", "/api/v1/sessions/current", "V")),
    ("chunked", b"POST /api/v1/cases/1/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $L\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"1a\r\n{\"channel\":\"phone\",\"direc\r\n29\r\ntion\":\"inbound\",\"summary\":\"Ringde igen\"}\r\n0\r\n\r\n"),
    ("pipelined", req("GET", "/healthz") + req("GET", "/api/v1/cases/1", "L") +
     req("POST", "/api/v1/cases/1/contacts", "L", {"channel": "video", "direction": "inbound", "summary": "x"}) +
     req("GET", "/nope")),
    ("bad_json", req("POST", "/api/v1/companies", "L", b"{\"orgnr\": \"55603607")),
    ("bad_utf8", req("POST", "/api/v1/companies", "L", b"{\"orgnr\":\"5560360793\",\"name\":\"\xff\xfe\"}")),
    ("http10", b"GET /healthz HTTP/1.0\r\n\r\n"),
    ("close_hdr", req("GET", "/api/v1/cases?owner=lotsa", "L", None, "Connection: close\r\n")),
    ("survey_form", req("GET", "/enkat/$T")),
    ("survey_post", form("/enkat/$T", b"lots.usefulness=5&lots.easy_contact=ja&lots.treatment=vet_ej"
                                      b"&comment=Bra+och+sn%C3%A4llt")),
    ("survey_post_bad", form("/enkat/$T", b"lots.usefulness=9&x.y=%zz&comment")),
    ("survey_api", req("GET", "/api/v1/public/surveys/$T")),
    ("survey_api_post", req("POST", "/api/v1/public/surveys/$T", None,
                            {"answers": {"lots": {"usefulness": 4, "easy_contact": None}}, "comment": "Bra"})),
    ("survey_optout", form("/enkat/$T/avregistrera", b"List-Unsubscribe=One-Click")),
    ("survey_issue", req("POST", "/api/v1/surveys/issue", "S", {"items": [
        {"followup_id": 1, "reminder": 1, "token_hash": "ab" * 32}]})),
    ("survey_bounce", req("POST", "/api/v1/followups/1/survey/bounce", "S", {})),
]

CODEC = [
    (0, {"v": 1, "id": 1, "version": 1, "created_at": 1, "updated_at": 2, "orgnr": "5560360793", "name": "AB",
         "contacts": [{"name": "A", "email": "a@b"}]}),
    (1, {"v": 1, "id": 2, "company_id": 1, "year": 2026, "serial": 1, "subject": "s", "category": "permit",
         "status": "open", "owner": "lotsa"}),
    (2, {"v": 1, "id": 3, "case_id": 2, "at": 5, "channel": "phone", "direction": "inbound", "summary": "x", "minutes": 3}),
    (3, {"v": 1, "id": 4, "case_id": 2, "unit": "bygglov", "status": "sent", "note": "n"}),
    (4, {"v": 1, "id": 5, "company_id": 1, "assignee": "lotsa", "due": 20000, "status": "scheduled",
         "items": [{"kind": "lots", "case_id": 2}], "answers": {"lots": {"usefulness": 5}}}),
    (5, {"v": 1, "id": 6, "title": "t", "status": "identified"}),
    (6, {"v": 1, "username": "u", "password_hash": "h", "role": "handler", "units": ["bygglov"]}),
    (7, {"v": 1, "token_hash": b"\x00" * 32, "username": "u", "created_at": 1, "expires_at": 2}),
    (8, {"v": 1, "status": 201, "body": "{}", "req_hash": b"\x01" * 32}),
    (9, {"v": 1, "quarter": "2026-Q1", "json": "{}", "source_seq": 3}),
    (10, {"seq": 1, "type": "case.closed", "at": 1773480600000, "actor": "lotsa", "id": 2,
          "data": {"case_id": 2, "outcome": "resolved"}}),
]

PARSERS = ["5560360793", "556036-0793", "16556036-0793", "165560360793", "19121212-1212", "121212+1212",
           " 5560360793 ", "2026-03-14T09:30:00Z", "2026-03-14t10:30:00.123+01:00", "2026-02-29", "2028-02-29",
           "2026-Q1", "2026-q4", "L2026-0042", "bygglov=Bygglov;miljo=Miljö",
           "limit=10&after=5&q=m%C3%A4lar+ab&orgnr=556036-0793", "limit=501&after=", "due_before=2026-01-01&status"]


def main():
    for name, data in HTTP:
        w("fuzz_http", name, data)
    for sel, obj in CODEC:
        w("fuzz_codec", "sel%02d" % sel, bytes([sel]) + msgpack.packb(obj))
    w("fuzz_codec", "deep", bytes([10]) + b"\x81\xa4data" + b"\x91" * 60 + b"\xc0")
    w("fuzz_codec", "huge_array", bytes([4]) + b"\x81\xa5items\xdd\xff\xff\xff\xff")
    for name, obj in [("ok", {"after": 0, "limit": 100}), ("extra", {"after": 5, "limit": 1, "x": [1, {"y": None}]}),
                      ("neg", {"after": -1, "limit": 1}), ("str", {"after": "0", "limit": 1})]:
        w("fuzz_replay", name, msgpack.packb(obj))
    w("fuzz_replay", "trailing", msgpack.packb({"after": 0, "limit": 2}) + b"\x00")
    w("fuzz_replay", "hugemap", b"\xdf\xff\xff\xff\xff")
    for i, s in enumerate(PARSERS):
        w("fuzz_parsers", "s%02d" % i, s)
    w("fuzz_worker_envelope", "live", msgpack.packb({
        "seq": 7, "type": "handoff.decided", "at": 1773480600000, "actor": "handb", "id": 4,
        "data": {"case_id": 2, "unit": "bygglov", "decided_at": "2026-03-14T09:30:00Z", "due": "2026-04-01"}}))
    w("fuzz_worker_envelope", "replay", msgpack.packb([
        {"seq": 1, "type": "case.closed", "at": 1, "id": 2, "data": {"case_id": 2, "closed_at": 1773480600000}},
        {"seq": 2, "type": "followup.scheduled", "at": 2, "id": 5,
         "data": {"company_id": 1, "items": [{"kind": "lots", "case_id": 2}], "due": 20000}}]))
    w("fuzz_worker_envelope", "deep", b"\x91" * 40 + b"\xc0")
    w("fuzz_worker_envelope", "bad", b"\xdd\xff\xff\xff\xff\x00")
    # The import readers: the CSV corpus files, and the XLSX parts (shared
    # strings, NUL, sheet) of tests/data/import's files plus the files whole.
    imp = os.path.join(HERE, "..", "data", "import")
    for name in ("win1252.csv", "utf8-bom.csv"):
        with open(os.path.join(imp, name), "rb") as f:
            w("fuzz_csv", name, f.read())
    w("fuzz_csv", "quotes", 'Orgnr;Namn;Kontaktperson\n"556036-0793";"A ""B""\r\nC";x\n"open')
    import zipfile
    for name in ("sheet.xlsx", "inline.xlsx"):
        with zipfile.ZipFile(os.path.join(imp, name)) as z:
            names = z.namelist()
            sst = z.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in names else b""
            sheet = [n for n in names if n.startswith("xl/worksheets/")][0]
            w("fuzz_xlsx_sheet", name + ".parts", sst + b"\0" + z.read(sheet))
        with open(os.path.join(imp, name), "rb") as f:
            w("fuzz_xlsx_sheet", name, f.read())


if __name__ == "__main__":
    main()
