/* SPDX-License-Identifier: MIT */
/*
 * test_hostile: the shared-memory peer is untrusted. A hostile process
 * scribbles on live queues (pipes, records, notification words, eventfds)
 * while our endpoint works; a legitimate peer corrupts some of its own
 * records; a peer tries to shrink the regions; a peer stays silent. Our
 * side must never crash, hang, touch memory outside its regions (run under
 * ASan in the sanitizer build), or leak — only drop, count and disconnect.
 */
#include "shm_testlib.h"

#include "shm/queue.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define HOSTILE_MS 1500

struct maps {
	uintptr_t lo[16], hi[16];
	int n;
};

/* The ranges of our data-region mappings. */
static void data_maps(struct maps *m)
{
	FILE *f = fopen("/proc/self/maps", "r");
	PLT_CHECK(f, "maps");
	char line[512];
	m->n = 0;
	while (fgets(line, sizeof(line), f) && m->n < 16) {
		unsigned long lo, hi;
		if (strstr(line, "pktlink-shm-data") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			m->lo[m->n] = lo;
			m->hi[m->n] = hi;
			m->n++;
		}
	}
	fclose(f);
}

/* A view is inside one data mapping, or (a bounce copy) outside all of them. */
static void check_view(const struct maps *m, const struct pktlink_pkt *p)
{
	uintptr_t a = (uintptr_t)p->data, b = a + p->len;
	PLT_CHECK(p->len > 0 && p->len <= PKTLINK_SHM_MAX_PACKET, "view length %u", p->len);
	for (int i = 0; i < m->n; i++) {
		if (a >= m->lo[i] && a < m->hi[i]) {
			PLT_CHECK(b <= m->hi[i], "view runs %lu bytes past its region",
				  (unsigned long)(b - m->hi[i]));
			return;
		}
		PLT_CHECK(b <= m->lo[i] || a >= m->hi[i], "view overlaps a region it does not start in");
	}
	volatile uint8_t sink = 0;
	for (uint32_t k = 0; k < p->len; k++)
		sink ^= p->data[k];
	(void)sink;
}

/* ---- the scribbler: maps everything and writes junk ---- */

struct region {
	uint8_t *p;
	size_t len;
	int kind; /* 0 data, 1 pipe, 2 shared */
};

