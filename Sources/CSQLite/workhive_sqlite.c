// The wrappers are inline in the header; SwiftPM needs one source file to build the target.
#include "workhive_sqlite.h"
