/* SPDX-License-Identifier: MIT */
/*
 * xdpq.h — read-only queries behind `pktlink status` and `pktlink info`:
 * the XDP programs on a device (with libxdp's dispatcher chain, as
 * xdp-loader status shows it), which processes hold them, the AF_XDP
 * sockets per queue (sock_diag / xdp_diag), and TAP/TUN devices with
 * their owners. Owners are found the way ss and bpftool do it without
 * BPF iterators: /proc/PID/fd and /proc/PID/fdinfo.
 */
#ifndef PKTLINK_TOOLS_XDPQ_H
#define PKTLINK_TOOLS_XDPQ_H

#include <stdbool.h>
#include <stdint.h>

#define XDPQ_MAX_PROGS 16

struct xdpq_prog {
	uint32_t id;
	char name[64];
	char tag[17]; /* hex */
	const char *mode; /* "native", "skb", "hw"; "" for a program inside a dispatcher */
	int prio; /* run priority inside a dispatcher, -1 for an attached program */
	char chain[96]; /* chain-call actions (dispatcher members) */
	bool dispatcher; /* libxdp's dispatcher: the programs after it are its chain */
	bool pktlink; /* one of pktlink's programs (pl_xsk_redirect, pl_capture) */
	int owner_pid; /* a process holding an fd of it, 0 if none */
	char owner_comm[32];
	bool stale; /* pktlink's, attached, and no process holds it: its owner is gone */
};

/**
 * xdpq_progs() - the XDP programs on @ifindex: each attached program, and
 * after a libxdp dispatcher the programs it runs. Return: the count (0..cap),
 * or a negative errno.
 */
int xdpq_progs(int ifindex, struct xdpq_prog *out, unsigned cap);

struct xdpq_xsk {
	uint32_t ino;
	uint32_t ifindex, queue;
	uint32_t rx_entries, tx_entries;
	uint32_t umem_id, chunk_size;
	bool zerocopy;
	uint64_t rx_dropped, rx_full, fill_empty;
	int owner_pid;
	char owner_comm[32];
};

/**
 * xdpq_xsks() - every AF_XDP socket in this network namespace (needs
 * CONFIG_XDP_SOCKETS_DIAG). Return: the count, or a negative errno.
 */
int xdpq_xsks(struct xdpq_xsk *out, unsigned cap);

/**
 * xdpq_tun() - whether @ifname is a TAP or TUN device; if so *tap says
 * which, and *pid / comm the first process holding it (0 if none).
 */
bool xdpq_tun(const char *ifname, bool *tap, int *pid, char comm[32]);

#endif
