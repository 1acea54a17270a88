"""Known-weak and white-space-only passwords are refused (issue 19, item 9).

The policy (docs/api.md "Users"): at least 8 characters, no composition rules,
long passphrases welcome, refused when white space only or when libpwquality
with the cracklib dictionary calls it weak. Checked on POST /users, PATCH
/users/{name} and `lotsd init`; a refusal is 422 with the rule in the message
and never the password, and changes nothing."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import LOTSD, Lotsd  # noqa: E402

WEAK = ["12345678", "password", "Password1", "qwertyui", "abcdefgh", "aaaaaaaa",
        " " * 8, " \t  \t   ", "\u00a0" * 3 + " " * 6]
TOO_SHORT = ["Tr0mb-9", "åäöÅÄÖé"]
STRONG = ["Tr0mb-9x", "correct horse battery staple",
          "fyra ord som blir en lång lösenfras " * 28]  # 1,008 characters


class PasswordPolicy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Lotsd()
        cls.admin = cls.d.admin_token()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def create(self, name, password):
        return self.d.req("POST", "/api/v1/users",
                          {"username": name, "password": password, "role": "lots"},
                          token=self.admin)

    def assert_refused(self, r, password, code):
        self.assertEqual(r.status, 422, (password, r))
        self.assertEqual(r.json["error"]["code"], code, (password, r))
        self.assertEqual(r.json["error"]["field"], "password")
        if any(c.isdigit() for c in password):  # not a word the message may hold
            self.assertNotIn(password, r.raw, "the password is never echoed")

    def users(self):
        r = self.d.req("GET", "/api/v1/users?limit=500", token=self.admin)
        return {u["username"] for u in r.json["items"]}

    def test_weak_refused_on_create(self):
        for i, pw in enumerate(WEAK):
            self.assert_refused(self.create("weak%d" % i, pw), pw, "password_weak")
        for i, pw in enumerate(TOO_SHORT):
            self.assert_refused(self.create("short%d" % i, pw), pw, "password_too_short")
        self.assertFalse({u for u in self.users() if u.startswith(("weak", "short"))})
        self.assertNotIn("12345678", self.d.log())

    def test_strong_and_long_passphrases_accepted(self):
        for i, pw in enumerate(STRONG):
            r = self.create("strong%d" % i, pw)
            self.assertEqual(r.status, 201, (pw[:40], r))
            self.assertEqual(self.d.login("strong%d" % i, pw) is not None, True)

    def test_weak_refused_on_change(self):
        self.assertEqual(self.create("byter", "vinter-ek-lagrar-1").status, 201)
        r = self.d.req("GET", "/api/v1/users?limit=500", token=self.admin)
        version = [u for u in r.json["items"] if u["username"] == "byter"][0]["version"]
        for pw in ["password", " " * 12]:
            r = self.d.req("PATCH", "/api/v1/users/byter", {"password": pw}, token=self.admin)
            self.assert_refused(r, pw, "password_weak")
        r = self.d.req("GET", "/api/v1/users?limit=500", token=self.admin)
        self.assertEqual([u for u in r.json["items"] if u["username"] == "byter"][0]["version"],
                         version, "a refused change changes nothing")
        self.d.login("byter", "vinter-ek-lagrar-1")

    def test_init_refuses_a_weak_admin_password(self):
        with tempfile.TemporaryDirectory() as tmp:
            for pw in ["password", "12345678", " " * 10]:
                pwfile = os.path.join(tmp, "pw")
                with open(pwfile, "w") as f:
                    f.write(pw + "\n")
                data = os.path.join(tmp, "data")
                r = subprocess.run([LOTSD, "init", "--data", data, "--admin", "admin",
                                    "--password-file", pwfile], capture_output=True, text=True,
                                   timeout=60)
                self.assertEqual(r.returncode, 2, (pw, r.stderr))
                self.assertIn("refused", r.stderr)
                self.assertFalse(os.path.exists(os.path.join(data, "data.mdb")), pw)


if __name__ == "__main__":
    unittest.main()
