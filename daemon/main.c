/* main.c: whlcd entry point (placeholder until the server lands). */
#include "config.h"

#include <stdio.h>

/* Entry point. */
int main(void)
{
	fprintf(stderr, "whlcd: not built yet\n");
	return 1;
}
