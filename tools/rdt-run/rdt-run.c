/*
 * rdt-run: run a program with its TCP sockets made rdt sockets.
 *
 *   rdt-run [options] [--] COMMAND [ARG...]
 *
 * It adds librdt-preload.so to LD_PRELOAD, passes the policy
 * to it in the environment (RDT_RUN_PORTS, RDT_RUN_EXCLUDE; read by
 * src/preload/policy.c) and executes COMMAND in its own place, so the
 * exit status, signals and process ID are COMMAND's.  Before that it
 * looks at COMMAND's file: a statically linked or set-user-ID program
 * ignores LD_PRELOAD and would silently speak TCP, which deserves a
 * warning.  docs/rdt-run.1 is the manual.
 *
 * The lists are checked with the library's own parser
 * (src/preload/policy.c), so that rdt-run refuses what the library
 * would not understand.
 *
 * The library's path is compiled in (RDT_PRELOAD_PATH, from $(libdir));
 * RDT_PRELOAD_LIB or --lib overrides it (the tests use the build tree's).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "preload.h"
#include "rdt.h"

#ifndef RDT_PRELOAD_PATH
#define RDT_PRELOAD_PATH "librdt-preload.so"
#endif

static const char usage_text[] =
"Usage: rdt-run [OPTION]... [--] COMMAND [ARG]...\n"
"Run COMMAND with its TCP sockets replaced by rdt sockets: the same\n"
"ordered byte streams, carried over UDP by librdt.  Both ends of a\n"
"connection must use rdt (rdt-run, or a program built with librdt).\n"
"\n"
"Every TCP socket (AF_INET or AF_INET6, SOCK_STREAM) the program makes\n"
"becomes an rdt socket unless the options below say otherwise; the\n"
"decision is taken at connect(2) by the peer's address and port, and at\n"
"listen(2) by the socket's own.  Sockets the policy leaves out are\n"
"kernel TCP sockets, as without rdt-run.\n"
"\n"
"Options:\n"
"  -p, --ports LIST     only these ports become rdt: comma-separated\n"
"                       ports and ranges, e.g. 9000,8000-8100\n"
"  -x, --exclude LIST   these stay TCP: comma-separated items of the form\n"
"                       ADDR, ADDR/PREFIX, ADDR:PORT, :PORT, [ADDR6]:PORT\n"
"                       or ADDR6/PREFIX; may be given more than once\n"
"  -P, --pcap FILE      log every rdt datagram to FILE (sets RDT_PCAP);\n"
"                       forked children do not log\n"
"  -K, --psk-file FILE  encrypt and authenticate every rdt connection\n"
"                       with the pre-shared key in FILE (RDT_PSK): 32\n"
"                       bytes as 64 hex digits, made with\n"
"                       " RDT_KEYFILE_HOWTO "\n"
"                       the peer needs the same key\n"
"  -k, --key FILE       the program's listeners use the public-key\n"
"                       handshake with this secret key (RDT_KEY; from\n"
"                       reliable-cat --gen-key FILE)\n"
"  -e, --peer-key FILE  the program's connections use the public-key\n"
"                       handshake and accept only the server whose\n"
"                       public key is in FILE (RDT_PEER_KEY)\n"
"                       (-K excludes -k and -e; with -k alone the\n"
"                       program's connections stay in clear, with -e\n"
"                       alone its listeners)\n"
"  -L, --lib PATH       the preload library to use\n"
"                       (default: $RDT_PRELOAD_LIB, else " RDT_PRELOAD_PATH
")\n"
"  -v, --verbose        say on stderr what is about to run, in one line\n"
"  -h, --help           show this help and exit\n"
"  -V, --version        show the version and exit\n"
"\n"
"Exit status: COMMAND's; 125 if rdt-run itself fails, 126 if COMMAND\n"
"cannot be executed, 127 if it is not found.\n"
"\n"
"What cannot work (see rdt-run(1)): statically linked and set-user-ID\n"
"programs ignore the preload library and keep using TCP (rdt-run warns);\n"
"descriptors passed to an unrelated process (SCM_RIGHTS) and connections\n"
"of a parent that exits after fork die with the process that made them.\n"
"\n"
"Examples:\n"
"  rdt-run nc -l 9000 > file            receive over rdt\n"
"  rdt-run nc -N host 9000 < file       send over rdt\n"
"  rdt-run -p 6379 redis-server         only Redis's port is rdt\n"
"  rdt-run -x 10.0.0.0/8 curl URL       TCP for the local network\n";

static void usage(FILE *f, int status)
{
	fputs(usage_text, f);
	exit(status);
}

/* Finds |cmd| as execvp(3) would; writes the path to |path|.  Returns 0
 * if a candidate file exists. */