static int map_all(const struct pktlink_shm_fds *fds, struct region *r)
{
	int n = 0;
	for (int q = 0; q < 2; q++)
		for (int s = 0; s < PKTLINK_SHM_QUEUE_FDS; s++) {
			if (s == PKTLINK_SHM_FD_EVENT)
				continue;
			int fd = q ? fds->rx[s] : fds->tx[s];
			struct stat st;
			if (fstat(fd, &st))
				return -1;
			r[n].len = (size_t)st.st_size;
			r[n].p = mmap(NULL, r[n].len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (r[n].p == MAP_FAILED)
				return -1;
			r[n].kind = s == PKTLINK_SHM_FD_DATA ? 0 : s == PKTLINK_SHM_FD_SHARED ? 2 : 1;
			n++;
		}
	return n;
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One junk write into a pipe: plausible headers and records most of the time. */
static void scribble_once(struct region *r, int nr, const struct pktlink_shm_fds *fds, uint64_t *s)
{
	struct region *g = &r[xs(s) % (uint64_t)nr];
	uint64_t v = xs(s);
	switch (v % 8) {
	case 0: /* a random word anywhere */
		if (g->len >= 8) {
			uint64_t w = xs(s);
			memcpy(g->p + (xs(s) % (g->len / 8)) * 8, &w, 8);
		}
		break;
	case 1: /* a published header with a small size, in a pipe */
	case 2:
		for (int k = 0; k < nr; k++)
			if (r[k].kind == 1 && (xs(s) & 1)) {
				uint64_t h = xs(s) % 300;
				size_t off = (xs(s) % (r[k].len / 8)) * 8;
				if (off + 8 <= r[k].len)
					__atomic_store_n((uint64_t *)(void *)(r[k].p + off), h, __ATOMIC_RELEASE);
			}
		break;
	case 3: { /* a plausible record: descriptor/completion-shaped bytes at offset 8 */
		for (int k = 0; k < nr; k++)
			if (r[k].kind == 1 && r[k].len > 128) {
				uint8_t junk[120];
				for (size_t i = 0; i < sizeof(junk); i += 8) {
					uint64_t w = xs(s) % ((xs(s) & 1) ? 4096 : UINT64_MAX);
					memcpy(junk + i, &w, 8);
				}
				memcpy(r[k].p + 8, junk, sizeof(junk));
				uint64_t h = (xs(s) % 4) == 0 ? 16 + 12 : (xs(s) % 4) == 1 ? 8 + 28 : 32;
				__atomic_store_n((uint64_t *)(void *)r[k].p, h, __ATOMIC_RELEASE);
			}
		break;
	}
	case 4: /* the notification words */
		for (int k = 0; k < nr; k++)
			if (r[k].kind == 2)
				__atomic_store_n((uint32_t *)(void *)r[k].p, (uint32_t)xs(s), __ATOMIC_RELAXED);
		break;
	case 5: { /* wake-up storms */
		uint64_t one = 1;
		ssize_t w = write(fds->tx[PKTLINK_SHM_FD_EVENT], &one, 8);
		w = write(fds->rx[PKTLINK_SHM_FD_EVENT], &one, 8);
		(void)w;
		break;
	}
	case 6: /* a free header with a huge size */
		for (int k = 0; k < nr; k++)
			if (r[k].kind == 1)
				__atomic_store_n((uint64_t *)(void *)(r[k].p + (xs(s) % (r[k].len / 8)) * 8),
						 PL_PIPE_FREE | (xs(s) & 0xffffffffull), __ATOMIC_RELEASE);
		break;
	default: /* data bytes */
		if (g->kind == 0)
			memset(g->p + xs(s) % g->len, (int)v, 1);
		break;
	}
}

static void scribbler_main(const struct pktlink_shm_fds *fds, int ms)
{
	struct region r[8];
	int nr = map_all(fds, r);
	if (nr < 8)
		_exit(2);
	uint64_t s = 0x1234567 ^ (uint64_t)getpid();
	uint64_t end = plt_now_ns() + (uint64_t)ms * 1000000;
	while (plt_now_ns() < end) {
		for (int i = 0; i < 64; i++)
			scribble_once(r, nr, fds, &s);
		usleep(20);
	}
	_exit(0);
}

/*
 * Our endpoint (role) works against a scribbler for HOSTILE_MS; endpoints
 * are reopened from the same descriptors whenever the peer gets
 * disconnected, so that many states are hit.
 */
static void vs_scribbler(enum pktlink_shm_role role)
{
	struct pktlink_shm_opts o = sht_opts(role);
	o.pipe_size = 8192;
	o.data_size = 256 << 10;
	struct pktlink_shm_fds fds;
	char err[256];
	int fds0 = plt_fd_count();
	PLT_CHECK(pktlink_shm_qp_create(&o, &fds, err, sizeof(err)) == 0, "%s", err);
	int sp[2];
	PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0, "socketpair");
	fflush(NULL);
	pid_t pid = fork();
	PLT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sp[0]);
		scribbler_main(&fds, HOSTILE_MS);
	}
	close(sp[1]);
	uint64_t end = plt_now_ns() + (uint64_t)HOSTILE_MS * 1000000;
	unsigned opens = 0, disconnects = 0;
	uint64_t drops = 0, rx = 0;
	static uint8_t frame[9000];
	memset(frame, 0x77, sizeof(frame));
	while (plt_now_ns() < end) {
		struct pktlink_ep *ep;
		o.vnet_hdr = opens % 3 == 1;
		o.mtu = opens % 2 ? 9000 : 1500;
		int r = pktlink_shm_open(&o, &fds, sp[0], &ep, err, sizeof(err));
		PLT_CHECK(r == 0, "open %u: %s", opens, err);
		opens++;
		struct maps m;
		data_maps(&m);
		for (int it = 0; it < 2000 && plt_now_ns() < end; it++) {
			struct pktlink_pkt p[32];
			for (int i = 0; i < 32; i++)
				p[i] = (struct pktlink_pkt){ .data = frame,
							     .len = 60 + (uint32_t)((it * 32 + i) * 331) % 1400 };
			int t = pktlink_tx_burst(ep, p, 32);
			if (t < 0)
				break;
			int n = pktlink_rx_burst(ep, p, 32);
			if (n < 0)
				break;
			for (int i = 0; i < n; i++)
				check_view(&m, &p[i]);
			rx += (uint64_t)n;
			/* Release in two halves, out of order. */
			if (n > 1)
				pktlink_rx_release(ep, p + n / 2, (unsigned)(n - n / 2));
			pktlink_rx_release(ep, p, (unsigned)(n > 1 ? n / 2 : n));
			if (it % 64 == 0)
				pktlink_wait(ep, 0);
		}
		struct pktlink_stats st;
		pktlink_get_stats(ep, &st);
		drops += st.rx_drop_invalid + st.tx_errors;
		if (strstr(pktlink_last_error(ep), "disconnected"))
			disconnects++;
		pktlink_close(ep);
	}
	int st;
	PLT_CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "scribbler status %#x", st);
	close(sp[0]);
	pktlink_shm_fds_close(&fds);
	printf("    %u opens, %u disconnects, %llu drops, %llu frames handed out\n", opens, disconnects,
	       (unsigned long long)drops, (unsigned long long)rx);
	PLT_CHECK(disconnects + drops > 0, "the garbage went unnoticed");
	PLT_CHECK(plt_fd_count() == fds0, "fd leak %d -> %d", fds0, plt_fd_count());
	PLT_CHECK(sht_shm_maps() == 0, "mappings left");
}

