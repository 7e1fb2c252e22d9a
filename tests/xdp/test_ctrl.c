/* SPDX-License-Identifier: MIT */
/*
 * test_ctrl: the AF_XDP control block on its own — ring functions, UMEM
 * geometry errors, the frame pool's accounting and refusals, invalid TX
 * descriptors counted by the kernel, sockets handed in, a second socket on
 * a busy queue.
 */
#include "xdp_common.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

/* ---- rings over plain memory (the kernel's side played by the test) ---- */

struct fake_ring {
	uint32_t prod, cons, flags;
	uint64_t slots[8];
};

static void fake_init(struct pktlink_xdp_ring *r, struct fake_ring *f, bool producer)
{
	memset(f, 0, sizeof(*f));
	memset(r, 0, sizeof(*r));
	r->producer = &f->prod;
	r->consumer = &f->cons;
	r->flags = &f->flags;
	r->ring = f->slots;
	r->size = 8;
	r->mask = 7;
	if (producer)
		r->cached_cons = 8; /* all slots free, as the kernel sets it up */
}

static int ring_producer(void)
{
	struct fake_ring f;
	struct pktlink_xdp_ring r;
	fake_init(&r, &f, true);
	uint32_t idx = 0;
	PLT_CHECK(pktlink_xdp_prod_reserve(&r, 9, &idx) == 0, "reserve more than the ring");
	PLT_CHECK(pktlink_xdp_prod_reserve(&r, 5, &idx) == 5 && idx == 0, "reserve 5");
	for (uint32_t i = 0; i < 5; i++)
		*pktlink_xdp_ring_addr(&r, idx + i) = 100 + i;
	PLT_CHECK(f.prod == 0, "nothing visible before submit");
	pktlink_xdp_prod_submit(&r, 5);
	PLT_CHECK(f.prod == 5, "prod %u", f.prod);
	PLT_CHECK(pktlink_xdp_prod_reserve(&r, 4, &idx) == 0, "only 3 free");
	PLT_CHECK(pktlink_xdp_prod_reserve(&r, 3, &idx) == 3 && idx == 5, "reserve 3");
	pktlink_xdp_prod_cancel(&r, 3);
	/* the consumer (kernel) takes 4: the free count is refreshed lazily */
	f.cons = 4;
	PLT_CHECK(pktlink_xdp_prod_nb_free(&r, 7) == 7, "free after consume");
	PLT_CHECK(pktlink_xdp_prod_reserve(&r, 7, &idx) == 7 && idx == 5, "wrap reserve");
	for (uint32_t i = 0; i < 7; i++)
		*pktlink_xdp_ring_addr(&r, idx + i) = 200 + i;
	pktlink_xdp_prod_submit(&r, 7);
	PLT_CHECK(f.prod == 12 && f.slots[11 & 7] == 206 && f.slots[5] == 200, "wrapped slots");
	/* free-running u32 indices across overflow */
	fake_init(&r, &f, true);
	f.prod = f.cons = 0xfffffffe;
	r.cached_prod = 0xfffffffe;
	r.cached_cons = 0xfffffffe + 8;
	PLT_CHECK(pktlink_xdp_prod_reserve(&r, 8, &idx) == 8 && idx == 0xfffffffe, "overflow");
	pktlink_xdp_prod_submit(&r, 8);
	PLT_CHECK(f.prod == 6, "prod wraps to %u", f.prod);
	f.flags = XDP_RING_NEED_WAKEUP;
	PLT_CHECK(pktlink_xdp_ring_needs_wakeup(&r), "need_wakeup");
	xt_leak_check();
	return 0;
}

