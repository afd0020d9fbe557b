// JPEG decode/encode over libjpeg(-turbo). error_exit records the message and
// longjmps back to the setjmp in the calling wrapper; emit_message keeps
// warnings off stderr and remembers the first one, so truncation and damaged
// entropy data become errors instead of silently gray-filled pixels.
#include "fovea_codec.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

struct fovea_jpeg_reader {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr errors;
    jmp_buf jump;
    int created;
    int header_read;
    int error_code;
    int warning_code;
    fovea_image_header header;
    const uint8_t *data;
    size_t size;
    const uint8_t *exif;
    size_t exif_size;
    char message[JMSG_LENGTH_MAX + 64];
};

static void decoder_error_exit(j_common_ptr cinfo) {
    fovea_jpeg_reader *reader = cinfo->client_data;
    reader->error_code = cinfo->err->msg_code;
    (*cinfo->err->format_message)(cinfo, reader->message);
    longjmp(reader->jump, 1);
}

static void decoder_emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return; // trace messages
    fovea_jpeg_reader *reader = cinfo->client_data;
    cinfo->err->num_warnings++;
    if (reader->warning_code == 0) {
        reader->warning_code = cinfo->err->msg_code;
        (*cinfo->err->format_message)(cinfo, reader->message);
    }
}

fovea_jpeg_reader *fovea_jpeg_reader_create(const uint8_t *data, size_t size) {
    fovea_jpeg_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) return NULL;
    reader->data = data;
    reader->size = size;
    return reader;
}

const char *fovea_jpeg_reader_message(const fovea_jpeg_reader *reader) { return reader->message; }

const uint8_t *fovea_jpeg_reader_exif(const fovea_jpeg_reader *reader, size_t *size) {
    *size = reader->exif_size;
    return reader->exif;
}

// A fatal error after libjpeg hit the end of the data is a truncation, whatever it reports.
static fovea_status classify_error(fovea_jpeg_reader *reader) {
    if (reader->warning_code == JWRN_JPEG_EOF) {
        snprintf(reader->message, sizeof reader->message, "premature end of JPEG data");
        return FOVEA_ERR_TRUNCATED;
    }
    switch (reader->error_code) {
    case JERR_EMPTY_IMAGE: return FOVEA_ERR_ZERO_SIZE;
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOT_COMPILED:
        return FOVEA_ERR_UNSUPPORTED;
    case JERR_OUT_OF_MEMORY: return FOVEA_ERR_NO_MEMORY;
    default: return FOVEA_ERR_CORRUPT;
    }
}

// Warnings that mean pixels were lost; others (extraneous bytes, unknown JFIF revision) are harmless.
static fovea_status classify_warning(fovea_jpeg_reader *reader) {
    switch (reader->warning_code) {
    case 0: return FOVEA_OK;
    case JWRN_JPEG_EOF:
        snprintf(reader->message, sizeof reader->message, "premature end of JPEG data");
        return FOVEA_ERR_TRUNCATED;
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC:
        return FOVEA_ERR_CORRUPT;
    default: return FOVEA_OK;
    }
}

fovea_status fovea_jpeg_read_header(fovea_jpeg_reader *reader, fovea_image_header *header) {
    if (reader->created) return FOVEA_ERR_USAGE;
    reader->cinfo.err = jpeg_std_error(&reader->errors);
    reader->errors.error_exit = decoder_error_exit;
    reader->errors.emit_message = decoder_emit_message;
    reader->cinfo.client_data = reader;
    if (setjmp(reader->jump)) return classify_error(reader);
    jpeg_create_decompress(&reader->cinfo);
    reader->created = 1;
    jpeg_mem_src(&reader->cinfo, reader->data, (unsigned long)reader->size);
    jpeg_save_markers(&reader->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&reader->cinfo, TRUE);
    if (reader->warning_code == JWRN_JPEG_EOF) return classify_warning(reader);

    struct jpeg_decompress_struct *cinfo = &reader->cinfo;
    reader->header.width = cinfo->image_width;
    reader->header.height = cinfo->image_height;
    reader->header.file_channels = cinfo->num_components;
    reader->header.bit_depth = cinfo->data_precision;
    reader->header.interlaced = jpeg_has_multiple_scans(cinfo) != 0;
    for (jpeg_saved_marker_ptr marker = cinfo->marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= 6 && memcmp(marker->data, "Exif\0\0", 6) == 0) {
            reader->exif = marker->data + 6;
            reader->exif_size = marker->data_length - 6;
            break;
        }
    }
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        reader->header.out_channels = 1;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo->out_color_space = JCS_RGB;
        reader->header.out_channels = 3;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        *header = reader->header;
        snprintf(reader->message, sizeof reader->message,
                 "CMYK/YCCK JPEG is not supported (no color management); convert it to RGB first");
        return FOVEA_ERR_UNSUPPORTED;
    default:
        *header = reader->header;
        snprintf(reader->message, sizeof reader->message, "JPEG color space %d is not supported",
                 (int)cinfo->jpeg_color_space);
        return FOVEA_ERR_UNSUPPORTED;
    }
    reader->header_read = 1;
    *header = reader->header;
    return FOVEA_OK;
}

