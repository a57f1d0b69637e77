/* zipcheck-cli.c: run zip_index_read on a file; for integration tests with hostile wheels. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "zipcheck.h"

/*
 * Usage: zipcheck-cli FILE. Prints "ok N" and one line per entry:
 * name<TAB>method<TAB>comp_size<TAB>uncomp_size<TAB>crc32(hex)<TAB>exec(0/1)<TAB>dir(0/1);
 * or "error <code-name>: <message>" and exits 1 (2 for usage or open errors).
 */
int main(int argc, char **argv)
{
	struct zip_index zi;
	struct err err = {0};
	struct stat st;
	int fd, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 2;
	}
	rc = zip_index_read(fd, (uint64_t)st.st_size, NULL, &zi, &err);
	close(fd);
	if (rc < 0) {
		printf("error %s: %s\n", err_code_name(rc), err.msg);
		return 1;
	}
	printf("ok %zu\n", zi.n);
	for (size_t i = 0; i < zi.n; i++) {
		const struct zip_entry *e = &zi.v[i];

		printf("%s\t%u\t%llu\t%llu\t%08x\t%d\t%d\n", e->name, e->method,
		       (unsigned long long)e->comp_size, (unsigned long long)e->uncomp_size,
		       e->crc32, e->executable, e->is_dir);
	}
	zip_index_free(&zi);
	return 0;
}