static int ring_consumer(void)
{
	struct fake_ring f;
	struct pktlink_xdp_ring r;
	fake_init(&r, &f, false);
	uint32_t idx = 0;
	PLT_CHECK(pktlink_xdp_cons_peek(&r, 4, &idx) == 0, "empty");
	for (int i = 0; i < 6; i++)
		f.slots[i] = 10 + (uint64_t)i;
	f.prod = 6;
	PLT_CHECK(pktlink_xdp_cons_peek(&r, 4, &idx) == 4 && idx == 0, "peek 4");
	PLT_CHECK(*pktlink_xdp_ring_addr(&r, idx + 3) == 13, "slot");
	pktlink_xdp_cons_release(&r, 4);
	PLT_CHECK(f.cons == 4, "cons %u", f.cons);
	PLT_CHECK(pktlink_xdp_cons_peek(&r, 8, &idx) == 2 && idx == 4, "rest");
	pktlink_xdp_cons_cancel(&r, 2);
	PLT_CHECK(pktlink_xdp_cons_peek(&r, 1, &idx) == 1 && idx == 4, "re-peek after cancel");
	pktlink_xdp_cons_release(&r, 1);
	PLT_CHECK(f.cons == 5, "cons %u", f.cons);
	xt_leak_check();
	return 0;
}

/* ---- UMEM geometry and pool ------------------------------------------- */

static void umem_err(struct pktlink_xdp_umem_opts o, const char *want)
{
	struct pktlink_xdp_umem *u = (void *)1;
	char err[256] = "";
	o.sz = sizeof(o);
	int r = pktlink_xdp_umem_create(&o, &u, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && u == NULL, "want -EINVAL, got %d", r);
	PLT_CHECK(strstr(err, want), "message '%s' lacks '%s'", err, want);
}

static int umem_geometry(void)
{
	umem_err((struct pktlink_xdp_umem_opts){ .frame_size = 3000 }, "frame_size=3000");
	umem_err((struct pktlink_xdp_umem_opts){ .frame_size = 1024 }, "frame_size=1024");
	umem_err((struct pktlink_xdp_umem_opts){ .frames = 1 }, "frames=1");
	umem_err((struct pktlink_xdp_umem_opts){ .frame_size = 2048, .headroom = 2000 },
		 "headroom=2000");
	umem_err((struct pktlink_xdp_umem_opts){ .frames = 8, .rx_frames = 9 }, "rx_frames=9");
	umem_err((struct pktlink_xdp_umem_opts){ .frame_size = 1000,
						 .flags = PKTLINK_XDP_UMEM_UNALIGNED },
		 "frame_size=1000");
	/* unaligned mode takes odd sizes */
	struct pktlink_xdp_umem_opts o = { .sz = sizeof(o), .frames = 16, .frame_size = 3000,
					   .flags = PKTLINK_XDP_UMEM_UNALIGNED };
	struct pktlink_xdp_umem *u;
	PLT_OK(pktlink_xdp_umem_create(&o, &u, NULL, 0));
	PLT_CHECK(pktlink_xdp_umem_frame_of(u, 3000 * 5 + 17) == 5, "frame_of");
	PLT_CHECK(pktlink_xdp_umem_frame_of(u, (1ull << 48) * 300 + 3000 * 7) == 7,
		  "frame_of with offset bits");
	size_t len;
	void *area = pktlink_xdp_umem_area(u, &len);
	PLT_CHECK(((uintptr_t)area & 4095) == 0 && len == 16 * 3000, "page aligned");
	pktlink_xdp_umem_destroy(u);
	/* hugepages: falls back when the system has none */
	o = (struct pktlink_xdp_umem_opts){ .sz = sizeof(o), .flags = PKTLINK_XDP_UMEM_HUGEPAGES };
	PLT_OK(pktlink_xdp_umem_create(&o, &u, NULL, 0));
	PLT_CHECK(pktlink_xdp_umem_frames(u) == 4096 && pktlink_xdp_umem_frame_size(u) == 4096,
		  "defaults");
	pktlink_xdp_umem_destroy(u);
	xt_leak_check();
	return 0;
}

