/* SPDX-License-Identifier: MIT */
/*
 * main.c — the pktlink command-line tool: dispatches to bench, info, fwd,
 * capture, gen and help.
 */
#include "cmds.h"

#include <pktlink/pktlink.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: pktlink <command> [options]\n"
	"\n"
	"commands:\n"
	"  bench [options]                 measure pktlink (and, with --peers, DPDK and libpcap)\n"
	"                                  in a private network namespace; needs root\n"
	"  info <ifname|spec>              what a device supports (driver, queues, MTU, XDP,\n"
	"                                  offloads), or the properties of an endpoint spec\n"
	"  status [IFNAME]                 XDP programs (with libxdp dispatcher chains and\n"
	"                                  owners), AF_XDP sockets and TAP devices, like\n"
	"                                  xdp-loader status\n"
	"  fwd <specA> <specB>             bridge two endpoints both ways\n"
	"  capture <spec> -w FILE [expr]   record frames like tcpdump -w (pcap or pcapng,\n"
	"                                  kernel timestamps, tcpdump filter expressions)\n"
	"  gen <ifname>                    send frames out of a device with the in-kernel XDP\n"
	"                                  generator (the one bench uses); needs root\n"
	"  help specs                      the spec-string syntax of every family\n"
	"  version                         print the version\n"
	"\n"
	"`pktlink <command> --help` describes each command.\n";

/* families() - the families this binary was built with, for `version`. */
static const char *families(void)
{
	return ""
#ifdef PKTLINK_HAVE_FD
	       " fd"
#endif
#ifdef PKTLINK_HAVE_XDP
	       " xdp"
#endif
#ifdef PKTLINK_HAVE_SHM
	       " shm"
#endif
		;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "bench"))
		return bench_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(cmd, "fwd"))
		return cmd_fwd(argc - 1, argv + 1);
	if (!strcmp(cmd, "capture"))
		return cmd_capture(argc - 1, argv + 1);
	if (!strcmp(cmd, "gen"))
		return cmd_gen(argc - 1, argv + 1);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("pktlink %d.%d (families:%s)\n", PKTLINK_VERSION_MAJOR, PKTLINK_VERSION_MINOR,
		       families());
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		if (argc >= 3 && !strcmp(argv[2], "specs")) {
			const char *h = pktlink_spec_help();
			fputs(*h ? h : "no endpoint families were built into this pktlink\n", stdout);
			return 0;
		}
		if (argc >= 3) {
			const char *sub[] = { argv[2], "--help", NULL };
			if (!strcmp(argv[2], "bench"))
				return bench_main(2, (char **)sub);
			if (!strcmp(argv[2], "info"))
				return cmd_info(2, (char **)sub);
			if (!strcmp(argv[2], "status"))
				return cmd_status(2, (char **)sub);
			if (!strcmp(argv[2], "fwd"))
				return cmd_fwd(2, (char **)sub);
			if (!strcmp(argv[2], "capture"))
				return cmd_capture(2, (char **)sub);
			if (!strcmp(argv[2], "gen"))
				return cmd_gen(2, (char **)sub);
			fprintf(stderr, "pktlink help: unknown topic '%s' (topics: specs, bench, info, "
					"status, fwd, capture, gen)\n",
				argv[2]);
			return 2;
		}
		fputs(usage, stdout);
		return 0;
	}
	fprintf(stderr, "pktlink: unknown command '%s'\n\n%s", cmd, usage);
	return 2;
}
