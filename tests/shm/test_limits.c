/* SPDX-License-Identifier: MIT */
/*
 * test_limits: sizes, files and sockets a peer or a user gets wrong.
 *   - gVisor's server pads each packet to whole posted buffers: the client
 *     trims it to its L3 length (IPv4, IPv6, ARP, VLAN) and counts it;
 *     padding it cannot explain is dropped, never delivered;
 *   - a peer that shrinks a region and then seals it, racing our checks,
 *     never makes us map more than the file holds;
 *   - sizes near 2^32 (options, the peer's hello) are refused, not wrapped;
 *   - connect fails at once when nobody listens (or waits, announced on
 *     stderr in the spec path, and a signal ends the wait); a server takes over a stale socket file but never a
 *     live one; the spec's dir must not walk out with "..".
 */
#include "shm_testlib.h"

#include "shm/pipe.h"
#include "shm/qpair.h"
#include "shm/queue.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

static uint64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- a padding server, as gVisor's NewServerEndpoint behaves ---- */

struct padder {
	struct pl_shm_queue q; /* the client's RX queue, mapped here */
	struct pl_pipe_rx posts;
	struct pl_pipe_tx comps;
};

static void padder_init(struct padder *s, const struct pktlink_shm_fds *fds)
{
	char err[256];
	pl_shm_queue_reset(&s->q);
	PLT_CHECK(pl_shm_queue_adopt(&s->q, fds->rx, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pl_shm_queue_map(&s->q, NULL, false, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pl_pipe_rx_init(&s->posts, s->q.tx_pipe.base, s->q.tx_pipe.len) == 0 &&
			  pl_pipe_tx_init(&s->comps, s->q.rx_pipe.base, s->q.rx_pipe.len) == 0,
		  "pipes");
}

/* Send frame f (len bytes) in as many posted buffers as it needs, reporting their full size. */
static void padder_send(struct padder *s, const uint8_t *f, uint32_t len)
{
	struct pl_rxq_post b[8];
	uint32_t used[8], room = 0, nb = 0, total = 0;
	while (room < len) {
		const uint8_t *rec;
		uint32_t rl;
		PLT_CHECK(nb < 8 && pl_pipe_rx_pull(&s->posts, &rec, &rl) == PL_PIPE_RECORD,
			  "no posted buffer");
		PLT_CHECK(pl_rxq_parse_post(rec, rl, s->q.data.len, &b[nb]) == 0, "post");
		uint32_t k = len - room < b[nb].size ? len - room : b[nb].size;
		memcpy(s->q.data.base + b[nb].offset, f + room, k);
		room += k;
		used[nb] = b[nb].size; /* gVisor: the posted size, not the bytes copied */
		total += b[nb].size;
		nb++;
	}
	pl_pipe_rx_flush(&s->posts);
	PLT_CHECK(pl_rxq_push_completion(&s->comps, total, b, used, nb), "completion");
	pl_pipe_tx_flush(&s->comps);
}

static int receive_one(struct pktlink_ep *ep, struct pktlink_pkt *p)
{
	for (int i = 0; i < 2000; i++) {
		int n = pktlink_rx_burst(ep, p, 1);
		if (n)
			return n;
		usleep(1000);
	}
	return 0;
}

static uint32_t build(uint8_t *f, uint16_t type, uint32_t l3len, bool vlan)
{
	memset(f, 0, 16384);
	for (uint32_t k = 0; k < 16384; k++)
		f[k] = (uint8_t)(k * 13 + 1);
	uint32_t l2 = 14;
	if (vlan) {
		f[12] = 0x81;
		f[13] = 0x00;
		f[14] = 0;
		f[15] = 5;
		l2 = 18;
	}
	f[l2 - 2] = (uint8_t)(type >> 8);
	f[l2 - 1] = (uint8_t)type;
	uint8_t *h = f + l2;
	if (type == 0x0800) {
		h[0] = 0x45;
		h[2] = (uint8_t)(l3len >> 8);
		h[3] = (uint8_t)l3len;
	} else if (type == 0x86DD) {
		h[0] = 0x60;
		h[4] = (uint8_t)((l3len - 40) >> 8);
		h[5] = (uint8_t)(l3len - 40);
	} else if (type == 0x0806) {
		h[4] = 6;
		h[5] = 4;
	}
	return l2 + l3len;
}

static int padded_completions(void)
{
	struct pktlink_shm_opts o = sht_opts(PKTLINK_SHM_CLIENT);
	o.mtu = 9000; /* frames over several 2048-byte buffers too */
	struct pktlink_shm_fds fds;
	char err[256];
	PLT_CHECK(pktlink_shm_qp_create(&o, &fds, err, sizeof(err)) == 0, "%s", err);
	struct pktlink_ep *ep;
	PLT_CHECK(pktlink_shm_open(&o, &fds, -1, &ep, err, sizeof(err)) == 0, "%s", err);
	struct padder s;
	padder_init(&s, &fds);
	static uint8_t f[16384];
	struct {
		uint16_t type;
		uint32_t l3;
		bool vlan;
	} cases[] = {
		{ 0x0800, 46, false }, /* the smallest IPv4 frame: 60 bytes */
		{ 0x0800, 28, false }, /* 42 bytes: no Ethernet padding at all */
		{ 0x0806, 28, false }, /* gVisor's ARP */
		{ 0x86DD, 48, false },
		{ 0x0800, 100, true },
		{ 0x0800, 1500, false },
		{ 0x0800, 2034, false }, /* exactly one whole buffer: nothing to trim */
		{ 0x0800, 2986, false }, /* two buffers, padded to 4096 */
		{ 0x0800, 9000, false }, /* five buffers */
	};
	uint64_t trimmed = 0;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t len = build(f, cases[i].type, cases[i].l3, cases[i].vlan);
		padder_send(&s, f, len);
		struct pktlink_pkt p;
		PLT_CHECK(receive_one(ep, &p) == 1, "case %u: nothing received", i);
		PLT_CHECK(p.len == len && !memcmp(p.data, f, len), "case %u: got %u bytes, sent %u", i,
			  p.len, len);
		pktlink_rx_release(ep, &p, 1);
		trimmed += len % 2048 != 0;
	}
	struct pktlink_shm_stats ss = { .sz = sizeof(ss) };
	PLT_OK(pktlink_shm_get_stats(ep, &ss));
	PLT_CHECK(ss.rx_trimmed == trimmed, "rx_trimmed %llu, want %llu",
		  (unsigned long long)ss.rx_trimmed, (unsigned long long)trimmed);

	pktlink_close(ep);
	pl_shm_queue_close(&s.q);

	/* Padding nothing explains (an unknown EtherType) past the largest
	 * frame: dropped and counted, never delivered. */
	struct pktlink_ep *small;
	o.mtu = 1500;
	/* A fresh queue pair for the drop check. */
	pktlink_shm_fds_close(&fds);
	PLT_CHECK(pktlink_shm_qp_create(&o, &fds, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_shm_open(&o, &fds, -1, &small, err, sizeof(err)) == 0, "%s", err);
	padder_init(&s, &fds);
	uint32_t len = build(f, 0x88B5, 100, false);
	padder_send(&s, f, len);
	len = build(f, 0x0800, 46, false);
	padder_send(&s, f, len);
	struct pktlink_pkt p;
	PLT_CHECK(receive_one(small, &p) == 1 && p.len == 60, "the IPv4 frame after the dropped one");
	pktlink_rx_release(small, &p, 1);
	struct pktlink_stats st;
	PLT_OK(pktlink_get_stats(small, &st));
	PLT_CHECK(st.rx_drop_invalid == 1 && st.rx_packets == 1, "invalid %llu packets %llu",
		  (unsigned long long)st.rx_drop_invalid, (unsigned long long)st.rx_packets);
	pktlink_close(small);
	pl_shm_queue_close(&s.q);
	pktlink_shm_fds_close(&fds);
	return 0;
}

/* ---- shrink, then seal, racing our checks ---- */

struct racer {
	atomic_int go, stop;
	int fd;
};

static void *shrinker(void *arg)
{
	struct racer *r = arg;
	while (!atomic_load(&r->stop)) {
		if (!atomic_load(&r->go))
			continue;
		if (ftruncate(r->fd, 4096) == 0)
			fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK);
		/* Only now: the main thread then closes the fd and reuses r->fd. */
		atomic_store(&r->go, 0);
	}
	return NULL;
}

static int memfd_sized(uint64_t size, bool seal)
{
	int fd = memfd_create("pktlink-race", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	PLT_CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "memfd");
	if (seal)
		PLT_CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "seal");
	return fd;
}

