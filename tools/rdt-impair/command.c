/*
 * command.c: profile and control-FIFO lines (see command.h).
 *
 * command_parse cuts off the comment, reads the first word, and hands the
 * rest to netem_parse; profile_load applies command_parse line by line.
 */
#include "command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest profile line; longer ones are an error, not split. */
#define MAX_LINE 4096

const char *const dir_names[DIR_COUNT] = { "a2b", "b2a" };

int command_parse(char *line, struct command *cmd, char *err, size_t errlen)
{
	static const char blanks[] = " \t\r\n";
	char *hash = strchr(line, '#');
	char *word, *rest;
	size_t n;
	char msg[256];

	memset(cmd, 0, sizeof(*cmd));
	if (hash)
		*hash = '\0';
	word = line + strspn(line, blanks);
	n = strcspn(word, blanks);
	if (n == 0) {
		cmd->kind = COMMAND_NONE;
		return 0;
	}
	rest = word + n;
	if (*rest)
		*rest++ = '\0';

	if (!strcmp(word, "down") || !strcmp(word, "up")) {
		if (rest[strspn(rest, blanks)]) {
			snprintf(err, errlen, "%s: takes no parameters", word);
			return -1;
		}
		cmd->kind = word[0] == 'd' ? COMMAND_DOWN : COMMAND_UP;
		return 0;
	}
	if (!strcmp(word, "a2b"))
		cmd->dirs = DIR_BIT(DIR_A2B);
	else if (!strcmp(word, "b2a"))
		cmd->dirs = DIR_BIT(DIR_B2A);
	else if (!strcmp(word, "both"))
		cmd->dirs = DIR_BIT(DIR_A2B) | DIR_BIT(DIR_B2A);
	if (!cmd->dirs) {
		snprintf(err, errlen, "unknown command \"%s\" (expected a2b, "
			 "b2a, both, down or up)", word);
		return -1;
	}
	if (netem_parse(&cmd->cfg, rest, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "%s: %s", word, msg);
		return -1;
	}
	cmd->kind = COMMAND_SET;
	return 0;
}

int profile_load(const char *path, struct netem_cfg cfg[DIR_COUNT],
		 char *err, size_t errlen)
{
	/* "-" is standard input, for a caller checking one line at a time. */
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	char line[MAX_LINE + 2];
	char msg[512];
	struct command cmd;
	unsigned lineno = 0;
	int d, rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && strlen(line) > MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line longer than %d "
				 "characters", path, lineno, MAX_LINE);
			rc = -1;
			break;
		}
		if (command_parse(line, &cmd, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			rc = -1;
			break;
		}
		if (cmd.kind == COMMAND_DOWN || cmd.kind == COMMAND_UP) {
			snprintf(err, errlen, "%s:%u: up and down are control "
				 "commands, not profile lines", path, lineno);
			rc = -1;
			break;
		}
		for (d = 0; d < DIR_COUNT; d++)
			if (cmd.dirs & DIR_BIT(d))
				cfg[d] = cmd.cfg;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (!is_stdin)
		fclose(f);
	return rc;
}
