/*
 * main.c: rdt-pcap, capture / check / decrypt / plot rdt traffic with
 * libpcap.
 *
 * The first argument names the command; each command (capture.c,
 * check.c, decrypt.c, plot.c) parses the rest with getopt_long and returns the exit
 * status documented in docs/rdt-pcap.1.
 */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "commands.h"
#include "rdt.h"
#include "util.h"

static const char usage[] =
"Usage: rdt-pcap COMMAND [OPTIONS] ...\n"
"\n"
"Capture, check, decrypt and plot rdt traffic (docs/PROTOCOL.md) with libpcap.\n"
"\n"
"Commands:\n"
"  capture  live capture of rdt traffic on an interface, to a pcap file\n"
"  check    decode a capture and check the protocol's invariants\n"
"  decrypt  rewrite a capture of the encrypted mode in clear, given its\n"
"           pre-shared key, for Wireshark and 'check'\n"
"  plot     draw a connection's graphs (sequence, throughput, RTT,\n"
"           window) as SVG or PNG\n"
"\n"
"  -h, --help     print this help (with every command's options) and exit\n"
"  -V, --version  print the version and exit\n"
"\n"
"'rdt-pcap COMMAND --help' describes one command.  Exit status: 0\n"
"success, 1 runtime failure (check: violations found), 2 usage or I/O\n"
"error.\n";

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{ "capture", cmd_capture },
		{ "check", cmd_check },
		{ "decrypt", cmd_decrypt },
		{ "plot", cmd_plot },
	};
	size_t i;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		printf("%s\n%s\n%s\n%s\n%s", usage, capture_usage, check_usage,
		       decrypt_usage, plot_usage);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("rdt-pcap %s (%s)\n", RDT_VERSION_STRING,
		       pcap_lib_version());
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	warnx_("unknown command '%s'", argv[1]);
	fputs("Try 'rdt-pcap --help'.\n", stderr);
	return EXIT_USAGE;
}
