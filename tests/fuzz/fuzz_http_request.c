/*
 * tests/fuzz/fuzz_http_request.c: libFuzzer harness for the HTTP framer on
 * the tenant -> repository direction (see http_fuzz.h for what it checks).
 */
#include "autoconfig.h"

#include "http_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_http(HTTP_KIND_REQUEST, data, size);
	return 0;
}
