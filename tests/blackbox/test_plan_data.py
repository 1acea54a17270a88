#!/usr/bin/python3
"""test_plan_data: data/plan-norrtalje-2025-2030.json is the whole plan of
data/handlingsplan-naringslivsstrategi-2025-2030.txt, in the plan's own words.

The text is parsed independently of the JSON: every action heading (code and
title), every bullet under "Aktiviteter och delmål" and every bullet under
"Indikatorer och mätbara mål" (continuation lines joined, whitespace collapsed)
must be in the JSON under the same action, and nothing the text lacks may be
there (the one indicator outside an action's list, "antal erbjudna sommarjobb"
from målområde 4's introduction, is checked on its own). The six målområden
keep their numbers and titles, and every indicator is classified with the
vocabulary of DESIGN.md. Run with Debian's /usr/bin/python3."""

import json
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("LB_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
TEXT = os.path.join(SOURCE_DIR, "data", "handlingsplan-naringslivsstrategi-2025-2030.txt")
PLAN = os.path.join(SOURCE_DIR, "data", "plan-norrtalje-2025-2030.json")

HEADING = re.compile(r"^(\d)\.(\d)\.\s+(.*)$")
SECTION = re.compile(r"^(Mål och syfte|Syfte och mål|Tidplan|Ansvarsfördelning|Resurser och budget|"
                     r"Aktiviteter och delmål|Indikatorer och mätbara mål|Uppföljning|Kommentar)\b")
KINDS = {"auto", "manual", "milestone"}
UNITS = {"count", "share", "index", "text"}
DIRECTIONS = {"increase", "decrease", "at_least", "none"}
AUTO_SOURCES = {"companies_guided", "followups_done", "easy_contact_share", "usefulness_index",
                "reached_right_person_index", "treatment_index", "website_information_index",
                "nki_total", "clear_and_lawful_share", "improvements_identified",
                "improvements_implemented"}
MEETING_SOURCES = {"meetings", "meeting_participants", "meeting_companies",
                   "meeting_relevant_share", "meeting_knowledge_share", "needs_expressed",
                   "proposals_documented"}
MEETING_KINDS = {"business_meeting", "cluster_meeting", "infrastructure_meeting",
                 "company_training", "staff_training", "theme_day", "recruitment_fair",
                 "dialogue", "other"}


def norm(s):
    return " ".join(s.split())


def read_text():
    with open(TEXT, encoding="utf-8") as f:
        return norm(f.read())


def parse_text(path):
    """{code: {"title", "activities": [...], "indicators": [...]}} from the text."""
    with open(path, encoding="utf-8") as f:
        lines = [l.strip() for l in f.read().split("\n")]
    actions = {}
    cur = None
    section = None
    title_open = False
    bullet = None

    def flush():
        nonlocal bullet
        if bullet is not None and cur is not None and section in ("activities", "indicators"):
            actions[cur][section].append(norm(bullet))
        bullet = None

    for line in lines:
        m = HEADING.match(line)
        if m and not line.startswith("•"):
            flush()
            cur = f"{m.group(1)}.{m.group(2)}"
            assert cur not in actions, f"action {cur} twice in the text"
            actions[cur] = {"title": m.group(3), "activities": [], "indicators": []}
            section, title_open = None, True
            continue
        if cur is None:
            continue
        s = SECTION.match(line)
        if s:
            flush()
            title_open = False
            name = s.group(1)
            section = {"Aktiviteter och delmål": "activities",
                       "Indikatorer och mätbara mål": "indicators"}.get(name)
            if name == "Uppföljning" and line.startswith("Uppföljning och utvärdering"):
                cur = None
            continue
        if line.startswith("Uppföljning och utvärdering"):
            flush()
            cur = None
            continue
        if title_open:
            if line:
                actions[cur]["title"] += " " + line
            continue
        # A målområde heading ("2. Innovation och entreprenörskap") ends an action's text.
        if re.match(r"^\d\.\s+\S", line):
            flush()
            section = None
            continue
        if section in ("activities", "indicators"):
            if line.startswith("•"):
                flush()
                bullet = line[1:].strip()
            elif line.startswith("Aktivitet "):  # 6.2's two groups of activities
                flush()
            elif line and bullet is not None:
                bullet += " " + line
    flush()
    for a in actions.values():
        a["title"] = norm(a["title"])
    return actions


class PlanData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = parse_text(TEXT)
        with open(PLAN, encoding="utf-8") as f:
            cls.plan = json.load(f)
        cls.actions = {a["code"]: (area, a) for area in cls.plan["areas"] for a in area["actions"]}

    def test_the_parser_sees_the_whole_plan(self):
        # Guards the parser itself: 17 actions, each with indicators and activities.
        self.assertEqual(len(self.text), 17, sorted(self.text))
        for code, a in self.text.items():
            self.assertTrue(a["indicators"], code)
            self.assertTrue(a["activities"], code)
        self.assertEqual(sum(len(a["indicators"]) for a in self.text.values()), 57)

    def test_every_action_code_and_title(self):
        self.assertEqual(sorted(self.actions), sorted(self.text))
        for code, t in self.text.items():
            area, a = self.actions[code]
            self.assertEqual(norm(a["title"]), t["title"], code)
            self.assertEqual(area["number"], int(code.split(".")[0]), code)

    def test_every_indicator_line(self):
        for code, t in self.text.items():
            _, a = self.actions[code]
            names = [norm(i["name"]) for i in a["indicators"] if "målområde" not in i.get("note", "")]
            for line in t["indicators"]:
                self.assertIn(line, names, f"{code}: indicator line missing from the JSON")
            for name in names:
                self.assertIn(name, t["indicators"], f"{code}: indicator not in the text")

    def test_the_area_indicator(self):
        area4 = self.plan["areas"][3]
        self.assertIn("“antal erbjudna sommarjobb”", area4["description"])
        self.assertIn("“antal erbjudna sommarjobb”", read_text())
        names = [i["name"] for a in area4["actions"] for i in a["indicators"]]
        self.assertIn("Antal erbjudna sommarjobb", names)

    def test_every_activity(self):
        for code, t in self.text.items():
            _, a = self.actions[code]
            self.assertEqual([norm(x["text"]) for x in a["activities"]], t["activities"], code)

    def test_areas(self):
        text = read_text()
        self.assertEqual([a["number"] for a in self.plan["areas"]], [1, 2, 3, 4, 5, 6])
        for area in self.plan["areas"]:
            self.assertIn(f"{area['number']}. {area['title']}", text)
            self.assertIn(norm(area["goal"]), text)
            self.assertIn(norm(area["description"]), text)

    def test_texts_are_the_plans(self):
        text = read_text()
        for code, (_, a) in self.actions.items():
            for key in ("purpose", "timeline", "responsible", "resources", "followup_text", "comment"):
                self.assertIn(norm(a[key]), text, f"{code} {key}")

    def test_classification(self):
        ids = set()
        for code, (_, a) in self.actions.items():
            own = {i["id"] for i in a["indicators"]}
            for n, i in enumerate(a["indicators"], 1):
                self.assertEqual(i["id"], f"{code}-{n}")
                self.assertNotIn(i["id"], ids)
                ids.add(i["id"])
                self.assertIn(i["kind"], KINDS, i["id"])
                self.assertIn(i["unit"], UNITS, i["id"])
                self.assertIn(i["direction"], DIRECTIONS, i["id"])
                if i["kind"] == "auto":
                    src = i["source"]
                    base, _, kind = src.partition(":")
                    if kind:
                        self.assertIn(base, MEETING_SOURCES, i["id"])
                        self.assertIn(kind, MEETING_KINDS, i["id"])
                    else:
                        self.assertIn(src, AUTO_SOURCES, i["id"])
                else:
                    self.assertNotIn("source", i, i["id"])
                if i["kind"] == "milestone":
                    self.assertRegex(i["due"], r"^20\d\d-\d\d-\d\d$")
                if i["direction"] == "at_least":
                    self.assertTrue(i["target"], i["id"])
                if "same_as" in i:
                    self.assertIn(i["same_as"], own)
        # 57 lines of the lists, 1.2's "identifierats och implementerats" as two figures, and the
        # sommarjobb of målområde 4's introduction.
        self.assertEqual(len(ids), 59)

    def test_units_are_configured_ones(self):
        known = {"bygglov", "miljo", "livsmedel", "serveringstillstand", "raddningstjanst",
                 "gata_park", "upphandling"}
        for code, (_, a) in self.actions.items():
            self.assertLessEqual(set(a["units"]), known, code)
        self.assertEqual(self.actions["1.4"][1]["units"], ["upphandling"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
