#!/usr/bin/env python3
"""tamper-relay.py: a UDP relay on loopback that plays the on-path
attacker of rdt's encrypted mode (PROTOCOL.md 11) for rcat-psk.sh.

It forwards datagrams between the first client that writes to it and
--forward, and alters every Nth sealed DATA datagram (version 2, type 3)
each way: one byte of its encrypted body flipped and the CRC32C made good
again, so that only authentication can tell.  The altered datagram goes
on in place of the genuine one, which is lost.  It writes the port it
listens on to --port-file, and on SIGTERM (or after --lifetime seconds)
its counters as one JSON object to --stats.
"""
import argparse
import json
import os
import select
import signal
import socket
import sys
import time

POLY = 0x82F63B78  # CRC32C, reflected


def crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ POLY if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def tamper(dg):
    """Flip a byte of the encrypted body and make the CRC good again."""
    b = bytearray(dg)
    b[20] ^= 0x5A
    b[-4:] = crc32c(bytes(b[:-4])).to_bytes(4, "big")
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--forward", required=True, help="HOST:PORT")
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--lifetime", type=float, default=120.0)
    a = ap.parse_args()
    host, port = a.forward.rsplit(":", 1)
    server = (host, int(port))

    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", 0))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.connect(server)
    client = None
    counts = {"a2b": {"forwarded": 0, "sealed_data": 0, "tampered": 0},
              "b2a": {"forwarded": 0, "sealed_data": 0, "tampered": 0}}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % front.getsockname()[1])
    os.rename(a.port_file + ".tmp", a.port_file)

    deadline = time.monotonic() + a.lifetime
    while not stop and time.monotonic() < deadline:
        try:
            ready, _, _ = select.select([front, back], [], [], 0.2)
        except InterruptedError:
            continue
        for sock in ready:
            if sock is front:
                dg, addr = front.recvfrom(65535)
                client = addr
                way, out = "a2b", lambda d: back.send(d)
            else:
                dg = back.recv(65535)
                if client is None:
                    continue
                way, out = "b2a", lambda d: front.sendto(d, client)
            c = counts[way]
            if len(dg) > 40 and dg[0] == 2 and dg[1] == 3:
                c["sealed_data"] += 1
                if c["sealed_data"] % a.every == 0:
                    dg = tamper(dg)
                    c["tampered"] += 1
            c["forwarded"] += 1
            out(dg)
    with open(a.stats, "w") as f:
        json.dump(counts, f)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
