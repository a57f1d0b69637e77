/* crc32.c: zip's CRC-32, computed by zlib. */
#include "config.h"

#include <zlib.h>

#include "crc32.h"

/* Continue a CRC-32 over len more bytes (start with crc = 0). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
	return (uint32_t)crc32_z(crc, data, len);
}
