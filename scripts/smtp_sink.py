#!/usr/bin/python3
"""A local SMTP sink for `make run` and the benchmark: accepts every mail and
writes it to DIR as one .eml file (RFC 5322, as received), or only counts it
with --discard. Debian's python3-aiosmtpd; loopback only; no TLS, no login.

    scripts/smtp_sink.py --dir var/mail [--listen 127.0.0.1:2525] [--discard]

Prints "listening HOST:PORT" once it accepts (port 0 picks one), and on
SIGTERM or SIGINT the number of mails received. Never use it as a real mail
server: it keeps every mail and delivers none.
"""
import argparse
import itertools
import os
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, discard):
        self.dir = directory
        self.discard = discard
        self.count = 0
        self.seq = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = next(self.seq)
        if not self.discard:
            name = "%s-%06d.eml" % (time.strftime("%Y%m%d-%H%M%S"), n)
            tmp = os.path.join(self.dir, "." + name)
            with open(tmp, "wb") as f:
                f.write(envelope.original_content or envelope.content)
            os.chmod(tmp, 0o600)
            os.rename(tmp, os.path.join(self.dir, name))
        return "250 OK"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default="var/mail")
    ap.add_argument("--listen", default="127.0.0.1:2525")
    ap.add_argument("--discard", action="store_true")
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("smtp_sink: loopback only")
    if not a.discard:
        os.makedirs(a.dir, mode=0o700, exist_ok=True)
    sink = Sink(a.dir, a.discard)
    port = int(port)
    if port == 0:
        import socket
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    # SIGINT and SIGTERM are blocked before the server's thread starts, so
    # that thread inherits the mask and the main thread takes them in
    # sigwait. (With Python handlers instead, a signal the kernel delivered
    # to the server's thread left the main thread asleep in Event.wait, and
    # make run's Ctrl-C waited for the sink forever: test_demo, now and then.)
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    ctl = Controller(sink, hostname=host, port=port, data_size_limit=10 * 1024 * 1024)
    ctl.start()
    print("listening %s:%d" % (host, port), flush=True)
    signal.sigwait(stop)
    # Stopping waits for the sessions under way; a client that stays silent
    # must not keep make run's Ctrl-C waiting, so the sink exits after 3 s.
    stopper = threading.Thread(target=ctl.stop, daemon=True)
    stopper.start()
    stopper.join(3)
    print("received %d" % sink.count, flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
