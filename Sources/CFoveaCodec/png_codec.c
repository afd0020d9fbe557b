// PNG decode/encode over libpng. Every libpng call that can fail runs after a
// setjmp in the same function; the error callback records the message and
// longjmps back there, so libpng never aborts and never unwinds Swift frames.
#include "fovea_codec.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fovea_png_reader {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t position;
    int truncated;
    int header_read;
    fovea_image_header header;
    png_bytep *rows;
    jmp_buf jump;
    char message[256];
};

static void reader_error(png_structp png, png_const_charp text) {
    fovea_png_reader *reader = png_get_error_ptr(png);
    snprintf(reader->message, sizeof reader->message, "%s", text);
    longjmp(reader->jump, 1);
}

// libpng warns about harmless things (e.g. known-incorrect sRGB profiles); a library must not print them.
static void ignore_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void read_from_memory(png_structp png, png_bytep out, size_t count) {
    fovea_png_reader *reader = png_get_io_ptr(png);
    if (reader->size - reader->position < count) {
        reader->truncated = 1;
        png_error(png, "unexpected end of file");
    }
    memcpy(out, reader->data + reader->position, count);
    reader->position += count;
}

static uint32_t big_endian_32(const uint8_t *bytes) {
    return ((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) | ((uint32_t)bytes[2] << 8) | bytes[3];
}

fovea_png_reader *fovea_png_reader_create(const uint8_t *data, size_t size) {
    fovea_png_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) return NULL;
    reader->data = data;
    reader->size = size;
    return reader;
}

const char *fovea_png_reader_message(const fovea_png_reader *reader) { return reader->message; }

static fovea_status failure(fovea_png_reader *reader) {
    return reader->truncated ? FOVEA_ERR_TRUNCATED : FOVEA_ERR_CORRUPT;
}

fovea_status fovea_png_read_header(fovea_png_reader *reader, fovea_image_header *header) {
    if (reader->png != NULL) return FOVEA_ERR_USAGE;
    // libpng rejects a zero dimension with a generic IHDR error; read it ourselves to say exactly that.
    if (reader->size >= 24 && memcmp(reader->data + 12, "IHDR", 4) == 0) {
        uint32_t width = big_endian_32(reader->data + 16), height = big_endian_32(reader->data + 20);
        if (width == 0 || height == 0) {
            snprintf(reader->message, sizeof reader->message, "IHDR declares a %ux%u image", width, height);
            return FOVEA_ERR_ZERO_SIZE;
        }
    }
    if (setjmp(reader->jump)) return failure(reader);
    reader->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, reader_error, ignore_warning);
    if (reader->png == NULL) return FOVEA_ERR_NO_MEMORY;
    reader->info = png_create_info_struct(reader->png);
    if (reader->info == NULL) return FOVEA_ERR_NO_MEMORY;
    png_set_read_fn(reader->png, reader, read_from_memory);
    // libpng's own 1,000,000-pixel side limit would report big images as corrupt; Swift applies the
    // caller's pixel limit to the header instead, with a message that says so.
    png_set_user_limits(reader->png, 0x7fffffff, 0x7fffffff);
    png_read_info(reader->png, reader->info);

    png_uint_32 width, height;
    int bit_depth, color_type, interlace;
    png_get_IHDR(reader->png, reader->info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    int transparency = png_get_valid(reader->png, reader->info, PNG_INFO_tRNS) != 0;

    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(reader->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(reader->png);
    if (transparency) png_set_tRNS_to_alpha(reader->png);
    // 16-bit samples keep their high byte (v >> 8), the mapping Pillow uses for 16-bit RGB(A).
    if (bit_depth == 16) png_set_strip_16(reader->png);
    png_set_interlace_handling(reader->png);
    png_read_update_info(reader->png, reader->info);

    int stored;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: stored = 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: stored = 2; break;
    case PNG_COLOR_TYPE_RGB: stored = 3; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: stored = 4; break;
    default: stored = transparency ? 4 : 3; break;
    }
    reader->header.width = width;
    reader->header.height = height;
    reader->header.file_channels = stored;
    reader->header.bit_depth = bit_depth;
    reader->header.out_channels = png_get_channels(reader->png, reader->info);
    reader->header.interlaced = interlace != PNG_INTERLACE_NONE;
    if (png_get_rowbytes(reader->png, reader->info) != (size_t)width * (size_t)reader->header.out_channels) {
        snprintf(reader->message, sizeof reader->message, "unexpected row layout after expansion to 8 bits");
        return FOVEA_ERR_UNSUPPORTED;
    }
    reader->header_read = 1;
    *header = reader->header;
    return FOVEA_OK;
}

