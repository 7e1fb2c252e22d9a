/* SPDX-License-Identifier: MIT */
/*
 * cmd_info.c — `pktlink info <ifname|spec>`.
 *
 * For a device: everything is read-only (ethtool "get" ioctls, rtnetlink
 * via libbpf's XDP query, the "netdev" generic-netlink family for XDP
 * features). Nothing is attached to probe: attaching an XDP program to a
 * real NIC can reset its queues, which a query must never do.
 * For a spec: the endpoint is opened and its pktlink_info printed.
 */
#include "cmds.h"
#include "json.h"
#include "nl.h"
#include "xdpq.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <pktlink/pktlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>


static const char info_usage[] =
	"usage: pktlink info <ifname|spec> [--json]\n"
	"\n"
	"With an interface name: driver, queues (ethtool channels), MTU, MAC, offloads,\n"
	"the XDP programs attached now (name, id, mode, libxdp dispatcher chain, owner),\n"
	"and which XDP modes the driver supports (from the\n"
	"kernel's netdev netlink family, Linux 6.3+). Read-only: nothing is attached.\n"
	"With a spec (FAMILY:TARGET?...): open the endpoint and print its properties\n"
	"(MTU, header length, capabilities, GSO, queues, link address).\n"
	"\n"
	"--json prints the same as one JSON object.\n"
	"exit status: 0, 1 when the device or endpoint cannot be read, 2 usage error.\n"
	"\n"
	"examples: pktlink info eth0\n"
	"          pktlink info 'packet:veth0?dispatch=mmap&fds=2'\n";

/* Values of the kernel's netdev genetlink family (include/uapi/linux/netdev.h,
 * Linux 6.3+), defined here because Debian 12's headers predate it. */
enum {
	PL_NETDEV_CMD_DEV_GET = 1,
	PL_NETDEV_A_DEV_IFINDEX = 1,
	PL_NETDEV_A_DEV_XDP_FEATURES = 3,
	PL_NETDEV_A_DEV_XDP_ZC_MAX_SEGS = 4,
};
static const char *const xdp_feature_names[] = {
	"basic (native XDP)", "redirect", "ndo-xmit (redirect target)", "xsk-zerocopy",
	"hw-offload",	      "rx-sg",	  "ndo-xmit-sg",
};

/* genl_request() - send one generic-netlink request and read the reply into @buf. */
static int genl_request(int fd, uint16_t family, uint8_t cmd, int attr, const void *data,
			uint16_t len, char *buf, size_t buflen)
{
	struct {
		struct nlmsghdr nh;
		struct genlmsghdr g;
		char attrs[64];
	} req;
	memset(&req, 0, sizeof(req));
	struct nlattr *a = (struct nlattr *)req.attrs;
	a->nla_type = (uint16_t)attr;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	req.nh.nlmsg_type = family;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.g.cmd = cmd;
	req.g.version = 1;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	ssize_t n = recv(fd, buf, buflen, 0);
	if (n < 0)
		return -errno;
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (size_t)n))
		return -EIO;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nh);
		return e->error ? e->error : -EIO;
	}
	return (int)n;
}

