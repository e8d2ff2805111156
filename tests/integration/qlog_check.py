#!/usr/bin/env python3
"""qlog_check.py: validate the RDT_QLOG traces of one transfer.

Usage: qlog_check.py DIR CLIENT_STATS SERVER_STATS BYTES

DIR must hold exactly one client and one server trace of one connection
(<id>-client.sqlog, <id>-server.sqlog); the stats files are
reliable-cat's --stats JSON of each end; BYTES is how many bytes the
client sent.  Checked, for each trace: the JSON-SEQ framing (RFC 7464:
every record starts with 0x1E and ends with a newline) and that every
record parses; the qlog header first; every event has a time, a name
and data; the event names the trace must hold; packet numbers of
packet_sent strictly increase; packet_lost names packets sent earlier;
metrics_updated reports a congestion window above 0; and the
packet_lost events agree with the end's pkts_lost counter.

That counter is reliable-cat's snapshot, taken once everything it sent
was acknowledged, while the connection lives on until exit: a packet
whose bytes a retransmission delivered may still be declared lost after
the snapshot (its time threshold runs out).  So the count cannot be
compared for equality; it must lie between the losses traced before the
end of stream was acknowledged and all the losses traced: fewer events
than the counter means events went missing, more before that point means
events were invented.  Across the two: the client's
stream frames cover exactly BYTES with a FIN, the server received them
all, and every packet number an ACK received names was sent by the
end that received it (the 64-bit numbers were expanded right).
Exits non-zero with the first failure.
"""
import json
import os
import sys

RS = b"\x1e"


def fail(msg):
    sys.exit("FAIL: " + msg)


def read_trace(path):
    data = open(path, "rb").read()
    if not data.startswith(RS):
        fail("%s: does not start with 0x1E" % path)
    records = []
    for i, chunk in enumerate(data.split(RS)[1:]):
        if not chunk.endswith(b"\n"):
            fail("%s: record %d does not end with a newline: %r"
                 % (path, i, chunk[-80:]))
        try:
            records.append(json.loads(chunk.decode("ascii")))
        except ValueError as e:
            fail("%s: record %d is not JSON (%s): %r"
                 % (path, i, e, chunk[:200]))
    return records


def check_header(path, hdr, role):
    if hdr.get("qlog_format") != "JSON-SEQ":
        fail("%s: header has no qlog_format JSON-SEQ: %r" % (path, hdr))
    if not isinstance(hdr.get("qlog_version"), str):
        fail("%s: header has no qlog_version" % path)
    trace = hdr.get("trace", {})
    if trace.get("vantage_point", {}).get("type") != role:
        fail("%s: vantage point is not %s: %r" % (path, role, trace))
    ref = trace.get("common_fields", {}).get("reference_time")
    if not isinstance(ref, (int, float)) or ref < 1e12:
        fail("%s: no reference_time in ms since 1970: %r" % (path, ref))


def fin_acked_time(events):
    """When an ACK first named a packet that carried the end of stream
    (None if none did): the snapshot of the counters came later."""
    fin_pns = set()
    for ev in events:
        data = ev["data"]
        if ev["name"] == "transport:packet_sent" and \
                any(f.get("fin") for f in data.get("frames", [])):
            fin_pns.add(data["header"]["packet_number"])
        if ev["name"] == "transport:packet_received":
            for f in data.get("frames", []):
                if f["frame_type"] != "ack":
                    continue
                for lo, hi in f["acked_ranges"]:
                    if any(lo <= pn <= hi for pn in fin_pns):
                        return ev["time"]
    return None


