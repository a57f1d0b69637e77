/* fuzz.h: the libFuzzer entry point every harness in tests/fuzz defines. */
#ifndef WHLC_FUZZ_H
#define WHLC_FUZZ_H
#include <stddef.h>
#include <stdint.h>

/* Run one input through the code under test; always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional one-time setup (argc/argv unused); defined by harnesses that need it. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
#endif