static int pool_accounting(void)
{
	struct pktlink_xdp_umem_opts o = { .sz = sizeof(o), .frames = 64, .frame_size = 2048 };
	struct pktlink_xdp_umem *u;
	PLT_OK(pktlink_xdp_umem_create(&o, &u, NULL, 0));
	uint32_t c[PKTLINK_XDP_FRAME_NSTATES];
	PLT_CHECK(pktlink_xdp_umem_census(u, c) == 0 && c[PKTLINK_XDP_FRAME_FREE] == 64, "all free");
	uint64_t a[64];
	/* only the TX half can be allocated by the application */
	PLT_CHECK(pktlink_xdp_frame_alloc(u, a, 64) == 32, "TX half");
	PLT_CHECK(pktlink_xdp_frame_alloc(u, a + 32, 1) == 0, "exhausted: 0, no crash");
	PLT_CHECK(pktlink_xdp_umem_census(u, c) == 32 && c[PKTLINK_XDP_FRAME_APP_TX] == 32, "held");
	PLT_CHECK(pktlink_xdp_frame_free(u, a, 32) == 0, "free");
	/* freeing twice, or a frame never handed out, is refused and counted */
	PLT_CHECK(pktlink_xdp_frame_free(u, a, 2) == 2, "double free refused");
	uint64_t bogus[2] = { 0, 1ull << 40 };
	PLT_CHECK(pktlink_xdp_frame_free(u, bogus, 2) == 2, "foreign frames refused");
	PLT_CHECK(pktlink_xdp_umem_errors(u) == 4, "errors %llu",
		  (unsigned long long)pktlink_xdp_umem_errors(u));
	PLT_CHECK(pktlink_xdp_umem_census(u, c) == 0 && c[PKTLINK_XDP_FRAME_FREE] == 64, "all back");
	pktlink_xdp_umem_destroy(u);
	xt_leak_check();
	return 0;
}

/* ---- kernel-facing control block -------------------------------------- */

static struct pktlink_xdp_socket *sock_on(struct pktlink_xdp_umem *u, uint32_t queue,
					  bool no_rx, int *err_out, char *err, size_t errlen)
{
	struct pktlink_xdp_socket_opts so = { .sz = sizeof(so), .ifname = XT_A, .queue = queue,
					      .no_rx = no_rx, .zerocopy = PKTLINK_XDP_ZC_OFF };
	struct pktlink_xdp_socket *s = NULL;
	int r = pktlink_xdp_socket_create(u, &so, &s, err, errlen);
	if (err_out)
		*err_out = r;
	return s;
}

static int invalid_tx_descs(void)
{
	xt_setup(1500);
	struct pktlink_xdp_umem_opts o = { .sz = sizeof(o), .frames = 64, .frame_size = 2048 };
	struct pktlink_xdp_umem *u;
	PLT_OK(pktlink_xdp_umem_create(&o, &u, NULL, 0));
	char err[256] = "";
	int r;
	struct pktlink_xdp_socket *s = sock_on(u, 0, true, &r, err, sizeof(err));
	PLT_CHECK(s, "socket: %s", err);
	PLT_CHECK(!pktlink_xdp_socket_rx(s) && pktlink_xdp_socket_tx(s), "TX-only socket");
	uint8_t a[6], b[6];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	size_t ulen;
	uint8_t *area = pktlink_xdp_umem_area(u, &ulen);
	struct {
		uint64_t addr;
		uint32_t len;
	} d[] = {
		{ ulen - 32, 64 }, /* straddles the end of the UMEM */
		{ 2048 * 3, 2100 }, /* larger than a chunk */
		{ 2048 * 4 - 32, 64 }, /* crosses into the next chunk */
		{ 2048 * 40, 64 }, /* valid */
		{ (uint64_t)ulen + 4096, 64 }, /* beyond the UMEM */
	};
	xt_frame(area + 2048 * 40, 64, 7, b, a);
	struct pktlink_xdp_ring *tx = pktlink_xdp_socket_tx(s);
	uint32_t idx;
	PLT_CHECK(pktlink_xdp_prod_reserve(tx, 5, &idx) == 5, "reserve");
	for (uint32_t i = 0; i < 5; i++) {
		struct xdp_desc *x = pktlink_xdp_ring_desc(tx, idx + i);
		x->addr = d[i].addr;
		x->len = d[i].len;
		x->options = 0;
	}
	pktlink_xdp_prod_submit(tx, 5);
	PLT_OK(pktlink_xdp_socket_kick(s));
	uint8_t buf[2048];
	uint32_t n = xt_raw_recv(raw, buf, sizeof(buf), PLT_WAIT_MS);
	PLT_CHECK(n == 64 && xt_seq(buf) == 7, "the valid frame arrives (%u)", n);
	struct pktlink_xdp_sock_stats st;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	do {
		PLT_OK(pktlink_xdp_socket_stats(s, &st));
	} while (st.tx_invalid_descs < 4 && plt_now_ns() < end);
	PLT_CHECK(st.tx_invalid_descs == 4, "tx_invalid_descs %llu",
		  (unsigned long long)st.tx_invalid_descs);
	/* The valid one completes. (Kernels since 6.x also return invalid
	 * descriptors' addresses on COMPLETION so no buffer is lost; older
	 * ones do not: accept both.) */
	struct pktlink_xdp_ring *cq = pktlink_xdp_socket_comp(s);
	uint32_t got = 0;
	bool valid_seen = false;
	end = plt_now_ns() + PLT_WAIT_NS;
	while (!valid_seen && plt_now_ns() < end) {
		uint32_t k = pktlink_xdp_cons_peek(cq, 8, &idx);
		for (uint32_t i = 0; i < k; i++)
			valid_seen |= *pktlink_xdp_ring_addr(cq, idx + i) == 2048 * 40;
		pktlink_xdp_cons_release(cq, k);
		got += k;
	}
	PLT_CHECK(valid_seen && (got == 1 || got == 5), "completions %u", got);
	pktlink_xdp_socket_destroy(s);
	PLT_OK(pktlink_xdp_umem_destroy(u));
	close(raw);
	xt_leak_check();
	return 0;
}

