"""Backups are private: `lotsd backup` writes data.mdb 0600 in a 0700
directory whatever the umask of the shell that runs it, and makes an existing
empty directory 0700 too (issue 19, item 3)."""

import os
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lbtest import LOTSD, Lotsd  # noqa: E402


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class BackupPermissions(unittest.TestCase):
    def backup(self, d, dest):
        """lotsd backup under umask 000, the most permissive an operator can have."""
        r = subprocess.run([LOTSD, "backup", "--data", d.data, "--to", dest], env=d.env,
                           capture_output=True, text=True, timeout=60,
                           preexec_fn=lambda: os.umask(0))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_modes_whatever_the_umask(self):
        with Lotsd() as d:
            tok = d.admin_token()
            d.user(tok, "lotsa", "lots")
            d.stop()
            fresh = os.path.join(d.dir, "fresh")
            self.backup(d, fresh)
            self.assertEqual(mode(fresh), 0o700, "a new backup directory")
            self.assertEqual(mode(os.path.join(fresh, "data.mdb")), 0o600, "data.mdb")

            existing = os.path.join(d.dir, "existing")
            os.mkdir(existing)
            os.chmod(existing, 0o777)
            self.backup(d, existing)
            self.assertEqual(mode(existing), 0o700, "an existing empty directory")
            self.assertEqual(mode(os.path.join(existing, "data.mdb")), 0o600)

            r = d.run("check", "--data", existing)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            # Nothing readable by others anywhere in the copy.
            for name in os.listdir(existing):
                self.assertEqual(mode(os.path.join(existing, name)) & 0o077, 0, name)

    def test_non_empty_directory_refused_untouched(self):
        with Lotsd() as d:
            d.stop()
            busy = os.path.join(d.dir, "busy")
            os.mkdir(busy)
            os.chmod(busy, 0o755)
            with open(os.path.join(busy, "keep.txt"), "w") as f:
                f.write("x")
            r = d.run("backup", "--data", d.data, "--to", busy)
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(os.listdir(busy), ["keep.txt"])
            self.assertEqual(mode(busy), 0o755, "a refused directory keeps its mode")


if __name__ == "__main__":
    unittest.main()
