/* placeholder */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H
#endif