fovea_status fovea_jpeg_read_pixels(fovea_jpeg_reader *reader, uint8_t *pixels, size_t size) {
    if (!reader->header_read) return FOVEA_ERR_USAGE;
    size_t stride = (size_t)reader->header.width * (size_t)reader->header.out_channels;
    if (size != stride * reader->header.height) return FOVEA_ERR_USAGE;
    if (setjmp(reader->jump)) return classify_error(reader);
    jpeg_start_decompress(&reader->cinfo);
    if (reader->cinfo.output_width != reader->header.width ||
        reader->cinfo.output_components != reader->header.out_channels) {
        snprintf(reader->message, sizeof reader->message, "decoder output layout differs from the header");
        return FOVEA_ERR_UNSUPPORTED;
    }
    while (reader->cinfo.output_scanline < reader->cinfo.output_height) {
        JSAMPROW row = pixels + stride * reader->cinfo.output_scanline;
        jpeg_read_scanlines(&reader->cinfo, &row, 1);
    }
    jpeg_finish_decompress(&reader->cinfo);
    return classify_warning(reader);
}

void fovea_jpeg_reader_destroy(fovea_jpeg_reader *reader) {
    if (reader == NULL) return;
    if (reader->created) jpeg_destroy_decompress(&reader->cinfo);
    free(reader);
}

// ---- Encoding ----

typedef struct {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr errors;
    jmp_buf jump;
    unsigned char *buffer;
    unsigned long buffer_size;
    char *message;
    size_t message_size;
} jpeg_writer;

static void encoder_error_exit(j_common_ptr cinfo) {
    jpeg_writer *writer = cinfo->client_data;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(writer->message, writer->message_size, "%s", text);
    longjmp(writer->jump, 1);
}

static void encoder_emit_message(j_common_ptr cinfo, int level) {
    (void)cinfo;
    (void)level;
}

fovea_status fovea_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                               int quality, uint8_t **out, size_t *out_size,
                               char *message, size_t message_size) {
    if ((channels != 1 && channels != 3) || width == 0 || height == 0 || width > JPEG_MAX_DIMENSION ||
        height > JPEG_MAX_DIMENSION || quality < 1 || quality > 100) {
        snprintf(message, message_size, "cannot write a %ux%u image with %d channels at quality %d as JPEG",
                 width, height, channels, quality);
        return FOVEA_ERR_USAGE;
    }
    jpeg_writer *writer = calloc(1, sizeof *writer);
    if (writer == NULL) return FOVEA_ERR_NO_MEMORY;
    writer->message = message;
    writer->message_size = message_size;
    writer->cinfo.err = jpeg_std_error(&writer->errors);
    writer->errors.error_exit = encoder_error_exit;
    writer->errors.emit_message = encoder_emit_message;
    writer->cinfo.client_data = writer;
    if (setjmp(writer->jump)) {
        jpeg_destroy_compress(&writer->cinfo);
        free(writer->buffer);
        free(writer);
        return FOVEA_ERR_CORRUPT;
    }
    jpeg_create_compress(&writer->cinfo);
    jpeg_mem_dest(&writer->cinfo, &writer->buffer, &writer->buffer_size);
    writer->cinfo.image_width = width;
    writer->cinfo.image_height = height;
    writer->cinfo.input_components = channels;
    writer->cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&writer->cinfo);
    jpeg_set_quality(&writer->cinfo, quality, TRUE);
    jpeg_start_compress(&writer->cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (writer->cinfo.next_scanline < writer->cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + stride * writer->cinfo.next_scanline);
        jpeg_write_scanlines(&writer->cinfo, &row, 1);
    }
    jpeg_finish_compress(&writer->cinfo);
    jpeg_destroy_compress(&writer->cinfo);
    *out = writer->buffer;
    *out_size = writer->buffer_size;
    free(writer);
    return FOVEA_OK;
}
