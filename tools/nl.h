/* SPDX-License-Identifier: MIT */
/*
 * nl.h — the little rtnetlink and ethtool the tool needs: create and delete
 * a veth pair, set a link up / its MTU, add an IPv4 address, switch GRO,
 * read a MAC address. Plain rtnetlink over a NETLINK_ROUTE socket (no
 * libmnl, no `ip`), so `pktlink bench` needs nothing but the kernel.
 *
 * These functions act on the current network namespace. The bench only
 * calls them inside the namespace it created.
 */
#ifndef PKTLINK_TOOLS_NL_H
#define PKTLINK_TOOLS_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** nl_veth_create() - create the veth pair @a <-> @b (both down). */
int nl_veth_create(const char *a, const char *b, char *err, size_t errlen);

/** nl_veth_create_mq() - nl_veth_create() with @queues RX and TX queues on
 * both ends (0 or 1: the kernel's default, one). */
int nl_veth_create_mq(const char *a, const char *b, uint32_t queues, char *err, size_t errlen);

/** nl_link_del() - delete a link by name (a veth deletes its peer too). */
int nl_link_del(const char *name, char *err, size_t errlen);

/** nl_link_set() - set @name up or down, and its MTU when @mtu != 0. */
int nl_link_set(const char *name, bool up, unsigned mtu, char *err, size_t errlen);

/** nl_addr_add() - add IPv4 @addr (network byte order) / @prefix to @name. */
int nl_addr_add(const char *name, uint32_t addr, unsigned prefix, char *err, size_t errlen);

/** nl_gro_set() - turn GRO on or off (SIOCETHTOOL ETHTOOL_SGRO). */
int nl_gro_set(const char *name, bool on, char *err, size_t errlen);

/** nl_mac_get() - read the MAC address of @name (SIOCGIFHWADDR). */
int nl_mac_get(const char *name, uint8_t mac[6]);

/**
 * nl_ethtool_u32() - a legacy ethtool "get" command that returns an
 * ethtool_value (ETHTOOL_GGRO, ETHTOOL_GTSO, ...). Return: the value (0/1),
 * or a negative errno.
 */
int nl_ethtool_u32(const char *name, uint32_t cmd);

#endif