/* genl_attr() - find attribute @type in a genetlink reply; NULL if absent. */
static struct nlattr *genl_attr(char *buf, int n, int type)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	char *p = (char *)NLMSG_DATA(nh) + GENL_HDRLEN;
	char *end = buf + (nh->nlmsg_len < (unsigned)n ? nh->nlmsg_len : (unsigned)n);
	while (p + NLA_HDRLEN <= end) {
		struct nlattr *a = (struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		p += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

/*
 * xdp_features() - the device's XDP feature bits from the netdev family.
 * Return: 0 with *feat set, -ENOENT when the kernel has no such family.
 */
static int xdp_features(int ifindex, uint64_t *feat, uint32_t *zc_segs)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char buf[8192] __attribute__((aligned(8)));
	int n = genl_request(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, "netdev",
			     7, buf, sizeof(buf));
	int r = -ENOENT;
	struct nlattr *a;
	if (n > 0 && (a = genl_attr(buf, n, CTRL_ATTR_FAMILY_ID))) {
		uint16_t fam;
		memcpy(&fam, (char *)a + NLA_HDRLEN, 2);
		uint32_t idx = (uint32_t)ifindex;
		n = genl_request(fd, fam, PL_NETDEV_CMD_DEV_GET, PL_NETDEV_A_DEV_IFINDEX, &idx, 4,
				 buf, sizeof(buf));
		if (n > 0 && (a = genl_attr(buf, n, PL_NETDEV_A_DEV_XDP_FEATURES))) {
			memcpy(feat, (char *)a + NLA_HDRLEN, 8);
			*zc_segs = 0;
			if ((a = genl_attr(buf, n, PL_NETDEV_A_DEV_XDP_ZC_MAX_SEGS)))
				memcpy(zc_segs, (char *)a + NLA_HDRLEN, 4);
			r = 0;
		} else if (n < 0) {
			r = n;
		}
	}
	close(fd);
	return r;
}

/* onoff() - an ethtool flag for printing. */
static const char *onoff(int v)
{
	return v < 0 ? "?" : v ? "on" : "off";
}

/* info_device() - print what @name supports; as JSON when @j is set. */
static int info_device(const char *name, struct json *j)
{
	if (strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "pktlink info: '%s' is too long for an interface name; for an "
				"endpoint write FAMILY:TARGET (see `pktlink help specs`)\n",
			name);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("pktlink info: socket");
		return 1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFINDEX, &ifr)) {
		fprintf(stderr, "pktlink info: no interface '%s' in this network namespace (`ip link` "
				"lists them); for an endpoint write FAMILY:TARGET\n",
			name);
		close(fd);
		return 1;
	}
	int ifindex = ifr.ifr_ifindex;
	if (j) {
		json_obj(j);
		json_kstr(j, "name", name);
		json_ki64(j, "ifindex", ifindex);
	} else {
		printf("%s (ifindex %d)\n", name, ifindex);
	}

	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	ifr.ifr_data = (void *)&di;
	bool drv = !ioctl(fd, SIOCETHTOOL, &ifr);
	if (j) {
		json_kstr(j, "driver", drv ? di.driver : NULL);
		json_kstr(j, "driver_version", drv ? di.version : NULL);
		json_kstr(j, "bus_info", drv && di.bus_info[0] ? di.bus_info : NULL);
	} else if (drv) {
		printf("  driver:    %s %s%s%s\n", di.driver, di.version,
		       di.bus_info[0] ? "  bus " : "", di.bus_info);
	} else {
		printf("  driver:    unknown (%s)\n", strerror(errno));
	}

	if (!ioctl(fd, SIOCGIFMTU, &ifr)) {
		if (j)
			json_ki64(j, "mtu", ifr.ifr_mtu);
		else
			printf("  mtu:       %d\n", ifr.ifr_mtu);
	}
	uint8_t mac[6];
	if (!nl_mac_get(name, mac)) {
		char m[18];
		snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
			 mac[4], mac[5]);
		if (j)
			json_kstr(j, "mac", m);
		else
			printf("  mac:       %s\n", m);
	}
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		if (j) {
			json_kbool(j, "up", ifr.ifr_flags & IFF_UP);
			json_kbool(j, "running", ifr.ifr_flags & IFF_RUNNING);
		} else {
			printf("  state:     %s%s\n", ifr.ifr_flags & IFF_UP ? "up" : "down",
			       ifr.ifr_flags & IFF_RUNNING ? ", running" : "");
		}
	}

	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	ifr.ifr_data = (void *)&ch;
	bool chan = !ioctl(fd, SIOCETHTOOL, &ifr);
	int chan_err = errno;
	close(fd);
	if (j) {
		json_key(j, "queues");
		if (chan) {
			json_obj(j);
			json_ku64(j, "rx", ch.rx_count);
			json_ku64(j, "tx", ch.tx_count);
			json_ku64(j, "combined", ch.combined_count);
			json_ku64(j, "max_rx", ch.max_rx);
			json_ku64(j, "max_tx", ch.max_tx);
			json_ku64(j, "max_combined", ch.max_combined);
			json_end(j);
		} else {
			json_null(j);
		}
	} else if (chan) {
		printf("  queues:    rx %u, tx %u, combined %u (max rx %u, tx %u, combined %u)\n",
		       ch.rx_count, ch.tx_count, ch.combined_count, ch.max_rx, ch.max_tx,
		       ch.max_combined);
	} else {
		printf("  queues:    channels not reported (%s)\n", strerror(chan_err));
	}

	static const struct {
		const char *name;
		uint32_t cmd;
	} offl[] = { { "rx-csum", ETHTOOL_GRXCSUM }, { "tx-csum", ETHTOOL_GTXCSUM },
		     { "sg", ETHTOOL_GSG },	     { "tso", ETHTOOL_GTSO },
		     { "gso", ETHTOOL_GGSO },	     { "gro", ETHTOOL_GGRO } };
	if (j) {
		json_key(j, "offloads");
		json_obj(j);
	} else {
		printf("  offloads: ");
	}
	for (unsigned k = 0; k < sizeof(offl) / sizeof(offl[0]); k++) {
		int v = nl_ethtool_u32(name, offl[k].cmd);
		if (!j)
			printf("%s %s %s", k ? "," : "", offl[k].name, onoff(v));
		else if (v < 0)
			json_key(j, offl[k].name), json_null(j);
		else
			json_kbool(j, offl[k].name, v);
	}
	if (j)
		json_end(j);
	else
		printf("\n");

	uint64_t feat = 0;
	uint32_t zc = 0;
	int r = xdp_features(ifindex, &feat, &zc);
	if (j) {
		json_key(j, "xdp_features");
		if (!r) {
			json_arr(j);
			for (unsigned i = 0; i < sizeof(xdp_feature_names) / sizeof(*xdp_feature_names); i++)
				if (feat & (1ull << i))
					json_str(j, xdp_feature_names[i]);
			json_end(j);
			json_ku64(j, "xdp_zc_max_segs", zc);
		} else {
			json_null(j);
		}
	} else if (!r) {
		printf("  xdp:       generic (skb) mode: yes; native (driver) mode: %s; AF_XDP "
		       "zero-copy: %s; offload: %s\n",
		       feat & 1 ? "yes" : "no", feat & 8 ? "yes" : "no", feat & 16 ? "yes" : "no");
		printf("  xdp features:");
		bool any = false;
		for (unsigned i = 0; i < sizeof(xdp_feature_names) / sizeof(*xdp_feature_names); i++)
			if (feat & (1ull << i)) {
				printf("%s%s", any ? ", " : " ", xdp_feature_names[i]);
				any = true;
			}
		printf("%s", any ? "" : " none");
		if (zc)
			printf("; zero-copy max segments %u", zc);
		printf("\n");
	} else {
		printf("  xdp:       generic (skb) mode: yes; native mode: unknown (the kernel has no "
		       "netdev netlink family: Linux < 6.3)\n");
	}
	struct xdpq_prog p[XDPQ_MAX_PROGS];
	int np = xdpq_progs(ifindex, p, XDPQ_MAX_PROGS);
	if (j) {
		json_key(j, "xdp_programs");
		json_arr(j);
		for (int k = 0; k < np; k++) {
			json_obj(j);
			json_ku64(j, "id", p[k].id);
			json_kstr(j, "name", p[k].name);
			json_kstr(j, "tag", p[k].tag);
			json_kstr(j, "mode", p[k].prio >= 0 ? "dispatched" : p[k].mode);
			if (p[k].prio >= 0) {
				json_ki64(j, "run_prio", p[k].prio);
				json_kstr(j, "chain_call_actions", p[k].chain);
			}
			json_ki64(j, "owner_pid", p[k].owner_pid);
			json_kbool(j, "stale", p[k].stale);
			json_end(j);
		}
		json_end(j);
		json_end(j);
		return 0;
	}
	if (np == 0)
		printf("  xdp now:   no program attached\n");
	for (int k = 0; k < np; k++) {
		char own[64] = "";
		if (p[k].stale)
			snprintf(own, sizeof(own), ", STALE: its owner is gone");
		else if (p[k].owner_pid)
			snprintf(own, sizeof(own), ", held by %d (%s)", p[k].owner_pid, p[k].owner_comm);
		if (p[k].prio < 0)
			printf("  xdp now:   %s (id %u, %s mode, tag %s%s)\n", p[k].name, p[k].id,
			       p[k].mode, p[k].tag, own);
		else
			printf("             => %s (id %u, run prio %d, chain on %s%s)\n", p[k].name,
			       p[k].id, p[k].prio, p[k].chain[0] ? p[k].chain : "none", own);
	}
	return 0;
}

