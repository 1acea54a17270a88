#!/usr/bin/python3
"""Logins that overlap a password change (issue 30, item 3).

A login verifies the password on the thread pool (argon2id, ~100 ms with the real
limits) and stores its session afterwards. A PATCH /users/{name} that changes the
password or disables the user, committing while that verification runs, revokes the
user's sessions; the login's session, written later, must not outlive it. Whatever the
order in which the two commit, a token obtained with the old password must not work
once the change has been answered. (A disabled user's session never authenticates, so
disabling needs no such test; the login re-checks `disabled` all the same.)
"""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import Lotsd  # noqa: E402

ROUNDS = 6


class SessionRaces(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Real argon2id: the overlap needs hashing that takes a while.
        cls.d = Lotsd(env={"LOTSBOK_PWHASH_FAST": "0"})
        cls.admin = cls.d.admin_token()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def race(self, username, old_password, patch_body):
        """PATCHes the user and 20 ms later logs in with the old password; returns
        (the PATCH's answer, the login's answer)."""
        d = self.d
        out = {}

        def patch():
            out["patch"] = d.req("PATCH", "/api/v1/users/" + username, patch_body,
                                 token=self.admin)

        def login():
            out["login"] = d.req("POST", "/api/v1/sessions",
                                 {"username": username, "password": old_password})

        t = threading.Thread(target=patch)
        t.start()
        time.sleep(0.02)
        login()
        t.join(30)
        return out["patch"], out["login"]

    def test_password_change_revokes_overlapping_login(self):
        d = self.d
        granted = 0
        for i in range(ROUNDS):
            name, old, new = "pia%d" % i, "old-password-%d" % i, "new-password-%d" % i
            d.user(self.admin, name, "lots", password=old)
            patch, login = self.race(name, old, {"password": new})
            self.assertEqual(patch.status, 200, patch)
            self.assertIn(login.status, (201, 401), login)
            if login.status == 201:
                granted += 1
                me = d.req("GET", "/api/v1/me", token=login.json["token"])
                self.assertEqual(me.status, 401,
                                 "round %d: a session opened with the old password works "
                                 "after the password change" % i)
            # The new password works; the old one no longer does.
            self.assertTrue(d.login(name, new))
            r = d.req("POST", "/api/v1/sessions", {"username": name, "password": old})
            self.assertEqual(r.status, 401, r)
        print("logins answered 201 during the change: %d of %d (each token refused after)"
              % (granted, ROUNDS))


if __name__ == "__main__":
    unittest.main(verbosity=2)
