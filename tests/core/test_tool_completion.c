/* SPDX-License-Identifier: MIT */
/*
 * test_tool_completion: the bash completion (tools/completion/pktlink),
 * sourced in bash and asked as bash asks it (COMP_LINE, COMP_POINT,
 * COMP_WORDS split at ':', '=' and '&' as COMP_WORDBREAKS does):
 * commands, options, the spec family, the device, spec keys after '?' and
 * '&', and a key's values. Needs bash and the pktlink binary.
 */
#include "harness.h"
#include "tool_testlib.h"

#include <stdlib.h>

static char compfile[PATH_MAX];

/* find_compfile() - the completion file, next to this source file. */
static bool find_compfile(void)
{
	snprintf(compfile, sizeof(compfile), "%s", __FILE__);
	char *s = strstr(compfile, "tests/core/test_tool_completion.c");
	if (!s)
		return false;
	snprintf(s, sizeof(compfile) - (size_t)(s - compfile), "tools/completion/pktlink");
	return access(compfile, R_OK) == 0;
}

/* complete() - COMPREPLY, space-separated, for @line split into @words. */
static void complete(const char *line, const char *words, char *out, size_t cap)
{
	char script[16384];
	snprintf(script, sizeof(script),
		 "source '%s' || exit 3; COMP_LINE=\"%s %s\"; COMP_POINT=${#COMP_LINE}; "
		 "COMP_WORDS=('%s' %s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _pktlink 2>/dev/null; "
		 "echo \"${COMPREPLY[*]}\"",
		 compfile, bin, line, bin, words);
	int fds[2];
	PLT_CHECK(pipe(fds) == 0, "pipe");
	static struct proc p;
	spawn_prog(&p, "bash", (const char *const[]){ "--norc", "-c", script, NULL }, fds[1]);
	close(fds[1]);
	finish(&p, 20);
	ssize_t n = read(fds[0], out, cap - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	PLT_CHECK(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0, "bash: %s", p.buf);
}

static int completes(void)
{
	if (!find_bin() || !find_compfile())
		return PLT_SKIP;
	if (plt_sh("command -v bash >/dev/null")) {
		fprintf(stderr, "SKIP: no bash\n");
		return PLT_SKIP;
	}
	char out[4096];
	complete("st", "st", out, sizeof(out));
	PLT_CHECK(!strcmp(out, "status"), "command: '%s'", out);
	complete("capture --pc", "capture --pc", out, sizeof(out));
	PLT_CHECK(strstr(out, "--pcapng") && strstr(out, "--pcap"), "options: '%s'", out);
	complete("capture pa", "capture pa", out, sizeof(out));
	PLT_CHECK(!strcmp(out, "packet:"), "family: '%s'", out);
	complete("capture packet:lo", "capture packet : lo", out, sizeof(out));
	PLT_CHECK(!strncmp(out, "lo", 2), "device: '%s'", out);
	complete("capture packet:lo?dis", "capture packet : 'lo?dis'", out, sizeof(out));
	PLT_CHECK(!strcmp(out, "lo?dispatch="), "key: '%s'", out);
	complete("capture packet:lo?dispatch=m", "capture packet : 'lo?dispatch' = m", out,
		 sizeof(out));
	PLT_CHECK(!strcmp(out, "mmap"), "value: '%s'", out);
	complete("fwd packet:lo?dispatch=mmap&ign", "fwd packet : 'lo?dispatch' = mmap '&' ign", out,
		 sizeof(out));
	PLT_CHECK(!strcmp(out, "ignore_outgoing="), "key after &: '%s'", out);
	complete("status l", "status l", out, sizeof(out));
	char padded[4200];
	snprintf(padded, sizeof(padded), " %s ", out);
	PLT_CHECK(strstr(padded, " lo "), "status device: '%s'", out);
	return 0;
}

static const struct plt_case cases[] = {
	{ "completes", completes, PLT_UNIT, 60 },
};

int main(int argc, char **argv)
{
	return plt_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
