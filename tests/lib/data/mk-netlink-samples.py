#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes nl-*.bin: messages of the generic netlink family "fragalloc"
(uapi/linux/fragalloc_netlink.h) byte for byte as the kernel builds them,
for the host test of the library's parsers (tests/lib/test_monitor.c, which
holds the expected values). Rerun to regenerate; the files are committed,
so the tests do not depend on this script.

The encoding follows include/net/netlink.h and net/netlink/genetlink.c:
nlmsghdr (16 bytes) + genlmsghdr (4) + attributes (nlattr: u16 len, u16
type, payload padded to 4 bytes); nla_put_u64_64bit() puts a 4-byte
FRAGALLOC_NL_A_PAD attribute first when the tail is 8-aligned, but only
on architectures without CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS (x86 puts
none): the "-pad" samples are those of such an architecture. Nests carry
NLA_F_NESTED (nla_nest_start()). Host byte order: little endian."""
import os
import struct

# enum fragalloc_nl_attr
(A_UNSPEC, A_PAD, A_CLASS, A_CLASS_ID, A_CLASS_BLOCKS, A_CLASS_USED,
 A_CLASS_FREE, A_CLASS_LOOSE, A_STATS_RESERVE_BLOCKS, A_STATS_FALLBACKS,
 A_STATS_BLOCKS_ACQUIRED, A_STATS_BLOCKS_RELEASED, A_STATS_OTHER_PAGES,
 A_STATS_RECOMPACT_RUNS, A_STATS_RECOMPACT_MOVED, A_STATS_META_BYTES,
 A_STATS_AUTO_RUNS, A_STATS_IDLE_PAGES, A_STATS_RECLAIMABLE_PAGES,
 A_STATS_SHRINK_RUNS, A_STATS_SHRINK_PAGES, A_STATS_SHRINK_BLOCKS_BROKEN,
 A_STATS_AUTO_PAGES_RELEASED, A_EVENT_KIND, A_EVENT_COUNT, A_EVENT_TIME_NS,
 A_EVENT_PAGES, A_EVENT_BLOCKS, A_EVENT_LOOSE, A_EVENT_PLANNED,
 A_EVENT_MOVED, A_EVENT_ASKED, A_EVENT_DURATION_NS, A_EVENT_LIMIT,
 A_EVENT_ERRNO) = range(35)
CMD_GET_STATS, CMD_EVENT = 1, 2
EV_ALLOC, EV_RECOMPACT, EV_LIMIT_HIT = 0, 5, 7
FAMILY = 0x22          # a dynamic id, as nlctrl hands them out
GENL_ID_CTRL, CTRL_CMD_DELFAMILY = 0x10, 2
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLA_F_NESTED = 1 << 15


def align4(n):
    return (n + 3) & ~3


class Msg:
    """An skb: nlmsghdr and genlmsghdr reserved, attributes appended."""

    def __init__(self, cmd, pad64=False):
        self.cmd = cmd
        self.pad64 = pad64
        self.buf = bytearray(16 + 4)

    def put(self, typ, payload):
        n = 4 + len(payload)
        self.buf += struct.pack("<HH", n, typ) + payload
        self.buf += b"\0" * (align4(n) - n)

    def u16(self, typ, v):
        self.put(typ, struct.pack("<H", v))

    def u32(self, typ, v):
        self.put(typ, struct.pack("<I", v))

    def string(self, typ, s):
        self.put(typ, s.encode() + b"\0")

    def u64(self, typ, v):
        if self.pad64 and len(self.buf) % 8 == 0:
            self.put(A_PAD, b"")
        self.put(typ, struct.pack("<Q", v))

    def nest_start(self, typ):
        start = len(self.buf)
        self.buf += struct.pack("<HH", 0, typ | NLA_F_NESTED)
        return start

    def nest_end(self, start):
        struct.pack_into("<H", self.buf, start, len(self.buf) - start)

    def bytes(self, typ=FAMILY, flags=0, seq=0, pid=0):
        struct.pack_into("<IHHII", self.buf, 0, len(self.buf), typ, flags,
                         seq, pid)
        struct.pack_into("<BBH", self.buf, 16, self.cmd, 1, 0)
        return bytes(self.buf)


def event(kind, fields, pad64=False, extra=None):
    m = Msg(CMD_EVENT, pad64)
    if kind is not None:
        m.u32(A_EVENT_KIND, kind)
    for typ, v in fields:
        if typ in (A_EVENT_LIMIT, A_EVENT_ERRNO):
            m.u32(typ, v)
        else:
            m.u64(typ, v)
    if extra:
        extra(m)
    return m.bytes()


ALLOC = [(A_EVENT_COUNT, 3), (A_EVENT_TIME_NS, 123456789012),
         (A_EVENT_PAGES, 1536), (A_EVENT_BLOCKS, 3), (A_EVENT_LOOSE, 0)]
RECOMPACT = [(A_EVENT_COUNT, 1), (A_EVENT_TIME_NS, 987654321000),
             (A_EVENT_PLANNED, 700), (A_EVENT_MOVED, 640),
             (A_EVENT_BLOCKS, 2), (A_EVENT_DURATION_NS, 4500000)]
LIMIT = [(A_EVENT_COUNT, 2), (A_EVENT_TIME_NS, 5000000000),
         (A_EVENT_LIMIT, 1), (A_EVENT_ERRNO, 28)]


def stats(pad64=False):
    m = Msg(CMD_GET_STATS, pad64)
    for typ, v in [(A_STATS_RESERVE_BLOCKS, 4), (A_STATS_FALLBACKS, 17),
                   (A_STATS_BLOCKS_ACQUIRED, 40), (A_STATS_BLOCKS_RELEASED, 30),
                   (A_STATS_OTHER_PAGES, 256), (A_STATS_RECOMPACT_RUNS, 5),
                   (A_STATS_RECOMPACT_MOVED, 1200), (A_STATS_META_BYTES, 8192),
                   (A_STATS_AUTO_RUNS, 2), (A_STATS_IDLE_PAGES, 300),
                   (A_STATS_RECLAIMABLE_PAGES, 2048), (A_STATS_SHRINK_RUNS, 6),
                   (A_STATS_SHRINK_PAGES, 4096),
                   (A_STATS_SHRINK_BLOCKS_BROKEN, 1),
                   (A_STATS_AUTO_PAGES_RELEASED, 512)]:
        m.u64(typ, v)
    for cid in range(3):
        n = m.nest_start(A_CLASS)
        m.u32(A_CLASS_ID, cid)
        m.u64(A_CLASS_BLOCKS, 10 * (cid + 1))
        m.u64(A_CLASS_USED, 5000 + cid)
        m.u64(A_CLASS_FREE, 120 + cid)
        m.u64(A_CLASS_LOOSE, 7 * cid)
        m.nest_end(n)
    return m.bytes(flags=0, seq=7, pid=4242)


def delfamily():
    m = Msg(CTRL_CMD_DELFAMILY)
    m.u16(CTRL_ATTR_FAMILY_ID, FAMILY)
    m.string(CTRL_ATTR_FAMILY_NAME, "fragalloc")
    return m.bytes(typ=GENL_ID_CTRL)


def unknown(m):
    m.u64(200, 0xdeadbeef)                 # an attribute of a newer kernel
    m.u64(A_STATS_FALLBACKS, 99)           # known, but not an event's


def bad_count_size():
    m = Msg(CMD_EVENT)
    m.u32(A_EVENT_KIND, EV_ALLOC)
    m.u32(A_EVENT_COUNT, 3)                # u32 where a u64 belongs
    return m.bytes()


def overrun():
    b = bytearray(event(EV_ALLOC, ALLOC))
    # the last attribute claims 8 bytes more than the message holds
    last = len(b) - 12
    struct.pack_into("<H", b, last, 12 + 8)
    return bytes(b)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    alloc = event(EV_ALLOC, ALLOC)
    samples = {
        "nl-event-alloc": alloc,
        "nl-event-alloc-pad": event(EV_ALLOC, ALLOC, pad64=True),
        "nl-event-recompact-pad": event(EV_RECOMPACT, RECOMPACT, pad64=True),
        "nl-event-limit": event(EV_LIMIT_HIT, LIMIT),
        "nl-event-unknown-attr": event(EV_ALLOC, ALLOC, extra=unknown),
        "nl-event-no-kind": event(None, ALLOC),
        "nl-event-truncated": alloc[:len(alloc) - 6],
        "nl-event-overrun": overrun(),
        "nl-event-bad-size": bad_count_size(),
        "nl-stats": stats(),
        "nl-stats-pad": stats(pad64=True),
        "nl-ctrl-delfamily": delfamily(),
    }
    for name, data in samples.items():
        with open(os.path.join(here, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
