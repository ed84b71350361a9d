/*
 * tests/fuzz/fuzz_http_response.c: libFuzzer harness for the HTTP framer on
 * the repository -> tenant direction; the control byte's low bit says the
 * first response answers a HEAD request (see http_fuzz.h).
 */
#include "autoconfig.h"

#include "http_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_http(HTTP_KIND_RESPONSE, data, size);
	return 0;
}