static int scribbler_vs_client(void)
{
	vs_scribbler(PKTLINK_SHM_CLIENT);
	return 0;
}

static int scribbler_vs_server(void)
{
	vs_scribbler(PKTLINK_SHM_SERVER);
	return 0;
}

/* ---- a legitimate peer whose own memory gets corrupted ---- */

static struct pktlink_shm_fds g_fds;

static void *corrupter(void *arg)
{
	int *stop = arg;
	struct region r[8];
	int nr = map_all(&g_fds, r);
	if (nr < 8)
		return NULL;
	uint64_t s = 0xfeedface;
	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
		/* Mostly payload bytes; now and then structure. */
		if (xs(&s) % 64 == 0) {
			scribble_once(r, nr, &g_fds, &s);
		} else {
			struct region *g = &r[xs(&s) % (uint64_t)nr];
			if (g->kind == 0)
				g->p[xs(&s) % g->len] = (uint8_t)xs(&s);
		}
		usleep(100);
	}
	for (int i = 0; i < nr; i++)
		munmap(r[i].p, r[i].len);
	return NULL;
}

static int noisy_peer(struct pktlink_ep *ep, void *arg)
{
	int stop = 0;
	pthread_t t;
	if (pthread_create(&t, NULL, corrupter, &stop))
		return -1;
	static uint8_t frame[1514];
	memset(frame, 1, sizeof(frame));
	uint64_t end = plt_now_ns() + (uint64_t)HOSTILE_MS * 1000000;
	while (plt_now_ns() < end) {
		struct pktlink_pkt p[16];
		for (int i = 0; i < 16; i++)
			p[i] = (struct pktlink_pkt){ .data = frame, .len = 60 + (uint32_t)i * 90 };
		if (pktlink_tx_burst(ep, p, 16) < 0)
			break;
		int n = pktlink_rx_burst(ep, p, 16);
		if (n < 0)
			break;
		pktlink_rx_release(ep, p, (unsigned)n);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	return 0;
}

static int corrupting_peer(void)
{
	for (int server_here = 0; server_here < 2; server_here++) {
		struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
		char err[256];
		int fds0 = plt_fd_count();
		/* The child's corrupter needs the descriptors: create them here,
		 * keep a copy for the fork. */
		PLT_CHECK(pktlink_shm_qp_create(&c, &g_fds, err, sizeof(err)) == 0, "%s", err);
		int sp[2];
		PLT_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0, "sp");
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(sp[0]);
			struct pktlink_ep *pe;
			if (pktlink_shm_open(server_here ? &c : &s, &g_fds, sp[1], &pe, err, sizeof(err)))
				_exit(3);
			int r = noisy_peer(pe, NULL);
			pktlink_close(pe);
			_exit(r ? 1 : 0);
		}
		close(sp[1]);
		struct pktlink_ep *ep;
		PLT_CHECK(pktlink_shm_open(server_here ? &s : &c, &g_fds, sp[0], &ep, err, sizeof(err)) == 0,
			  "%s", err);
		close(sp[0]);
		pktlink_shm_fds_close(&g_fds);
		struct maps m;
		data_maps(&m);
		static uint8_t frame[1514];
		uint64_t end = plt_now_ns() + (uint64_t)(HOSTILE_MS + 10000) * 1000000;
		int last = 0;
		uint64_t frames = 0;
		while (plt_now_ns() < end) {
			struct pktlink_pkt p[16];
			for (int i = 0; i < 16; i++)
				p[i] = (struct pktlink_pkt){ .data = frame, .len = 1514 - (uint32_t)i * 50 };
			last = pktlink_tx_burst(ep, p, 16);
			if (last < 0)
				break;
			last = pktlink_rx_burst(ep, p, 16);
			if (last < 0)
				break;
			for (int i = 0; i < last; i++)
				check_view(&m, &p[i]);
			frames += (uint64_t)last;
			pktlink_rx_release(ep, p, (unsigned)last);
			if (last == 0)
				pktlink_wait(ep, 1);
		}
		printf("    %llu frames received, then: %s\n", (unsigned long long)frames,
		       pktlink_last_error(ep));
		PLT_CHECK(last < 0, "the peer never went away");
		int st;
		PLT_CHECK(waitpid(pid, &st, 0) == pid, "wait");
		PLT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "peer died: status %#x", st);
		pktlink_close(ep);
		PLT_CHECK(plt_fd_count() == fds0, "fd leak");
	}
	return 0;
}

