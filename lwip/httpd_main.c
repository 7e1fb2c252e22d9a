/* SPDX-License-Identifier: MIT */
/*
 * pktlink-lwip-httpd — lwIP on a pktlink endpoint, serving HTTP (with a
 * generated 1 MiB page) and an iperf2 server.
 *
 * Debian's liblwip 2.1.3 ships the headers of lwIP's apps (httpd, lwiperf)
 * but not their code (the library has no httpd_init, no lwiperf_*), and the
 * lwIP httpd serves only a compiled-in file system anyway. So both servers
 * here are small raw-API programs of our own, run by lwIP's core exactly as
 * its apps would be: httpd on port 80 (GET / and GET /1M), and an iperf2
 * server on port 5001 that receives, counts and reports like lwiperf.
 *
 * --tapif NAME runs the same servers on the same stack over Debian's own
 * unix-port TAP driver (tapif, PRECONFIGURED_TAPIF=NAME) instead of pktlink:
 * the reference for the benchmark. Debian's build needs a workaround for
 * that driver to survive full-size frames (pool_fix.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pktlink/pktlink.h>

#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"

#include "pktlink_lwip.h"
#include "pool_fix.h"

#define PAGE_SIZE_1M (1u << 20)

static uint8_t *page1m;
static atomic_bool link_down_seen;
static bool quiet;

/* The 1 MiB page: deterministic bytes, so a test can compare a download with
 * `pktlink-lwip-httpd --page`. */
static void make_page(void)
{
	page1m = malloc(PAGE_SIZE_1M);
	if (!page1m) {
		fprintf(stderr, "pktlink-lwip-httpd: out of memory\n");
		exit(1);
	}
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < PAGE_SIZE_1M; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(page1m + i, &x, 8);
	}
}

static const char index_html[] =
	"<!DOCTYPE html><html><head><title>lwIP on pktlink</title></head><body>"
	"<h1>lwIP on pktlink</h1><p><a href=\"/1M\">1 MiB page</a></p></body></html>\n";

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- HTTP/1.0 server (raw API; runs with the core lock held) ----------- */

struct http_conn {
	struct tcp_pcb *pcb;
	char req[1024];
	size_t rlen;
	bool responding;
	char hdr[256];
	size_t hdr_len, hdr_off;
	const uint8_t *body;
	size_t body_len, body_off;
	int idle_polls;
};

/* Detach and close (or abort) the connection. Returns ERR_ABRT when the pcb
 * was aborted: a callback must then return ERR_ABRT. */
static err_t http_free(struct http_conn *c, bool abort_pcb)
{
	err_t ret = ERR_OK;
	if (c->pcb) {
		tcp_arg(c->pcb, NULL);
		tcp_recv(c->pcb, NULL);
		tcp_sent(c->pcb, NULL);
		tcp_err(c->pcb, NULL);
		tcp_poll(c->pcb, NULL, 0);
		if (abort_pcb || tcp_close(c->pcb) != ERR_OK) {
			tcp_abort(c->pcb);
			ret = ERR_ABRT;
		}
	}
	free(c);
	return ret;
}

/* Queue as much of the response as the send buffer takes; close when all is
 * queued (tcp_close sends the FIN after the queued data). Returns ERR_ABRT
 * when the pcb was aborted. */
static err_t http_send_more(struct http_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;
	for (;;) {
		const void *ptr;
		size_t left;
		bool hdr = c->hdr_off < c->hdr_len;
		if (hdr) {
			ptr = c->hdr + c->hdr_off;
			left = c->hdr_len - c->hdr_off;
		} else {
			ptr = c->body + c->body_off;
			left = c->body_len - c->body_off;
		}
		if (!left)
			break;
		size_t room = tcp_sndbuf(pcb);
		if (!room)
			break;
		u16_t n = (u16_t)(left < room ? left : room);
		err_t e = tcp_write(pcb, ptr, n, TCP_WRITE_FLAG_COPY);
		if (e == ERR_MEM) {
			if (n > 2 * TCP_MSS) {
				n = 2 * TCP_MSS; /* queue full of small segments: try less */
				e = tcp_write(pcb, ptr, n, TCP_WRITE_FLAG_COPY);
			}
			if (e == ERR_MEM)
				break;
		}
		if (e != ERR_OK)
			return http_free(c, true);
		if (hdr)
			c->hdr_off += n;
		else
			c->body_off += n;
	}
	tcp_output(pcb);
	if (c->hdr_off == c->hdr_len && c->body_off == c->body_len)
		return http_free(c, false);
	return ERR_OK;
}

