#include "fovea_codec.h"
int fovea_codec_version(void) { return 1; }
