// C side of Fovea's image codecs: libpng/libjpeg calls wrapped so that their
// longjmp-based error paths return error codes to Swift instead of aborting.
#ifndef FOVEA_CODEC_H
#define FOVEA_CODEC_H
int fovea_codec_version(void);
#endif
