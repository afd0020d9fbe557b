// C side of Fovea's image codecs: libpng/libjpeg calls wrapped so that their
// longjmp-based error paths return status codes and messages to Swift instead
// of aborting the process or unwinding through Swift frames.
#ifndef FOVEA_CODEC_H
#define FOVEA_CODEC_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FOVEA_OK = 0,
    FOVEA_ERR_TRUNCATED = 1,   // the data ends before the image does
    FOVEA_ERR_CORRUPT = 2,     // bad checksums, bad compressed data, invalid headers
    FOVEA_ERR_UNSUPPORTED = 3, // a valid file in a variant Fovea does not decode (e.g. CMYK JPEG)
    FOVEA_ERR_ZERO_SIZE = 4,   // the header declares a width or height of 0
    FOVEA_ERR_NO_MEMORY = 5,
    FOVEA_ERR_USAGE = 6        // the caller broke the API contract (buffer size, call order)
} fovea_status;

// What a header says, and what the decoder will deliver (always 8 bits per sample).
typedef struct {
    uint32_t width;
    uint32_t height;
    int file_channels;   // samples per pixel as stored (a palette counts as 3, or 4 with transparency)
    int bit_depth;       // bits per sample as stored
    int out_channels;    // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    int interlaced;      // PNG Adam7, or JPEG progressive
} fovea_image_header;

// ---- PNG decoding: create, read header, read pixels, destroy. ----
typedef struct fovea_png_reader fovea_png_reader;
fovea_png_reader *fovea_png_reader_create(const uint8_t *data, size_t size);
fovea_status fovea_png_read_header(fovea_png_reader *reader, fovea_image_header *header);
// `pixels` must hold exactly width * height * out_channels bytes.
fovea_status fovea_png_read_pixels(fovea_png_reader *reader, uint8_t *pixels, size_t size);
const char *fovea_png_reader_message(const fovea_png_reader *reader);
void fovea_png_reader_destroy(fovea_png_reader *reader);

// ---- JPEG decoding: same shape; the Exif APP1 payload (if any) is exposed for orientation. ----
typedef struct fovea_jpeg_reader fovea_jpeg_reader;
fovea_jpeg_reader *fovea_jpeg_reader_create(const uint8_t *data, size_t size);
fovea_status fovea_jpeg_read_header(fovea_jpeg_reader *reader, fovea_image_header *header);
fovea_status fovea_jpeg_read_pixels(fovea_jpeg_reader *reader, uint8_t *pixels, size_t size);
// The APP1 "Exif\0\0" marker payload after read_header, or NULL; valid until destroy.
const uint8_t *fovea_jpeg_reader_exif(const fovea_jpeg_reader *reader, size_t *size);
const char *fovea_jpeg_reader_message(const fovea_jpeg_reader *reader);
void fovea_jpeg_reader_destroy(fovea_jpeg_reader *reader);

// ---- Encoding into a malloc'ed buffer the caller releases with fovea_codec_free. ----
// channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
fovea_status fovea_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                              uint8_t **out, size_t *out_size, char *message, size_t message_size);
// channels: 1 gray or 3 RGB; quality 1...100.
fovea_status fovea_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                               int quality, uint8_t **out, size_t *out_size,
                               char *message, size_t message_size);
void fovea_codec_free(void *pointer);

#endif
