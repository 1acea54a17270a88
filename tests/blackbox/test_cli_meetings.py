"""lots meeting add|list|show|attend|evaluate and the meetings on lots company
show, against the real lotsd (docs/cli.md, docs/meetings.md)."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import BUILD_DIR, Lotsd, new_orgnr  # noqa: E402

LOTS = os.path.join(BUILD_DIR, "lots")
NOW = "2026-03-20T09:00:00Z"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what)


def main():
    with Lotsd(env={"LOTSBOK_NOW": NOW}) as d:
        admin = d.admin_token()
        tok = d.user(admin, "anna.lots", "lots")
        vtok = d.user(admin, "arbetsgrupp", "viewer")
        env = dict(os.environ, LOTS_SERVER="http://127.0.0.1:%d" % d.port, LOTS_TOKEN=tok,
                   LOTSBOK_NOW=NOW, COLUMNS="200")
        env.pop("XDG_CONFIG_HOME", None)

        def lots(*args, token=None):
            e = dict(env, LOTS_TOKEN=token or tok)
            return subprocess.run([LOTS] + list(args), env=e, capture_output=True, text=True,
                                  timeout=60)

        known = d.company(tok, name="Rimbo Snickeri AB")
        r = lots("meeting", "add", "--kind", "company_training", "--title", "Upphandlingsskolan",
                 "--at", "2026-03-18T13:00:00+01:00", "--place", "Kommunhuset", "--unit",
                 "upphandling", "--action", "1.4", "--need", "Mallar för anbud",
                 "--proposal", "Fler tillfällen i Hallstavik")
        check(r.returncode == 0 and "Träff 1 är registrerad" in r.stdout and "/enkat/" in r.stdout,
              "meeting add prints the id and the link: %s" % r.stdout.strip())
        r = lots("meeting", "add", "--kind", "picnic", "--title", "x", "--at", "2026-03-18T13:00Z")
        check(r.returncode == 1 and "--kind" in r.stderr, "an unknown kind is a usage error")

        new_nr = new_orgnr(formatted=True)
        r = lots("meeting", "attend", "1", "--company", "%s:2" % known["orgnr"],
                 "--new", "%s:Ny Firma AB:3" % new_nr, "--staff", "upphandling:2")
        check(r.returncode == 0 and "7 deltagare från 2 företag" in r.stdout,
              "attend: a known company, one registered on the spot, staff: %s" % r.stdout.strip())
        r = d.req("GET", "/api/v1/companies?orgnr=" + new_nr.replace("-", ""), token=tok)
        check(len(r.json["items"]) == 1 and r.json["items"][0]["name"] == "Ny Firma AB",
              "the new company is in the register")
        r = lots("meeting", "attend", "1", "--new", "5560360794:Felaktig AB")
        check(r.returncode == 2 and "Fel" in r.stderr, "a bad orgnr is refused by lotsd's check")
        r = lots("meeting", "attend", "1", "--company", known["orgnr"])
        check(r.returncode == 0 and "6 deltagare från 2 företag" in r.stdout,
              "attend again updates the persons of a company already there")

        for rel, kn in (("5", "ja"), ("6", "ja"), ("3", "nej")):
            r = lots("meeting", "evaluate", "1", "--relevant", rel, "--knowledge", kn,
                     "--comment", "Bra kurs")
            check(r.returncode == 0, "evaluate from paper (%s, %s)" % (rel, kn))
        r = lots("meeting", "evaluate", "1", "--relevant", "9")
        check(r.returncode == 1, "--relevant 9 is a usage error")

        r = lots("meeting", "show", "1")
        out = r.stdout
        check(r.returncode == 0 and "Upphandlingsskolan" in out and "Rimbo Snickeri AB" in out and
              "Ny Firma AB" in out and "Uttryckt behov: Mallar för anbud" in out,
              "show: attendance by name and the documented items")
        check("visas inte (färre än 7 svar, 3 svar)" in out and "”Bra kurs”" in out,
              "show: the share held back under 7 answers, the comments")
        sheet = os.path.join(d.dir, "blad.html")
        r = lots("meeting", "show", "1", "--sheet", sheet)
        check(r.returncode == 0 and "<svg" in open(sheet).read(), "show --sheet saves the QR sheet")

        r = lots("meeting", "list", "--year", "2026")
        check(r.returncode == 0 and re.search(r"2026-03-18\s+Utbildning för företag\s+2\s+6\s+3",
                                              r.stdout), "list: date, kind, companies, "
              "participants, evaluations:\n" + r.stdout)
        r = lots("meeting", "list", "--kind", "theme_day")
        check(r.returncode == 0 and "Inga träffar" in r.stdout, "list --kind filters")
        r = lots("meeting", "show", "1", token=vtok)
        check(r.returncode == 0 and "Rimbo" not in r.stdout and "Bra kurs" not in r.stdout and
              "Deltagare: 6" in r.stdout, "a viewer's show: counts, no names or comments")

        r = lots("company", "show", known["orgnr"])
        check(r.returncode == 0 and "Träffar:" in r.stdout and "Upphandlingsskolan" in r.stdout,
              "company show lists the meetings it attended")
        r = lots("meeting", "attend", "1", "--remove", known["orgnr"])
        check(r.returncode == 0 and "5 deltagare från 1 företag" in r.stdout, "--remove")
        r = lots("meeting", "list", "--json")
        check(r.returncode == 0 and r.stdout.lstrip().startswith("{"), "--json prints the API's")


if __name__ == "__main__":
    main()
