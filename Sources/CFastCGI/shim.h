#ifndef BOOKIJI_CFASTCGI_SHIM_H
#define BOOKIJI_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#include <malloc.h>  /* mallopt: FastCGIServer keeps answer buffers mapped */
#endif
