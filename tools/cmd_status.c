/* SPDX-License-Identifier: MIT */
/*
 * cmd_status.c — `pktlink status [IFNAME]`, after `xdp-loader status`:
 * every XDP program on each device (with libxdp's dispatcher chain), who
 * holds it, pktlink programs whose owner is gone, the AF_XDP sockets per
 * queue, and TAP/TUN devices with their owners. Read-only.
 */
#include "cmds.h"
#include "json.h"
#include "xdpq.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

static const char status_usage[] =
	"usage: pktlink status [IFNAME] [--json]\n"
	"\n"
	"Like `xdp-loader status`: for every device in this network namespace (or\n"
	"IFNAME), the XDP programs attached (id, name, mode, tag; for libxdp's\n"
	"dispatcher the programs it runs, with run priority and chain-call actions),\n"
	"the process that holds each one, and pktlink programs left attached by a\n"
	"process that is gone (marked STALE: the next pktlink open replaces them,\n"
	"or `ip link set dev IFNAME xdp off` removes them). Then the AF_XDP sockets\n"
	"per queue (sock_diag) and the TAP/TUN devices with their owners.\n"
	"Needs root to name programs and owners. Exit status: 0, 1 on failure, 2 on\n"
	"a usage error.\n";

#define MAX_XSKS 1024

static void owner_str(int pid, const char *comm, char *out, size_t cap)
{
	if (pid)
		snprintf(out, cap, "%d (%s)", pid, comm);
	else
		snprintf(out, cap, "-");
}

