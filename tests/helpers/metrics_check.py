#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Check a program's --stats=prometheus against its plain --stats.

metrics_check.py PROGRAM PLAIN-FILE PROM-FILE [--key-file FILE]
                 [--master NEW[,OLD]]

The Prometheus text is parsed with python3-prometheus-client's parser
(an exception is a failure); every sample must carry program=PROGRAM;
every plain "name: value" line must have its sample of equal value, and
every sample its plain line (or be zero where the plain text leaves the
line out). With --key-file, the fingerprint must be SHA-256 over the
domain string and the file's current key (computed here, apart from
sockclock's code). The master secrets' lines (nts-master-key-fingerprint
and -old) must each have their sockclock_nts_master_key_info sample with
role new or old; with --master, the plain lines must be there and be
SHA-256 over the master domain string and each file's 32 bytes. Prints "ok N samples" or the first mismatches, exit 1.
"""
import hashlib
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

DGRAM = {
    "processes-started": ("sockclock_processes_started_total", None),
    "requests-received": ("sockclock_requests_received_total", None),
    "requests-answered": ("sockclock_requests_answered_total", None),
    "rate-limited": ("sockclock_requests_rate_limited_total", None),
    "kiss-o-death-sent": ("sockclock_kiss_o_death_sent_total", None),
    "interleaved-answered": ("sockclock_interleaved_answered_total", None),
    "dropped-destination": ("sockclock_requests_dropped_total", ("reason", "destination")),
    "dropped-not-allowed": ("sockclock_requests_dropped_total", ("reason", "not-allowed")),
    "send-delay-warm-samples": ("sockclock_send_delay_samples_total", ("kind", "warm")),
    "send-delay-cold-samples": ("sockclock_send_delay_samples_total", ("kind", "cold")),
    "upstream-refreshes": ("sockclock_upstream_refreshes_total", ("daemon", "chronyd")),
    "upstream-failures": ("sockclock_upstream_failures_total", ("daemon", "chronyd")),
    "upstream-timesyncd-refreshes": ("sockclock_upstream_refreshes_total", ("daemon", "timesyncd")),
    "upstream-timesyncd-failures": ("sockclock_upstream_failures_total", ("daemon", "timesyncd")),
    "authenticated-answered": ("sockclock_authenticated_answered_total", None),
    "nts-naks-sent": ("sockclock_nts_naks_total", None),
    "nts-cookies-unknown-key": ("sockclock_nts_cookies_unknown_key_total", None),
}
KE = {
    "processes-started": ("sockclock_processes_started_total", None),
    "connections-accepted": ("sockclock_nts_ke_connections_total", None),
    "exchanges-completed": ("sockclock_nts_ke_exchanges_total", None),
    "cookies-issued": ("sockclock_nts_cookies_issued_total", None),
}
# Lines whose value is not one sample's (checked otherwise, or not at all).
SPECIAL = {"requests-dropped", "exchanges-refused", "upstream-source",
           "nts-key-id", "nts-key-fingerprint", "nts-key-current-since",
           "send-delay-warm-ns", "send-delay-cold-ns"}
DOMAIN = b"sockclock NTS cookie key fingerprint v1\0"
MASTER_DOMAIN = b"sockclock NTS master key fingerprint"
MASTER_LINES = {"nts-master-key-fingerprint": "new",
                "nts-master-key-fingerprint-old": "old"}


def main():
    prog, plain_file, prom_file = sys.argv[1:4]
    opts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    key_file = opts.get("--key-file")
    masters = opts["--master"].split(",") if "--master" in opts else None
    plain = {}
    for ln in open(plain_file):
        name, _, value = ln.rstrip("\n").partition(": ")
        plain[name] = value
    samples, types, bad = {}, {}, []
    for fam in text_string_to_metric_families(open(prom_file).read()):
        for s in fam.samples:
            labels = dict(s.labels)
            if labels.pop("program", None) != prog:
                bad.append(f"{s.name}: program label {s.labels}")
            key = (s.name, tuple(sorted(labels.items())))
            if key in samples:
                bad.append(f"{key}: twice")
            samples[key] = s.value
            types[s.name] = fam.type
    table = KE if prog == "nts-ke-tcp" else DGRAM
    rule_metric, rule_prefix = (("sockclock_nts_ke_refused_total", "refused-")
                                if prog == "nts-ke-tcp" else
                                ("sockclock_requests_dropped_total", "dropped-"))
    seen = set()

    def want(name, labels, value):
        key = (name, tuple(sorted(labels)))
        seen.add(key)
        got = samples.get(key)
        if got is None:
            bad.append(f"{name}{labels}: missing, plain says {value}")
        elif got != float(value):
            bad.append(f"{name}{labels}: {got}, plain says {value}")

    for name, value in plain.items():
        if name in SPECIAL:
            continue
        if name in MASTER_LINES:
            info = ("sockclock_nts_master_key_info",
                    tuple(sorted([("fingerprint", value),
                                  ("role", MASTER_LINES[name])])))
            seen.add(info)
            if samples.get(info) != 1:
                bad.append(f"{name} {value}: no info sample {info}")
            continue
        if name in table:
            metric, label = table[name]
            want(metric, [label] if label else [], value)
        elif name.startswith(rule_prefix):
            want(rule_metric, [("reason", name[len(rule_prefix):])], value)
        else:
            bad.append(f"plain line {name!r} has no metric")
    total = "exchanges-refused" if prog == "nts-ke-tcp" else "requests-dropped"
    s = sum(v for (n, _), v in samples.items() if n == rule_metric)
    if float(plain[total]) != s:
        bad.append(f"{total} {plain[total]} != sum of {rule_metric} {s}")
    for kind in ("warm", "cold"):
        ns = plain.get(f"send-delay-{kind}-ns")
        got = samples.get(("sockclock_send_delay_seconds", (("kind", kind),)))
        seen.add(("sockclock_send_delay_seconds", (("kind", kind),)))
        if ns not in (None, "-") and (got is None or abs(got * 1e9 - int(ns)) > 1):
            bad.append(f"send delay {kind}: {got} s, plain {ns} ns")
    if "nts-key-fingerprint" in plain:
        fp = plain["nts-key-fingerprint"]
        info = ("sockclock_nts_key_info", (("fingerprint", fp),))
        age = ("sockclock_nts_key_age_seconds", ())
        seen.update([info, age])
        if samples.get(info) != 1:
            bad.append(f"no key info for {fp}")
        since = int(plain["nts-key-current-since"])
        a = samples.get(age)
        if a is None or not 0 <= time.time() - since - a <= 60:
            bad.append(f"key age {a}, current since {since}")
        if key_file:
            raw = open(key_file, "rb").read()
            cur = raw[16 + 36:16 + 72]  # slot 1: id (4), key (32)
            if int.from_bytes(cur[:4], "big") != int(plain["nts-key-id"], 16):
                bad.append(f"key id {plain['nts-key-id']} is not the file's current")
            mine = hashlib.sha256(DOMAIN + cur[4:]).hexdigest()[:16]
            if mine != fp:
                bad.append(f"fingerprint {fp}, computed {mine}")
    if masters is not None:
        for name, path in zip(MASTER_LINES, masters):
            mine = hashlib.sha256(MASTER_DOMAIN + open(path, "rb").read()).hexdigest()[:16]
            if plain.get(name) != mine:
                bad.append(f"{name} {plain.get(name)}, computed {mine} ({path})")
        if len(masters) < 2 and "nts-master-key-fingerprint-old" in plain:
            bad.append("an old master secret's line, none given")
    for key, v in samples.items():
        if key not in seen and v != 0:
            bad.append(f"{key} = {v}: no plain line")
    for name, typ in types.items():
        if name.endswith("_total") is not (typ == "counter"):
            bad.append(f"{name}: type {typ}")
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print(f"ok {len(samples)} samples")


main()
