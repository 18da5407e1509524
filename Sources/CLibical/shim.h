#ifndef BOOKIJI_CLIBICAL_SHIM_H
#define BOOKIJI_CLIBICAL_SHIM_H
#include <libical/ical.h>
#endif