/* caps_str() - PKTLINK_CAP_* as words. */
static void print_caps(uint32_t caps)
{
	static const char *const names[] = { "rx-csum-offload", "tx-csum-offload",
					     "resolution-required", "tx-alloc", "ethernet" };
	bool any = false;
	for (unsigned i = 0; i < 5; i++)
		if (caps & (1u << i)) {
			printf("%s%s", any ? ", " : "", names[i]);
			any = true;
		}
	printf("%s\n", any ? "" : "none");
}

/* info_spec() - open the endpoint and print its pktlink_info. */
static int info_spec(const char *spec, struct json *j)
{
	struct pktlink_ep *ep = NULL;
	char err[512] = "";
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	if (r) {
		fprintf(stderr, "pktlink info: %s\n", err[0] ? err : pktlink_strerror(r));
		return 1;
	}
	struct pktlink_info in;
	pktlink_get_info(ep, &in);
	static const char *const gso[] = { "none", "host (kernel segments)", "software" };
	if (j) {
		static const char *const capn[] = { "rx-csum-offload", "tx-csum-offload",
						    "resolution-required", "tx-alloc", "ethernet" };
		json_obj(j);
		json_kstr(j, "spec", spec);
		json_kstr(j, "family", in.family);
		json_ku64(j, "mtu", in.mtu);
		json_ku64(j, "header_length", in.max_header_len);
		json_ku64(j, "arp_hwtype", in.arp_hwtype);
		json_ku64(j, "queues", in.num_queues);
		json_key(j, "capabilities");
		json_arr(j);
		for (unsigned i = 0; i < 5; i++)
			if (in.caps & (1u << i))
				json_str(j, capn[i]);
		json_end(j);
		json_kstr(j, "gso", in.gso_kind < 3 ? (const char *[]){ "none", "host", "software" }[in.gso_kind] : NULL);
		json_ku64(j, "gso_max_size", in.gso_max_size);
		char m[18] = "";
		if (in.has_link_addr)
			snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", in.link_addr[0],
				 in.link_addr[1], in.link_addr[2], in.link_addr[3], in.link_addr[4],
				 in.link_addr[5]);
		json_kstr(j, "link_address", in.has_link_addr ? m : NULL);
		json_end(j);
		pktlink_close(ep);
		return 0;
	}
	printf("%s\n", spec);
	printf("  family:         %s\n", in.family ? in.family : "?");
	printf("  mtu:            %u\n", in.mtu);
	printf("  header length:  %u\n", in.max_header_len);
	printf("  arp hw type:    %u (%s)\n", in.arp_hwtype,
	       in.arp_hwtype == 1 ? "Ethernet" : in.arp_hwtype == 0xfffe ? "none" : "other");
	printf("  queues:         %u\n", in.num_queues);
	printf("  capabilities:   ");
	print_caps(in.caps);
	printf("  gso:            %s, max %u bytes\n", in.gso_kind < 3 ? gso[in.gso_kind] : "?",
	       in.gso_max_size);
	if (in.has_link_addr)
		printf("  link address:   %02x:%02x:%02x:%02x:%02x:%02x\n", in.link_addr[0],
		       in.link_addr[1], in.link_addr[2], in.link_addr[3], in.link_addr[4],
		       in.link_addr[5]);
	else
		printf("  link address:   none\n");
	printf("  pollable fd:    %d\n", pktlink_fd(ep));
	pktlink_close(ep);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	const char *what = NULL;
	bool js = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(info_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			js = true;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "pktlink info: unknown option '%s' (see --help)\n", argv[i]);
			return 2;
		} else if (!what) {
			what = argv[i];
		} else {
			fprintf(stderr, "pktlink info: unexpected argument '%s': give one name or spec\n",
				argv[i]);
			return 2;
		}
	}
	if (!what) {
		fprintf(stderr, "pktlink info: give an interface name or an endpoint spec\n\n%s",
			info_usage);
		return 2;
	}
	struct json j;
	if (js)
		json_init(&j, stdout);
	int r = strchr(what, ':') ? info_spec(what, js ? &j : NULL) : info_device(what, js ? &j : NULL);
	if (js && !r)
		json_done(&j);
	return r;
}
