/* conf/config.c: placeholder, being written. */
#include "autoconfig.h"