static int find_command(const char *cmd, char *path, size_t size)
{
	const char *p = getenv("PATH"), *end;

	if (strchr(cmd, '/')) {
		snprintf(path, size, "%s", cmd);
		return access(path, F_OK);
	}
	if (p == NULL || *p == '\0')
		p = "/usr/local/bin:/usr/bin:/bin";
	for (; *p; p = *end ? end + 1 : end) {
		size_t n;

		end = strchrnul(p, ':');
		n = (size_t)(end - p);
		if (n == 0)
			snprintf(path, size, "./%s", cmd);
		else
			snprintf(path, size, "%.*s/%s", (int)n, p, cmd);
		if (access(path, X_OK) == 0)
			return 0;
	}
	return -1;
}

/*
 * 1 if |path| is an ELF executable without a program interpreter (so
 * statically linked: the dynamic loader, which honours LD_PRELOAD, never
 * runs), 0 otherwise, including for scripts and unreadable files.
 */
static int is_static_elf(const char *path)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i, found = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr)) {
		/* Not a 64-bit ELF file: a script runs an interpreter that
		 * is checked when it runs (or not at all); say nothing. */
		close(fd);
		return 0;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t off = (off_t)eh.e_phoff + (off_t)i * eh.e_phentsize;

		if (pread(fd, &ph, sizeof(ph), off) != (ssize_t)sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP)
			found = 1;
	}
	close(fd);
	return !found;
}

/* Appends |item| to the comma-separated list |*list| (malloc'd). */
static void append(char **list, const char *item)
{
	char *l;

	if (*list == NULL) {
		l = strdup(item);
	} else if (asprintf(&l, "%s,%s", *list, item) < 0) {
		l = NULL;
	}
	if (l == NULL) {
		perror("rdt-run");
		exit(125);
	}
	free(*list);
	*list = l;
}

/*
 * --psk-file, --key, --peer-key: the key is checked here, where a
 * mistake can still stop the run with a clear message, and the library
 * is given the file's absolute path (the program may change directory),
 * never the key: the environment of a process is readable by its user
 * in /proc.  A secret key others can read draws a warning.
 */