static int socket_handed_in(void)
{
	xt_setup(1500);
	struct pktlink_xdp_umem *u;
	struct pktlink_xdp_umem_opts o = { .sz = sizeof(o), .frames = 64, .frame_size = 2048 };
	PLT_OK(pktlink_xdp_umem_create(&o, &u, NULL, 0));
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	PLT_CHECK(fd >= 0, "socket: %s", strerror(errno));
	struct pktlink_xdp_socket_opts so = { .sz = sizeof(so), .ifname = XT_A, .has_fd = true,
					      .fd = fd, .zerocopy = PKTLINK_XDP_ZC_OFF };
	struct pktlink_xdp_socket *s;
	char err[256] = "";
	PLT_CHECK(pktlink_xdp_socket_create(u, &so, &s, err, sizeof(err)) == 0, "%s", err);
	PLT_CHECK(pktlink_xdp_socket_fd(s) == fd, "uses the fd handed in");
	/* FILL got every RX frame at setup (fill-all) */
	uint32_t c[PKTLINK_XDP_FRAME_NSTATES];
	pktlink_xdp_umem_census(u, c);
	PLT_CHECK(c[PKTLINK_XDP_FRAME_FILL] == 32, "FILL holds %u", c[PKTLINK_XDP_FRAME_FILL]);
	/* a UMEM in use cannot be destroyed */
	PLT_CHECK(pktlink_xdp_umem_destroy(u) == -EBUSY, "umem busy");
	pktlink_xdp_socket_destroy(s);
	PLT_CHECK(fcntl(fd, F_GETFD) >= 0, "the handed-in fd must stay open");
	pktlink_xdp_umem_census(u, c);
	PLT_CHECK(c[PKTLINK_XDP_FRAME_FREE] == 64, "frames back in the pool after destroy");
	close(fd);
	PLT_OK(pktlink_xdp_umem_destroy(u));
	xt_leak_check();
	return 0;
}

/* NewFromSocket at the endpoint level, and SO_BINDTODEVICE set by the
 * creator: binding elsewhere is refused with a message saying why. */