static int seal_race(void)
{
	struct racer r = { 0 };
	pthread_t t;
	PLT_CHECK(pthread_create(&t, NULL, shrinker, &r) == 0, "thread");
	uint64_t end = ms_now() + 2000;
	unsigned opened = 0, refused = 0;
	for (unsigned i = 0; i < 100000 && ms_now() < end; i++) {
		int fds[PKTLINK_SHM_QUEUE_FDS] = {
			memfd_sized(1 << 20, false), eventfd(0, EFD_CLOEXEC), memfd_sized(65536, true),
			memfd_sized(65536, true), memfd_sized(4096, true),
		};
		/* The pipes must start with a free header, as a peer leaves them. */
		r.fd = fds[0];
		struct pl_shm_queue q;
		pl_shm_queue_reset(&q);
		char err[256];
		PLT_CHECK(pl_shm_queue_adopt(&q, fds, err, sizeof(err)) == 0, "%s", err);
		atomic_store(&r.go, 1);
		if (pl_shm_queue_map(&q, NULL, false, err, sizeof(err)) == 0) {
			/* Touch the last byte: a mapping past the file's end faults here. */
			volatile uint8_t x = q.data.base[q.data.len - 1];
			(void)x;
			opened++;
		} else {
			PLT_CHECK(strstr(err, "sealed"), "unexpected refusal: %s", err);
			refused++;
		}
		uint64_t turn_end = ms_now() + 10000;
		while (atomic_load(&r.go)) /* the shrinker takes its turn */
			PLT_CHECK(ms_now() < turn_end, "the shrinker thread did not take its turn");
		pl_shm_queue_close(&q);
		for (int k = 0; k < PKTLINK_SHM_QUEUE_FDS; k++)
			close(fds[k]);
	}
	atomic_store(&r.stop, 1);
	pthread_join(t, NULL);
	fprintf(stderr, "seal race: %u opened, %u refused, no fault\n", opened, refused);
	PLT_CHECK(opened + refused > 0, "no rounds");
	return 0;
}

