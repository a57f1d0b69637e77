/* crc32.h: CRC-32 as used by zip (zlib's implementation). */
#ifndef WHLC_CRC32_H
#define WHLC_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC-32 over len more bytes (start with crc = 0). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
