/* SPDX-License-Identifier: MIT */
/* version.c — the library's version at run time (pktlink.h). */
#include <pktlink/pktlink.h>

const char *pktlink_version(void)
{
	return PKTLINK_VERSION;
}

uint32_t pktlink_version_number(void)
{
	return PKTLINK_VERSION_NUMBER;
}
