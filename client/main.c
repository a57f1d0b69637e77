/* main.c: whlc entry point (placeholder until the client lands). */
#include "config.h"

#include <stdio.h>

/* Entry point. */
int main(void)
{
	fprintf(stderr, "whlc: not built yet\n");
	return 1;
}
