#include "slot_engine.h"
