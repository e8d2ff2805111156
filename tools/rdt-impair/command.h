/*
 * command.h: the one-line commands of rdt-impair's profiles and control
 * FIFO.
 *
 *   a2b PARAMS    replace the client-to-server impairment (netem.h)
 *   b2a PARAMS    replace the server-to-client impairment
 *   both PARAMS   replace both
 *   down          drop everything, both ways (blackhole)
 *   up            end a down
 *
 * '#' starts a comment; a line with nothing else is no command.  Profiles
 * take only the first three; the control FIFO takes all five.
 */
#ifndef RDT_IMPAIR_COMMAND_H
#define RDT_IMPAIR_COMMAND_H

#include <stddef.h>

#include "netem.h"

/* The two directions, as indices and as bits of command.dirs. */
enum { DIR_A2B, DIR_B2A, DIR_COUNT };
#define DIR_BIT(d) (1u << (d))

extern const char *const dir_names[DIR_COUNT];

enum command_kind {
	COMMAND_NONE,		/* blank or comment */
	COMMAND_SET,		/* cfg for the directions in dirs */
	COMMAND_DOWN,
	COMMAND_UP
};

struct command {
	enum command_kind kind;
	unsigned dirs;
	struct netem_cfg cfg;
};

/*
 * command_parse parses one line (|line|, no newline needed; it may be
 * modified).  Returns 0, or -1 with a one-line message in |err|.
 */
int command_parse(char *line, struct command *cmd, char *err, size_t errlen);

/*
 * profile_load reads the profile file |path| ("-": standard input) and
 * sets cfg[DIR_A2B] and cfg[DIR_B2A] from its lines, in order, so a later
 * line replaces what an earlier one set.  Returns 0, or -1 with a
 * one-line message "PATH:LINE: why" (or the I/O error) in |err|.
 */
int profile_load(const char *path, struct netem_cfg cfg[DIR_COUNT],
		 char *err, size_t errlen);

#endif
