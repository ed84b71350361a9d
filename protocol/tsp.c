/* protocol/tsp.c: placeholder, being written. */
#include "autoconfig.h"