static char *check_key_file(const char *opt, const char *file, int secret)
{
	uint8_t key[RDT_KEYFILE_KEY_SIZE];
	mode_t mode = 0;
	char *abs;
	int rv = rdt_keyfile_read(file, key, &mode);

	explicit_bzero(key, sizeof(key));
	if (rv > 0) {
		fprintf(stderr, "rdt-run: %s %s: %s\n", opt, file,
			strerror(rv));
		exit(125);
	}
	if (rv < 0) {
		fprintf(stderr, "rdt-run: %s %s: expected a 32-byte key as 64 "
			"hexadecimal digits; make one with\n  %s\n", opt, file,
			!secret ? "the server's reliable-cat --gen-key FILE "
				  "(its FILE.pub)" :
			strcmp(opt, "--key") == 0 ?
				"reliable-cat --gen-key FILE" :
				RDT_KEYFILE_HOWTO);
		exit(125);
	}
	if (secret && rdt_keyfile_exposed(mode))
		fprintf(stderr, "rdt-run: warning: %s %s can be read by other "
			"users (mode %04o); chmod 600 it\n", opt, file,
			(unsigned)(mode & 07777));
	abs = realpath(file, NULL);
	if (abs == NULL) {
		fprintf(stderr, "rdt-run: %s %s: %s\n", opt, file,
			strerror(errno));
		exit(125);
	}
	return abs;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ports", required_argument, NULL, 'p' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "pcap", required_argument, NULL, 'P' },
		{ "psk-file", required_argument, NULL, 'K' },
		{ "key", required_argument, NULL, 'k' },
		{ "peer-key", required_argument, NULL, 'e' },
		{ "lib", required_argument, NULL, 'L' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lib = getenv("RDT_PRELOAD_LIB"), *old, *pcap = NULL;
	char *ports = NULL, *exclude = NULL, *preload, path[PATH_MAX];
	char *psk_file = NULL, *key_file = NULL, *peer_key_file = NULL;
	int verbose = 0, c;
	struct stat st;

	if (lib == NULL || *lib == '\0')
		lib = RDT_PRELOAD_PATH;
	/* "+": stop at the first non-option, which is COMMAND; its own
	 * options are its own. */
	while ((c = getopt_long(argc, argv, "+p:x:P:K:k:e:L:vhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			append(&ports, optarg);
			break;
		case 'x':
			append(&exclude, optarg);
			break;
		case 'P':
			pcap = optarg;
			break;
		case 'K':
			psk_file = check_key_file("--psk-file", optarg, 1);
			break;
		case 'k':
			key_file = check_key_file("--key", optarg, 1);
			break;
		case 'e':
			peer_key_file = check_key_file("--peer-key", optarg, 0);
			break;
		case 'L':
			lib = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			printf("rdt-run (rdt) %s\n", RDT_VERSION_STRING);
			return 0;
		default:
			fputs("Try 'rdt-run --help' for more information.\n",
			      stderr);
			return 125;
		}
	}
	if (psk_file && (key_file || peer_key_file)) {
		fputs("rdt-run: --psk-file and --key/--peer-key are two "
		      "different modes; choose one\n", stderr);
		return 125;
	}
	if (optind >= argc) {
		fputs("rdt-run: no command given\n"
		      "Try 'rdt-run --help' for more information.\n",
		      stderr);
		return 125;
	}
	/* The loader takes a name without a slash from its search path;
	 * with one, the file must be there, and saying so now beats a
	 * loader warning the user may not notice. */
	if (strchr(lib, '/') && access(lib, R_OK) != 0) {
		fprintf(stderr, "rdt-run: %s: %s\n", lib, strerror(errno));
		return 125;
	}
	/* After what is there: a sanitizer runtime must come first, and a
	 * library earlier in the list that wraps socket calls too reaches
	 * ours through RTLD_NEXT. */
	old = getenv("LD_PRELOAD");
	if (old && *old) {
		if (asprintf(&preload, "%s %s", old, lib) < 0)
			preload = NULL;
	} else {
		preload = strdup(lib);
	}
	/* An outer rdt-run's policy is not this one's. */
	if (preload == NULL || setenv("LD_PRELOAD", preload, 1) != 0 ||
	    (ports ? setenv("RDT_RUN_PORTS", ports, 1)
		   : unsetenv("RDT_RUN_PORTS")) != 0 ||
	    (exclude ? setenv("RDT_RUN_EXCLUDE", exclude, 1)
		     : unsetenv("RDT_RUN_EXCLUDE")) != 0 ||
	    (pcap && setenv("RDT_PCAP", pcap, 1) != 0) ||
	    (psk_file ? setenv(RDT_PRELOAD_PSK_ENV, psk_file, 1)
		      : unsetenv(RDT_PRELOAD_PSK_ENV)) != 0 ||
	    (key_file ? setenv(RDT_PRELOAD_KEY_ENV, key_file, 1)
		      : unsetenv(RDT_PRELOAD_KEY_ENV)) != 0 ||
	    (peer_key_file ? setenv(RDT_PRELOAD_PEER_KEY_ENV, peer_key_file, 1)
			   : unsetenv(RDT_PRELOAD_PEER_KEY_ENV)) != 0) {
		perror("rdt-run");
		return 125;
	}
	/* The library would report a bad item and go on without it; here
	 * it is still time to refuse. */
	if (rdt_preload_policy_init() != 0) {
		fputs("rdt-run: not running: --ports or --exclude has items "
		      "it cannot use (above)\n", stderr);
		return 125;
	}
	if (find_command(argv[optind], path, sizeof(path)) == 0) {
		if (is_static_elf(path))
			fprintf(stderr, "rdt-run: warning: %s is statically "
				"linked: it ignores the preload library and "
				"its sockets stay TCP\n", path);
		else if (stat(path, &st) == 0 &&
			 (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
			  ((st.st_mode & S_ISGID) && st.st_gid != getegid())))
			fprintf(stderr, "rdt-run: warning: %s is set-user-ID "
				"or set-group-ID: the loader ignores "
				"LD_PRELOAD for it and its sockets stay TCP\n",
				path);
	}
	if (verbose)
		fprintf(stderr, "rdt-run: %s: TCP sockets become rdt (%s%s%s%s)"
			"%s%s%s, preload %s\n", argv[optind],
			ports ? "ports " : "all ports", ports ? ports : "",
			exclude ? ", except " : "", exclude ? exclude : "",
			pcap ? ", datagrams logged to " : "",
			pcap ? pcap : "",
			psk_file || key_file || peer_key_file ? ", encrypted" :
								"",
			lib);
	execvp(argv[optind], argv + optind);
	c = errno;
	fprintf(stderr, "rdt-run: %s: %s\n", argv[optind], strerror(c));
	return c == ENOENT ? 127 : 126;
}
