#ifndef BOOKIJI_CZLIB_SHIM_H
#define BOOKIJI_CZLIB_SHIM_H
#include <zlib.h>
#endif