static int endpoint_from_socket(void)
{
	xt_setup(1500);
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	PLT_CHECK(fd >= 0, "socket: %s", strerror(errno));
	PLT_CHECK(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, XT_B, sizeof(XT_B)) == 0,
		  "SO_BINDTODEVICE: %s", strerror(errno));
	char spec[128], err[256] = "";
	struct pktlink_ep *ep = NULL;
	snprintf(spec, sizeof(spec), "xdp:%s?mode=skb&fd=%d", XT_A, fd);
	int r = pktlink_open(spec, &ep, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "SO_BINDTODEVICE") && strstr(err, XT_B),
		  "bind elsewhere: %d %s", r, err);
	PLT_CHECK(fcntl(fd, F_GETFD) >= 0, "fd closed by a failed open");
	close(fd);
	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	PLT_CHECK(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, XT_A, sizeof(XT_A)) == 0, "bind dev");
	snprintf(spec, sizeof(spec), "xdp:%s?mode=skb&fd=%d", XT_A, fd);
	ep = xt_open(spec);
	PLT_CHECK(pktlink_fd(ep) == fd, "the endpoint uses the socket handed in");
	uint8_t a[6], b[6], f[64];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	for (uint32_t i = 0; i < 32; i++) {
		xt_frame(f, 64, i, a, b);
		xt_raw_send(raw, f, 64);
	}
	uint32_t next = 0;
	PLT_CHECK(xt_ep_recv_check(ep, 32, 64, &next, PLT_WAIT_MS) == 32, "received");
	pktlink_close(ep);
	PLT_CHECK(fcntl(fd, F_GETFD) >= 0, "the handed-in fd must stay open");
	close(fd);
	close(raw);
	xt_leak_check();
	return 0;
}

/* Drop one capability from this (forked, per-case) process's effective set. */
static void drop_cap(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	PLT_CHECK(syscall(SYS_capget, &h, d) == 0, "capget: %s", strerror(errno));
	d[cap / 32].effective &= ~(1u << (cap % 32));
	PLT_CHECK(syscall(SYS_capset, &h, d) == 0, "capset: %s", strerror(errno));
}

/* Errors name the cause and the fix: the memlock limit, the permission. */
static int memlock_and_permission(void)
{
	xt_setup(1500);
	char err[256] = "";
	struct pktlink_ep *ep = NULL;
	/* bad ring size in the spec names the key */
	int r = pktlink_open("xdp:" XT_A "?rx_size=100", &ep, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "rx_size=100"), "ring size: %s", err);
	/* without CAP_IPC_LOCK the UMEM counts against RLIMIT_MEMLOCK */
	drop_cap(CAP_IPC_LOCK);
	struct rlimit rl = { 64 << 10, 64 << 10 };
	PLT_CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0, "setrlimit: %s", strerror(errno));
	r = pktlink_open("xdp:" XT_A "?mode=skb&frames=4096", &ep, err, sizeof(err));
	PLT_CHECK(r < 0 && !ep, "open under a 64 KiB memlock limit: %d", r);
	PLT_CHECK(strstr(err, "RLIMIT_MEMLOCK") && strstr(err, "XDP_UMEM_REG"), "message: %s", err);
	PLT_CHECK(!xt_xdp_attached(XT_A), "program left attached");
	/* without CAP_NET_RAW there is no AF_XDP socket */
	drop_cap(CAP_NET_RAW);
	r = pktlink_open("xdp:" XT_A "?mode=skb&frames=16", &ep, err, sizeof(err));
	PLT_CHECK(r == -EPERM && strstr(err, "CAP_NET_RAW"), "message: %d %s", r, err);
	xt_leak_check();
	return 0;
}

