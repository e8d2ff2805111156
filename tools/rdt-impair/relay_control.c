/*
 * relay_control.c: rdt-impair's control FIFO (--control): bytes -> lines
 * -> commands (command.c) applied to the running relay.
 *
 *   control_open    create (or reuse) the FIFO and watch it
 *   control_read    its readable bytes, split into lines
 *     control_line  one command: a direction's settings, down, up
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay_int.h"

static void control_line(struct relay *r, char *line)
{
	struct command cmd;
	char err[512];
	char shown[CONTROL_LINE + 1];
	int d;

	snprintf(shown, sizeof(shown), "%s", line);
	if (command_parse(line, &cmd, err, sizeof(err)) < 0) {
		fprintf(stderr, "rdt-impair: control: %s\n", err);
		return;
	}
	switch (cmd.kind) {
	case COMMAND_NONE:
		return;
	case COMMAND_SET:
		for (d = 0; d < DIR_COUNT; d++)
			if (cmd.dirs & DIR_BIT(d))
				impair_set_cfg(r->dir[d], &cmd.cfg);
		break;
	case COMMAND_DOWN:
	case COMMAND_UP:
		for (d = 0; d < DIR_COUNT; d++)
			impair_set_down(r->dir[d], cmd.kind == COMMAND_DOWN);
		break;
	}
	if (r->o->verbose)
		fprintf(stderr, "rdt-impair: control: applied: %s\n",
			shown + strspn(shown, " \t"));
}

/* Reads what the FIFO holds and runs each complete line. */
void control_read(struct relay *r)
{
	char buf[4096];
	ssize_t got, i;

	while ((got = read(r->cfd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < got; i++) {
			if (buf[i] == '\n') {
				r->line[r->line_len] = '\0';
				if (r->line_too_long)
					fprintf(stderr, "rdt-impair: control: "
						"line longer than %d "
						"characters ignored\n",
						CONTROL_LINE);
				else
					control_line(r, r->line);
				r->line_len = 0;
				r->line_too_long = 0;
			} else if (r->line_len < CONTROL_LINE) {
				r->line[r->line_len++] = buf[i];
			} else {
				r->line_too_long = 1;
			}
		}
	}
}

/* Opens (creating if missing) the control FIFO.  O_RDWR keeps a writer
 * open ourselves, so the FIFO never reports end of file when a writer
 * goes away (Linux defines this for FIFOs). */
int control_open(struct relay *r)
{
	const char *path = r->o->control;
	struct stat st;

	if (mkfifo(path, 0600) == 0)
		r->control_created = 1;
	else if (errno != EEXIST)
		goto fail;
	r->cfd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (r->cfd < 0)
		goto fail;
	if (fstat(r->cfd, &st) < 0)
		goto fail;
	if (!S_ISFIFO(st.st_mode)) {
		fprintf(stderr, "rdt-impair: %s: not a FIFO\n", path);
		return -1;
	}
	return 0;
fail:
	fprintf(stderr, "rdt-impair: %s: %s\n", path, strerror(errno));
	return -1;
}
