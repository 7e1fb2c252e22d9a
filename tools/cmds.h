/* SPDX-License-Identifier: MIT */
/*
 * cmds.h — the subcommands of the pktlink tool. Each takes its own argv
 * (argv[0] is the command name) and returns the process exit code:
 * 0 success, 1 failure, 2 usage error, 130 interrupted.
 */
#ifndef PKTLINK_TOOLS_CMDS_H
#define PKTLINK_TOOLS_CMDS_H

int cmd_info(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_fwd(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int bench_main(int argc, char **argv);

#endif