static err_t http_respond(struct http_conn *c)
{
	char method[8] = "", path[128] = "";
	int code = 200;
	const char *type = "text/html";
	if (sscanf(c->req, "%7s %127s", method, path) != 2) {
		code = 400;
	} else if (strcmp(method, "GET") != 0) {
		code = 405;
	} else if (!strcmp(path, "/") || !strcmp(path, "/index.html")) {
		c->body = (const uint8_t *)index_html;
		c->body_len = sizeof(index_html) - 1;
	} else if (!strcmp(path, "/1M")) {
		c->body = page1m;
		c->body_len = PAGE_SIZE_1M;
		type = "application/octet-stream";
	} else {
		code = 404;
	}
	const char *reason = code == 200 ? "OK" :
			     code == 400 ? "Bad Request" :
			     code == 405 ? "Method Not Allowed" :
					   "Not Found";
	if (code != 200) {
		c->body = (const uint8_t *)reason;
		c->body_len = strlen(reason);
		type = "text/plain";
	}
	c->hdr_len = (size_t)snprintf(c->hdr, sizeof(c->hdr),
				      "HTTP/1.0 %d %s\r\nServer: lwIP on pktlink\r\n"
				      "Content-Type: %s\r\nContent-Length: %zu\r\n"
				      "Connection: close\r\n\r\n",
				      code, reason, type, c->body_len);
	c->responding = true;
	return http_send_more(c);
}

static err_t http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct http_conn *c = arg;
	if (!p) { /* the client closed its side */
		if (!c->responding)
			return http_free(c, false);
		return ERR_OK; /* half-close: finish sending */
	}
	c->idle_polls = 0;
	if (!c->responding) {
		size_t room = sizeof(c->req) - 1 - c->rlen;
		u16_t n = (u16_t)(p->tot_len < room ? p->tot_len : room);
		pbuf_copy_partial(p, c->req + c->rlen, n, 0);
		c->rlen += n;
		c->req[c->rlen] = 0;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	if (c->responding)
		return ERR_OK;
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") ||
	    c->rlen == sizeof(c->req) - 1)
		return http_respond(c);
	return ERR_OK;
}

static err_t http_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct http_conn *c = arg;
	c->idle_polls = 0;
	return http_send_more(c);
}

static err_t http_poll(void *arg, struct tcp_pcb *pcb)
{
	struct http_conn *c = arg;
	if (++c->idle_polls > 10) /* ~20 s without progress */
		return http_free(c, true);
	if (c->responding)
		return http_send_more(c);
	return ERR_OK;
}

static void http_err(void *arg, err_t err)
{
	struct http_conn *c = arg;
	if (c) {
		c->pcb = NULL; /* already freed by lwIP */
		free(c);
	}
}

static err_t http_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	struct http_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return ERR_MEM;
	c->pcb = pcb;
	tcp_arg(pcb, c);
	tcp_recv(pcb, http_recv);
	tcp_sent(pcb, http_sent);
	tcp_err(pcb, http_err);
	tcp_poll(pcb, http_poll, 4);
	return ERR_OK;
}

/* ---- iperf2 server (receive and count, like lwIP's lwiperf) -------------- */

struct iperf_conn {
	uint64_t bytes;
	double start;
};

static void iperf_report(struct iperf_conn *c)
{
	double t = mono_s() - c->start;
	if (t <= 0)
		t = 1e-9;
	printf("iperf: %llu bytes in %.3f s = %.1f Mbit/s\n", (unsigned long long)c->bytes, t,
	       (double)c->bytes * 8 / t / 1e6);
}

static err_t iperf_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct iperf_conn *c = arg;
	if (!p) {
		iperf_report(c);
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_err(pcb, NULL);
		free(c);
		if (tcp_close(pcb) != ERR_OK) {
			tcp_abort(pcb);
			return ERR_ABRT;
		}
		return ERR_OK;
	}
	c->bytes += p->tot_len;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static void iperf_err(void *arg, err_t err)
{
	struct iperf_conn *c = arg;
	if (c) {
		iperf_report(c);
		free(c);
	}
}

