/*
 * fuzz_main.c: a main() for fuzz targets built without libFuzzer, so that
 * `make check` can replay a corpus through them with any compiler.
 *
 * Map of this file:
 *
 *   run_file  reads one file whole and hands it to LLVMFuzzerTestOneInput.
 *   run_path  runs a file, or every regular file directly inside a
 *             directory (corpora are flat, as libFuzzer writes them).
 *   main      runs each argument; exits non-zero if any could not be read.
 *
 * A failing input aborts inside the target, as under libFuzzer, so the
 * last "running" line names the culprit.  Inputs are read into a buffer
 * of exactly their size so that ASan catches any over-read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int ret = -1;

	if (fp == NULL)
		goto out;
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0)
		goto out;
	/* malloc(0) may return NULL; one spare byte keeps it simple, and
	 * the target is only told about |len| of them. */
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, fp) != (size_t)len)
		goto out;
	fprintf(stderr, "running %s (%ld bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	ret = 0;
out:
	if (ret != 0)
		fprintf(stderr, "%s: cannot read: %s\n", path,
			strerror(errno));
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return ret;
}

static int run_path(const char *path, unsigned *count)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int ret = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	dir = opendir(path);
	if (dir == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(path) + strlen(de->d_name) + 2;
		char *full = malloc(len);

		if (full == NULL) {
			ret = -1;
			break;
		}
		snprintf(full, len, "%s/%s", path, de->d_name);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			if (run_file(full) != 0)
				ret = -1;
		}
		free(full);
	}
	closedir(dir);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int i, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (run_path(argv[i], &count) != 0)
			ret = 1;
	fprintf(stderr, "%u inputs run\n", count);
	return ret;
}