static int busy_queue(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb");
	struct pktlink_ep *ep2 = NULL;
	char err[256] = "";
	int r = pktlink_open("xdp:" XT_A "?mode=skb", &ep2, err, sizeof(err));
	PLT_CHECK(r == -EBUSY && !ep2, "second socket on the queue: %d", r);
	PLT_CHECK(strstr(err, "another AF_XDP socket") && strstr(err, "queue 0 of " XT_A),
		  "message: %s", err);
	pktlink_close(ep);
	/* right after close the queue is free again (EBUSY retried if needed) */
	ep = xt_open("xdp:" XT_A "?mode=skb");
	pktlink_close(ep);
	/* queue out of range names the device's queue count */
	r = pktlink_open("xdp:" XT_A "?queue=5", &ep2, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "has 1 RX queue"), "message: %s", err);
	/* bad spec values name the key */
	r = pktlink_open("xdp:" XT_A "?mode=fast", &ep2, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "mode"), "message: %s", err);
	r = pktlink_open("xdp:" XT_A "?bogus=1", &ep2, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "bogus"), "message: %s", err);
	/* queue= is not silently dropped by queues=all; queues takes digits only */
	r = pktlink_open("xdp:" XT_A "?queues=all&queue=1", &ep2, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "queue=1") && strstr(err, "queues=all"),
		  "message: %s", err);
	r = pktlink_open("xdp:" XT_A "?queues=+1", &ep2, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "'+1'") && strstr(err, "'queues'"), "message: %s",
		  err);
	r = pktlink_open("xdp:" XT_A "?queues", &ep2, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "'queues' has no value"), "message: %s", err);
	r = pktlink_open("xdp:" XT_A "?mode=skb&zerocopy=require", &ep2, err, sizeof(err));
	PLT_CHECK(r == -EINVAL && strstr(err, "zerocopy=require"), "message: %s", err);
	/* veth has no zero-copy: require fails loudly in driver mode too */
	r = pktlink_open("xdp:" XT_A "?mode=drv&zerocopy=require", &ep2, err, sizeof(err));
	PLT_CHECK(r < 0 && strstr(err, "zerocopy=require"), "message: %s", err);
	PLT_CHECK(!xt_xdp_attached(XT_A), "program left attached after a failed open");
	xt_leak_check();
	return 0;
}

