/* SPDX-License-Identifier: ISC */
/* chrony_replies: two tracking replies captured from a real chronyd 4.3
 * (with what chronyc printed for them), shared by the unit tests of
 * proto/chronycmd and proto/upstream. */
#ifndef SOCKCLOCK_TEST_CHRONY_REPLIES_H
#define SOCKCLOCK_TEST_CHRONY_REPLIES_H

/* chronyd B (following a local stratum 1 chronyd) answering it. chronyc:
 *   Reference ID    : 7F000001 (127.0.0.1)
 *   Stratum         : 2
 *   Ref time (UTC)  : Mon Dec 07 20:39:08 2026
 *   System time     : 0.000000952 seconds fast of NTP time
 *   Last offset     : -0.000000006 seconds
 *   RMS offset      : 0.000000026 seconds
 *   Frequency       : 0.021 ppm slow
 *   Residual freq   : -0.000 ppm
 *   Skew            : 0.095 ppm
 *   Root delay      : 0.000005998 seconds
 *   Root dispersion : 0.000001082 seconds
 *   Update interval : 0.1 seconds
 *   Leap status     : Normal */
static const char sync_hex[] =
	"06020000002100050000000000000000c31ad0a600000000000000007f000001"
	"7f0000010000000000000000000000000001000000020000000000006b17196c"
	"3163f9b1db006a79cd353754d0e13b27f9519142e71e1a8ffcc29972e0c9426d"
	"dc912c43fc8312f6";
/* A chronyd with no source, sequence 0x80bbacda. chronyc:
 *   Reference ID    : 00000000 ()
 *   Stratum         : 0
 *   Ref time (UTC)  : Thu Jan 01 00:00:00 1970
 *   Root delay      : 1.000000000 seconds
 *   Root dispersion : 1.000000000 seconds
 *   Leap status     : Not synchronised   (the rest 0) */
static const char unsync_hex[] =
	"0602000000210005000000000000000080bbacda000000000000000000000000"
	"0000000000000000000000000000000000000000000000030000000000000000"
	"0000000000000000000000000000000000000000000000000000000004800000"
	"0480000000000000";

#endif