def check_events(path, events, stats, required):
    names = set()
    last_pn = None
    sent = set()
    lost = 0
    lost_times = []
    cwnd_seen = False
    for i, ev in enumerate(events):
        if not isinstance(ev.get("time"), (int, float)) or \
                not isinstance(ev.get("name"), str) or \
                not isinstance(ev.get("data"), dict):
            fail("%s: event %d lacks time, name or data: %r"
                 % (path, i, ev))
        name, data = ev["name"], ev["data"]
        names.add(name)
        if name == "transport:packet_sent":
            pn = data["header"]["packet_number"]
            if last_pn is not None and pn <= last_pn:
                fail("%s: packet_sent %d after %d" % (path, pn, last_pn))
            last_pn = pn
            sent.add(pn)
            if data["raw"]["length"] <= 0:
                fail("%s: packet_sent %d has no length" % (path, pn))
        elif name == "recovery:packet_lost":
            lost += 1
            lost_times.append(ev["time"])
            pn = data["header"]["packet_number"]
            if pn not in sent:
                fail("%s: packet_lost %d was never sent" % (path, pn))
            if data.get("trigger") not in ("reordering_threshold",
                                           "time_threshold",
                                           "pto_expired"):
                fail("%s: packet_lost %d: trigger %r"
                     % (path, pn, data.get("trigger")))
        elif name == "recovery:metrics_updated":
            if data.get("congestion_window", 1) <= 0:
                fail("%s: congestion_window %r"
                     % (path, data["congestion_window"]))
            if "congestion_window" in data:
                cwnd_seen = True
    missing = sorted(required - names)
    if missing:
        fail("%s: no %s events (has %s)" % (path, missing, sorted(names)))
    if not cwnd_seen:
        fail("%s: metrics_updated never reports congestion_window" % path)
    done = fin_acked_time(events)
    before = len([t for t in lost_times if done is None or t < done])
    if not before <= stats["pkts_lost"] <= lost:
        fail("%s: pkts_lost is %d, but %d packet_lost events were traced,"
             " %d of them before the end of stream was acknowledged"
             % (path, stats["pkts_lost"], lost, before))
    if lost != stats["pkts_lost"]:
        print("note: %s: %d packet_lost events, %d after pkts_lost was"
              " read (%d)" % (path, lost, lost - stats["pkts_lost"],
                              stats["pkts_lost"]))
    return sent, lost


def frames(events, name, kind):
    for ev in events:
        if ev["name"] == name:
            for f in ev["data"].get("frames", []):
                if f["frame_type"] == kind:
                    yield f


def covered(stream_frames):
    """The byte ranges the frames cover, merged, and whether a FIN came."""
    spans = sorted((f["offset"], f["offset"] + f["length"])
                   for f in stream_frames)
    merged, fin = [], False
    for f in stream_frames:
        fin = fin or f.get("fin", False)
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged, fin


def check_acks(path, events, own_sent):
    for f in frames(events, "transport:packet_received", "ack"):
        for lo, hi in f["acked_ranges"]:
            if lo > hi:
                fail("%s: ack range [%d, %d] upside down" % (path, lo, hi))
            for pn in range(lo, hi + 1):
                if pn not in own_sent:
                    fail("%s: an ACK names packet %d, never sent"
                         % (path, pn))


def main():
    qdir, cli_stats, srv_stats, nbytes = sys.argv[1:5]
    nbytes = int(nbytes)
    files = sorted(os.listdir(qdir))
    if len(files) != 2 or not files[0].endswith("-client.sqlog") or \
            files[1] != files[0].replace("-client", "-server"):
        fail("expected <id>-client.sqlog and <id>-server.sqlog in %s: %s"
             % (qdir, files))
    traces = {}
    for role, fname, stats in (("client", files[0], cli_stats),
                               ("server", files[1], srv_stats)):
        path = os.path.join(qdir, fname)
        records = read_trace(path)
        check_header(path, records[0], role)
        required = {"transport:packet_sent", "transport:packet_received",
                    "recovery:metrics_updated"}
        if role == "client":
            # The sender of the lossy transfer.
            required |= {"recovery:packet_lost",
                         "recovery:congestion_state_updated"}
        sent, lost = check_events(path, records[1:],
                                  json.load(open(stats)), required)
        traces[role] = (path, records[1:], sent, lost)
    cpath, cev, csent, clost = traces["client"]
    spath, sev, ssent, _ = traces["server"]
    check_acks(cpath, cev, csent)
    check_acks(spath, sev, ssent)
    for path, evs, name in ((cpath, cev, "transport:packet_sent"),
                            (spath, sev, "transport:packet_received")):
        spans, fin = covered(list(frames(evs, name, "stream")))
        if spans != [[0, nbytes]] or not fin:
            fail("%s: stream frames of %s cover %s (FIN %s), not [0, %d]"
                 % (path, name, spans[:5], fin, nbytes))
    print("ok: client trace: %d events, %d packets sent, %d lost; "
          "server trace: %d events" % (len(cev), len(csent), clost,
                                       len(sev)))


main()