int cmd_status(int argc, char **argv)
{
	const char *only = NULL;
	bool js = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(status_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			js = true;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "pktlink status: unknown option '%s' (see --help)\n", argv[i]);
			return 2;
		} else if (!only) {
			only = argv[i];
		} else {
			fprintf(stderr, "pktlink status: unexpected argument '%s': give one interface\n",
				argv[i]);
			return 2;
		}
	}
	if (only && !if_nametoindex(only)) {
		fprintf(stderr, "pktlink status: no interface '%s' in this network namespace (`ip "
				"link` lists them)\n",
			only);
		return 1;
	}
	struct if_nameindex *ifs = if_nameindex();
	if (!ifs) {
		perror("pktlink status: listing interfaces");
		return 1;
	}
	static struct xdpq_xsk xsks[MAX_XSKS];
	int nx = xdpq_xsks(xsks, MAX_XSKS);
	struct json j;
	if (js) {
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "interfaces");
		json_arr(&j);
	} else {
		printf("CURRENT XDP PROGRAM STATUS:\n\n");
		printf("%-16s %-5s %-18s %-8s %-6s %-17s %-20s %s\n", "Interface", "Prio",
		       "Program name", "Mode", "ID", "Tag", "Chain actions", "Owner");
		printf("-----------------------------------------------------------------------------"
		       "---------------------------------\n");
	}
	int rc = 0;
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		if (only && strcmp(only, i->if_name))
			continue;
		struct xdpq_prog p[XDPQ_MAX_PROGS];
		int n = xdpq_progs((int)i->if_index, p, XDPQ_MAX_PROGS);
		bool tap = false;
		int tpid = 0;
		char tcomm[32];
		bool tun = xdpq_tun(i->if_name, &tap, &tpid, tcomm);
		char own[64];
		if (js) {
			json_obj(&j);
			json_kstr(&j, "name", i->if_name);
			json_ku64(&j, "ifindex", i->if_index);
			json_key(&j, "xdp");
			json_arr(&j);
			for (int k = 0; k < n; k++) {
				json_obj(&j);
				json_ku64(&j, "id", p[k].id);
				json_kstr(&j, "name", p[k].name);
				json_kstr(&j, "tag", p[k].tag);
				json_kstr(&j, "mode", p[k].prio >= 0 ? "dispatched" : p[k].mode);
				if (p[k].prio >= 0) {
					json_ki64(&j, "run_prio", p[k].prio);
					json_kstr(&j, "chain_call_actions", p[k].chain);
				}
				json_kbool(&j, "dispatcher", p[k].dispatcher);
				json_kbool(&j, "pktlink", p[k].pktlink);
				json_ki64(&j, "owner_pid", p[k].owner_pid);
				json_kstr(&j, "owner_comm", p[k].owner_pid ? p[k].owner_comm : NULL);
				json_kbool(&j, "stale", p[k].stale);
				json_end(&j);
			}
			json_end(&j);
			json_key(&j, "xsks");
			json_arr(&j);
			for (int k = 0; k < nx; k++) {
				if (xsks[k].ifindex != i->if_index)
					continue;
				json_obj(&j);
				json_ku64(&j, "queue", xsks[k].queue);
				json_ku64(&j, "inode", xsks[k].ino);
				json_ku64(&j, "rx_ring", xsks[k].rx_entries);
				json_ku64(&j, "tx_ring", xsks[k].tx_entries);
				json_ku64(&j, "umem_id", xsks[k].umem_id);
				json_kbool(&j, "zerocopy", xsks[k].zerocopy);
				json_ku64(&j, "rx_dropped", xsks[k].rx_dropped);
				json_ku64(&j, "rx_ring_full", xsks[k].rx_full);
				json_ku64(&j, "fill_ring_empty", xsks[k].fill_empty);
				json_ki64(&j, "owner_pid", xsks[k].owner_pid);
				json_kstr(&j, "owner_comm", xsks[k].owner_pid ? xsks[k].owner_comm : NULL);
				json_end(&j);
			}
			json_end(&j);
			if (tun) {
				json_key(&j, "tun");
				json_obj(&j);
				json_kstr(&j, "kind", tap ? "tap" : "tun");
				json_ki64(&j, "owner_pid", tpid);
				json_kstr(&j, "owner_comm", tpid ? tcomm : NULL);
				json_end(&j);
			}
			json_end(&j);
			continue;
		}
		if (n < 0 && n != -ENOTSUP) {
			printf("%-16s       <cannot query: %s>\n", i->if_name, strerror(-n));
			rc = 1;
		} else if (n <= 0) {
			printf("%-16s       <No XDP program loaded!>\n", i->if_name);
		}
		for (int k = 0; k < n; k++) {
			owner_str(p[k].owner_pid, p[k].owner_comm, own, sizeof(own));
			if (p[k].stale)
				snprintf(own, sizeof(own), "STALE: owner gone");
			if (p[k].prio < 0)
				printf("%-16s %-5s %-18s %-8s %-6u %-17s %-20s %s\n",
				       k == 0 ? i->if_name : "", "", p[k].name, p[k].mode, p[k].id,
				       p[k].tag, "", own);
			else
				printf(" %-15s %-5d %-18s %-8s %-6u %-17s %-20s %s\n", "=>", p[k].prio,
				       p[k].name, "", p[k].id, p[k].tag, p[k].chain, own);
		}
	}
	if (js) {
		json_end(&j);
		json_kbool(&j, "xsk_diag", nx >= 0);
		json_done(&j);
		if_freenameindex(ifs);
		return rc;
	}
	printf("\nAF_XDP SOCKETS:\n\n");
	if (nx < 0) {
		printf("  cannot list them: %s (needs CONFIG_XDP_SOCKETS_DIAG)\n", strerror(-nx));
	} else {
		printf("%-16s %-6s %-10s %-13s %-9s %-10s %s\n", "Interface", "Queue", "Inode",
		       "Rings rx/tx", "Zerocopy", "Dropped", "Owner");
		int shown = 0;
		for (int k = 0; k < nx; k++) {
			char name[IF_NAMESIZE] = "?";
			if_indextoname(xsks[k].ifindex, name);
			if (only && strcmp(only, name))
				continue;
			char rings[32], own[64];
			snprintf(rings, sizeof(rings), "%u/%u", xsks[k].rx_entries, xsks[k].tx_entries);
			owner_str(xsks[k].owner_pid, xsks[k].owner_comm, own, sizeof(own));
			printf("%-16s %-6u %-10u %-13s %-9s %-10llu %s\n", name, xsks[k].queue,
			       xsks[k].ino, rings, xsks[k].zerocopy ? "yes" : "no",
			       (unsigned long long)xsks[k].rx_dropped, own);
			shown++;
		}
		if (!shown)
			printf("  none\n");
	}
	printf("\nTAP/TUN DEVICES:\n\n");
	int shown = 0;
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		if (only && strcmp(only, i->if_name))
			continue;
		bool tap;
		int pid;
		char comm[32], own[64];
		if (!xdpq_tun(i->if_name, &tap, &pid, comm))
			continue;
		if (!shown++)
			printf("%-16s %-5s %s\n", "Interface", "Kind", "Owner");
		owner_str(pid, comm, own, sizeof(own));
		printf("%-16s %-5s %s\n", i->if_name, tap ? "tap" : "tun", pid ? own : "- (persistent, no process)");
	}
	if (!shown)
		printf("  none\n");
	if_freenameindex(ifs);
	return rc;
}
