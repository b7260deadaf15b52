#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A stand-in for systemd-timesyncd's bus object, on a private bus
(dbus-daemon --session started by the test): the name
org.freedesktop.timesync1, object /org/freedesktop/timesync1, and
org.freedesktop.DBus.Properties.GetAll for org.freedesktop.timesync1.
Manager with the types systemd's timesyncd-bus.c gives, or one of them
wrong, to test that sntp-udp ignores and counts such an answer.

  timesyncd_fake.py ADDRESS MODE [STRATUM [LEAP]]
MODE: good | ntpmessage-string | ntpmessage-short | address-string |
poll-string. Writes "ready" on standard output once it owns the name.
The message: the server 192.0.2.7 at STRATUM (default 2), root delay
0.25 s, root dispersion 0.125 s, a 20 ms exchange of which the server
held 4 ms (delay 16 ms), taken 2 s before now, jitter 3 ms."""
import sys
import time

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.freedesktop.timesync1.Manager"


def message(stratum, leap):
    now = int(time.time() * 1e6)
    t4 = now - 2_000_000
    t1 = t4 - 20_000
    t2 = t1 + 8_000
    t3 = t2 + 4_000
    return dbus.Struct((dbus.UInt32(leap), dbus.UInt32(4), dbus.UInt32(4),
                        dbus.UInt32(stratum), dbus.Int32(-20),
                        dbus.UInt64(250_000), dbus.UInt64(125_000),
                        dbus.ByteArray(b"\xc6\x33\x64\x01"),
                        dbus.UInt64(t1), dbus.UInt64(t2), dbus.UInt64(t3),
                        dbus.UInt64(t4), dbus.Boolean(False),
                        dbus.UInt64(7), dbus.UInt64(3_000)),
                       signature="uuuuittayttttbtt")


class Manager(dbus.service.Object):
    def __init__(self, bus, mode, stratum, leap):
        super().__init__(bus, "/org/freedesktop/timesync1")
        self.mode = mode
        self.stratum = stratum
        self.leap = leap

    @dbus.service.method("org.freedesktop.DBus.Properties",
                         in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        if iface != IFACE:
            return {}
        msg = message(self.stratum, self.leap)
        addr = dbus.Struct((dbus.Int32(2), dbus.ByteArray(bytes([192, 0, 2, 7]))),
                           signature="iay")
        poll = dbus.UInt64(32_000_000)
        if self.mode == "ntpmessage-string":
            msg = dbus.String("not a message")
        elif self.mode == "ntpmessage-short":
            # The struct as an older systemd might have it: no jitter.
            msg = dbus.Struct(tuple(msg)[:-1], signature="uuuuittayttttbt")
        elif self.mode == "address-string":
            addr = dbus.String("192.0.2.7")
        elif self.mode == "poll-string":
            poll = dbus.String("32s")
        return {
            "ServerName": dbus.String("ntp.example"),
            "ServerAddress": addr,
            "PollIntervalUSec": poll,
            "NTPMessage": msg,
            "Frequency": dbus.Int64(0),
        }


def main():
    address, mode = sys.argv[1], sys.argv[2]
    stratum = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    leap = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    name = dbus.service.BusName("org.freedesktop.timesync1", bus)
    Manager(bus, mode, stratum, leap)
    print("ready", flush=True)
    GLib.MainLoop().run()
    del name


if __name__ == "__main__":
    main()