static int frames_accounted(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb&frames=256");
	struct pktlink_xdp_umem *u = pktlink_xdp_get_umem(ep, 0);
	uint8_t a[6], b[6], f[64];
	plt_mac(XT_A, a);
	plt_mac(XT_B, b);
	int raw = xt_raw(XT_B);
	for (uint32_t i = 0; i < 10; i++) {
		xt_frame(f, 64, i, a, b);
		xt_raw_send(raw, f, 64);
	}
	struct pktlink_pkt p[16];
	unsigned got = 0;
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (got < 10 && plt_now_ns() < end) {
		int n = pktlink_rx_burst(ep, p + got, 16 - got);
		PLT_OK(n);
		got += (unsigned)n;
		if (!n)
			pktlink_wait(ep, 20);
	}
	PLT_CHECK(got == 10, "got %u", got);
	uint32_t c[PKTLINK_XDP_FRAME_NSTATES];
	PLT_CHECK(pktlink_xdp_umem_census(u, c) == 10 && c[PKTLINK_XDP_FRAME_APP_RX] == 10,
		  "10 frames held");
	PLT_CHECK(c[PKTLINK_XDP_FRAME_FILL] == 118 && c[PKTLINK_XDP_FRAME_FREE] == 128,
		  "FILL %u FREE %u", c[PKTLINK_XDP_FRAME_FILL], c[PKTLINK_XDP_FRAME_FREE]);
	pktlink_rx_release(ep, p, 10);
	PLT_CHECK(pktlink_xdp_umem_census(u, c) == 0 && c[PKTLINK_XDP_FRAME_FILL] == 128,
		  "released frames go back to FILL at once");
	/* a second release of the same views is refused, not posted twice */
	pktlink_rx_release(ep, p, 10);
	PLT_CHECK(pktlink_xdp_umem_errors(u) == 10, "double release counted");
	PLT_CHECK(pktlink_xdp_umem_census(u, c) == 0 && c[PKTLINK_XDP_FRAME_FILL] == 128,
		  "FILL unchanged by the double release");
	/* TX buffers: allocate, free, free again */
	struct pktlink_pkt t[4];
	PLT_CHECK(pktlink_tx_alloc(ep, t, 4) == 4, "tx_alloc");
	PLT_CHECK(pktlink_xdp_umem_census(u, c) == 4 && c[PKTLINK_XDP_FRAME_APP_TX] == 4, "held");
	pktlink_tx_free(ep, t, 4);
	pktlink_tx_free(ep, t, 4);
	PLT_CHECK(pktlink_xdp_umem_errors(u) == 14, "double tx_free counted");
	/* a TXBUF whose data pointer left its frame is dropped and counted */
	PLT_CHECK(pktlink_tx_alloc(ep, t, 1) == 1, "tx_alloc");
	t[0].data += 4000;
	t[0].len = 64;
	PLT_CHECK(pktlink_tx_burst(ep, t, 1) == 1, "taken");
	struct pktlink_stats s;
	PLT_OK(pktlink_get_stats(ep, &s));
	PLT_CHECK(s.tx_drop_invalid == 1 && s.tx_packets == 0, "invalid TX buffer dropped");
	PLT_CHECK(pktlink_xdp_umem_census(u, c) == 0, "and its frame went back to the pool");
	close(raw);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

/* The device goes away under an open endpoint: the wait reports it, the
 * closed callback runs once, bursts fail with -ENODEV, close still frees
 * everything. */
static int closed_calls;
static int closed_reason;

static void on_closed(void *ctx, struct pktlink_ep *ep, int reason)
{
	__atomic_store_n(&closed_reason, reason, __ATOMIC_RELAXED);
	__atomic_fetch_add(&closed_calls, 1, __ATOMIC_RELEASE);
}

static int device_gone(void)
{
	xt_setup(1500);
	int fds = plt_fd_count();
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=skb");
	pktlink_set_closed_cb(ep, on_closed, NULL);
	plt_sh_ok("ip link del " XT_A);
	int r = 0;
	for (uint64_t wait_end = plt_now_ns() + PLT_WAIT_NS; r >= 0 && plt_now_ns() < wait_end;)
		r = pktlink_wait(ep, 100);
	PLT_CHECK(r == -ENODEV, "wait: %d", r);
	PLT_CHECK(closed_calls == 1 && closed_reason == -ENODEV, "closed cb %d %d", closed_calls,
		  closed_reason);
	struct pktlink_pkt p[4];
	PLT_CHECK(pktlink_rx_burst(ep, p, 4) == -ENODEV, "rx after gone");
	PLT_CHECK(pktlink_tx_burst(ep, p, 1) == -ENODEV, "tx after gone");
	PLT_CHECK(strstr(pktlink_last_error(ep), "went away"), "error: %s", pktlink_last_error(ep));
	pktlink_close(ep);
	PLT_CHECK(closed_calls == 1, "closed cb once");
	PLT_CHECK(plt_fd_count() == fds, "fds %d -> %d", fds, plt_fd_count());
	xt_leak_check();
	return 0;
}

static void push_nop(void *ctx, struct pktlink_ep *ep, struct pktlink_pkt *pkts, unsigned n)
{
}

/* The same in push mode: the worker notices, runs the callback and stops. */
static int device_gone_push(void)
{
	xt_setup(1500);
	struct pktlink_ep *ep = xt_open("xdp:" XT_A "?mode=drv");
	pktlink_set_closed_cb(ep, on_closed, NULL);
	PLT_OK(pktlink_attach(ep, push_nop, NULL));
	plt_sh_ok("ip link del " XT_A);
	uint64_t end = plt_now_ns() + PLT_WAIT_NS;
	while (!__atomic_load_n(&closed_calls, __ATOMIC_ACQUIRE) && plt_now_ns() < end)
		usleep(10000);
	pktlink_join(ep);
	PLT_CHECK(closed_calls == 1 && closed_reason == -ENODEV, "closed cb %d %d", closed_calls,
		  closed_reason);
	pktlink_close(ep);
	xt_leak_check();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct plt_case cases[] = {
		{ "ring_producer", ring_producer, PLT_UNIT, 0 },
		{ "ring_consumer", ring_consumer, PLT_UNIT, 0 },
		{ "umem_geometry", umem_geometry, PLT_UNIT, 0 },
		{ "pool_accounting", pool_accounting, PLT_UNIT, 0 },
		{ "invalid_tx_descs", invalid_tx_descs, PLT_NETNS, 30 },
		{ "socket_handed_in", socket_handed_in, PLT_NETNS, 30 },
		{ "endpoint_from_socket", endpoint_from_socket, PLT_NETNS, 30 },
		{ "busy_queue", busy_queue, PLT_NETNS, 30 },
		{ "memlock_and_permission", memlock_and_permission, PLT_NETNS, 30 },
		{ "frames_accounted", frames_accounted, PLT_NETNS, 30 },
		{ "device_gone", device_gone, PLT_NETNS, 30 },
		{ "device_gone_push", device_gone_push, PLT_NETNS, 30 },
	};
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