/* ---- sizes near 2^32 ---- */

static int size_wrap(void)
{
	struct pktlink_shm_opts o = sht_opts(PKTLINK_SHM_CLIENT);
	struct pktlink_shm_fds fds;
	char err[256];
	struct pktlink_ep *ep = NULL;
	PLT_CHECK(pktlink_shm_qp_create(&o, &fds, err, sizeof(err)) == 0, "%s", err);
	uint32_t bad_mtu[] = { 0xffffffffu, 0xfffffff2u, 65536 - 13, 67 };
	for (unsigned i = 0; i < 4; i++) {
		o.mtu = bad_mtu[i];
		int r = pktlink_shm_open(&o, &fds, -1, &ep, err, sizeof(err));
		PLT_CHECK(r == -EINVAL && strstr(err, "mtu") && !ep, "mtu %u: %d %s", bad_mtu[i], r, err);
	}
	o.mtu = 0;
	o.buffer_size = 0xffffffffu;
	PLT_CHECK(pktlink_shm_open(&o, &fds, -1, &ep, err, sizeof(err)) == -EINVAL &&
			  strstr(err, "buffer_size"),
		  "%s", err);
	o.buffer_size = 0;
	o.data_size = 1ull << 40;
	PLT_CHECK(pktlink_shm_qp_create(&o, &fds, err, sizeof(err)) == -EINVAL, "%s", err);
	pktlink_shm_fds_close(&fds);

	/* A hello announcing MTU 2^32 - 1: the server refuses it, with a reason. */
	char path[64];
	snprintf(path, sizeof(path), "/tmp/pktlink-limits-%d.sock", getpid());
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		struct pktlink_shm_opts so = sht_opts(PKTLINK_SHM_SERVER);
		so.timeout_ms = 10000;
		int r = pktlink_shm_listen(path, &so, &ep, err, sizeof(err));
		_exit(r == -EINVAL && strstr(err, "MTU") ? 0 : 1);
	}
	o = sht_opts(PKTLINK_SHM_CLIENT);
	PLT_CHECK(pktlink_shm_qp_create(&o, &fds, err, sizeof(err)) == 0, "%s", err);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	uint64_t end = ms_now() + 10000;
	while (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0 && ms_now() < end)
		usleep(5000);
	struct pl_shm_hello h = { .version = PL_SHM_WIRE_VERSION, .mtu = 0xffffffffu,
				  .buffer_size = 2048 };
	struct pl_shm_queue q[2];
	for (int k = 0; k < 2; k++) {
		pl_shm_queue_reset(&q[k]);
		PLT_CHECK(pl_shm_queue_adopt(&q[k], k ? fds.rx : fds.tx, err, sizeof(err)) == 0, "%s", err);
		PLT_CHECK(pl_shm_queue_map(&q[k], NULL, false, err, sizeof(err)) == 0, "%s", err);
		pl_shm_queue_sizes_of(&q[k], &h.sizes[k]);
	}
	int r = pl_shm_send_qp(s, &h, &fds, 10000, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "MTU"), "hello with MTU 2^32-1: %d %s", r, err);
	PLT_CHECK(sht_wait(pid, 20) == 0, "the server accepted the hello");
	close(s);
	pl_shm_queue_close(&q[0]);
	pl_shm_queue_close(&q[1]);
	pktlink_shm_fds_close(&fds);
	return 0;
}

