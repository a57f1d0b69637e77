/*
 * replay.c: run a harness over corpus files without libFuzzer, so every build
 * (plain, --enable-asan) replays the committed seeds and regression inputs.
 * Usage: replay_X FILE|DIR...
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "strbuf.h"
#include "xalloc.h"

/* Default for harnesses without setup (weak: a harness may define its own). */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* Run one file through the harness; returns 0, or -1 when it cannot be read. */
static int replay__file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	LLVMFuzzerTestOneInput((const uint8_t *)sb.buf, sb.len);
	strbuf_free(&sb);
	return 0;
}

/* Run every regular file in dir (not recursive); returns the number run, -1 on error. */
static int replay__dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL) {
		perror(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *p;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay__file(p) < 0)
				n = -1;
			else if (n >= 0)
				n++;
		}
		free(p);
	}
	closedir(d);
	return n;
}

/* Replay every argument (file or directory); prints how many inputs ran. */
int main(int argc, char **argv)
{
	int total = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n;

		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? replay__dir(argv[i]) : replay__file(argv[i]) == 0;
		if (n < 0)
			return 1;
		total += n;
	}
	printf("%d inputs replayed\n", total);
	return 0;
}
