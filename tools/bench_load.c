/* SPDX-License-Identifier: MIT */
/*
 * bench_load.c — `pktlink bench`: how much CPU other work took while a row
 * was measured ("foreign load"), from the machine's CPU time and the bench's
 * own (see bench_int.h).
 *
 * The load average lags by a minute and counts the bench itself, and on a
 * 2-CPU machine the bench uses both CPUs, so "the idle CPUs' busy time" does
 * not exist. Instead, around every run() the child sums utime + stime +
 * cutime + cstime (/proc/<pid>/stat) of every process on the machine, split
 * into
 *   - the bench's own tree (the child, scenario processes, peers);
 *   - the kernel's softirq threads (ksoftirqd/N), which do the veth rows'
 *     work when it overflows the context that raised it (the loop
 *     generator lives there): the bench's for rows on the veth pair
 *     (though they serve other namespaces' traffic then too), foreign for
 *     the others, which make no softirq work;
 *   - everything else: foreign.
 * cutime is what makes the sum whole: a process that ends in the window is
 * reaped into its nearest surviving ancestor's cutime, with all its time.
 * foreign = the change of "everything else" + steal (/proc/stat: the
 * hypervisor ran something else on our vCPUs), over the window's length:
 * in CPUs (1.0 = one CPU fully taken by other work). Interrupt work that
 * lands on an idle CPU belongs to no process and is not counted. Checked
 * against /proc/stat's busy time minus the bench's own: the two agreed
 * within 0.05 CPU. The counters move in 10 ms steps, so windows shorter
 * than ~0.5 s are noisy.
 */
#include "bench_int.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One process of /proc: who its parent is and what CPU time it holds. */
struct proc_ent {
	int pid, ppid;
	uint64_t ticks; /* utime + stime + cutime + cstime */
	bool ksoftirqd;
};

/* read_steal() - steal ticks of the whole machine (/proc/stat). */
static bool read_steal(uint64_t *steal)
{
	FILE *f = fopen("/proc/stat", "re");
	if (!f)
		return false;
	unsigned long long v[8] = { 0 };
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		       &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 7)
		return false;
	/* user nice system idle iowait irq softirq steal */
	*steal = n >= 8 ? v[7] : 0;
	return true;
}

/* read_proc_ent() - /proc/<pid>/stat of one process. */
static bool read_proc_ent(int pid, struct proc_ent *e)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* "pid (comm) state ppid ..." where comm may hold spaces and ')'. */
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return false;
	e->pid = pid;
	e->ksoftirqd = !strncmp(open + 1, "ksoftirqd/", 10);
	unsigned long long ut, st, cut, cst;
	int ppid;
	/* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime */
	if (sscanf(close + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
		   &ppid, &ut, &st, &cut, &cst) != 5)
		return false;
	e->ppid = ppid;
	e->ticks = ut + st + cut + cst;
	return true;
}

void bench_load_sample(struct bench_load_sample *s, int root)
{
	memset(s, 0, sizeof(*s));
	s->t_ns = util_now_ns();
	if (!read_steal(&s->steal))
		return;
	DIR *d = opendir("/proc");
	if (!d)
		return;
	size_t cap = 1024, n = 0;
	struct proc_ent *p = malloc(cap * sizeof(*p));
	struct dirent *de;
	while (p && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (n == cap) {
			struct proc_ent *q = realloc(p, 2 * cap * sizeof(*p));
			if (!q)
				break;
			p = q;
			cap *= 2;
		}
		if (read_proc_ent(atoi(de->d_name), &p[n]))
			n++;
	}
	closedir(d);
	if (!p)
		return;
	/* Mark the tree under @root: passes until nothing new joins (the tree
	 * is a few levels deep; each pass adds at least one level). */
	bool *in = calloc(n ? n : 1, sizeof(*in));
	if (!in) {
		free(p);
		return;
	}
	for (size_t i = 0; i < n; i++)
		in[i] = p[i].pid == root;
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < n; i++) {
			if (in[i])
				continue;
			for (size_t j = 0; j < n; j++)
				if (in[j] && p[j].pid == p[i].ppid) {
					in[i] = grew = true;
					break;
				}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (in[i])
			s->own += p[i].ticks;
		else if (p[i].ksoftirqd)
			s->ksoftirqd += p[i].ticks;
		else
			s->others += p[i].ticks;
	}
	free(in);
	free(p);
	s->ok = true;
}

bool bench_load_window(const struct bench_load_sample *a, const struct bench_load_sample *b,
		       bool veth, double *foreign, double *steal)
{
	if (!a->ok || !b->ok || b->t_ns <= a->t_ns)
		return false;
	double hz = (double)sysconf(_SC_CLK_TCK), secs = (double)(b->t_ns - a->t_ns) / 1e9;
	/* Signed: a process counted in @a may have been reaped into a parent's
	 * cutime by @b, which then holds its whole time. */
	double other = (double)(int64_t)(b->others - a->others);
	if (!veth)
		other += (double)(int64_t)(b->ksoftirqd - a->ksoftirqd);
	if (other < 0) /* a process that ended unreaped, or PID reuse */
		other = 0;
	double st = (double)(b->steal - a->steal);
	*foreign = (other + st) / hz / secs;
	*steal = st / hz / secs;
	return true;
}
