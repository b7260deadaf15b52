/* SPDX-License-Identifier: ISC */
/* The reference per-request handler: write one line, exit. Built
 * static, it is the floor every program's start-up is compared with. */
#include <unistd.h>

int main(void)
{
	static const char line[] = "Sun Nov 22 15:45:41 2026\r\n";
	return write(1, line, sizeof line - 1) == sizeof line - 1 ? 0 : 1;
}