fovea_status fovea_png_read_pixels(fovea_png_reader *reader, uint8_t *pixels, size_t size) {
    if (!reader->header_read) return FOVEA_ERR_USAGE;
    size_t stride = (size_t)reader->header.width * (size_t)reader->header.out_channels;
    if (size != stride * reader->header.height) return FOVEA_ERR_USAGE;
    reader->rows = malloc(sizeof(png_bytep) * reader->header.height);
    if (reader->rows == NULL) return FOVEA_ERR_NO_MEMORY;
    for (uint32_t y = 0; y < reader->header.height; y++) reader->rows[y] = pixels + stride * y;
    if (setjmp(reader->jump)) return failure(reader);
    png_read_image(reader->png, reader->rows);
    // Reads the chunks after the image data too, so a damaged or missing tail is reported.
    png_read_end(reader->png, NULL);
    return FOVEA_OK;
}

void fovea_png_reader_destroy(fovea_png_reader *reader) {
    if (reader == NULL) return;
    if (reader->png != NULL) png_destroy_read_struct(&reader->png, reader->info ? &reader->info : NULL, NULL);
    free(reader->rows);
    free(reader);
}

// ---- Encoding ----

typedef struct {
    png_structp png;
    png_infop info;
    uint8_t *data;
    size_t size;
    size_t capacity;
    jmp_buf jump;
    char *message;
    size_t message_size;
} png_writer;

static void writer_error(png_structp png, png_const_charp text) {
    png_writer *writer = png_get_error_ptr(png);
    snprintf(writer->message, writer->message_size, "%s", text);
    longjmp(writer->jump, 1);
}

static void write_to_memory(png_structp png, png_bytep bytes, size_t count) {
    png_writer *writer = png_get_io_ptr(png);
    if (writer->capacity - writer->size < count) {
        size_t capacity = writer->capacity * 2 + count + 4096;
        uint8_t *grown = realloc(writer->data, capacity);
        if (grown == NULL) png_error(png, "out of memory while encoding PNG");
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, count);
    writer->size += count;
}

static void flush_nothing(png_structp png) { (void)png; }

fovea_status fovea_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                              uint8_t **out, size_t *out_size, char *message, size_t message_size) {
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || width == 0 || height == 0) {
        snprintf(message, message_size, "cannot write a %ux%u image with %d channels as PNG", width, height, channels);
        return FOVEA_ERR_USAGE;
    }
    png_writer *writer = calloc(1, sizeof *writer);
    if (writer == NULL) return FOVEA_ERR_NO_MEMORY;
    writer->message = message;
    writer->message_size = message_size;
    // Everything the error path must clean up lives in `writer`, not in locals, which setjmp may not restore.
    if (setjmp(writer->jump)) {
        png_destroy_write_struct(&writer->png, writer->info ? &writer->info : NULL);
        free(writer->data);
        free(writer);
        return FOVEA_ERR_CORRUPT;
    }
    writer->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, writer, writer_error, ignore_warning);
    if (writer->png == NULL) { free(writer); return FOVEA_ERR_NO_MEMORY; }
    writer->info = png_create_info_struct(writer->png);
    if (writer->info == NULL) { png_destroy_write_struct(&writer->png, NULL); free(writer); return FOVEA_ERR_NO_MEMORY; }
    png_set_write_fn(writer->png, writer, write_to_memory, flush_nothing);
    png_set_IHDR(writer->png, writer->info, width, height, 8, color_types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(writer->png, writer->info);
    size_t stride = (size_t)width * (size_t)channels;
    for (uint32_t y = 0; y < height; y++) png_write_row(writer->png, pixels + stride * y);
    png_write_end(writer->png, NULL);
    png_destroy_write_struct(&writer->png, &writer->info);
    *out = writer->data;
    *out_size = writer->size;
    free(writer);
    return FOVEA_OK;
}

void fovea_codec_free(void *pointer) { free(pointer); }
