/* SPDX-License-Identifier: MIT */
/* nl.c — minimal rtnetlink (veth, link, address) and ethtool ioctls. */
#include "nl.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A request buffer with room for a few nested attributes. */
union nl_req {
	struct nlmsghdr nh;
	char raw[1024] __attribute__((aligned(8)));
};

/* nl_attr() - append an attribute; returns it (for nesting) or NULL when full. */
static struct rtattr *nl_attr(struct nlmsghdr *nh, size_t cap, int type, const void *data,
			      size_t len)
{
	size_t need = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(RTA_LENGTH(len));
	if (need > cap)
		return NULL;
	struct rtattr *a = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	nh->nlmsg_len = (uint32_t)need;
	return a;
}

/* nl_nest_end() - close a nested attribute opened with nl_attr(.., NULL, 0). */
static void nl_nest_end(struct nlmsghdr *nh, struct rtattr *a)
{
	a->rta_len = (unsigned short)((char *)nh + nh->nlmsg_len - (char *)a);
}

/*
 * nl_talk() - send one request with NLM_F_ACK and wait for the ack. The
 * socket has a receive timeout, so a kernel that never answers cannot hang
 * the tool.
 */
static int nl_talk(struct nlmsghdr *nh, const char *what, char *err, size_t errlen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		int e = -errno;
		snprintf(err, errlen, "%s: netlink socket: %s", what, strerror(-e));
		return e;
	}
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int r = 0;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto out;
	}
	char buf[4096] __attribute__((aligned(8)));
	for (int tries = 0; tries < 16; tries++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			r = -errno;
			goto out;
		}
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, (size_t)n);
		     m = NLMSG_NEXT(m, n)) {
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(m);
				r = e->error;
				goto out;
			}
		}
	}
	r = -ETIMEDOUT;
out:
	close(fd);
	if (r)
		snprintf(err, errlen, "%s: %s", what, strerror(-r));
	return r;
}

/* ifindex_of() - if_nametoindex without pulling net/if.h (it clashes with linux/if.h). */
static int ifindex_of(const char *name)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int r = ioctl(fd, SIOCGIFINDEX, &ifr) ? -errno : ifr.ifr_ifindex;
	close(fd);
	return r;
}

int nl_veth_create(const char *a, const char *b, char *err, size_t errlen)
{
	return nl_veth_create_mq(a, b, 0, err, errlen);
}

int nl_veth_create_mq(const char *a, const char *b, uint32_t queues, char *err, size_t errlen)
{
	union nl_req req;
	memset(&req, 0, sizeof(req));
	char what[96];
	snprintf(what, sizeof(what), "creating veth pair %s <-> %s", a, b);
	if (strlen(a) >= IFNAMSIZ || strlen(b) >= IFNAMSIZ) {
		snprintf(err, errlen, "%s: a name is longer than %d characters", what, IFNAMSIZ - 1);
		return -EINVAL;
	}
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct ifinfomsg *ifi = NLMSG_DATA(&req.nh);
	ifi->ifi_family = AF_UNSPEC;
	size_t cap = sizeof(req);
	nl_attr(&req.nh, cap, IFLA_IFNAME, a, strlen(a) + 1);
	if (queues > 1) {
		nl_attr(&req.nh, cap, IFLA_NUM_TX_QUEUES, &queues, sizeof(queues));
		nl_attr(&req.nh, cap, IFLA_NUM_RX_QUEUES, &queues, sizeof(queues));
	}
	struct rtattr *li = nl_attr(&req.nh, cap, IFLA_LINKINFO, NULL, 0);
	nl_attr(&req.nh, cap, IFLA_INFO_KIND, "veth", 5);
	struct rtattr *data = nl_attr(&req.nh, cap, IFLA_INFO_DATA, NULL, 0);
	struct rtattr *peer = nl_attr(&req.nh, cap, VETH_INFO_PEER, NULL, 0);
	/* The peer's attributes follow its own ifinfomsg. */
	struct ifinfomsg pifi = { .ifi_family = AF_UNSPEC };
	if (req.nh.nlmsg_len + NLMSG_ALIGN(sizeof(pifi)) > sizeof(req.raw))
		return -E2BIG;
	memcpy(req.raw + req.nh.nlmsg_len, &pifi, sizeof(pifi));
	req.nh.nlmsg_len += NLMSG_ALIGN(sizeof(pifi));
	struct rtattr *last = nl_attr(&req.nh, cap, IFLA_IFNAME, b, strlen(b) + 1);
	if (queues > 1) {
		nl_attr(&req.nh, cap, IFLA_NUM_TX_QUEUES, &queues, sizeof(queues));
		last = nl_attr(&req.nh, cap, IFLA_NUM_RX_QUEUES, &queues, sizeof(queues));
	}
	if (!li || !data || !peer || !last) {
		snprintf(err, errlen, "%s: request too large", what);
		return -E2BIG;
	}
	nl_nest_end(&req.nh, peer);
	nl_nest_end(&req.nh, data);
	nl_nest_end(&req.nh, li);
	return nl_talk(&req.nh, what, err, errlen);
}

