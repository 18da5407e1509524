#ifndef BOOKIJI_CLIBPQ_SHIM_H
#define BOOKIJI_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