static err_t iperf_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	struct iperf_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return ERR_MEM;
	c->start = mono_s();
	tcp_arg(pcb, c);
	tcp_recv(pcb, iperf_recv);
	tcp_err(pcb, iperf_err);
	return ERR_OK;
}

static int listen_on(u16_t port, tcp_accept_fn fn)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
	if (!pcb)
		return -1;
	if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
		tcp_close(pcb);
		return -1;
	}
	struct tcp_pcb *l = tcp_listen_with_backlog(pcb, 16);
	if (!l) {
		tcp_close(pcb);
		return -1;
	}
	tcp_accept(l, fn);
	return 0;
}

/* ---- main ---------------------------------------------------------------- */

static void on_link(void *ctx, struct pktlink_lwip *nl, bool up, int reason)
{
	if (!up)
		atomic_store(&link_down_seen, true);
	printf("link %s: %s\n", up ? "up" : "down", reason ? pktlink_strerror(reason) : "requested");
}

static void tcpip_ready(void *arg)
{
	sys_sem_signal((sys_sem_t *)arg);
}

static int parse_addr(const char *s, ip4_addr_t *ip, ip4_addr_t *mask)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	int prefix = 24;
	char *slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		char *end;
		long v = strtol(slash + 1, &end, 10);
		if (*end || v < 1 || v > 32)
			return -1;
		prefix = (int)v;
	}
	if (!ip4addr_aton(buf, ip))
		return -1;
	uint32_t m = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
	ip4_addr_set_u32(mask, lwip_htonl(m));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pktlink-lwip-httpd [options] SPEC ADDR[/PREFIX]\n"
		"       pktlink-lwip-httpd [options] --tapif TAPNAME ADDR[/PREFIX]\n"
		"       pktlink-lwip-httpd --page        (write the 1 MiB page to stdout)\n"
		"lwIP on a pktlink endpoint (e.g. xdp:veth0, packet:veth0, tap:pl0,\n"
		"shm:/run/x.sock?role=client) serving HTTP on port 80 (GET / and /1M, a\n"
		"1 MiB page) and an iperf2 server on port 5001.\n"
		"  --gw IP          default gateway\n"
		"  --burst N        frames per dispatcher call (1..256)\n"
		"  --flush N        send held frames every N received ones (1..256, default 8)\n"
		"  --handoff        the receive worker hands bursts to lwIP's tcpip thread\n"
		"                   (two threads: receive and stack) instead of running lwIP\n"
		"  --busy-poll      the receive worker spins\n"
		"  --exit-on-down   exit when the link goes down (peer gone)\n"
		"  --tapif NAME     use lwIP's own unix-port TAP driver on an existing TAP\n"
		"                   device instead of pktlink (the benchmark's reference)\n"
		"  --quiet          no per-connection iperf lines\n"
		"Prints \"ready: ...\" once serving, \"link down: REASON\" when the peer goes away.\n"
		"SIGINT/SIGTERM: remove the netif, print counters and exit.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "gw", required_argument, 0, 'g' },	 { "burst", required_argument, 0, 'b' },
		{ "busy-poll", no_argument, 0, 'p' },	 { "exit-on-down", no_argument, 0, 'x' },
		{ "tapif", required_argument, 0, 't' }, { "page", no_argument, 0, 'P' },
		{ "quiet", no_argument, 0, 'q' },	 { "help", no_argument, 0, 'h' },
		{ "flush", required_argument, 0, 'f' },  { "handoff", no_argument, 0, 'H' },
		{ 0, 0, 0, 0 },
	};
	const char *gw_s = NULL, *tapif = NULL;
	struct pktlink_lwip_opts o = { 0 };
	bool exit_on_down = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'g': gw_s = optarg; break;
		case 'b': o.burst = (unsigned)atoi(optarg); break;
		case 'f': o.tx_flush_every = (unsigned)atoi(optarg); break;
		case 'H': o.handoff = true; break;
		case 'p': o.busy_poll = true; break;
		case 'x': exit_on_down = true; break;
		case 't': tapif = optarg; break;
		case 'q': quiet = true; break;
		case 'P':
			make_page();
			return fwrite(page1m, 1, PAGE_SIZE_1M, stdout) == PAGE_SIZE_1M ? 0 : 1;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int need = tapif ? 1 : 2;
	if (argc - optind != need) {
		usage(stderr);
		return 2;
	}
	const char *spec = tapif ? NULL : argv[optind];
	const char *addr_s = argv[optind + need - 1];
	ip4_addr_t ip, mask, gw;
	ip4_addr_set_zero(&gw);
	if (parse_addr(addr_s, &ip, &mask) < 0) {
		fprintf(stderr, "pktlink-lwip-httpd: bad address \"%s\": use A.B.C.D or A.B.C.D/PREFIX\n",
			addr_s);
		return 2;
	}
	if (gw_s && !ip4addr_aton(gw_s, &gw)) {
		fprintf(stderr, "pktlink-lwip-httpd: bad gateway \"%s\"\n", gw_s);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	make_page();

	/* every thread started from here on (lwIP's, pktlink's workers) inherits
	 * the blocked signals: only sigtimedwait below sees them */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	struct pktlink_ep *ep = NULL;
	char err[512];
	if (spec && pktlink_open(spec, &ep, err, sizeof(err)) < 0) {
		fprintf(stderr, "pktlink-lwip-httpd: %s\n", err);
		return 1;
	}

	sys_sem_t ready;
	sys_sem_new(&ready, 0);
	tcpip_init(tcpip_ready, &ready);
	sys_sem_wait(&ready);
	sys_sem_free(&ready);

	struct pktlink_lwip *nl = NULL;
	static struct netif tap_netif;
	struct netif *nif;
	if (spec) {
		o.link_cb = on_link;
		o.set_default = true;
		int r = pktlink_lwip_add(ep, &ip, &mask, &gw, &o, &nl, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "pktlink-lwip-httpd: %s\n", err);
			pktlink_close(ep);
			return 1;
		}
		nif = pktlink_lwip_netif(nl);
	} else {
		/* lwIP's unix port attaches to an existing TAP of that name */
		pool_fix_enable();
		setenv("PRECONFIGURED_TAPIF", tapif, 1);
		LOCK_TCPIP_CORE();
		nif = netif_add(&tap_netif, &ip, &mask, &gw, NULL, tapif_init, tcpip_input);
		if (nif) {
			netif_set_default(nif);
			netif_set_up(nif);
			netif_set_link_up(nif);
		}
		UNLOCK_TCPIP_CORE();
		if (!nif) {
			fprintf(stderr, "pktlink-lwip-httpd: tapif on %s failed\n", tapif);
			return 1;
		}
	}

	LOCK_TCPIP_CORE();
	int lr = listen_on(80, http_accept) | listen_on(5001, iperf_accept);
	char ipbuf[IP4ADDR_STRLEN_MAX];
	ip4addr_ntoa_r(netif_ip4_addr(nif), ipbuf, sizeof(ipbuf));
	char mac[24];
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", nif->hwaddr[0], nif->hwaddr[1],
		 nif->hwaddr[2], nif->hwaddr[3], nif->hwaddr[4], nif->hwaddr[5]);
	unsigned mtu = nif->mtu;
	UNLOCK_TCPIP_CORE();
	if (lr) {
		fprintf(stderr, "pktlink-lwip-httpd: cannot listen on ports 80/5001\n");
		return 1;
	}
	if (spec)
		printf("checksum: %s\n", pktlink_lwip_checksum_ctrl());
	printf("ready: %s ip=%s mac=%s mtu=%u http=80 iperf=5001\n", spec ? spec : tapif, ipbuf, mac,
	       mtu);

	for (;;) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		int s = sigtimedwait(&sigs, NULL, &ts);
		if (s == SIGINT || s == SIGTERM)
			break;
		if (exit_on_down && atomic_load(&link_down_seen))
			break;
	}

	if (nl) {
		struct pktlink_lwip_stats st;
		pktlink_lwip_get_stats(nl, &st);
		pktlink_lwip_remove(nl);
		pktlink_close(ep);
		printf("stats: rx_frames=%llu rx_nomem=%llu rx_invalid=%llu tx_frames=%llu "
		       "tx_calls=%llu tx_drops=%llu\n",
		       (unsigned long long)st.rx_frames, (unsigned long long)st.rx_nomem,
		       (unsigned long long)st.rx_invalid, (unsigned long long)st.tx_frames,
		       (unsigned long long)st.tx_calls, (unsigned long long)st.tx_drops);
	}
	free(page1m);
	return 0;
}