/* ---- the peer cannot shrink our memory; a silent peer cannot hang us ---- */

static int shrink_refused(void)
{
	struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT);
	struct pktlink_shm_fds fds;
	char err[256];
	PLT_CHECK(pktlink_shm_qp_create(&c, &fds, err, sizeof(err)) == 0, "%s", err);
	for (int q = 0; q < 2; q++)
		for (int s = 0; s < PKTLINK_SHM_QUEUE_FDS; s++) {
			if (s == PKTLINK_SHM_FD_EVENT)
				continue;
			int fd = q ? fds.rx[s] : fds.tx[s];
			PLT_CHECK(ftruncate(fd, 0) < 0 && errno == EPERM, "region %d/%d shrank", q, s);
			PLT_CHECK(ftruncate(fd, 1 << 30) < 0 && errno == EPERM, "region %d/%d grew", q, s);
			PLT_CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0, "seals can be changed");
		}
	pktlink_shm_fds_close(&fds);
	return 0;
}

static int silent(struct pktlink_ep *ep, void *arg)
{
	char c;
	return read(*(int *)arg, &c, 1) < 0; /* until the parent says stop */
}

static int silent_peer(void)
{
	for (int server_here = 0; server_here < 2; server_here++) {
		struct pktlink_shm_opts c = sht_opts(PKTLINK_SHM_CLIENT), s = sht_opts(PKTLINK_SHM_SERVER);
		int gp[2];
		PLT_CHECK(pipe(gp) == 0, "pipe");
		struct pktlink_ep *ep;
		pid_t pid = sht_spawn(server_here ? &s : &c, server_here ? &c : &s, silent, &gp[0], &ep);
		static uint8_t frame[1514];
		unsigned zero = 0;
		for (int i = 0; i < 5000; i++) {
			struct pktlink_pkt p[8];
			for (int k = 0; k < 8; k++)
				p[k] = (struct pktlink_pkt){ .data = frame, .len = 1514 };
			int r = pktlink_tx_burst(ep, p, 8);
			PLT_CHECK(r >= 0, "tx %d", r);
			zero += r == 0;
			r = pktlink_rx_burst(ep, p, 8);
			PLT_CHECK(r == 0, "rx %d from a silent peer", r);
		}
		PLT_CHECK(zero > 0, "a silent peer never filled up");
		PLT_CHECK(pktlink_wait(ep, 20) >= 0, "wait");
		PLT_CHECK(write(gp[1], "x", 1) == 1, "stop");
		PLT_CHECK(sht_wait(pid, 10) == 0, "peer");
		close(gp[0]);
		close(gp[1]);
		pktlink_close(ep);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "scribbler_vs_client", scribbler_vs_client, PLT_UNIT, 50 },
		{ "scribbler_vs_server", scribbler_vs_server, PLT_UNIT, 50 },
		{ "corrupting_peer", corrupting_peer, PLT_UNIT, 50 },
		{ "shrink_refused", shrink_refused, PLT_UNIT, 0 },
		{ "silent_peer", silent_peer, PLT_UNIT, 50 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