/* ---- connect, stale sockets, spec dir ---- */

static void on_alarm(int sig)
{
	(void)sig;
}

/* A socket file nobody listens on: what a killed server leaves. */
static void stale_socket(const char *path)
{
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	PLT_CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
	close(s);
}

static int connect_and_stale(void)
{
	char path[64], err[256];
	snprintf(path, sizeof(path), "/tmp/pktlink-limits-%d.sock", getpid());
	struct pktlink_shm_opts o = sht_opts(PKTLINK_SHM_CLIENT);
	struct pktlink_ep *ep = NULL;
	unlink(path);

	/* Nobody there: fail at once, saying so. */
	uint64_t t0 = ms_now();
	int r = pktlink_shm_connect(path, &o, &ep, err, sizeof(err));
	PLT_CHECK(r == -ENOENT && strstr(err, "no server") && ms_now() - t0 < 2000, "%d %s", r, err);
	stale_socket(path);
	r = pktlink_shm_connect(path, &o, &ep, err, sizeof(err));
	PLT_CHECK(r == -ECONNREFUSED && strstr(err, "nobody listens"), "%d %s", r, err);

	/* Waiting, and a signal ends the wait. */
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	o.connect_wait_ms = 20000;
	alarm(1);
	t0 = ms_now();
	r = pktlink_shm_connect(path, &o, &ep, err, sizeof(err));
	PLT_CHECK(r == -EINTR && strstr(err, "interrupted") && ms_now() - t0 < 10000, "%d %s", r, err);

	/* The spec path waits by default, says so on stderr after a second,
	 * and a signal ends the wait; wait_ms=0 fails at once. */
	char spec[160];
	snprintf(spec, sizeof(spec), "shm:%s?role=client&wait_ms=0", path);
	r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == -ECONNREFUSED && strstr(err, "nobody listens"), "%d %s", r, err);
	char logp[64];
	snprintf(logp, sizeof(logp), "/tmp/pktlink-limits-%d.err", getpid());
	fflush(stderr);
	int saved = dup(2), lf = open(logp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	PLT_CHECK(saved >= 0 && lf >= 0 && dup2(lf, 2) == 2, "redirect stderr");
	snprintf(spec, sizeof(spec), "shm:%s?role=client", path);
	alarm(2);
	t0 = ms_now();
	r = pktlink_open(spec, &ep, err, sizeof(err));
	uint64_t waited = ms_now() - t0;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	char said[512] = "";
	ssize_t nr = pread(lf, said, sizeof(said) - 1, 0);
	said[nr > 0 ? nr : 0] = 0;
	close(lf);
	unlink(logp);
	PLT_CHECK(r == -EINTR && waited >= 1000 && waited < 10000, "spec wait: %d after %llu ms: %s", r,
		  (unsigned long long)waited, err);
	PLT_CHECK(strstr(said, "waiting for a server at"), "nothing said on stderr: '%s'", said);

	/* A server takes over the stale file and serves. */
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		struct pktlink_shm_opts so = sht_opts(PKTLINK_SHM_SERVER);
		so.timeout_ms = 20000;
		struct pktlink_ep *e;
		if (pktlink_shm_listen(path, &so, &e, err, sizeof(err))) {
			fprintf(stderr, "server: %s\n", err);
			_exit(1);
		}
		pktlink_wait(e, 20000);
		pktlink_close(e);
		_exit(0);
	}
	/* While it listens, a second server must refuse, not steal the path,
	 * and its probe must not disturb the first one. */
	uint64_t end = ms_now() + 10000;
	for (;;) {
		int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
		/* Listening yet? A probe like this one is ignored by the server. */
		int c = connect(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
		if (c == 0)
			break;
		PLT_CHECK(ms_now() < end, "the server never listened");
		usleep(5000);
	}
	struct pktlink_shm_opts so = sht_opts(PKTLINK_SHM_SERVER);
	so.timeout_ms = 500;
	r = pktlink_shm_listen(path, &so, &ep, err, sizeof(err));
	PLT_CHECK(r == -EADDRINUSE && strstr(err, "another server"), "%d %s", r, err);
	o.connect_wait_ms = 0;
	r = pktlink_shm_connect(path, &o, &ep, err, sizeof(err));
	PLT_CHECK(r == 0, "client: %s", err);
	pktlink_close(ep);
	PLT_CHECK(sht_wait(pid, 20) == 0, "server");

	/* The spec's dir: absolute, no dot components, an existing directory. */
	const char *bad[] = { "../../..", "/tmp/../etc", "/dev/shm/.", "tmp", "/nonexistent-pktlink" };
	for (unsigned i = 0; i < 5; i++) {
		snprintf(spec, sizeof(spec), "shm:%s?role=client&dir=%s", path, bad[i]);
		r = pktlink_open(spec, &ep, err, sizeof(err));
		PLT_CHECK(r < 0 && strstr(err, "dir"), "dir=%s: %d %s", bad[i], r, err);
	}
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "padded_completions", padded_completions, PLT_UNIT, 60 },
		{ "seal_race", seal_race, PLT_UNIT, 60 },
		{ "size_wrap", size_wrap, PLT_UNIT, 60 },
		{ "connect_and_stale", connect_and_stale, PLT_UNIT, 60 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
