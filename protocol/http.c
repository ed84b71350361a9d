/* protocol/http.c: placeholder, being written. */
#include "autoconfig.h"