/*
 * link_req() - start an RTM_*LINK request for the existing device name:
 * zero req, set the header and an ifinfomsg with its ifindex (*ifi points
 * at it, for flags and attributes). Return: 0, or a negative errno
 * (ENODEV for a missing device) with "WHAT: no such device" in err.
 */
static int link_req(union nl_req *req, struct ifinfomsg **ifi, uint16_t type, const char *name,
		    const char *what, char *err, size_t errlen)
{
	int idx = ifindex_of(name);
	if (idx < 0) {
		snprintf(err, errlen, "%s: no such device", what);
		return idx;
	}
	memset(req, 0, sizeof(*req));
	req->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req->nh.nlmsg_type = type;
	*ifi = NLMSG_DATA(&req->nh);
	(*ifi)->ifi_family = AF_UNSPEC;
	(*ifi)->ifi_index = idx;
	return 0;
}

int nl_link_del(const char *name, char *err, size_t errlen)
{
	char what[64];
	snprintf(what, sizeof(what), "deleting %s", name);
	union nl_req req;
	struct ifinfomsg *ifi;
	int r = link_req(&req, &ifi, RTM_DELLINK, name, what, err, errlen);
	if (r < 0)
		return r;
	return nl_talk(&req.nh, what, err, errlen);
}

int nl_link_set(const char *name, bool up, unsigned mtu, char *err, size_t errlen)
{
	char what[64];
	snprintf(what, sizeof(what), "setting %s %s", name, up ? "up" : "down");
	union nl_req req;
	struct ifinfomsg *ifi;
	int r = link_req(&req, &ifi, RTM_NEWLINK, name, what, err, errlen);
	if (r < 0)
		return r;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu) {
		uint32_t m = mtu;
		nl_attr(&req.nh, sizeof(req), IFLA_MTU, &m, sizeof(m));
	}
	return nl_talk(&req.nh, what, err, errlen);
}

int nl_addr_add(const char *name, uint32_t addr, unsigned prefix, char *err, size_t errlen)
{
	char what[64];
	snprintf(what, sizeof(what), "adding an address to %s", name);
	int idx = ifindex_of(name);
	if (idx < 0) {
		snprintf(err, errlen, "%s: no such device", what);
		return idx;
	}
	union nl_req req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct ifaddrmsg *ifa = NLMSG_DATA(&req.nh);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)idx;
	nl_attr(&req.nh, sizeof(req), IFA_LOCAL, &addr, 4);
	nl_attr(&req.nh, sizeof(req), IFA_ADDRESS, &addr, 4);
	return nl_talk(&req.nh, what, err, errlen);
}

/* ethtool_ioctl() - run one SIOCETHTOOL command on @name. */
static int ethtool_ioctl(const char *name, void *cmd)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = cmd;
	int r = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(fd);
	return r;
}

int nl_gro_set(const char *name, bool on, char *err, size_t errlen)
{
	struct ethtool_value v = { .cmd = ETHTOOL_SGRO, .data = on };
	int r = ethtool_ioctl(name, &v);
	if (r)
		snprintf(err, errlen, "turning GRO %s on %s: %s", on ? "on" : "off", name,
			 strerror(-r));
	return r;
}

int nl_ethtool_u32(const char *name, uint32_t cmd)
{
	struct ethtool_value v = { .cmd = cmd };
	int r = ethtool_ioctl(name, &v);
	return r ? r : (int)v.data;
}

int nl_mac_get(const char *name, uint8_t mac[6])
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int r = ioctl(fd, SIOCGIFHWADDR, &ifr) ? -errno : 0;
	close(fd);
	if (!r)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return r;
}
